"""The shared core of document compilation: locations, diagnostics and typed field readers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ArazzoError, Location
from ..language.expressions import CompiledValue, compile_value, parse_expression
from ..openapi.index import OpenAPIDescription
from ..plan.model import (
    SourceDescription,
)
from ..sources.yamlsource import escape_pointer_token
from .selectors import compile_selector_object
from .versions import FIELDS_11, minor_version

if TYPE_CHECKING:  # pragma: no cover
    from .loader import _Loader, _Raw

_NAME_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
_OUTPUT_KEY_RE = re.compile(r"^[a-zA-Z0-9.\-_]+$")
_EXPRESSION_LOOKALIKE = re.compile(
    r"^\$(url|method|statusCode|request\.|response\.|inputs\.|outputs\.|steps\.|workflows\.|sourceDescriptions\.|components\.)"
)
_REUSABLE_RE = re.compile(r"^\$components\.(parameters|successActions|failureActions|inputs)\.(.+)$")

_FIELDS: dict[str, frozenset[str]] = {
    "root": frozenset({"arazzo", "info", "sourceDescriptions", "workflows", "components"}),
    "info": frozenset({"title", "summary", "description", "version"}),
    "source": frozenset({"name", "url", "type"}),
    "workflow": frozenset(
        {
            "workflowId",
            "summary",
            "description",
            "inputs",
            "dependsOn",
            "steps",
            "successActions",
            "failureActions",
            "outputs",
            "parameters",
        }
    ),
    "step": frozenset(
        {
            "description",
            "stepId",
            "operationId",
            "operationPath",
            "workflowId",
            "parameters",
            "requestBody",
            "successCriteria",
            "onSuccess",
            "onFailure",
            "outputs",
        }
    ),
    "parameter": frozenset({"name", "in", "value"}),
    "successAction": frozenset({"name", "type", "workflowId", "stepId", "criteria"}),
    "failureAction": frozenset({"name", "type", "workflowId", "stepId", "retryAfter", "retryLimit", "criteria"}),
    "components": frozenset({"inputs", "parameters", "successActions", "failureActions"}),
    "criterion": frozenset({"context", "condition", "type"}),
    "requestBody": frozenset({"contentType", "payload", "replacements"}),
    "replacement": frozenset({"target", "value"}),
}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class CompilerBase:
    """What every part of the compiler needs: where things are, how to report, typed readers."""

    def __init__(self, loader: _Loader, raw: _Raw) -> None:
        self.loader = loader
        self.raw = raw
        self.data = raw.data
        self.diag = loader.diagnostics
        self.strict = loader.options.strict
        self.sources: dict[str, SourceDescription] = {}
        self.openapi_sources: dict[str, OpenAPIDescription] = {}
        self.asyncapi_sources: dict[str, Any] = {}
        self.components: Mapping[str, Any] = {}
        # "1.0" or "1.1": which specification's rules this document is compiled by (V11-01).
        self.version = minor_version(self.data.get("arazzo")) if isinstance(self.data, Mapping) else None

    def loc(self, pointer: str) -> Location:
        return self.raw.positions.location(pointer)

    def error(self, pointer: str, message: str, code: str) -> None:
        self.diag.error(code, message, self.loc(pointer))

    def warning(self, pointer: str, message: str, code: str) -> None:
        self.diag.warning(code, message, self.loc(pointer))

    # -- small typed readers --------------------------------------------
    def check_fields(self, obj: Mapping[str, Any], kind: str, pointer: str) -> None:
        allowed = _FIELDS[kind] | FIELDS_11.get(kind, frozenset())  # a 1.1 field in 1.0 is ARZ150, not unknown
        for key in obj:
            if key not in allowed and not key.startswith("x-"):
                message = (
                    f"unknown field {key!r} in {kind} object (allowed: {', '.join(sorted(allowed))}, or x- extensions)"
                )
                target = f"{pointer}/{escape_pointer_token(key)}"
                if self.strict:
                    self.error(target, message, "ARZ004")
                else:
                    self.warning(target, message, "ARZ004")

    def required_str(self, obj: Mapping[str, Any], key: str, pointer: str, what: str) -> str | None:
        if key not in obj:
            self.error(pointer, f"{what} is missing required field {key!r}", "ARZ002")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.error(f"{pointer}/{key}", f"{key!r} must be a string, not {_type_name(value)}", "ARZ003")
            return None
        return value

    def optional_str(self, obj: Mapping[str, Any], key: str, pointer: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(f"{pointer}/{key}", f"{key!r} must be a string, not {_type_name(value)}", "ARZ003")
            return None
        return value

    def object_list(self, obj: Mapping[str, Any], key: str, pointer: str, *, required: bool = False) -> list[Any]:
        if key not in obj:
            if required:
                self.error(pointer, f"missing required field {key!r}", "ARZ002")
            return []
        value = obj[key]
        if not isinstance(value, list):
            self.error(f"{pointer}/{key}", f"{key!r} must be a list, not {_type_name(value)}", "ARZ003")
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
        self._lint_literal_expressions(value, pointer)
        return compiled

    def _lint_literal_expressions(self, value: Any, pointer: str) -> None:
        """A string that looks like a runtime expression but does not parse stays literal text (DEC-16).

        That is almost always a typo or a non-standard form (``$response.body.id``,
        ``$steps.x.id`` without ``.outputs.``), so say so: a warning, an error in strict mode.
        """
        if isinstance(value, Mapping):
            for key, item in value.items():
                self._lint_literal_expressions(item, f"{pointer}/{escape_pointer_token(str(key))}")
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self._lint_literal_expressions(item, f"{pointer}/{i}")
            return
        if not isinstance(value, str) or not _EXPRESSION_LOOKALIKE.match(value):
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

    # -- the document -------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _close_matches(word: str, candidates: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, candidates, n=3, cutoff=0.7)
