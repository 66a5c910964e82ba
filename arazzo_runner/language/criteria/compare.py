"""Loose comparison and truthiness for simple conditions (CRIT-12, DEC-19).

* strings compare case-insensitively (``casefold``) for ``==``, ``!=`` and ordering;
* a string that is a JSON number is converted when compared with a number
  (``'200' == 200``; a header ``'10' > 5``);
* ``null`` equals only ``null``; ordering against ``null`` is false;
* booleans equal only booleans (``true`` is not ``1``);
* mismatched types (object against number, boolean against string) are not
  equal and not ordered;
* objects and arrays are equal when they are structurally equal (strings
  inside compared exactly).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["as_number", "loose_compare", "loose_equals", "truthy"]

_JSON_NUMBER = re.compile(r"\s*-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*\Z")


def as_number(text: str) -> int | float | None:
    """``text`` as a number when it is a JSON number (surrounding spaces allowed), else ``None``."""
    match = _JSON_NUMBER.match(text)
    if match is None:
        return None
    if match.group(1) is None and match.group(2) is None:
        try:
            return int(text)
        except ValueError:  # past Python's 4300-digit conversion limit: not a number we can compare
            return None
    try:
        return float(text)
    except OverflowError:  # pragma: no cover - float() saturates to inf instead
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _coerce_pair(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both operands made comparable, or ``None`` when their types do not mix."""
    if isinstance(left, str):
        if isinstance(right, str):
            return left.casefold(), right.casefold()
        if _is_number(right):
            number = as_number(left)
            return None if number is None else (number, right)
        return None
    if _is_number(left):
        if _is_number(right):
            return left, right
        if isinstance(right, str):
            number = as_number(right)
            return None if number is None else (left, number)
        return None
    return None


def loose_equals(left: Any, right: Any) -> bool:
    """DEC-19 ``==``."""
    if left is None or right is None:
        return left is None and right is None
    left_type = type(left)
    if left_type is type(right) and left_type is not str:
        return bool(left == right)
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    pair = _coerce_pair(left, right)
    if pair is not None:
        return bool(pair[0] == pair[1])
    if isinstance(left, (dict, list)) and isinstance(right, (dict, list)):
        return bool(left == right)
    return False


def loose_compare(op: str, left: Any, right: Any) -> bool:
    """DEC-19 ordering (``<``, ``<=``, ``>``, ``>=``); false for types that do not order."""
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    pair = _coerce_pair(left, right)
    if pair is None:
        return False
    a, b = pair
    try:
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    except TypeError:  # pragma: no cover - _coerce_pair only pairs like types
        return False


def truthy(value: Any) -> bool:
    """DEC-19: true, a non-zero number, a non-empty string or collection is true; anything else false."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, (int, float)):
        return value != 0 and value == value  # NaN is false
    if isinstance(value, (str, bytes, list, dict, tuple)):
        return len(value) > 0
    return False
