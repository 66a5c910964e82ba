"""Collecting findings for one document: a pointer becomes a file, line and column."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity
from ..errors import Location
from ..sources.pointer import unescape_pointer_token
from ..sources.yamlsource import Positions, locate_text
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
        """Where ``pointer`` is; with ``find``, the column of that text on the node's line
        (an expression in a string)."""
        return locate_text(self.positions.location(pointer), self.lines, find)

    def key_location(self, pointer: str) -> Location:
        """Where the mapping key of the member at ``pointer`` is written (its value's place when not found)."""
        loc = self.positions.location(pointer)
        key = unescape_pointer_token(pointer.rsplit("/", 1)[-1])
        if loc.line is None or loc.column is None or loc.pointer != pointer:
            return loc
        for line_no in range(loc.line, max(loc.line - 3, 0), -1):
            if line_no > len(self.lines):
                continue
            line = self.lines[line_no - 1]
            limit = loc.column - 1 if line_no == loc.line else len(line)
            for quoted in (key, f'"{key}"', f"'{key}'"):
                at = line.rfind(quoted, 0, limit)
                if at >= 0:
                    return Location(loc.file, line_no, at + 1, pointer)
        return loc

    def add(
        self,
        code: str,
        message: str,
        pointer: str,
        *,
        severity: Severity | None = None,
        find: str | None = None,
        at_key: bool = False,
    ) -> None:
        level = severity or code_info(code).severity
        where = self.key_location(pointer) if at_key else self.location(pointer, find)
        self.items.append(Diagnostic(level, code, message, where))  # type: ignore[arg-type]

    def error(self, code: str, message: str, pointer: str, *, find: str | None = None) -> None:
        self.add(code, message, pointer, severity="error", find=find)

    def warning(self, code: str, message: str, pointer: str, *, find: str | None = None) -> None:
        self.add(code, message, pointer, severity="warning", find=find)
