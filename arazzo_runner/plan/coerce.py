"""Reading an input value given as text (``-i NAME=VALUE``, a CSV cell) by the input's JSON Schema type."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["coerce_input_text", "strict_json"]


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number JSON can hold (NaN and infinities are refused)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a number JSON can hold (NaN and infinities are refused)")
    return value


def strict_json(text: str) -> Any:
    """``json.loads`` without Python's extensions: ``NaN``, ``Infinity`` and ``1e400`` raise ``ValueError``."""
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


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
                return strict_json(value)
            except (ValueError, RecursionError):  # not JSON, too deep, non-finite or past 4300 digits
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
                number = _finite_float(value)
                return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
            except ValueError:
                continue
        if kind == "boolean" and value in ("true", "false"):
            return value == "true"
        if kind == "null" and value == "null":
            return None
        if kind in ("array", "object"):
            try:
                return strict_json(value)
            except (ValueError, RecursionError):  # not JSON, too deep, non-finite or past 4300 digits
                continue
    raise ValueError(f"input {name!r}: {value!r} is not a valid {' or '.join(types)}")
