"""Collecting findings for one document: a pointer becomes a file, line and column."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity
from ..errors import Location
from ..yamlsource import Positions
from .codes import code_info

__all__ = ["Report"]


class Report:
    """The findings about one Arazzo document, placed with its :class:`Positions`."""

    def __init__(self, positions: Positions, text: str, *, strict: bool = False) -> None:
        self.positions = positions
        self.lines = text.splitlines()
        self.strict = strict
        self.items: list[Diagnostic] = []

    def location(self, pointer: str, find: str | None = None) -> Location:
        """Where ``pointer`` is; with ``find``, the column of that text on the node's line (an expression in a string)."""
        loc = self.positions.location(pointer)
        if find and loc.line is not None and loc.column is not None and 0 < loc.line <= len(self.lines):
            line = self.lines[loc.line - 1]
            at = line.find(find, loc.column - 1)
            if at >= 0:
                return Location(loc.file, loc.line, at + 1, pointer)
        return loc

    def add(self, code: str, message: str, pointer: str, *, severity: Severity | None = None, find: str | None = None) -> None:
        level = severity or code_info(code).severity
        self.items.append(Diagnostic(level, code, message, self.location(pointer, find)))  # type: ignore[arg-type]

    def error(self, code: str, message: str, pointer: str, *, find: str | None = None) -> None:
        self.add(code, message, pointer, severity="error", find=find)

    def warning(self, code: str, message: str, pointer: str, *, find: str | None = None) -> None:
        self.add(code, message, pointer, severity="warning", find=find)
