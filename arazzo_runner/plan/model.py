"""The compiled plan: frozen objects the loader builds and the engine only reads.

Every runtime expression, template and criterion in here is already parsed;
every step is bound to its operation or workflow; workflow-level parameters
and actions are already merged into each step (DEC-07, DEC-08).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..diagnostics import Diagnostic
from ..errors import Location, WorkflowNotFound
from ..openapi.index import OpenAPIDescription, Operation

if TYPE_CHECKING:  # pragma: no cover
    from ..language.criteria import Criterion
    from ..language.expressions import CompiledValue
    from .inputs import InputsCheck

__all__ = [
    "Action",
    "ArazzoDocument",
    "CriterionSpec",
    "DocumentSet",
    "OperationTarget",
    "Parameter",
    "Replacement",
    "RequestBody",
    "SourceDescription",
    "Step",
    "Workflow",
    "WorkflowRef",
]


@dataclass(frozen=True)
class SourceDescription:
    name: str
    url: str  # absolute
    raw_url: str
    type: Literal["openapi", "arazzo", "asyncapi"]
    location: Location | None = None


@dataclass(frozen=True)
class WorkflowRef:
    """A workflow named from a step, an action or ``dependsOn``: bare (local) or in an arazzo source."""

    document_url: str
    workflow_id: str
    text: str  # as written

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class OperationTarget:
    source: str
    operation: Operation

    @property
    def description(self) -> OpenAPIDescription:
        return self.operation.description


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str | None  # path | query | header | cookie, or None for workflow inputs
    value: CompiledValue
    pointer: Location | None = None


@dataclass(frozen=True)
class CriterionSpec:
    criterion: Criterion
    text: str
    location: Location | None = None


@dataclass(frozen=True)
class Action:
    name: str
    kind: Literal["end", "goto", "retry"]
    step_id: str | None = None
    workflow: WorkflowRef | None = None
    retry_after: float | None = None
    retry_limit: int | None = None
    criteria: tuple[CriterionSpec, ...] = ()
    location: Location | None = None
    # 1.1: values for the inputs of the workflow a goto/retry runs (V11-20).
    parameters: tuple[Parameter, ...] = ()

    @property
    def effective_retry_limit(self) -> int:
        return 1 if self.retry_limit is None else self.retry_limit  # FACT-13


@dataclass(frozen=True)
class Replacement:
    target: str
    value: CompiledValue
    # 1.1 targetSelectorType (V11-13): "jsonpointer", "jsonpath" (``query`` compiled) or "xpath"; None: by payload.
    target_type: str | None = None
    query: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RequestBody:
    content_type: str | None
    payload: CompiledValue | None
    replacements: tuple[Replacement, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class Step:
    step_id: str
    index: int
    description: str | None
    operation: OperationTarget | None
    workflow: WorkflowRef | None
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    success_criteria: tuple[CriterionSpec, ...]
    on_success: tuple[Action, ...]
    on_failure: tuple[Action, ...]
    outputs: tuple[tuple[str, CompiledValue], ...]
    location: Location | None = None
    # 1.1 (V11-15..V11-18): the step's own deadline in milliseconds, the steps it waits for as
    # written, and the AsyncAPI target it names (loaded and checked, not executed yet).
    timeout_ms: int | None = None
    depends_on: tuple[str, ...] = ()
    asyncapi_target: str | None = None

    @property
    def target_label(self) -> str:
        if self.operation is not None:
            op = self.operation.operation
            return op.operation_id or op.label
        if self.asyncapi_target is not None:
            return f"AsyncAPI {self.asyncapi_target}"
        return f"workflow {self.workflow}"


@dataclass(frozen=True)
class Workflow:
    workflow_id: str
    summary: str | None
    description: str | None
    inputs_schema: Mapping[str, Any] | None
    inputs_check: InputsCheck | None = field(repr=False, compare=False)
    secret_inputs: frozenset[str]
    depends_on: tuple[WorkflowRef, ...]
    steps: tuple[Step, ...]
    outputs: tuple[tuple[str, CompiledValue], ...]
    document_url: str
    location: Location | None = None
    # Inputs the schema declares but does not require: a run may leave them out (DEC-18).
    optional_inputs: frozenset[str] = frozenset()

    def step_index(self, step_id: str) -> int:
        for step in self.steps:
            if step.step_id == step_id:
                return step.index
        raise KeyError(step_id)

    def input_names(self) -> list[str]:
        props = (self.inputs_schema or {}).get("properties")
        return list(props) if isinstance(props, Mapping) else []

    def required_inputs(self) -> list[str]:
        req = (self.inputs_schema or {}).get("required")
        return [str(r) for r in req] if isinstance(req, list) else []


class DocumentSet:
    """Every document one ``load()`` read, by absolute URL; shared by nested documents."""

    def __init__(self) -> None:
        self.arazzo: dict[str, ArazzoDocument] = {}
        self.openapi: dict[str, OpenAPIDescription] = {}


@dataclass(frozen=True)
class ArazzoDocument:
    """A loaded, resolved and compiled Arazzo document: what ``load()`` returns."""

    url: str
    display: str
    arazzo_version: str
    info: Mapping[str, Any]
    sources: Mapping[str, SourceDescription]
    workflows: Mapping[str, Workflow]
    components: Mapping[str, Any]
    diagnostics: tuple[Diagnostic, ...]
    documents: DocumentSet = field(repr=False, compare=False)
    data: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        return str(self.info.get("title", ""))

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def workflow(self, workflow_id: str) -> Workflow:
        try:
            return self.workflows[workflow_id]
        except KeyError:
            known = ", ".join(sorted(self.workflows)) or "(none)"
            close = difflib.get_close_matches(workflow_id, list(self.workflows), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise WorkflowNotFound(
                f"no workflow {workflow_id!r} in {self.display}{hint}; workflows defined: {known}"
            ) from None

    def resolve_workflow(self, ref: WorkflowRef) -> tuple[ArazzoDocument, Workflow]:
        doc = self.documents.arazzo[ref.document_url]
        return doc, doc.workflow(ref.workflow_id)

    def all_source_names(self) -> list[str]:
        """Source names of this document and of every Arazzo document it reaches (``servers=`` keys)."""
        names = dict.fromkeys(self.sources)
        for document in self.documents.arazzo.values():
            names.update(dict.fromkeys(document.sources))
        return list(names)

    def source_fields(self) -> dict[str, dict[str, Any]]:
        return {name: {"name": s.name, "url": s.url, "type": s.type} for name, s in self.sources.items()}
