"""Reading an input value given as text (``-i NAME=VALUE``, a CSV cell) by the input's JSON Schema type."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["coerce_input_text"]


def coerce_input_text(name: str, value: str, schema: Any) -> Any:
    """``value`` read by ``schema``'s type: an integer input gets an integer, an object input JSON.

    Raises ``ValueError`` naming the input when the text fits none of the schema's types.
    """
    types = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(types, str):
        types = [types]
    if not types:
        # No type to read it by: JSON text for an object or array is taken as that value.
        if value.lstrip().startswith(("{", "[")):
            try:
                return json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                pass
        return value
    if "string" in types:
        return value
    for kind in types:
        if kind == "integer":
            try:
                return int(value)
            except ValueError:
                continue
        if kind == "number":
            try:
                number = float(value)
                return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
            except ValueError:
                continue
        if kind == "boolean" and value in ("true", "false"):
            return value == "true"
        if kind == "null" and value == "null":
            return None
        if kind in ("array", "object"):
            try:
                return json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                continue
    raise ValueError(f"input {name!r}: {value!r} is not a valid {' or '.join(types)}")
