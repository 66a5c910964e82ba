"""Compiling Arazzo 1.1 Selector Objects where a document writes them (V11-09)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ArazzoError
from ..language.expressions import CompiledValue, compile_value
from ..language.selectors import compile_selector

if TYPE_CHECKING:  # pragma: no cover
    from .base import CompilerBase

__all__ = ["compile_selector_object"]


def compile_selector_object(compiler: CompilerBase, value: Mapping[str, Any], pointer: str) -> CompiledValue:
    """A Selector Object compiled, or an ARZ151 error at the field that is wrong (a null value stands in)."""
    for key in value:
        if key not in ("context", "selector", "type") and not str(key).startswith("x-"):
            compiler.error(
                f"{pointer}/{key}",
                f"unknown field {key!r} in a Selector Object (allowed: context, selector, type)",
                "ARZ151",
            )
            return compile_value(None)
    for key in ("context", "selector", "type"):
        if key not in value:
            compiler.error(pointer, f"a Selector Object needs {key!r}", "ARZ151")
            return compile_value(None)
    try:
        return compile_selector(value["context"], value["selector"], value["type"])
    except ArazzoError as exc:
        field = "selector" if getattr(exc, "source_text", None) == value["selector"] else "type"
        if getattr(exc, "source_text", None) == value["context"]:
            field = "context"
        compiler.diag.from_exception(exc, compiler.loc(f"{pointer}/{field}"), "ARZ151")
        return compile_value(None)
