"""The simple-condition lexer (CRIT-9..CRIT-11, DEC-15, DEC-19).

Tokens: runtime expressions (read by the expression scanner, which knows
where an expression ends inside a condition), JSON numbers, single-quoted
strings (``''`` is a quote), ``true``/``false``/``null``, the operators
``== != < <= > >= ! && ||``, ``( ) [ ]`` and ``.name`` property access.

Double-quoted strings are not strings in Arazzo (CRIT-10): strict mode
rejects them, lenient mode reads them like single-quoted ones (``""`` is a
quote) and records a warning.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ...errors import ExpressionSyntaxError
from ..expressions import scan_expression

__all__ = ["PROPERTY_STOP", "Token", "tokenize"]

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PROPERTY_STOP = frozenset(".#{}[]()<>=!&|'\"")
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
_SINGLE = {"(": "(", ")": ")", "[": "[", "]": "]"}


@dataclass(frozen=True, slots=True)
class Token:
    """``kind`` is ``expr``, ``literal``, ``name``, an operator or bracket, or ``eof``."""

    kind: str
    value: Any
    start: int
    end: int


def _error(text: str, offset: int, message: str, position: int, expected: str | None) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(message, text, offset + position, expected=expected)


def _quoted(body: str, start: int, quote: str, text: str, offset: int) -> tuple[str, int]:
    """Read a quoted string whose opening quote is at ``start``; return its value and the end offset."""
    pieces: list[str] = []
    pos = start + 1
    while True:
        close = body.find(quote, pos)
        if close < 0:
            raise _error(text, offset, f"unterminated string: no closing {quote}", start, quote)
        pieces.append(body[pos:close])
        if body.startswith(quote, close + 1):
            pieces.append(quote)
            pos = close + 2
            continue
        return "".join(pieces), close + 1


def tokenize(
    body: str, *, text: str | None = None, offset: int = 0, strict: bool = False, warnings: list[str] | None = None
) -> list[Token]:
    """Split ``body`` into tokens. Errors index ``text`` (default ``body``) at ``offset + position``."""
    full = body if text is None else text
    tokens: list[Token] = []
    pos = 0
    end = len(body)
    while True:
        while pos < end and body[pos].isspace():
            pos += 1
        if pos >= end:
            tokens.append(Token("eof", None, pos, pos))
            return tokens
        ch = body[pos]
        start = pos
        if ch == "$":
            try:
                expression, pos = scan_expression(body, pos)
            except ExpressionSyntaxError as exc:
                raise ExpressionSyntaxError(exc.message, full, offset + exc.position, expected=exc.expected) from None
            tokens.append(Token("expr", expression, start, pos))
            continue
        if "0" <= ch <= "9" or (ch == "-" and pos + 1 < end and "0" <= body[pos + 1] <= "9"):
            match = _NUMBER.match(body, pos)
            assert match is not None
            pos = match.end()
            if pos < end and (body[pos].isalnum() or body[pos] in "._"):
                raise _error(
                    full,
                    offset,
                    f"malformed number {body[start : pos + 1]!r}: expected a JSON number "
                    "(no leading zeros, digits after '.')",
                    pos,
                    "a JSON number",
                )
            literal = match.group()
            value: Any
            if any(c in literal for c in ".eE"):
                value = float(literal)
                if math.isinf(value):
                    raise _error(full, offset, f"number {literal} is out of range", start, "a finite number")
            else:
                try:
                    value = int(literal)
                except ValueError:  # past Python's 4300-digit conversion limit
                    raise _error(
                        full, offset, f"number of {len(literal)} digits is too long", start, "a number"
                    ) from None
            tokens.append(Token("literal", value, start, pos))
            continue
        if ch == "'":
            value, pos = _quoted(body, pos, "'", full, offset)
            tokens.append(Token("literal", value, start, pos))
            continue
        if ch == '"':
            if strict:
                raise _error(
                    full,
                    offset,
                    "double quotes do not delimit strings in Arazzo conditions: write 'text' in single quotes (DEC-19)",
                    pos,
                    "a single-quoted string",
                )
            value, pos = _quoted(body, pos, '"', full, offset)
            if warnings is not None:
                warnings.append(
                    f"double-quoted string {body[start:pos]} at offset {offset + start} read as a string; "
                    "Arazzo conditions use single quotes (DEC-19)"
                )
            tokens.append(Token("literal", value, start, pos))
            continue
        two = body[pos : pos + 2]
        if two in ("==", "!=", "<=", ">=", "&&", "||"):
            tokens.append(Token(two, two, start, pos + 2))
            pos += 2
            continue
        if ch in "<>!":
            tokens.append(Token(ch, ch, start, pos + 1))
            pos += 1
            continue
        if ch in _SINGLE:
            tokens.append(Token(ch, ch, start, pos + 1))
            pos += 1
            continue
        if ch == ".":
            tokens.append(Token(".", ".", start, pos + 1))
            pos += 1
            name_start = pos
            while pos < end and not body[pos].isspace() and body[pos] not in PROPERTY_STOP:
                pos += 1
            if pos == name_start:
                raise _error(full, offset, "expected a property name after '.'", pos, "a property name")
            tokens.append(Token("name", body[name_start:pos], name_start, pos))
            continue
        word = _WORD.match(body, pos)
        if word is not None:
            if word.group() in _KEYWORDS:
                tokens.append(Token("literal", _KEYWORDS[word.group()], start, word.end()))
                pos = word.end()
                continue
            raise _error(
                full,
                offset,
                f"unknown word {word.group()!r}: expected a literal (a number, a 'string', "
                "true, false, null), a runtime expression ($…), '(' or '!'",
                pos,
                "an operand",
            )
        if ch == "=":
            raise _error(full, offset, "'=' alone is not an operator: use '==' to compare", pos, "'=='")
        if ch in "&|":
            raise _error(full, offset, f"'{ch}' alone is not an operator: use '{ch}{ch}'", pos, f"'{ch}{ch}'")
        raise _error(
            full,
            offset,
            f"unexpected character {ch!r}",
            pos,
            "an operand, an operator (== != < <= > >= ! && ||) or a parenthesis",
        )
