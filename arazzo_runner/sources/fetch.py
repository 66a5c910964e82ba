"""Reading documents by URL: local files (``file:`` URLs) and ``http(s):`` URLs."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from ..errors import Location, SourceError
from .policy import check_fetch, check_redirect

__all__ = ["display_name", "path_to_url", "read_url"]

# Largest document we read: far above any real description, small enough to stop a runaway fetch.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_REDIRECTS = 10


def path_to_url(path: str | os.PathLike[str]) -> str:
    return Path(path).resolve().as_uri()


def display_name(url: str) -> str:
    """A short name for messages: a path relative to the working directory for files."""
    try:
        split = urlsplit(url)
    except ValueError:
        return _without_userinfo(url)
    if split.scheme == "file":
        path = unquote(split.path)
        try:
            rel = os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return path
        return path if rel.startswith("..") else rel
    return _without_userinfo(url)


def _without_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` masked, so messages never echo a password."""
    try:
        split = urlsplit(url)
    except ValueError:  # not a valid URL (an unclosed "[", say): mask everything before the last "@"
        scheme, sep, _ = url.partition("://")
        return f"{scheme}{sep}***@{url.rpartition('@')[2]}" if "@" in url else url
    if "@" not in split.netloc:
        return url
    return urlunsplit(split._replace(netloc="***@" + split.netloc.rpartition("@")[2]))


def read_url(url: str, display: str | None = None) -> str:
    """The text at ``url``; messages name it ``display`` (default: a short form of the URL)."""
    shown = display or display_name(url)
    try:
        split = urlsplit(url)
    except ValueError as exc:
        raise SourceError(f"{shown!r} is not a valid URL ({exc})", Location(shown)) from None
    if split.scheme == "file":
        return _read_file(unquote(split.path), shown)
    if split.scheme in ("http", "https"):
        return _read_http(url)
    raise SourceError(
        f"unsupported URL scheme {split.scheme!r} in {shown!r} (use a file path or http(s) URL)", Location(shown)
    )


def _read_http(url: str) -> str:
    """The body of ``url``, read in chunks and given up as soon as it passes MAX_DOCUMENT_BYTES.

    The fetch policy (:mod:`.policy`) is checked before the first connection and at each redirect.
    """
    import httpx

    from . import deadline

    shown = display_name(url)  # never the password of a user:password@ URL
    check_fetch(url, shown)
    try:
        status, content, encoding = deadline.fetch_bytes(
            url,
            MAX_DOCUMENT_BYTES,
            max_redirects=MAX_REDIRECTS,
            on_redirect=lambda current, following: check_redirect(current, following, shown),
        )
    except deadline.FetchTooLarge:
        raise SourceError(f"{shown} is larger than {MAX_DOCUMENT_BYTES} bytes", Location(shown)) from None
    except deadline.TooManyRedirects:
        raise SourceError(f"cannot fetch {shown}: more than {MAX_REDIRECTS} redirects", Location(shown)) from None
    except TimeoutError:
        raise SourceError(
            f"cannot fetch {shown}: no complete response within {deadline.FETCH_TIMEOUT:g}s", Location(shown)
        ) from None
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        password = urlsplit(url).password if "@" in url else None
        detail = detail.replace(url, shown)
        if password:
            detail = detail.replace(password, "***")
        raise SourceError(f"cannot fetch {shown}: {detail}", Location(shown)) from None
    if status != 200:
        raise SourceError(f"cannot fetch {shown}: HTTP {status}", Location(shown))
    try:
        return content.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # an unknown charset: read it as UTF-8
        return content.decode("utf-8", errors="replace")


def _read_file(path: str, shown: str) -> str:
    """A local document: only a regular file (never a device, FIFO or /dev/zero), read up to the size cap."""
    not_regular = SourceError(f"{shown} is not a regular file; give the path of a document", Location(shown))
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):  # a device (/dev/zero), a FIFO or a socket: opening or reading may never end
            raise not_regular
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise not_regular
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise SourceError(f"file not found: {shown}", Location(shown)) from None
    except IsADirectoryError:
        raise SourceError(
            f"{shown!r} is a directory; give the path of an Arazzo document (.yaml/.yml/.json)",
            Location(shown),
        ) from None
    except OSError as exc:
        raise SourceError(f"cannot read {shown}: {exc.strerror}", Location(shown)) from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SourceError(f"{shown} is larger than {MAX_DOCUMENT_BYTES} bytes", Location(shown))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{shown} is not UTF-8 text: {exc.reason}", Location(shown)) from None
