"""What runtime expressions are evaluated against.

The engine builds one :class:`EvalContext` per evaluation site (a step's
parameters, its criteria after the response, the workflow outputs …) out of
the run's state. Expressions only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

BodyKind = Literal["json", "text", "empty", "binary"]


@dataclass(frozen=True)
class HttpView:
    """A request as sent, or a response as received, seen by expressions.

    ``headers`` has lower-cased names; a header sent or received several
    times is one value joined with ", " (``set-cookie``: its first value),
    per DEC-25. ``body`` is parsed per DEC-24: JSON media types give the
    decoded JSON value (``body_kind == "json"``), XML and text give a string
    (``"text"``), an empty body gives ``None`` (``"empty"``), anything else
    the raw bytes (``"binary"``). ``query`` and ``path`` hold the parameter
    values the step actually sent, by parameter name (requests only).
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    body_kind: BodyKind = "empty"
    query: Mapping[str, Any] = field(default_factory=dict)
    path: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowRecord:
    """A workflow that has run in this execution: its inputs and outputs."""

    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class EvalContext:
    """Everything a runtime expression may read at one point of a run.

    ``outputs`` is the ``$outputs`` scope of DEC-14: the called child's
    outputs inside a ``workflowId`` step, the outputs evaluated so far inside
    workflow ``outputs``, and ``None`` (an error to read) anywhere else.
    ``source_descriptions`` maps a source name to its fields (``name``,
    ``url`` resolved to an absolute URL, ``type``). ``components`` maps
    ``parameters`` / ``successActions`` / ``failureActions`` / ``inputs`` to
    the document's component objects as plain data. ``optional_inputs`` names
    the inputs the workflow declares without requiring them (DEC-18).
    """

    inputs: Mapping[str, Any] = field(default_factory=dict)
    steps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    workflows: Mapping[str, WorkflowRecord] = field(default_factory=dict)
    source_descriptions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    components: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    url: str | None = None
    method: str | None = None
    status_code: int | None = None
    request: HttpView | None = None
    response: HttpView | None = None
    outputs: Mapping[str, Any] | None = None
    message: HttpView | None = None  # $message: an AsyncAPI step's message (1.1)
    # Inputs the workflow declares but does not require: a value that is exactly one of
    # these, when the run was not given it, is left out rather than failing (DEC-18).
    optional_inputs: frozenset[str] = frozenset()

    def derived(self, **changes: Any) -> EvalContext:
        """This context with ``changes`` (field name: value), as ``dataclasses.replace`` would give it.

        The engine derives a context per step from its workflow's; this copies the fields in one go
        instead of running ``__init__`` again. The mappings are shared, as they are with ``replace``:
        a context is only read.
        """
        twin = object.__new__(type(self))
        fields = twin.__dict__
        fields.update(self.__dict__)
        fields.update(changes)
        return twin
