"""Reading documents by URL: local files (``file:`` URLs) and ``http(s):`` URLs."""

from __future__ import annotations

import os
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
        path = unquote(split.path)
        try:
            size = os.path.getsize(path)
            if size > MAX_DOCUMENT_BYTES:
                raise SourceError(f"{shown} is larger than {MAX_DOCUMENT_BYTES} bytes", Location(shown))
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            raise SourceError(f"file not found: {shown}", Location(shown)) from None
        except IsADirectoryError:
            raise SourceError(
                f"{shown!r} is a directory; give the path of an Arazzo document (.yaml/.yml/.json)",
                Location(shown),
            ) from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"{shown} is not UTF-8 text: {exc.reason}", Location(shown)) from None
        except OSError as exc:
            raise SourceError(f"cannot read {shown}: {exc.strerror}", Location(shown)) from None
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

    shown = display_name(url)  # never the password of a user:password@ URL
    too_large = SourceError(f"{shown} is larger than {MAX_DOCUMENT_BYTES} bytes", Location(shown))
    chunks: list[bytes] = []
    check_fetch(url, shown)
    current = url
    try:
        with httpx.Client(timeout=30.0, follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current) as response:
                    if response.has_redirect_location:
                        following = str(response.url.join(response.headers["location"]))
                        check_redirect(current, following, shown)
                        current = following
                        continue
                    if response.status_code != 200:
                        raise SourceError(f"cannot fetch {shown}: HTTP {response.status_code}", Location(shown))
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
                        raise too_large
                    size = 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > MAX_DOCUMENT_BYTES:
                            raise too_large
                        chunks.append(chunk)
                    encoding = response.charset_encoding or "utf-8"
                    break
            else:
                raise SourceError(f"cannot fetch {shown}: more than {MAX_REDIRECTS} redirects", Location(shown))
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        password = urlsplit(url).password if "@" in url else None
        detail = detail.replace(url, shown)
        if password:
            detail = detail.replace(password, "***")
        raise SourceError(f"cannot fetch {shown}: {detail}", Location(shown)) from None
    content = b"".join(chunks)
    try:
        return content.decode(encoding, errors="replace")
    except LookupError:  # an unknown charset: read it as UTF-8
        return content.decode("utf-8", errors="replace")
