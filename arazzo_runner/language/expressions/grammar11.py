"""The Arazzo 1.1 runtime-expression additions, active only while a 1.1 document is compiled (V11-05..V11-07).

1.1 adds ``$self`` (the document's identity, its base URI) and
``$message.header.<token>`` / ``$message.payload[#pointer]`` (what an
AsyncAPI step sends or receives), and narrows JSON Pointers in expressions:
``{`` and ``}`` may not appear in a reference token. A 1.0 document keeps the
1.0 grammar, where none of these parse. The loader compiles a 1.1 document
inside :func:`arazzo11_grammar`; the parser asks :func:`current_grammar`.

``$self`` evaluates to the document's resolved ``$self`` (or its retrieval
URL when it has none). ``$message`` parses and is checked now; evaluating it
needs an AsyncAPI step, which is not executed yet, so it raises an
:class:`EvaluationError` saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ...errors import EvaluationError
from .ast import Expression
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
class SelfExpression(Expression):
    """``$self``: the URI of the document the expression is written in."""

    uri: str

    root = "self"

    @property
    def absorbs_dots(self) -> bool:
        return False

    def __str__(self) -> str:
        return "$self"

    def evaluate(self, ctx: EvalContext) -> Any:
        return self.uri


@dataclass(frozen=True, slots=True)
class MessageExpression(Expression):
    """``$message.header.<token>`` or ``$message.payload[#pointer]`` (AsyncAPI steps)."""

    part: str
    field: str | None = None
    body_pointer: JsonPointer | None = None

    @property
    def root(self) -> str:  # type: ignore[override]
        return f"message.{self.part}"

    @property
    def name(self) -> str | None:
        return self.field

    @property
    def pointer(self) -> JsonPointer | None:
        return self.body_pointer

    def __str__(self) -> str:
        if self.part == "header":
            return f"$message.header.{self.field}"
        return "$message.payload" + ("" if self.body_pointer is None else "#" + str(self.body_pointer))

    def evaluate(self, ctx: EvalContext) -> Any:
        raise EvaluationError(
            f"{self} reads an AsyncAPI message; AsyncAPI steps are not executed yet, so there is none", str(self)
        )
