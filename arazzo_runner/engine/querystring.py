"""Arazzo 1.1 request building: ``in: querystring`` (V11-21) and JSONPath replacement targets (V11-13).

``in: querystring`` (with OpenAPI 3.2) is one parameter that is the whole query string.

The value is the complete query string as the document writes it
(``"filter=active&limit={$inputs.limit}"``), formatted by the media type of
the OpenAPI parameter's ``content``:

* ``application/x-www-form-urlencoded`` (the default, also when the
  operation does not declare the parameter): a string is used as written,
  with only the characters a query cannot hold percent-encoded; an object is
  encoded as ``name=value`` pairs;
* ``application/json`` (or any ``+json``): the JSON text, percent-encoded
  whole; a string is taken as JSON text already, any other value is
  serialised first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import RequestBuildError
from ..language.expressions import to_text

__all__ = ["querystring_piece", "set_by_jsonpath"]

# What may stay as written in a form-style query string: its separators and existing %-escapes.
_FORM_SAFE = "=&+;,/?:@!$'()*~-._%"


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    base = content_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def querystring_piece(value: Any, content_type: str | None) -> str:
    """The encoded query string (without ``?``) for a querystring parameter's value."""
    if _is_json(content_type):
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return quote(text, safe="")
    if isinstance(value, Mapping):
        return urlencode([(str(k), to_text(v)) for k, v in value.items()])
    text = to_text(value)
    return quote(text[1:] if text.startswith("?") else text, safe=_FORM_SAFE)


def set_by_jsonpath(document: Any, target: str, query: Any, new: Any) -> Any:
    """Set ``new`` at every node an RFC 9535 ``query`` selects in ``document``; it must select one at least."""
    nodes = list(query.find(document))
    if not nodes:
        raise RequestBuildError(f"replacement target {target!r} (jsonpath) selects nothing in the payload")
    for node in nodes:
        location = tuple(node.location)
        if not location:
            document = new  # the root itself
            continue
        parent = document
        for step in location[:-1]:
            parent = parent[step]
        parent[location[-1]] = new
    return document
