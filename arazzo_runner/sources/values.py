"""Naming the JSON type of a parsed value in messages: one helper for every stage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["type_name"]


def type_name(value: Any, *, integers: bool = False) -> str:
    """``a string``, ``a number``, ``an object``…; ``integers`` tells ``an integer`` from ``a number``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if integers and isinstance(value, int):
        return "an integer"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
