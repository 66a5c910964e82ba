"""Turning an evaluated value into text for ``{$…}`` templates (DEC-17).

* strings are inserted as they are (nothing is escaped: inserting into a JSON
  or XML template does not escape quotes or ``<``; that injection risk is the
  document author's to manage);
* booleans and null are JSON-style: ``true``, ``false``, ``null``;
* integers use their decimal form, never ``3.0``; a float that holds an
  integral value is written like an integer too (``3.0`` -> ``3``), because
  JSON has one number type and ``3`` and ``3.0`` are the same JSON number
  (this is also what ECMAScript's ``String(3.0)`` gives);
* other floats use the shortest round-trip form (``0.5``, ``1e-07``);
* objects and arrays are compact RFC 8259 JSON (``{"a":1}``), non-ASCII kept;
* raw bytes (a binary body) are decoded as UTF-8, undecodable bytes replaced.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["to_text"]


def _number_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def to_text(value: Any) -> str:
    """The text DEC-17 gives ``value`` when it is embedded in a string."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=True, default=str)
    except (TypeError, ValueError):  # a structure json cannot walk (cycles): show something, never crash
        return str(value)
