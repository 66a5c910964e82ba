"""Runtime expressions: parsed once at load time, evaluated against an :class:`EvalContext`.

The public surface the engine uses; the node classes live in
:mod:`arazzo_runner.language.expressions.ast`.
"""

from __future__ import annotations

from .ast import (
    ComponentExpression,
    Expression,
    HttpExpression,
    InputExpression,
    MethodExpression,
    OutputExpression,
    SourceDescriptionExpression,
    StatusCodeExpression,
    StepOutputExpression,
    UrlExpression,
    WorkflowExpression,
)
from .context import EvalContext, HttpView, WorkflowRecord
from .parser import parse_expression, scan_expression, try_parse_expression
from .pointer import JsonPointer
from .template import CompiledValue, compile_value, input_reference
from .text import to_text

__all__ = [
    "CompiledValue",
    "ComponentExpression",
    "EvalContext",
    "Expression",
    "HttpExpression",
    "HttpView",
    "InputExpression",
    "JsonPointer",
    "MethodExpression",
    "OutputExpression",
    "SourceDescriptionExpression",
    "StatusCodeExpression",
    "StepOutputExpression",
    "UrlExpression",
    "WorkflowExpression",
    "WorkflowRecord",
    "compile_value",
    "input_reference",
    "parse_expression",
    "scan_expression",
    "to_text",
    "try_parse_expression",
]
