"""The ``httpx.URL`` of a request, built from its parts instead of parsed again from one string.

httpx parses every URL string it is given character by character (about 15 µs for a typical API URL),
and a request's URL is always the server URL, which the run uses again and again, followed by a path
and a query that the serialisers have already percent-encoded. :func:`request_url` parses each server
URL once and puts the request's URL together from it, when the result is certain to be the one httpx
would have parsed: the path and query hold only characters httpx keeps as they are, and no ``.`` or
``..`` segment is left to remove. Anything else is handed to httpx as the string it always was.

The parsed form is httpx's own (``httpx.URL._uri_reference``, a ``ParseResult``). It is not public, so
it is used only after :func:`_supported` has seen an httpx that builds it the way this module expects;
any other httpx gets strings.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import httpx

from .request import joined_url

__all__ = ["request_url"]

_MAX_URL_LENGTH = 65536  # httpx refuses longer URLs: the string is sent on, to be refused by httpx
# RFC 3986 pchar, "/" and "%": characters httpx keeps as they are in a path (a lone "%" too).
_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")
# The same and "?", in a query.
_QUERY = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*")
_FIELDS = ("scheme", "userinfo", "host", "port", "path", "query", "fragment")


def request_url(base_url: str, path: str, query: list[str]) -> httpx.URL | str:
    """The URL of ``base_url.rstrip("/") + path`` and its ``query`` pieces, as httpx would parse it."""
    base = _parsed_base(base_url) if _SUPPORTED else None
    joined = "&".join(query) if query else None
    if (
        base is None
        or len(base_url) + len(path) + len(joined or "") >= _MAX_URL_LENGTH  # at least the URL's length
        or "/." in path
        or _PATH.fullmatch(path) is None
        or (joined is not None and _QUERY.fullmatch(joined) is None)
    ):
        return joined_url(base_url, path, query)
    url: Any = object.__new__(httpx.URL)
    url._uri_reference = base._replace(path=base.path + path, query=joined)
    return url  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=64)
def _parsed_base(base_url: str) -> Any:
    """httpx's parsed form of a server URL, or None when its requests' URLs are left to httpx to parse."""
    if "/." in base_url:
        return None  # a dot segment: httpx removes it from the whole path, not from the server's part alone
    try:
        parsed = httpx.URL(base_url.rstrip("/"))._uri_reference
    except (httpx.InvalidURL, TypeError, ValueError):
        return None  # httpx says what is wrong with it when the request is built
    return None if parsed.query is not None or parsed.fragment is not None or not parsed.host else parsed


def _supported() -> bool:
    """Whether this httpx keeps a parsed URL the way :func:`request_url` builds one."""
    try:
        parsed = httpx.URL("http://example.com/a")._uri_reference
        if getattr(type(parsed), "_fields", None) != _FIELDS or "__new__" in vars(httpx.URL):
            return False
        built: Any = object.__new__(httpx.URL)
        built._uri_reference = parsed._replace(path="/a/b%2Fc", query="d=e")
        expected = httpx.URL("http://example.com/a/b%2Fc?d=e")
        return bool(built == expected and str(built) == str(expected) and built.raw_path == expected.raw_path)
    except Exception:  # any surprise in a private part of httpx: parse strings instead
        return False


_SUPPORTED = _supported()
