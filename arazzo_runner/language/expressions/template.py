"""Compiling document values that may hold runtime expressions (RTE-4, RTE-5, DEC-16, DEC-30).

:func:`compile_value` walks a YAML/JSON value once at load time:

* a string that is wholly one runtime expression becomes an
  :class:`ExpressionValue`; it evaluates to the selected value with its JSON
  type (RTE-4);
* a string with embedded ``{$…}`` parts becomes a :class:`TemplateValue`; it
  evaluates to a string, each part turned into text by DEC-17 (RTE-5);
* any other string, number, boolean or null is a :class:`LiteralValue`;
* dicts and lists are walked; dict keys are never evaluated (DEC-30).

How a ``{…}`` part is read (DEC-16): a ``{`` not followed by ``$`` is
literal text; a ``{$`` with no ``}`` after it is literal text (unbalanced);
a ``{$`` up to the next ``}`` must parse as one runtime expression, else
:class:`ExpressionSyntaxError`. We reject rather than keep such a part as
text because ``{$`` is the only way to write an embedded expression and the
spec offers no escape for a literal ``{$``: a ``{$inptus.x}`` sent as typed
is a bug the author wants to hear about at load time. A ``$`` with no
opening brace (ERR-4's ``scope=$inputs.scope}``) is plain text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import UnresolvedExpression
from .ast import Expression, InputExpression
from .context import EvalContext
from .parser import parse_span, try_parse_expression
from .text import to_text

__all__ = [
    "ArrayValue",
    "CompiledValue",
    "ExpressionValue",
    "LiteralValue",
    "ObjectValue",
    "TemplateValue",
    "compile_template",
    "compile_value",
    "input_reference",
    "is_absent_optional_input",
]


class CompiledValue:
    """A document value compiled once; :meth:`evaluate` builds a fresh value per call."""

    __slots__ = ()

    #: True when the value holds no runtime expression at all.
    is_literal: bool = True
    #: True for a string literal with ``{$…}`` parts (DEC-29 needs to know it was written as a string).
    is_template_string: bool = False

    def evaluate(self, ctx: EvalContext) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def expressions(self) -> Iterator[Expression]:
        """Every runtime expression inside, in document order."""
        return iter(())


@dataclass(frozen=True, slots=True)
class LiteralValue(CompiledValue):
    """A string, number, boolean or null with no expression in it."""

    value: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class ExpressionValue(CompiledValue):
    """A string that is exactly one runtime expression; keeps the JSON type of its value."""

    expression: Expression

    is_literal = False

    def evaluate(self, ctx: EvalContext) -> Any:
        return self.expression.evaluate(ctx)

    def expressions(self) -> Iterator[Expression]:
        yield self.expression


@dataclass(frozen=True, slots=True)
class TemplateValue(CompiledValue):
    """A string with embedded ``{$…}`` parts; ``parts`` alternate text and expressions."""

    parts: tuple[str | Expression, ...]
    source: str

    is_literal = False
    is_template_string = True

    def evaluate(self, ctx: EvalContext) -> str:
        return "".join(part if isinstance(part, str) else to_text(part.evaluate(ctx)) for part in self.parts)

    def expressions(self) -> Iterator[Expression]:
        for part in self.parts:
            if not isinstance(part, str):
                yield part


@dataclass(frozen=True, slots=True)
class ObjectValue(CompiledValue):
    """A mapping; keys are kept as written."""

    items: tuple[tuple[Any, CompiledValue], ...]
    literal: bool
    omittable: bool = False  # some member is exactly `$inputs.NAME`

    @property
    def is_literal(self) -> bool:  # type: ignore[override]
        return self.literal

    def evaluate(self, ctx: EvalContext) -> dict[Any, Any]:
        try:
            return {key: value.evaluate(ctx) for key, value in self.items}
        except UnresolvedExpression:
            if not self.omittable:
                raise
        # A member whose value is exactly an optional input (declared, not required) the run
        # was not given is left out (DEC-18); any other unresolved member still fails.
        result: dict[Any, Any] = {}
        for key, value in self.items:
            try:
                result[key] = value.evaluate(ctx)
            except UnresolvedExpression:
                if not is_absent_optional_input(value, ctx):
                    raise
        return result

    def expressions(self) -> Iterator[Expression]:
        for _, value in self.items:
            yield from value.expressions()


@dataclass(frozen=True, slots=True)
class ArrayValue(CompiledValue):
    """A list (a YAML sequence)."""

    items: tuple[CompiledValue, ...]
    literal: bool

    @property
    def is_literal(self) -> bool:  # type: ignore[override]
        return self.literal

    def evaluate(self, ctx: EvalContext) -> list[Any]:
        return [value.evaluate(ctx) for value in self.items]

    def expressions(self) -> Iterator[Expression]:
        for value in self.items:
            yield from value.expressions()


def input_reference(value: CompiledValue) -> str | None:
    """The input name when ``value`` is exactly ``$inputs.NAME`` (no pointer), else None."""
    if isinstance(value, ExpressionValue):
        expression = value.expression
        if isinstance(expression, InputExpression) and expression.input_pointer is None:
            return expression.input_name
    return None


def is_absent_optional_input(value: CompiledValue, ctx: EvalContext) -> bool:
    """Whether ``value`` is exactly ``$inputs.NAME`` for an optional input the run was not given (DEC-18)."""
    name = input_reference(value)
    return name is not None and name in ctx.optional_inputs and name not in ctx.inputs


def compile_template(text: str) -> tuple[str | Expression, ...] | None:
    """The text and expression parts of ``text``, or ``None`` when it embeds no ``{$…}``."""
    start = text.find("{$")
    if start < 0:
        return None
    parts: list[str | Expression] = []
    literal_from = 0
    while start >= 0:
        close = text.find("}", start + 2)
        if close < 0:
            break  # unbalanced: the rest is literal text (DEC-16)
        expression = parse_span(text, start + 1, close)
        if start > literal_from:
            parts.append(text[literal_from:start])
        parts.append(expression)
        literal_from = close + 1
        start = text.find("{$", literal_from)
    if not parts:
        return None
    if literal_from < len(text):
        parts.append(text[literal_from:])
    return tuple(parts)


def _compile_string(text: str, strict: bool) -> CompiledValue:
    if text.startswith("$"):
        expression = try_parse_expression(text)
        if expression is not None:
            return ExpressionValue(expression)
        if strict:
            from .parser import parse_expression

            parse_expression(text)  # raises with the position of the problem
    parts = compile_template(text)
    if parts is None:
        return LiteralValue(text)
    return TemplateValue(parts, text)


def compile_value(value: Any, *, strict: bool = False) -> CompiledValue:
    """Compile a document value (see the module docstring).

    ``strict`` also rejects a string that starts with ``$`` but is not one
    valid expression (DEC-16 keeps it literal by default).
    Raises :class:`ExpressionSyntaxError` for a ``{$…}`` part that does not parse.
    """
    if isinstance(value, str):
        return _compile_string(value, strict)
    if isinstance(value, dict):
        items = tuple((key, compile_value(item, strict=strict)) for key, item in value.items())
        omittable = any(input_reference(item) is not None for _, item in items)
        return ObjectValue(items, all(item.is_literal for _, item in items), omittable)
    if isinstance(value, (list, tuple)):
        elements = tuple(compile_value(item, strict=strict) for item in value)
        return ArrayValue(elements, all(item.is_literal for item in elements))
    # Numbers, booleans, null, and anything else a YAML loader may produce (dates) are kept as written.
    return LiteralValue(value)
