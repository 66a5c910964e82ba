"""Parameter serialisation by OpenAPI ``style`` and ``explode`` (DEC-27).

Values are serialised to text with :func:`to_text` (JSON spellings for
booleans and null); each piece is percent-encoded, separators are not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..errors import RequestBuildError
from ..language.expressions import to_text

__all__ = ["DEFAULT_STYLE", "serialize_cookie", "serialize_header", "serialize_path", "serialize_query"]

DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
_RESERVED = ":/?#[]@!$&'()*+,;="


# Text that percent-encoding leaves as it is (RFC 3986 unreserved characters): no need to encode it.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _enc(value: Any, *, allow_reserved: bool = False) -> str:
    text = value if type(value) is str else to_text(value)
    if _UNRESERVED.fullmatch(text):
        return text
    return quote(text, safe=_RESERVED if allow_reserved else "")


def _pairs(obj: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in obj.items()]


def _explode_default(style: str) -> bool:
    return style == "form"


def serialize_path(
    name: str, value: Any, style: str | None, explode: bool | None, content_type: str | None = None
) -> str:
    """The text that replaces ``{name}`` in a path template: every piece percent-encoded as a segment."""
    if content_type is not None:
        return quote(json.dumps(value, separators=(",", ":")), safe="")
    style = style or "simple"
    explode = _explode_default(style) if explode is None else explode
    if style == "simple":
        return _delimited(value, ",", explode, "=", ",")
    if style == "label":
        sep = "." if explode else ","
        return "." + _delimited(value, sep, explode, "=", sep if explode else ",")
    if style == "matrix":
        if isinstance(value, list):
            if explode:
                return "".join(f";{_enc(name)}={_enc(v)}" for v in value)
            return f";{_enc(name)}=" + ",".join(_enc(v) for v in value)
        if isinstance(value, Mapping):
            if explode:
                return "".join(f";{_enc(k)}={_enc(v)}" for k, v in _pairs(value))
            return f";{_enc(name)}=" + ",".join(f"{_enc(k)},{_enc(v)}" for k, v in _pairs(value))
        return f";{_enc(name)}={_enc(value)}" if value != "" else f";{_enc(name)}"
    raise RequestBuildError(
        f"path parameter {name!r}: style {style!r} is not allowed in a path (simple, label, matrix)"
    )


def _delimited(value: Any, sep: str, explode: bool, kv: str, kv_flat: str) -> str:
    if type(value) is str:  # the common case first: an ABC isinstance check below costs more than the rest
        return _enc(value)
    if isinstance(value, list):
        return sep.join(_enc(v) for v in value)
    if isinstance(value, Mapping):
        if explode:
            return sep.join(f"{_enc(k)}{kv}{_enc(v)}" for k, v in _pairs(value))
        return kv_flat.join(f"{_enc(k)}{kv_flat}{_enc(v)}" for k, v in _pairs(value))
    return _enc(value)


def serialize_query(
    name: str,
    value: Any,
    style: str | None,
    explode: bool | None,
    allow_reserved: bool = False,
    content_type: str | None = None,
) -> list[str]:
    """``name=value`` pieces (already encoded) to join with ``&``."""
    enc_name = _enc(name)
    if content_type is not None:
        return [f"{enc_name}={quote(json.dumps(value, separators=(',', ':')), safe='')}"]
    style = style or "form"
    explode = _explode_default(style) if explode is None else explode

    def enc(v: Any) -> str:
        return _enc(v, allow_reserved=allow_reserved)

    if style == "form":
        if isinstance(value, list):
            if explode:
                return [f"{enc_name}={enc(v)}" for v in value]
            return [f"{enc_name}=" + ",".join(enc(v) for v in value)]
        if isinstance(value, Mapping):
            if explode:
                return [f"{_enc(k)}={enc(v)}" for k, v in _pairs(value)]
            return [f"{enc_name}=" + ",".join(f"{enc(k)},{enc(v)}" for k, v in _pairs(value))]
        return [f"{enc_name}={enc(value)}"]
    if style in ("spaceDelimited", "pipeDelimited"):
        sep = "%20" if style == "spaceDelimited" else "|"
        if isinstance(value, list):
            if explode:
                return [f"{enc_name}={enc(v)}" for v in value]
            return [f"{enc_name}=" + sep.join(enc(v) for v in value)]
        if isinstance(value, Mapping):
            return [f"{enc_name}=" + sep.join(f"{enc(k)}{sep}{enc(v)}" for k, v in _pairs(value))]
        return [f"{enc_name}={enc(value)}"]
    if style == "deepObject":
        if not isinstance(value, Mapping):
            raise RequestBuildError(
                f"query parameter {name!r}: style deepObject needs an object value, got {to_text(value)!r}"
            )
        return [f"{enc_name}%5B{_enc(k)}%5D={enc(v)}" for k, v in _pairs(value)]
    raise RequestBuildError(f"query parameter {name!r}: unknown style {style!r}")


def serialize_header(name: str, value: Any, explode: bool | None, content_type: str | None = None) -> str:
    if content_type is not None:
        return json.dumps(value, separators=(",", ":"))
    explode = bool(explode)
    if isinstance(value, list):
        return ",".join(to_text(v) for v in value)
    if isinstance(value, Mapping):
        if explode:
            return ",".join(f"{k}={to_text(v)}" for k, v in _pairs(value))
        return ",".join(f"{k},{to_text(v)}" for k, v in _pairs(value))
    return to_text(value)


def serialize_cookie(name: str, value: Any, explode: bool | None) -> list[tuple[str, str]]:
    """``(name, value)`` pairs, both percent-encoded: a ``;`` or ``=`` in a name or an object key cannot add
    a cookie of its own."""
    explode = True if explode is None else explode
    name = _enc(name)
    if isinstance(value, list):
        if explode:
            return [(name, _enc(v)) for v in value]
        return [(name, ",".join(_enc(v) for v in value))]
    if isinstance(value, Mapping):
        if explode:
            return [(_enc(k), _enc(v)) for k, v in _pairs(value)]
        return [(name, ",".join(f"{_enc(k)},{_enc(v)}" for k, v in _pairs(value)))]
    return [(name, _enc(value))]
