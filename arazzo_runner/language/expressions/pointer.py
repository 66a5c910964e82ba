"""JSON Pointer (RFC 6901), parsed once and resolved many times (RTE-23).

Reading rules:

* the empty pointer selects the whole value;
* each token is decoded ``~1`` -> ``/`` first, then ``~0`` -> ``~`` (so
  ``~01`` is the key ``~1``);
* against an array a token must be ``0`` or a decimal without leading zeros;
  ``-`` (one past the end) never resolves when reading.

A miss raises :class:`UnresolvedExpression` whose message names the token
that missed and what was there instead, e.g. ``index 0 is out of range:
/results is an empty array``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import ExpressionSyntaxError, UnresolvedExpression
from ...sources.pointer import escape_pointer_token, unescape_pointer_token
from ...sources.values import type_name

__all__ = ["JsonPointer", "describe_value"]

_ARRAY_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_BAD_ESCAPE = re.compile(r"~(?![01])")


def describe_value(value: Any) -> str:
    """A short phrase saying what kind of JSON value ``value`` is, for messages."""
    if isinstance(value, Mapping):
        if not value:
            return "an empty object"
        keys = list(value)
        shown = ", ".join(repr(k) for k in keys[:5])
        more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
        return f"an object with keys {shown}{more}"
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        if not value:
            return "an empty array"
        return f"an array of {len(value)} item{'s' if len(value) != 1 else ''}"
    scalar = type_name(value)
    return scalar if scalar.startswith(("a ", "an ", "null", "binary")) else f"a {scalar}"


@dataclass(frozen=True, slots=True)
class JsonPointer:
    """A parsed RFC 6901 pointer: ``tokens`` are the decoded reference tokens.

    ``str(pointer)`` gives the canonical (re-escaped) text, without a leading
    ``#``; ``JsonPointer.parse(str(p)) == p``.
    """

    tokens: tuple[str, ...]
    # Precomputed array index for each token (None when the token is not a
    # valid RFC 6901 array index), so resolving allocates nothing.
    _indexes: tuple[int | None, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self._indexes) != len(self.tokens):
            # An index of more than 18 digits indexes no array (and int() refuses past 4300 digits).
            indexes = tuple(int(t) if _ARRAY_INDEX.match(t) and len(t) <= 18 else None for t in self.tokens)
            object.__setattr__(self, "_indexes", indexes)

    @classmethod
    def parse(cls, text: str, *, source: str | None = None, offset: int = 0) -> JsonPointer:
        """Parse pointer text (``""`` or ``/a/b``); ``source``/``offset`` place errors in a larger text."""
        full = source if source is not None else text
        if text == "":
            return cls(())
        if not text.startswith("/"):
            raise ExpressionSyntaxError(
                f"a JSON pointer must be empty or start with '/', found {text[0]!r}",
                full,
                offset,
                expected="'/'",
            )
        bad = _BAD_ESCAPE.search(text)
        if bad is not None:
            raise ExpressionSyntaxError(
                "invalid escape in JSON pointer: '~' must be followed by '0' or '1'",
                full,
                offset + bad.start(),
                expected="~0 or ~1",
            )
        tokens = tuple(unescape_pointer_token(t) for t in text[1:].split("/"))
        return cls(tokens)

    def __str__(self) -> str:
        return "".join("/" + escape_pointer_token(t) for t in self.tokens)

    def prefix_text(self, count: int) -> str:
        """The pointer text of the first ``count`` tokens (``/`` for none), for messages."""
        return "".join("/" + escape_pointer_token(t) for t in self.tokens[:count]) or "/"

    def resolve(self, value: Any, *, expression: object = None) -> Any:
        """The value this pointer selects inside ``value``.

        Raises :class:`UnresolvedExpression` when it selects nothing; the
        message starts with ``expression`` (the text to blame, or an expression
        node: its text is only made for the message) when given.
        """
        current = value
        position = 0
        # Fast paths for the plain dicts and lists JSON decoding produces; the
        # ABC checks below handle other mappings and sequences.
        for token, index in zip(self.tokens, self._indexes, strict=False):
            kind = type(current)
            if kind is dict:
                try:
                    current = current[token]
                except KeyError:
                    self._miss(expression, position, f"key {token!r} not found", current)
            elif kind is list and index is not None and index < len(current):
                current = current[index]
            elif isinstance(current, Mapping):
                try:
                    current = current[token]
                except KeyError:
                    self._miss(expression, position, f"key {token!r} not found", current)
            elif isinstance(current, (list, tuple)):
                if index is None:
                    if token == "-":
                        detail = "'-' (past the end of an array) never resolves when reading"
                    else:
                        detail = f"{token!r} is not an array index (a decimal without leading zeros)"
                    self._miss(expression, position, detail, current)
                elif index >= len(current):
                    self._miss(expression, position, f"index {index} is out of range", current)
                else:
                    current = current[index]
            else:
                self._miss(expression, position, f"cannot select {token!r}", current)
            position += 1
        return current

    def _miss(self, expression: object, position: int, detail: str, found: Any) -> None:
        text = None if expression is None else str(expression)
        where = self.prefix_text(position)
        head = f"{text}: " if text else ""
        what = "the root" if position == 0 else where
        raise UnresolvedExpression(f"{head}{detail}: {what} is {describe_value(found)}", text)
