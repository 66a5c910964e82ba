"""Requests and responses as runtime expressions see them (DEC-24, DEC-25)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from ..language.expressions import HttpView
from ..language.expressions.context import BodyKind

__all__ = ["LazyHeaders", "body_excerpt", "joined_headers", "parse_body", "request_view", "response_view"]


class LazyHeaders(Mapping[str, str]):
    """The headers of a message as expressions see them, joined only when first read.

    Most steps never read a header, so the DEC-25 view is built on demand.
    """

    __slots__ = ("_headers", "_joined")

    def __init__(self, headers: httpx.Headers) -> None:
        self._headers = headers
        self._joined: dict[str, str] | None = None

    def _view(self) -> dict[str, str]:
        if self._joined is None:
            self._joined = joined_headers(self._headers)
        return self._joined

    def __getitem__(self, name: str) -> str:
        return self._view()[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._view().get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._view()

    def __iter__(self) -> Iterator[str]:
        return iter(self._view())

    def __len__(self) -> int:
        return len(self._view())

    def __repr__(self) -> str:
        return f"LazyHeaders({list(self._view())!r})"


def joined_headers(headers: httpx.Headers) -> dict[str, str]:
    """Lower-cased names; repeated headers joined with ", ", Set-Cookie keeping its first value."""
    result: dict[str, str] = {}
    for name, value in headers.multi_items():
        key = name.lower()
        if key in result:
            if key != "set-cookie":
                result[key] = f"{result[key]}, {value}"
        else:
            result[key] = value
    return result


def parse_body(content: bytes, content_type: str | None) -> tuple[Any, BodyKind]:
    if not content:
        return None, "empty"
    media = (content_type or "").split(";", 1)[0].strip().lower()
    charset = "utf-8"
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";", 1)[0].strip().strip('"') or "utf-8"
        try:
            b"x".decode(charset, errors="replace")
        except (LookupError, ValueError):  # an unknown charset (or not a text encoding): read the body as UTF-8
            charset = "utf-8"
    if media == "application/json" or media.endswith("+json"):
        text = content.decode(charset, errors="replace")
        try:
            return json.loads(text), "json"
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse: criteria see text
            return text, "text"
    if (
        media.startswith("text/")
        or media.endswith("xml")
        or media in ("application/x-www-form-urlencoded", "application/javascript")
    ):
        return content.decode(charset, errors="replace"), "text"
    if not media:
        # No content type: JSON if it parses as JSON, else text if it decodes.
        try:
            return json.loads(content), "json"
        except (ValueError, UnicodeDecodeError, RecursionError):
            pass
        try:
            return content.decode("utf-8"), "text"
        except UnicodeDecodeError:
            return content, "binary"
    return content, "binary"


def response_view(response: httpx.Response) -> HttpView:
    body, kind = parse_body(response.content, response.headers.get("content-type"))
    return _http_view(LazyHeaders(response.headers), body, kind, {}, {})


def request_view(
    request: httpx.Request,
    body_value: Any,
    path: dict[str, Any],
    query: dict[str, Any],
    content_type: str | None = None,
) -> HttpView:
    """The request as sent (DEC-25, DEC-26): every header httpx will put on the wire, the body bytes.

    A JSON body is given as the value that was serialised (equal to the bytes
    sent); any other body is read back from the request itself, so a form,
    a multipart body or raw bytes are exactly what went out. ``content_type``: the Content-Type
    header sent (read from ``request`` when not given).
    """
    content = _request_content(request)
    if content_type is None and content:
        content_type = request.headers.get("content-type")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    body: Any
    kind: BodyKind
    if body_value is not None and (media == "application/json" or media.endswith("+json")):
        body, kind = body_value, "json"
    elif media == "multipart/form-data" and content:
        try:
            body, kind = content.decode("utf-8"), "text"
        except UnicodeDecodeError:
            body, kind = content, "binary"
    else:
        body, kind = parse_body(content, content_type)
    return _http_view(LazyHeaders(request.headers), body, kind, path, query)


def _http_view(
    headers: Mapping[str, str], body: Any, kind: BodyKind, path: Mapping[str, Any], query: Mapping[str, Any]
) -> HttpView:
    """``HttpView(...)`` with every field given, filled in one go (two are made per step): a frozen
    dataclass's ``__init__`` sets each field through ``object.__setattr__``."""
    view = object.__new__(HttpView)
    view.__dict__.update(headers=headers, body=body, body_kind=kind, query=query, path=path)
    return view


def _request_content(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        pass
    if isinstance(request.stream, httpx.SyncByteStream):
        # A multipart body: reading it now buffers it, and the same bytes are then sent.
        return request.read()
    return b""


def body_excerpt(response: httpx.Response, limit: int = 200, mask: Callable[[str], str] | None = None) -> str:
    """The start of the body on one line, at most ``limit`` characters.

    ``mask`` (hiding secrets) is applied to the whole body before it is cut: masking the excerpt
    instead would miss a secret that straddles the cut and leak its first characters.
    """
    # Enough of the body for the excerpt plus any secret straddling the cut (not a huge body whole).
    head = response.content[: limit * 4 + 4096].decode("utf-8", errors="replace")
    text = mask(head) if mask is not None else head
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
