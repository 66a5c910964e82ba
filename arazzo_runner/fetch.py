"""Reading documents by URL: local files (``file:`` URLs) and ``http(s):`` URLs."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import Location, SourceError

__all__ = ["read_url", "path_to_url", "display_name"]

# Largest document we read: far above any real description, small enough to stop a runaway fetch.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def path_to_url(path: str | os.PathLike[str]) -> str:
    return Path(path).resolve().as_uri()


def display_name(url: str) -> str:
    """A short name for messages: a path relative to the working directory for files."""
    split = urlsplit(url)
    if split.scheme == "file":
        path = unquote(split.path)
        try:
            rel = os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return path
        return path if rel.startswith("..") else rel
    return url


def read_url(url: str) -> str:
    split = urlsplit(url)
    if split.scheme == "file":
        path = unquote(split.path)
        try:
            size = os.path.getsize(path)
            if size > MAX_DOCUMENT_BYTES:
                raise SourceError(f"{display_name(url)} is larger than {MAX_DOCUMENT_BYTES} bytes", Location(display_name(url)))
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            raise SourceError(f"file not found: {display_name(url)}", Location(display_name(url))) from None
        except IsADirectoryError:
            raise SourceError(f"{display_name(url)} is a directory, not a document", Location(display_name(url))) from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"{display_name(url)} is not UTF-8 text: {exc.reason}", Location(display_name(url))) from None
        except OSError as exc:
            raise SourceError(f"cannot read {display_name(url)}: {exc.strerror}", Location(display_name(url))) from None
    if split.scheme in ("http", "https"):
        import httpx

        try:
            response = httpx.get(url, timeout=30.0, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot fetch {url}: {exc}", Location(url)) from None
        if response.status_code != 200:
            raise SourceError(f"cannot fetch {url}: HTTP {response.status_code}", Location(url))
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise SourceError(f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes", Location(url))
        return response.text
    raise SourceError(f"unsupported URL scheme {split.scheme!r} in {url!r} (use a file path or http(s) URL)", Location(url))
