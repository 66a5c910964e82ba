"""An on-disk cache of parsed OpenAPI descriptions, for the command line.

A process that runs one workflow spends most of its time parsing the OpenAPI
description (Stytch's is 1.46 MB of YAML). The command line therefore keeps each
large description it parses as JSON, which reads many times faster, in the user
cache directory: ``$ARAZZO_RUNNER_CACHE_DIR``, else ``$XDG_CACHE_HOME/arazzo-runner``,
else ``~/.cache/arazzo-runner``.

- Keyed by the SHA-256 of the description's text and this package's version: an
  edited file or a new release never reads an old entry.
- Plain JSON (never pickle): reading an entry cannot run code. Values JSON cannot
  carry as they are (non-string keys, bytes) are tagged so the data comes back
  exactly as the YAML parser gave it; anything else is simply not cached. An entry
  without tags (nearly all) is marked so and read by the JSON parser alone, with no
  per-object decoding pass.
- Files are written atomically with owner-only permissions; at most
  :data:`MAX_ENTRIES` are kept (oldest dropped). A damaged or unreadable entry is
  ignored and the text parsed again; a cache that cannot be written is skipped.
- Off unless enabled (the command line enables it; ``--no-cache`` or
  ``ARAZZO_RUNNER_NO_CACHE=1`` keeps it off). Python callers can call :func:`enable`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["MAX_ENTRIES", "MIN_SIZE", "cache_dir", "cached_parse", "enable", "enabled"]

MIN_SIZE = 64 * 1024  # smaller descriptions parse in a few milliseconds: not worth a file
MAX_ENTRIES = 32
_MAP = "\x00map"  # a mapping with keys JSON cannot hold, as [key, value] pairs
_BYTES = "\x00bytes"
_TAGGED = "\x00tagged"  # the top of an entry that holds tagged values: {_TAGGED: data}
_TAGGED_START = b'{"\\u0000tagged":'  # how json.dumps writes that start
_FORMAT = 2  # in the key: entries of an earlier layout are never read

_state = {"enabled": False}


class _Uncacheable(Exception):
    pass


def enable(on: bool = True) -> None:
    """Turn the cache on (or off) for this process; ``ARAZZO_RUNNER_NO_CACHE=1`` keeps it off regardless."""
    _state["enabled"] = on and not os.environ.get("ARAZZO_RUNNER_NO_CACHE")


def enabled() -> bool:
    return _state["enabled"]


def cache_dir() -> Path:
    explicit = os.environ.get("ARAZZO_RUNNER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "arazzo-runner"


def cached_parse(text: str, parse: Callable[[], Any]) -> Any:
    """``parse()``'s result for ``text``, from the cache when an entry exists; stored there otherwise."""
    if not _state["enabled"] or len(text) < MIN_SIZE:
        return parse()
    from .. import __version__

    key = f"arazzo-runner {__version__} cache {_FORMAT}\n".encode()
    digest = hashlib.sha256(key + text.encode("utf-8", "surrogatepass"))
    path = cache_dir() / f"openapi-{digest.hexdigest()}.json"
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if raw.startswith(_TAGGED_START):
            return json.loads(raw, object_hook=_decode)[_TAGGED]
        return json.loads(raw)
    except (OSError, ValueError, TypeError, RecursionError):
        pass  # no entry, or one we cannot read: parse the text
    data = parse()
    _store(path, data)
    return data


def _store(path: Path, data: Any) -> None:
    tags: list[str] = []
    try:
        encoded = _encode(data, 0, tags)
        payload = json.dumps({_TAGGED: encoded} if tags else encoded, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )
    except (_Uncacheable, ValueError, TypeError, RecursionError):
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".openapi-", suffix=".tmp")  # created 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
        _trim(path.parent)
    except OSError:
        return  # a read-only or full disk only costs the speed-up


def _trim(directory: Path) -> None:
    entries = sorted(directory.glob("openapi-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        old.unlink(missing_ok=True)


def _encode(value: Any, depth: int, tags: list[str]) -> Any:
    """``value`` as JSON can hold it; each tag used is noted in ``tags``."""
    if depth > 512:
        raise _Uncacheable
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("\x00") for key in value):
            return {key: _encode(item, depth + 1, tags) for key, item in value.items()}
        if not all(key is None or isinstance(key, (str, bool, int, float)) for key in value):
            raise _Uncacheable
        tags.append(_MAP)
        return {_MAP: [[key, _encode(item, depth + 1, tags)] for key, item in value.items()]}
    if isinstance(value, list):
        return [_encode(item, depth + 1, tags) for item in value]
    if isinstance(value, bytes):
        tags.append(_BYTES)
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    raise _Uncacheable  # a set, a date or anything else YAML may give: parsed afresh every time


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _MAP in obj:
            return dict(obj[_MAP])
        if _BYTES in obj:
            return base64.b64decode(obj[_BYTES])
    return obj
