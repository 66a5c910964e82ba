"""Simple conditions: a recursive-descent parser and the compiled :class:`Condition`.

Grammar (DEC-19; precedence tightest first, binary operators left-assoc)::

    or         = and *( "||" and )
    and        = equality *( "&&" equality )
    equality   = relational *( ("==" / "!=") relational )
    relational = unary *( ("<" / "<=" / ">" / ">=") unary )
    unary      = "!" unary / postfix
    postfix    = primary *( "." name / "[" or "]" )
    primary    = literal / runtime-expression / "(" or ")"

Conditions wrapped in one pair of braces (``{$statusCode == 401}``, the
1.0.1 erratum ERR-3) are unwrapped with a warning in lenient mode and
rejected in strict mode (DEC-49).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...errors import EvaluationError, ExpressionSyntaxError
from ..expressions import EvalContext, Expression
from .compare import truthy
from .condition_ast import (
    Comparison,
    ExpressionRef,
    Index,
    Literal,
    Logical,
    Member,
    Node,
    Not,
    iter_expressions,
)
from .lexer import Token, tokenize

__all__ = ["MAX_DEPTH", "Condition", "compile_condition", "parse_condition"]

#: Deepest AST a condition may build; keeps evaluation and printing far from the recursion limit.
MAX_DEPTH = 100

_OPERAND = "an operand: a literal (number, 'string', true, false, null), a runtime expression ($…), '(' or '!'"


class _Parser:
    def __init__(self, tokens: list[Token], text: str, offset: int) -> None:
        self.tokens = tokens
        self.index = 0
        self.text = text
        self.offset = offset
        self.depth: dict[int, int] = {}
        self.nesting = 0

    def enter(self, token: Token) -> None:
        # Guards the recursion of the parser itself (``!!!!…``, ``((((…``).
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error(token, f"the condition nests deeper than {MAX_DEPTH} levels", "a simpler condition")

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token: Token, message: str, expected: str) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, self.text, self.offset + token.start, expected=expected)

    def describe(self, token: Token) -> str:
        if token.kind == "eof":
            return "the end of the condition"
        return repr(self.text[self.offset + token.start : self.offset + token.end])

    def _depth_of(self, node: Node) -> int:
        return self.depth.get(id(node), 1)

    def make(self, node: Node, token: Token, *children: Node) -> Node:
        depth = 1 + max((self._depth_of(child) for child in children), default=0)
        if depth > MAX_DEPTH:
            raise self.error(token, f"the condition nests deeper than {MAX_DEPTH} levels", "a simpler condition")
        self.depth[id(node)] = depth
        return node

    def parse(self) -> Node:
        node = self.or_()
        token = self.peek()
        if token.kind != "eof":
            raise self.error(
                token,
                f"unexpected {self.describe(token)}: expected an operator "
                "(== != < <= > >= && ||) or the end of the condition",
                "an operator",
            )
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek().kind == "||":
            token = self.advance()
            right = self.and_()
            node = self.make(Logical("||", node, right), token, node, right)
        return node

    def and_(self) -> Node:
        node = self.equality()
        while self.peek().kind == "&&":
            token = self.advance()
            right = self.equality()
            node = self.make(Logical("&&", node, right), token, node, right)
        return node

    def equality(self) -> Node:
        node = self.relational()
        while self.peek().kind in ("==", "!="):
            token = self.advance()
            right = self.relational()
            node = self.make(Comparison(token.kind, node, right), token, node, right)
        return node

    def relational(self) -> Node:
        node = self.unary()
        while self.peek().kind in ("<", "<=", ">", ">="):
            token = self.advance()
            right = self.unary()
            node = self.make(Comparison(token.kind, node, right), token, node, right)
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "!":
            self.advance()
            self.enter(token)
            operand = self.unary()
            self.nesting -= 1
            return self.make(Not(operand), token, operand)
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            token = self.peek()
            if token.kind == ".":
                self.advance()
                name = self.advance()  # the lexer always puts a name after '.'
                node = self.make(Member(node, name.value), token, node)
            elif token.kind == "[":
                self.advance()
                self.enter(token)
                index = self.or_()
                self.nesting -= 1
                closing = self.advance()
                if closing.kind != "]":
                    raise self.error(closing, f"expected ']', found {self.describe(closing)}", "']'")
                node = self.make(Index(node, index), token, node, index)
            else:
                return node

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "literal":
            return Literal(token.value)
        if token.kind == "expr":
            return ExpressionRef(token.value)
        if token.kind == "(":
            self.enter(token)
            node = self.or_()
            self.nesting -= 1
            closing = self.advance()
            if closing.kind != ")":
                raise self.error(closing, f"expected ')', found {self.describe(closing)}", "')'")
            return node
        raise self.error(token, f"expected {_OPERAND}, found {self.describe(token)}", _OPERAND)


def _unwrap_braces(text: str) -> tuple[int, int] | None:
    """The span inside ``{…}`` when the whole condition is one braced ``$…`` condition (DEC-49)."""
    stripped = text.strip()
    if len(stripped) < 3 or stripped[0] != "{" or stripped[-1] != "}":
        return None
    start = text.index("{") + 1
    end = text.rindex("}")
    inner = text[start:end]
    if not inner.lstrip().startswith("$") or "{" in inner or "}" in inner:
        return None
    return start, end


def parse_condition(text: str, *, strict: bool = False, warnings: list[str] | None = None) -> Node:
    """Parse a simple condition to its AST (see the module docstring for braces)."""
    start, end = 0, len(text)
    span = _unwrap_braces(text)
    if span is not None:
        if strict:
            raise ExpressionSyntaxError(
                "a condition must not be wrapped in braces: write it bare, e.g. $statusCode == 401 (DEC-49)",
                text,
                text.index("{"),
                expected="a bare condition",
            )
        start, end = span
        if warnings is not None:
            warnings.append("the condition is wrapped in braces {…}; they were removed (DEC-49, the 1.0.1 erratum)")
    tokens = tokenize(text[start:end], text=text, offset=start, strict=strict, warnings=warnings)
    if len(tokens) == 1:
        raise ExpressionSyntaxError("the condition is empty", text, start, expected=_OPERAND)
    return _Parser(tokens, text, start).parse()


def _render(value: Any) -> str:
    try:
        shown = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= 120 else shown[:119] + "…"  # '…' marks a cut (see redact.py)


def _operands(node: Node) -> Iterator[Node]:
    """The value-producing operands whose values explain a result."""
    if isinstance(node, (Comparison, Logical, Not)):
        for child in node.children():
            yield from _operands(child)
    elif not isinstance(node, Literal):
        yield node


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled simple condition. ``str()`` is its canonical text; ``warnings`` are load-time notes."""

    source: str
    node: Node
    warnings: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return str(self.node)

    def value(self, ctx: EvalContext) -> Any:
        """The condition's value before truthiness."""
        return self.node.evaluate(ctx)

    def evaluate(self, ctx: EvalContext) -> bool:
        """True when the condition holds (DEC-19 truthiness for a non-boolean result)."""
        result = self.node.evaluate(ctx)
        return result if result is True or result is False else truthy(result)

    def expressions(self) -> Iterator[Expression]:
        return iter_expressions(self.node)

    def explain(self, ctx: EvalContext, passed: bool | None = None) -> str:
        """A sentence saying what the condition gave and the values of its operands."""
        if passed is None:
            passed = self.evaluate(ctx)
        details: list[str] = []
        seen: set[str] = set()
        for operand in _operands(self.node):
            text = str(operand)
            if text in seen:
                continue
            seen.add(text)
            value = operand.evaluate(ctx)
            problems = []
            for expression in iter_expressions(operand):
                try:
                    expression.evaluate(ctx)
                except EvaluationError as exc:
                    message = exc.message
                    prefix = f"{expression}: "
                    problems.append(message[len(prefix) :] if message.startswith(prefix) else message)
            note = f" ({'; '.join(problems)}; read as null)" if problems else ""
            details.append(f"{text} = {_render(value)}{note}")
        head = f"{self.source.strip()} was {'true' if passed else 'false'}"
        result = self.node.evaluate(ctx)
        if result is not True and result is not False:
            head += f" (its value {_render(result)} counts as {'true' if passed else 'false'})"
        return f"{head} ({'; '.join(details)})" if details else head


def compile_condition(text: str, *, strict: bool = False) -> Condition:
    """Parse a simple condition once; raises :class:`ExpressionSyntaxError` with the offending position."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError(
            f"a condition must be a string, not {type(text).__name__}", repr(text), 0, expected="a string"
        )
    warnings: list[str] = []
    node = parse_condition(text, strict=strict, warnings=warnings)
    return Condition(text, node, tuple(warnings))
