"""Findings about a document, as data: a severity, a stable code, a message and a place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .errors import Location

__all__ = ["Diagnostic", "Severity"]

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    location: Location | None = None

    @property
    def file(self) -> str | None:
        return self.location.file if self.location else None

    @property
    def line(self) -> int | None:
        return self.location.line if self.location else None

    @property
    def column(self) -> int | None:
        return self.location.column if self.location else None

    @property
    def pointer(self) -> str | None:
        return self.location.pointer if self.location else None

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data; the place's keys are ``None`` where it is not known."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
        }

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        at = f" (at {self.pointer or '/'})" if self.pointer is not None else ""
        return f"{where}{self.severity}[{self.code}]: {self.message}{at}"
