"""Compiling Arazzo 1.1 Selector Objects where a document writes them (V11-09)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ArazzoError
from ..language.expressions import CompiledValue, JsonPointer, compile_value
from ..language.selectors import compile_selector, selector_type
from ..plan.model import Replacement

if TYPE_CHECKING:  # pragma: no cover
    from .base import DocumentScope as CompilerBase

__all__ = ["compile_selector_object", "replacement_with_target_type"]


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


def replacement_with_target_type(
    compiler: CompilerBase, raw: Mapping[str, Any], target: str, value: CompiledValue, pointer: str
) -> Replacement:
    """A replacement whose ``target`` is read as ``targetSelectorType`` says (V11-13), its syntax checked now."""
    try:
        kind, version = selector_type(raw["targetSelectorType"])
    except ArazzoError as exc:
        compiler.diag.from_exception(exc, compiler.loc(f"{pointer}/targetSelectorType"), "ARZ151")
        return Replacement(target, value)
    query: Any = None
    from ..language.criteria.matchers import compile_jsonpath, compile_xpath  # loaded by the documents that use them

    try:
        if kind == "jsonpointer":
            JsonPointer.parse(target)
        elif kind == "xpath":
            compile_xpath(target, version)
        elif version != "rfc9535":
            compiler.error(
                f"{pointer}/targetSelectorType",
                "a Goessner JSONPath cannot address a replacement target: use rfc9535, or a JSON Pointer",
                "ARZ151",
            )
        else:
            query = compile_jsonpath(target).query
    except ArazzoError as exc:
        compiler.diag.from_exception(exc, compiler.loc(f"{pointer}/target"), "ARZ151")
    return Replacement(target, value, kind, query)
