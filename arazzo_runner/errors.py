"""One exception tree for the whole library, every error able to say where.

A document error names the file, the line and column and the JSON pointer of
the offending node. Errors raised by low layers (the expression parser, say)
know only the text they were given; the compiler reports them as diagnostics
at the location of the value that holds the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .diagnostics import Diagnostic
    from .result import WorkflowResult

__all__ = [
    "ArazzoError",
    "DocumentError",
    "EvaluationError",
    "ExpressionSyntaxError",
    "InputError",
    "InputProblem",
    "Location",
    "RequestBuildError",
    "SourceError",
    "UnresolvedExpression",
    "WorkflowFailed",
    "WorkflowNotFound",
]


@dataclass(frozen=True)
class Location:
    """Where something is: a file, a 1-based line and column, a JSON pointer."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        parts = [self.file or "<document>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class ArazzoError(Exception):
    """Base of every error this library raises on purpose.

    ``message`` says what is wrong and what was expected; ``location`` says
    where. ``code`` is a stable identifier (``ARZ…``) where one applies.
    """

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        code: str | None = None,
        source_text: str | None = None,
        source_offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.code = code
        # The text (an expression, a condition) the error points into, and the
        # 0-based offset of the offending character in it, for the caret.
        self.source_text = source_text
        self.source_offset = source_offset

    def caret_lines(self) -> list[str]:
        if self.source_text is None or self.source_offset is None:
            return []
        text = self.source_text
        # Keep the caret honest for multi-line texts: show the line holding the offset.
        start = text.rfind("\n", 0, self.source_offset) + 1
        end = text.find("\n", self.source_offset)
        if end == -1:
            end = len(text)
        line = text[start:end]
        return ["    " + line, "    " + " " * (self.source_offset - start) + "^"]

    def __str__(self) -> str:
        # The first line says where and what; any further lines of the message (an excerpt
        # with a caret) follow it, so "(at /pointer)" stays on the line it belongs to.
        head, _, detail = self.message.partition("\n")
        loc = self.location
        if loc is not None:
            where = str(loc)
            if loc.pointer is not None:
                head = f"{where}: {head} (at {loc.pointer or '/'})"
            else:
                head = f"{where}: {head}"
        lines = [head, *([detail] if detail else []), *self.caret_lines()]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[ArazzoError], state: dict[str, Any]) -> ArazzoError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class DocumentError(ArazzoError):
    """The Arazzo document (or a document it references) is invalid.

    ``diagnostics`` holds every finding of the load that raised it, errors and
    warnings in the order found (this error is the first error among them);
    it is empty for an error raised on its own (an unreadable file).
    """

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        diagnostics: Sequence[Diagnostic] = (),
        code: str | None = None,
        source_text: str | None = None,
        source_offset: int | None = None,
    ) -> None:
        super().__init__(message, location, code=code, source_text=source_text, source_offset=source_offset)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)


class SourceError(DocumentError):
    """A source description could not be read, parsed or resolved."""


class ExpressionSyntaxError(DocumentError):
    """A runtime expression, template or condition does not parse.

    ``source_text`` is the text given to the parser and ``source_offset`` the
    0-based index of the offending character; ``expected`` says what the
    parser wanted there.
    """

    def __init__(
        self,
        message: str,
        text: str,
        position: int,
        *,
        expected: str | None = None,
        location: Location | None = None,
    ) -> None:
        super().__init__(message, location, source_text=text, source_offset=position)
        self.text = text
        self.position = position
        self.expected = expected


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with a workflow's inputs: where (a JSON pointer into the inputs), which rule, in words.

    ``rule`` is the JSON Schema keyword that failed (``required``, ``type``,
    ``additionalProperties``…) or ``unknown`` for a name the schema does not
    declare. The message never echoes a password input's value.
    """

    pointer: str
    rule: str
    message: str

    def __str__(self) -> str:
        return self.message


class InputError(ArazzoError):
    """The inputs given to a workflow do not satisfy its inputs schema; ``problems`` says each thing wrong."""

    def __init__(self, message: str, problems: Sequence[InputProblem] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.problems: tuple[InputProblem, ...] = tuple(problems)


class WorkflowNotFound(ArazzoError):
    """No workflow with the requested id exists."""


class EvaluationError(ArazzoError):
    """A runtime expression could not be evaluated against the run's context."""

    def __init__(self, message: str, expression: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.expression = expression


class UnresolvedExpression(EvaluationError):
    """The value an expression selects does not exist (a missing field, a step not run).

    Criteria treat this as ``null`` (DEC-18); parameters and payloads fail the step.
    """


class RequestBuildError(ArazzoError):
    """A step's HTTP request could not be built (a missing path value, a bad body)."""


class WorkflowFailed(ArazzoError):
    """Raised by :meth:`WorkflowResult.raise_for_status` when a run failed."""

    def __init__(self, result: WorkflowResult) -> None:
        reason = result.error.message if result.error is not None else "the workflow failed"
        super().__init__(f"workflow {result.workflow_id!r} failed: {reason}")
        self.result = result
