"""The shared part of compiling one document: locations, diagnostics and typed field readers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ArazzoError, Location
from ..language.expressions import CompiledValue, compile_value, parse_expression
from ..openapi.index import OpenAPIDescription
from ..plan.model import SourceDescription
from ..plan.rules import (
    EXPRESSION_LOOKALIKE,
    FIELDS,
    missing_field_message,
    unknown_field_message,
    wrong_type_message,
)
from ..sources.pointer import escape_pointer_token
from ..sources.yamlsource import locate_text
from .context import CompileContext, ParsedDocument
from .selectors import compile_selector_object
from .versions import FIELDS_11, minor_version


class DocumentScope:
    """What every part of the compiler shares for one document: where things are, how to report, typed readers.

    The sources, their OpenAPI descriptions and the components are filled in
    as the document's root is compiled, before its workflows.
    """

    def __init__(self, context: CompileContext, parsed: ParsedDocument) -> None:
        self.context = context
        self.parsed = parsed
        self.data = parsed.data
        self.diag = context.reporter
        self.strict = context.strict
        self.sources: dict[str, SourceDescription] = {}
        self.openapi_sources: dict[str, OpenAPIDescription] = {}
        self.components: Mapping[str, Any] = {}
        # "1.0" or "1.1": which specification's rules this document is compiled by (V11-01).
        self.version = minor_version(self.data.get("arazzo")) if isinstance(self.data, Mapping) else None

    def loc(self, pointer: str, find: str | None = None) -> Location:
        """Where ``pointer`` is; with ``find``, at that text on the value's line (an expression in a string)."""
        location = self.parsed.positions.location(pointer)
        return locate_text(location, self.parsed.lines, find) if find else location

    def error(self, pointer: str, message: str, code: str, *, find: str | None = None) -> None:
        self.diag.error(code, message, self.loc(pointer, find))

    def warning(self, pointer: str, message: str, code: str, *, find: str | None = None) -> None:
        self.diag.warning(code, message, self.loc(pointer, find))

    # -- small typed readers --------------------------------------------
    def check_fields(self, obj: Mapping[str, Any], kind: str, pointer: str) -> None:
        allowed = FIELDS[kind] | FIELDS_11.get(kind, frozenset())  # a 1.1 field in 1.0 is ARZ150, not unknown
        for key in obj:
            if key not in allowed and not key.startswith("x-"):
                message = unknown_field_message(key, kind)
                target = f"{pointer}/{escape_pointer_token(key)}"
                if self.strict:
                    self.error(target, message, "ARZ004")
                else:
                    self.warning(target, message, "ARZ004")

    def required_str(self, obj: Mapping[str, Any], key: str, pointer: str, what: str) -> str | None:
        if key not in obj:
            self.error(pointer, missing_field_message(what, key), "ARZ002")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.error(f"{pointer}/{key}", wrong_type_message(key, "a string", value), "ARZ003")
            return None
        return value

    def optional_str(self, obj: Mapping[str, Any], key: str, pointer: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(f"{pointer}/{key}", wrong_type_message(key, "a string", value), "ARZ003")
            return None
        return value

    def object_list(self, obj: Mapping[str, Any], key: str, pointer: str, *, required: bool = False) -> list[Any]:
        if key not in obj:
            if required:
                self.error(pointer, f"missing required field {key!r}", "ARZ002")
            return []
        value = obj[key]
        if not isinstance(value, list):
            self.error(f"{pointer}/{key}", wrong_type_message(key, "a list", value), "ARZ003")
            return []
        return value

    def compile_value(self, value: Any, pointer: str, *, selectable: bool = True) -> CompiledValue:
        if selectable and self.version == "1.1" and isinstance(value, Mapping) and "selector" in value:
            return compile_selector_object(self, value, pointer)  # V11-09
        try:
            compiled = compile_value(value)
        except ArazzoError as exc:
            self.diag.from_exception(exc, self.loc(pointer))
            return compile_value(None)
        self.lint_literal_expressions(value, pointer)
        return compiled

    def lint_literal_expressions(self, value: Any, pointer: str) -> None:
        """A string that looks like a runtime expression but does not parse stays literal text (DEC-16).

        That is almost always a typo or a non-standard form (``$response.body.id``,
        ``$steps.x.id`` without ``.outputs.``), so say so: a warning, an error in strict mode.
        """
        if isinstance(value, Mapping):
            for key, item in value.items():
                self.lint_literal_expressions(item, f"{pointer}/{escape_pointer_token(str(key))}")
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.lint_literal_expressions(item, f"{pointer}/{i}")
            return
        if not isinstance(value, str) or not EXPRESSION_LOOKALIKE.match(value):
            return
        try:
            parse_expression(value)
        except ArazzoError as exc:
            message = (
                f"{value!r} looks like a runtime expression but does not parse ({exc.message}), "
                "so it is used as literal text"
            )
            if self.strict:
                self.error(pointer, message, "ARZ019")
            else:
                self.warning(pointer, message, "ARZ019")
