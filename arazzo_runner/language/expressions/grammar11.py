"""The Arazzo 1.1 runtime-expression additions, active only while a 1.1 document is compiled (V11-05..V11-07).

1.1 adds ``$self`` (the document's identity, its base URI) and
``$message.header.<token>`` / ``$message.payload[#pointer]`` (what an
AsyncAPI step sends or receives), and narrows JSON Pointers in expressions:
``{`` and ``}`` may not appear in a reference token. A 1.0 document keeps the
1.0 grammar, where none of these parse. The loader compiles a 1.1 document
inside :func:`arazzo11_grammar`; the parser asks :func:`current_grammar`.

``$self`` evaluates to the document's resolved ``$self`` (or its retrieval
URL when it has none). ``$message`` reads the message of an AsyncAPI step
(``EvalContext.message``, set by engine/async_steps.py); anywhere else it is
an :class:`UnresolvedExpression` saying there is no message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ...errors import EvaluationError, UnresolvedExpression
from .ast import AtomExpression, PartExpression
from .context import EvalContext
from .pointer import JsonPointer

__all__ = ["Grammar11", "MessageExpression", "SelfExpression", "arazzo11_grammar", "current_grammar"]


@dataclass(frozen=True)
class Grammar11:
    self_uri: str


_CURRENT: ContextVar[Grammar11 | None] = ContextVar("arazzo11_grammar", default=None)


def current_grammar() -> Grammar11 | None:
    """The 1.1 grammar when a 1.1 document is being compiled, else None (the 1.0 grammar)."""
    return _CURRENT.get()


@contextmanager
def arazzo11_grammar(self_uri: str | None) -> Iterator[None]:
    """Compile with the 1.1 grammar (``self_uri``: what ``$self`` is), or the 1.0 one with None."""
    token = _CURRENT.set(None if self_uri is None else Grammar11(self_uri))
    try:
        yield
    finally:
        _CURRENT.reset(token)


@dataclass(frozen=True, slots=True)
class SelfExpression(AtomExpression):
    """``$self``: the URI of the document the expression is written in."""

    uri: str

    root = "self"

    def evaluate(self, ctx: EvalContext) -> Any:
        return self.uri


@dataclass(frozen=True, slots=True)
class MessageExpression(PartExpression):
    """``$message.header.<token>`` or ``$message.payload[#pointer]`` (AsyncAPI steps)."""

    part: str
    field: str | None = None
    body_pointer: JsonPointer | None = None

    @property
    def root(self) -> str:  # type: ignore[override]
        return f"message.{self.part}"

    def __str__(self) -> str:
        if self.part == "header":
            return f"$message.header.{self.field}"
        return "$message.payload" + ("" if self.body_pointer is None else "#" + str(self.body_pointer))

    def evaluate(self, ctx: EvalContext) -> Any:
        view = ctx.message
        text = str(self)
        if view is None:
            raise UnresolvedExpression(f"{text}: there is no message here (only an AsyncAPI step has one)", text)
        if self.part == "header":
            folded = (self.field or "").lower()
            for key, value in view.headers.items():
                if key.lower() == folded:
                    return value
            raise UnresolvedExpression(f"{text}: the message has no header {self.field!r}", text)
        if self.body_pointer is None or not self.body_pointer.tokens:
            return view.body
        if view.body_kind != "json":
            raise EvaluationError(f"{text}: the message payload is not JSON, so a JSON pointer cannot apply", text)
        return self.body_pointer.resolve(view.body, expression=text)
