"""A small engine for Goessner-style JSONPath (``draft-goessner-dispatch-jsonpath-00``).

Supported (DEC-21, CET-2):

* ``$`` the root; ``.name`` and ``['name']`` / ``["name"]``; ``[n]`` (negative
  counts from the end); unions ``[0,2]`` / ``['a','b']``; ``[*]`` and ``.*``;
  ``..name``, ``..*`` and ``..[…]`` (descendants); slices ``[start:end:step]``;
* filters ``[?(@.x OP literal)]`` with ``== != === !== < <= > >=``, ``&&``,
  ``||``, ``!``, parentheses and existence tests (``[?(@.x)]``); an operand is
  ``@…``, ``$…`` or a literal (number, quoted string, true, false, null);
* ``.length`` on an array or a string gives its length, as in JavaScript
  (an object's own ``length`` member wins);
* an optional trailing comparison ``PATH OP literal``, as real documents write
  (``$.results.length > 0``): the query passes when the comparison holds for
  at least one selected value. Without one it passes on a non-empty node list.

Comparisons follow JavaScript's strict rules, simplified: numbers compare as
numbers, strings as strings (case-sensitive), a missing value equals only
``null``, and values of different types are neither equal nor ordered.
Script expressions ``[(…)]`` are not supported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

from ...errors import ExpressionSyntaxError

__all__ = ["GoessnerQuery", "compile_goessner"]

_MISSING: Any = object()
_MAX_NESTING = 64
_OPERATORS = ("===", "!==", "==", "!=", "<=", ">=", "<", ">")


# -- segments -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Child:
    keys: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class _Slice:
    start: int | None
    stop: int | None
    step: int | None


@dataclass(frozen=True, slots=True)
class _Filter:
    test: _Test


@dataclass(frozen=True, slots=True)
class _Descendant:
    inner: _Segment


_Segment = Union[_Child, _Wildcard, _Slice, _Filter, _Descendant]


# -- filter expressions ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Path:
    relative: bool
    segments: tuple[_Segment, ...]


@dataclass(frozen=True, slots=True)
class _Lit:
    value: Any


@dataclass(frozen=True, slots=True)
class _Compare:
    op: str
    left: _Path | _Lit
    right: _Path | _Lit


@dataclass(frozen=True, slots=True)
class _Exists:
    operand: _Path | _Lit


@dataclass(frozen=True, slots=True)
class _BoolOp:
    op: str
    parts: tuple[_Test, ...]


@dataclass(frozen=True, slots=True)
class _NotTest:
    operand: _Test


_Test = Union[_Compare, _Exists, _BoolOp, _NotTest]


def _children(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _descendants(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


def _child(value: Any, key: str | int) -> Any:
    if isinstance(value, Mapping):
        if isinstance(key, str) and key in value:
            return value[key]
        return _MISSING
    if isinstance(value, (list, str)):
        if isinstance(key, str):
            if key == "length":
                return len(value)
            if not (key.isascii() and key.isdigit()) or len(key) > 18:
                return _MISSING
            key = int(key)
        if not isinstance(value, list):
            return _MISSING
        index = key + len(value) if key < 0 else key
        return value[index] if 0 <= index < len(value) else _MISSING
    return _MISSING


def _apply(segment: _Segment, nodes: list[Any], root: Any) -> list[Any]:
    out: list[Any] = []
    if isinstance(segment, _Child):
        for node in nodes:
            for key in segment.keys:
                found = _child(node, key)
                if found is not _MISSING:
                    out.append(found)
    elif isinstance(segment, _Wildcard):
        for node in nodes:
            out.extend(_children(node))
    elif isinstance(segment, _Slice):
        for node in nodes:
            if isinstance(node, list):
                out.extend(node[segment.start : segment.stop : segment.step])
    elif isinstance(segment, _Filter):
        for node in nodes:
            out.extend(child for child in _children(node) if _test(segment.test, child, root))
    else:
        for node in nodes:
            for descendant in _descendants(node):
                out.extend(_apply(segment.inner, [descendant], root))
    return out


def _select(segments: tuple[_Segment, ...], start: Any, root: Any) -> list[Any]:
    nodes = [start]
    for segment in segments:
        nodes = _apply(segment, nodes, root)
        if not nodes:
            break
    return nodes


def _operand(operand: _Path | _Lit, current: Any, root: Any) -> Any:
    if isinstance(operand, _Lit):
        return operand.value
    nodes = _select(operand.segments, current if operand.relative else root, root)
    return nodes[0] if nodes else _MISSING


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compare(op: str, left: Any, right: Any) -> bool:
    """JavaScript-like strict comparison (see the module docstring)."""
    if op in ("==", "===", "!=", "!=="):
        if left is _MISSING or right is _MISSING:
            equal = (left is _MISSING or left is None) and (right is _MISSING or right is None)
        elif _is_number(left) and _is_number(right):
            equal = left == right
        elif type(left) is type(right):
            equal = bool(left == right)
        else:
            equal = False
        return equal if op in ("==", "===") else not equal
    if not ((_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _truthy(value: Any) -> bool:
    if value is _MISSING or value is None or value is False:
        return False
    if _is_number(value):
        return bool(value != 0 and value == value)
    if isinstance(value, str):
        return value != ""
    return True


def _test(test: _Test, current: Any, root: Any) -> bool:
    if isinstance(test, _Compare):
        return compare(test.op, _operand(test.left, current, root), _operand(test.right, current, root))
    if isinstance(test, _Exists):
        value = _operand(test.operand, current, root)
        if isinstance(test.operand, _Path):
            return value is not _MISSING
        return _truthy(value)
    if isinstance(test, _NotTest):
        return not _test(test.operand, current, root)
    if test.op == "&&":
        return all(_test(part, current, root) for part in test.parts)
    return any(_test(part, current, root) for part in test.parts)


@dataclass(frozen=True, slots=True)
class GoessnerQuery:
    """A compiled Goessner JSONPath, with the optional trailing comparison."""

    source: str
    segments: tuple[_Segment, ...]
    op: str | None = None
    operand: Any = None

    def select(self, value: Any) -> list[Any]:
        """The values the path selects (before the trailing comparison)."""
        return _select(self.segments, value, value)

    def matches(self, value: Any) -> tuple[bool, list[Any]]:
        """Whether the query passes on ``value``, and the selected values."""
        nodes = self.select(value)
        if self.op is None:
            return bool(nodes), nodes
        return any(compare(self.op, node, self.operand) for node in nodes), nodes


# -- parser ---------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.nesting = 0

    def error(self, message: str, expected: str, position: int | None = None) -> ExpressionSyntaxError:
        where = self.pos if position is None else position
        return ExpressionSyntaxError(message, self.text, where, expected=expected)

    def found(self) -> str:
        return repr(self.text[self.pos]) if self.pos < len(self.text) else "the end of the query"

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, literal: str) -> bool:
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def expect(self, literal: str) -> None:
        self.skip()
        if not self.take(literal):
            raise self.error(f"expected {literal!r}, found {self.found()}", repr(literal))

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise self.error(f"the query nests deeper than {_MAX_NESTING} levels", "a simpler query")

    def query(self) -> GoessnerQuery:
        self.skip()
        if not self.take("$"):
            raise self.error(f"a JSONPath query starts with '$', found {self.found()}", "'$'")
        segments = self.segments()
        self.skip()
        op: str | None = None
        operand: Any = None
        if self.pos < len(self.text):
            op = self.operator()
            if op is None:
                raise self.error(f"unexpected {self.found()} after the path", "a comparison operator or the end")
            self.skip()
            operand = self.literal()
            self.skip()
            if self.pos < len(self.text):
                raise self.error(f"unexpected {self.found()} after the comparison", "the end of the query")
        return GoessnerQuery(self.text, segments, op, operand)

    def operator(self) -> str | None:
        for op in _OPERATORS:
            if self.take(op):
                return op
        return None

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_$-"):
            self.pos += 1
        if self.pos == start:
            raise self.error(f"expected a member name, found {self.found()}", "a member name")
        return self.text[start : self.pos]

    def segments(self) -> tuple[_Segment, ...]:
        segments: list[_Segment] = []
        while True:
            if self.take(".."):
                if self.take("*"):
                    segments.append(_Descendant(_Wildcard()))
                elif self.text.startswith("[", self.pos):
                    self.pos += 1
                    segments.append(_Descendant(self.bracket()))
                else:
                    segments.append(_Descendant(_Child((self.name(),))))
            elif self.take("."):
                segments.append(_Wildcard() if self.take("*") else _Child((self.name(),)))
            elif self.take("["):
                segments.append(self.bracket())
            else:
                return tuple(segments)

    def integer(self) -> int | None:
        start = self.pos
        self.take("-")
        while self.pos < len(self.text) and "0" <= self.text[self.pos] <= "9":
            self.pos += 1
        if self.pos == start or self.text[start : self.pos] == "-" or self.pos - start > 18:
            self.pos = start  # no number, or one too long to index anything
            return None
        return int(self.text[start : self.pos])

    def bracket(self) -> _Segment:
        self.skip()
        if self.take("*"):
            self.expect("]")
            return _Wildcard()
        if self.take("?"):
            self.skip()
            self.enter()
            test = self.or_test()
            self.nesting -= 1
            self.expect("]")
            return _Filter(test)
        first_at = self.pos
        start = self.integer()
        self.skip()
        if self.text.startswith(":", self.pos):
            self.pos += 1
            self.skip()
            stop = self.integer()
            step = None
            self.skip()
            if self.take(":"):
                self.skip()
                step = self.integer()
                if step == 0:
                    raise self.error("a slice step cannot be 0", "a non-zero step", first_at)
            self.expect("]")
            return _Slice(start, stop, step)
        keys: list[str | int] = []
        self.pos = first_at
        while True:
            self.skip()
            if self.pos < len(self.text) and self.text[self.pos] in "'\"":
                keys.append(self.string())
            else:
                number = self.integer()
                if number is None:
                    raise self.error(
                        f"expected an index, a quoted name, '*', a slice or a filter, found {self.found()}",
                        "an index or a quoted name",
                    )
                keys.append(number)
            self.skip()
            if not self.take(","):
                break
        self.expect("]")
        return _Child(tuple(keys))

    def string(self) -> str:
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        pieces: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                pieces.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch == quote:
                self.pos += 1
                return "".join(pieces)
            pieces.append(ch)
            self.pos += 1
        raise self.error("unterminated string", quote, start)

    def literal(self) -> Any:
        if self.pos < len(self.text) and self.text[self.pos] in "'\"":
            return self.string()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.take(word):
                return value
        start = self.pos
        number = self.integer()
        if number is None:
            raise self.error(
                f"expected a literal (number, quoted string, true, false, null), found {self.found()}", "a literal"
            )
        if self.take("."):
            digits = self.pos
            while self.pos < len(self.text) and "0" <= self.text[self.pos] <= "9":
                self.pos += 1
            if self.pos == digits:
                raise self.error("expected digits after '.'", "a digit")
            return float(self.text[start : self.pos])
        return number

    # filter expressions
    def or_test(self) -> _Test:
        parts = [self.and_test()]
        while True:
            self.skip()
            if not self.take("||"):
                break
            parts.append(self.and_test())
        return parts[0] if len(parts) == 1 else _BoolOp("||", tuple(parts))

    def and_test(self) -> _Test:
        parts = [self.unary_test()]
        while True:
            self.skip()
            if not self.take("&&"):
                break
            parts.append(self.unary_test())
        return parts[0] if len(parts) == 1 else _BoolOp("&&", tuple(parts))

    def unary_test(self) -> _Test:
        self.skip()
        if self.text.startswith("!", self.pos) and not self.text.startswith("!=", self.pos):
            self.pos += 1
            self.enter()
            operand = self.unary_test()
            self.nesting -= 1
            return _NotTest(operand)
        if self.take("("):
            self.enter()
            inner = self.or_test()
            self.nesting -= 1
            self.expect(")")
            return inner
        left = self.filter_operand()
        self.skip()
        op = self.operator()
        if op is None:
            return _Exists(left)
        self.skip()
        return _Compare(op, left, self.filter_operand())

    def filter_operand(self) -> _Path | _Lit:
        if self.take("@"):
            return _Path(True, self.segments())
        if self.take("$"):
            return _Path(False, self.segments())
        return _Lit(self.literal())


def compile_goessner(text: str) -> GoessnerQuery:
    """Parse a Goessner JSONPath (with an optional trailing comparison); :class:`ExpressionSyntaxError` if invalid."""
    return _Parser(text).query()
