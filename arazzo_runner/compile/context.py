"""What the compiler is given: the loader's first pass, behind a narrow, public interface.

The loader reads every document first (the entry document, the Arazzo
documents it names, the type of every untyped source); the compiler then
turns each parsed document into the plan. It sees only this context: where
to report, how strict to be, the parsed documents by URL, the source types
found by reading, and a lookup that loads an OpenAPI description once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from ..diagnostics import Diagnostic
from ..errors import ArazzoError, Location
from ..openapi.index import OpenAPIDescription
from ..plan.model import DocumentSet
from ..sources.yamlsource import Positions

__all__ = ["CompileContext", "ParsedDocument", "Reporter", "SourceType"]

SourceType = Literal["openapi", "arazzo"]


@dataclass(frozen=True)
class ParsedDocument:
    """One Arazzo document as read: plain data and where each value sits."""

    url: str
    display: str  # how messages name it
    data: Mapping[str, Any]
    positions: Positions
    text: str = ""  # as read, for placing a finding on the expression inside a string

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()


class Reporter:
    """Collects diagnostics, in the order they are found."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, code: str, message: str, location: Location | None) -> None:
        self.items.append(Diagnostic("error", code, message, location))

    def warning(self, code: str, message: str, location: Location | None) -> None:
        self.items.append(Diagnostic("warning", code, message, location))

    def from_exception(self, exc: ArazzoError, location: Location | None, code: str = "ARZ020") -> None:
        """An error raised while reading or parsing, at its own location when it has one, with its caret excerpt."""
        loc = location
        if exc.location is not None and exc.location.file and exc.location.line:
            loc = exc.location
        text = exc.message
        if exc.source_text is not None and exc.source_offset is not None:
            text = f"{exc.message}\n" + "\n".join(exc.caret_lines())
        self.items.append(Diagnostic("error", exc.code or code, text, loc))


@dataclass(frozen=True)
class CompileContext:
    """Everything a document compiler may use besides the document itself."""

    reporter: Reporter
    strict: bool
    documents: Mapping[str, ParsedDocument]  # every Arazzo document read, by absolute URL
    source_types: Mapping[str, SourceType]  # the type of each untyped source, found by reading it (DEC-36)
    openapi: Callable[[str, Location], OpenAPIDescription | None]  # loaded once per URL; None after reporting
    document_set: DocumentSet  # filled as documents compile; shared by every compiled document
