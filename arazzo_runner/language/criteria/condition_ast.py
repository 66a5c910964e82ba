"""Simple-condition AST nodes: frozen, printable, and evaluated by walking them.

Every node has ``evaluate(ctx) -> Any`` (the value, before truthiness) and
``level`` (its precedence, used to print the fewest parentheses that keep
``parse(print(node)) == node``). Precedence, tightest first (DEC-19):
``[ ]`` and ``.`` (6), ``!`` (5), ``< <= > >=`` (4), ``== !=`` (3),
``&&`` (2), ``||`` (1). Binary operators associate to the left.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import EvaluationError
from ..expressions import EvalContext, Expression
from .compare import loose_compare, loose_equals, truthy

__all__ = [
    "Comparison",
    "ExpressionRef",
    "Index",
    "Literal",
    "Logical",
    "Member",
    "Node",
    "Not",
    "iter_expressions",
    "literal_text",
]

LEVEL_OR, LEVEL_AND, LEVEL_EQUALITY, LEVEL_RELATIONAL, LEVEL_NOT, LEVEL_POSTFIX, LEVEL_PRIMARY = range(1, 8)


class Node:
    """Base of the condition nodes."""

    __slots__ = ()
    level: int = LEVEL_PRIMARY

    def evaluate(self, ctx: EvalContext) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        return ()


def _wrap(node: Node, min_level: int) -> str:
    text = str(node)
    return f"({text})" if node.level < min_level else text


def literal_text(value: Any) -> str:
    """A literal value written the way the condition lexer reads it back."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """``true``, ``false``, ``null``, a JSON number or a single-quoted string."""

    value: bool | int | float | str | None

    def evaluate(self, ctx: EvalContext) -> Any:
        return self.value

    def __str__(self) -> str:
        return literal_text(self.value)


@dataclass(frozen=True, slots=True)
class ExpressionRef(Node):
    """A runtime expression operand; unresolvable means ``null`` (DEC-18)."""

    expression: Expression

    def evaluate(self, ctx: EvalContext) -> Any:
        try:
            return self.expression.evaluate(ctx)
        except EvaluationError:
            return None

    def __str__(self) -> str:
        return str(self.expression)


def _member(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    if name == "length" and isinstance(value, (list, str)):
        return len(value)
    return None


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``target.name``: a property of an object (``.length`` of an array or string); else ``null``."""

    target: Node
    name: str

    level = LEVEL_POSTFIX

    def evaluate(self, ctx: EvalContext) -> Any:
        return _member(self.target.evaluate(ctx), self.name)

    def children(self) -> tuple[Node, ...]:
        return (self.target,)

    def __str__(self) -> str:
        target = self.target
        if isinstance(target, ExpressionRef) and target.expression.absorbs_dots:
            # ``$inputs.a`` + ``.b`` would read back as ``$inputs.a.b``.
            return f"({target}).{self.name}"
        return f"{_wrap(target, LEVEL_POSTFIX)}.{self.name}"


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``target[index]``: 0-based array index, or an object key given as a string; else ``null``."""

    target: Node
    index: Node

    level = LEVEL_POSTFIX

    def evaluate(self, ctx: EvalContext) -> Any:
        container = self.target.evaluate(ctx)
        key = self.index.evaluate(ctx)
        if isinstance(container, (list, str)):
            if isinstance(key, float) and key.is_integer():
                key = int(key)
            if isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(container):
                return container[key]
            return None
        if isinstance(container, Mapping) and isinstance(key, str):
            return container.get(key)
        return None

    def children(self) -> tuple[Node, ...]:
        return (self.target, self.index)

    def __str__(self) -> str:
        return f"{_wrap(self.target, LEVEL_POSTFIX)}[{self.index}]"


@dataclass(frozen=True, slots=True)
class Not(Node):
    """``!operand``: the negated truthiness of the operand."""

    operand: Node

    level = LEVEL_NOT

    def evaluate(self, ctx: EvalContext) -> Any:
        return not truthy(self.operand.evaluate(ctx))

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def __str__(self) -> str:
        return "!" + _wrap(self.operand, LEVEL_NOT)


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    """``left OP right`` for ``== != < <= > >=`` with the DEC-19 loose rules."""

    op: str
    left: Node
    right: Node

    @property
    def level(self) -> int:  # type: ignore[override]
        return LEVEL_EQUALITY if self.op in ("==", "!=") else LEVEL_RELATIONAL

    def evaluate(self, ctx: EvalContext) -> Any:
        left = self.left.evaluate(ctx)
        right = self.right.evaluate(ctx)
        op = self.op
        if op == "==":
            return loose_equals(left, right)
        if op == "!=":
            return not loose_equals(left, right)
        return loose_compare(op, left, right)

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def __str__(self) -> str:
        level = self.level
        return f"{_wrap(self.left, level)} {self.op} {_wrap(self.right, level + 1)}"


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """``left && right`` / ``left || right``, short-circuit, on truthiness; gives a boolean."""

    op: str
    left: Node
    right: Node

    @property
    def level(self) -> int:  # type: ignore[override]
        return LEVEL_AND if self.op == "&&" else LEVEL_OR

    def evaluate(self, ctx: EvalContext) -> Any:
        first = truthy(self.left.evaluate(ctx))
        if self.op == "&&":
            return first and truthy(self.right.evaluate(ctx))
        return first or truthy(self.right.evaluate(ctx))

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def __str__(self) -> str:
        level = self.level
        return f"{_wrap(self.left, level)} {self.op} {_wrap(self.right, level + 1)}"


def iter_expressions(node: Node) -> Iterator[Expression]:
    """Every runtime expression in ``node``, left to right."""
    if isinstance(node, ExpressionRef):
        yield node.expression
        return
    for child in node.children():
        yield from iter_expressions(child)
