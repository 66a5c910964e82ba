"""The state a run keeps while the state machine moves: outcomes, frames, and how actions are chosen.

:mod:`arazzo_runner.engine.execution` drives these; they hold no behaviour of
their own beyond choosing the next action (STEP-17, FACT-14) and naming it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from typing import Any, TypeVar

from ..errors import EvaluationError
from ..language.expressions import EvalContext, WorkflowRecord
from ..plan.inputs import validate_inputs
from ..plan.model import Action, ArazzoDocument, CriterionSpec, OperationTarget, Step, Workflow
from ..result import CheckResult, Failure, NextAction, StepResult
from .observe import Observer
from .redact import Redactor
from .transport import Exchange

__all__ = [
    "Frame",
    "LimitExceeded",
    "StepOutcome",
    "WorkflowOutcome",
    "built",
    "describe_action",
    "invalid_inputs",
    "redact_failure",
    "select_action",
    "server_base_url",
    "settle_outputs",
    "step_error",
    "step_failure",
    "step_record",
    "unrun_step_reason",
]


@dataclass
class StepOutcome:
    succeeded: bool
    exchange: Exchange
    outputs: dict[str, Any]
    error: str | None = None
    failed_criterion: str | None = None
    reason: str = "unhandled_step_failure"
    child_failure: Failure | None = None
    warnings: list[str] = field(default_factory=list)
    # The context the step's criteria and outputs saw: its actions' criteria see the same (DEC-53),
    # $outputs included for a workflow step (DEC-14).
    ctx: EvalContext | None = None
    # A failed attempt's "output ... left out" warnings, held until the next action says whether this attempt
    # is the step's final result (see settle_outputs); None once its outputs are reported.
    left_out: list[str] | None = None


@dataclass
class WorkflowOutcome:
    status: str
    outputs: dict[str, Any]
    error: Failure | None
    last_exchange: Exchange | None


class LimitExceeded(Exception):
    """A limit (DEC-42) was hit: it ends the whole run, not just the workflow it happened in.

    Each workflow it passes through on the way up evaluates its outputs
    leniently (DEC-13) and records them here, so the top-level result still
    carries the root workflow's outputs.
    """

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.outputs: dict[str, Any] = {}


# Each workflow's context is a copy of this one with every field that has a default factory given.
_BLANK_CONTEXT = EvalContext()


@dataclass
class Frame:
    """The state of one running workflow."""

    document: ArazzoDocument
    workflow: Workflow
    inputs: Mapping[str, Any]
    depth: int
    step_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_exchange: Exchange | None = None
    # What a step's parameters and body are evaluated against: no request or response yet. Built once,
    # since everything in it is read through (the step outputs dict above grows as steps run).
    base_context: EvalContext | None = None

    def context(
        self,
        exchange: Exchange | None,
        outputs: Mapping[str, Any] | None,
        records: Mapping[str, WorkflowRecord],
        source_fields: Mapping[str, Mapping[str, Any]],
    ) -> EvalContext:
        """What this workflow's expressions see: with ``exchange``, a step's request and response too."""
        base = self.base_context
        if base is None:
            base = self.base_context = _BLANK_CONTEXT.derived(
                inputs=self.inputs,
                steps=self.step_outputs,
                workflows=records,
                source_descriptions=source_fields,
                components=self.document.components,
                optional_inputs=self.workflow.optional_inputs,
            )
        if exchange is None:
            return base if outputs is None else base.derived(outputs=outputs)
        # $url, $method, $statusCode, $request, $response: once there is an exchange
        return base.derived(
            url=exchange.url,
            method=exchange.method,
            status_code=exchange.status_code,
            request=exchange.request,
            response=exchange.response,
            outputs=outputs,
        )


def select_action(
    actions: tuple[Action, ...], ctx: EvalContext, budgets: dict[str, int] | None, observer: Observer | None = None
) -> Action | None:
    """First match wins (STEP-17, STEP-21); a retry whose budget is spent is passed over (FACT-14).

    With an ``observer``, each criterion evaluated is told, and so is the action chosen (or none).
    """
    chosen: Action | None = None
    seen: list[tuple[CriterionSpec, bool, str, str]] = []  # told only once every criterion is evaluated
    for action in actions:
        if action.kind == "retry" and budgets is not None:
            if budgets.get(action.name, action.effective_retry_limit) <= 0:
                continue
        if observer is None:
            if all(spec.criterion.evaluate(ctx).passed for spec in action.criteria):
                return action
        elif all(_observed(spec, ctx, seen, f"action {action.name}") for spec in action.criteria):
            chosen = action
            break
    if observer is not None:
        for spec, passed, explanation, role in seen:
            observer.criterion(spec, passed, explanation, role)
        observer.action(chosen, succeeded=budgets is None)
    return chosen


def _observed(
    spec: CriterionSpec, ctx: EvalContext, seen: list[tuple[CriterionSpec, bool, str, str]], role: str
) -> bool:
    verdict = spec.criterion.evaluate(ctx)
    seen.append((spec, verdict.passed, verdict.explanation, role))
    return verdict.passed


def describe_action(action: Action) -> NextAction:
    if action.kind == "goto":
        if action.step_id:
            return NextAction("goto", action.step_id, action.name)
        return NextAction("goto_workflow", str(action.workflow), action.name)
    if action.kind == "retry":
        return NextAction("retry", action.step_id or (str(action.workflow) if action.workflow else None), action.name)
    return NextAction("end", None, action.name)


def redact_failure(failure: Failure, redactor: Redactor) -> Failure:
    return replace(
        failure,
        message=redactor.mask(failure.message),
        response_excerpt=redactor.mask(failure.response_excerpt) if failure.response_excerpt else None,
    )


def step_error(workflow: Workflow, step: Step, outcome: StepOutcome, redactor: Redactor) -> Failure | None:
    """Why one execution of a step failed, as data (masked); None when it succeeded."""
    if outcome.error is None:
        return None
    reason = outcome.reason
    if reason == "unhandled_step_failure":  # the workflow's reason; a step says what happened to it
        reason = "workflow_failed" if outcome.child_failure is not None else "step_failed"
    ex = outcome.exchange
    return Failure(
        reason=reason,
        message=redactor.mask(outcome.error),
        workflow_id=workflow.workflow_id,
        step_id=step.step_id,
        status_code=ex.status_code,
        criterion=outcome.failed_criterion,
        response_excerpt=ex.excerpt(redactor.mask) or None,
        cause=outcome.child_failure,
    )


def step_failure(frame: Frame, step: Step, outcome: StepOutcome, action: Action | None, redactor: Redactor) -> Failure:
    """Why the workflow stopped at ``step``: an ``end`` failure action, or no failure action matching."""
    wf_id = frame.workflow.workflow_id
    ex = outcome.exchange
    if action is not None:
        reason = "ended_by_failure_action"
        tail = f"failure action {action.name!r} (end) stopped the workflow"
    else:
        if outcome.reason in (
            "request_error",
            "transport_error",
            "invalid_inputs",
            "step_timeout",  # Arazzo 1.1: a step's own timeout (V11-15)
            "unsupported_step",  # an AsyncAPI step (V11-19)
            "dependency_failed",  # a step dependsOn another workflow's step that has not completed (V11-16)
        ):
            reason = outcome.reason
        else:
            reason = "unhandled_step_failure"
        tail = f"no failure action matched, so workflow {wf_id!r} stopped"  # named: failures nest
    message = f"step {step.step_id!r} ({step.target_label}) failed: {outcome.error}; {tail}"
    excerpt = ex.excerpt(redactor.mask)
    return Failure(
        reason=reason,
        message=redactor.mask(message),
        workflow_id=wf_id,
        step_id=step.step_id,
        status_code=ex.status_code,
        criterion=outcome.failed_criterion,
        action=action.name if action else None,
        response_excerpt=excerpt or None,
    )


def invalid_inputs(
    redactor: Redactor, workflow: Workflow, inputs: Mapping[str, Any], what: str, workflow_id: str, **fields: Any
) -> Failure | None:
    """DEC-11 for a workflow the run starts itself (dependsOn, child, goto or retry target): None when valid."""
    problems = validate_inputs(workflow, inputs)
    if not problems:
        return None
    message = redactor.mask(f"{what}: invalid inputs: " + "; ".join(map(str, problems)))
    return Failure("invalid_inputs", message, workflow_id, **fields)


def step_record(
    workflow: Workflow,
    step: Step,
    outcome: StepOutcome,
    attempt: int,
    started: float,
    next_action: NextAction,
    redactor: Redactor,
) -> StepResult:
    """One execution of a step as the result reports it: its outputs, URL, error, warnings and checks masked."""
    ex = outcome.exchange
    mask = redactor.mask
    checks = ex.checks
    return built(
        StepResult,
        step_id=step.step_id,
        workflow_id=workflow.workflow_id,
        succeeded=outcome.succeeded,
        status_code=ex.status_code,
        outputs=redactor.mask_value(outcome.outputs),  # a step may copy a credential
        method=ex.method,
        url=mask(ex.url) if ex.url else None,  # an apiKey may sit in the query
        attempt=attempt,
        duration=time.perf_counter() - started,
        error=step_error(workflow, step, outcome, redactor) if outcome.error is not None else None,
        next_action=next_action,
        warnings=tuple(map(mask, outcome.warnings)) if outcome.warnings else (),
        checks=tuple(CheckResult(c.name, c.outcome, c.severity, mask(c.message)) if c.message else c for c in checks)
        if checks and (step.operation is not None or step.asyncapi is not None)  # a workflow step: its child's own
        else (),
    )


_FIELD_DEFAULTS: dict[type, dict[str, Any]] = {}

F = TypeVar("F")


def built(cls: type[F], **values: Any) -> F:
    """An instance of the frozen dataclass ``cls``, as ``cls(**values)`` makes it, at a fraction of the cost.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; a record made per
    step is filled in one go instead. Fields not given take their defaults; ``cls`` has no ``__post_init__``.
    """
    defaults = _FIELD_DEFAULTS.get(cls)
    if defaults is None:
        defaults = _FIELD_DEFAULTS[cls] = _defaults(cls)
    instance = object.__new__(cls)
    fields_of = instance.__dict__
    fields_of.update(defaults)
    fields_of.update(values)
    return instance


def _defaults(cls: type) -> dict[str, Any]:
    assert is_dataclass(cls) and not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
    out: dict[str, Any] = {}
    for spec in fields(cls):
        if spec.default is not MISSING:
            out[spec.name] = spec.default
        elif spec.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{spec.name} has a default factory: build it with its __init__")
    return out


def settle_outputs(step: Step, outcome: StepOutcome, next_action: NextAction, observer: Observer | None) -> StepOutcome:
    """Outputs belong to a step's final result: a failed attempt that is retried reports none of them.

    The values stay evaluated in the frame (its failure actions' criteria may read them); a retried
    attempt's record shows no outputs and no warnings about them, and no output event is emitted.
    """
    if outcome.left_out is None:
        return outcome
    if next_action.kind == "retry":
        return replace(outcome, outputs={}, left_out=None)
    warnings = [*outcome.warnings, *outcome.left_out]
    if observer is not None:
        observer.outputs(step.outputs, outcome.outputs, warnings)
    return replace(outcome, warnings=warnings, left_out=None)


def unrun_step_reason(frame: Frame, value: Any, ctx: EvalContext, step_results: Sequence[StepResult]) -> str | None:
    """``step 'x' failed`` / ``did not run`` when that is why ``$steps.x.outputs.…`` in ``value`` has no value.

    Saying "step 'x' has no output 'id'" after x failed would suggest x does not declare it.
    """
    for expression in value.expressions():
        if expression.root != "steps" or expression.step_id is None:
            continue
        step_id = expression.step_id
        try:
            expression.evaluate(ctx)
            continue
        except EvaluationError:
            pass
        if step_id not in frame.step_outputs:
            return f"step {step_id!r} did not run"
        wf_id = frame.workflow.workflow_id
        last = next((r for r in reversed(step_results) if r.workflow_id == wf_id and r.step_id == step_id), None)
        if last is not None and not last.succeeded:
            return f"step {step_id!r} failed"
    return None


def server_base_url(
    servers: str | Mapping[str, str] | None, target: OperationTarget, names: tuple[str, ...]
) -> str | None:
    """The base URL of ``target``'s requests: ``servers`` (the qualified source name first, see
    :mod:`.scope`), else the description's. A server variable without a default fails the step."""
    if isinstance(servers, str):
        return servers
    if isinstance(servers, Mapping):
        for name in names:
            if name in servers:
                return servers[name]
    return target.description.base_url(target.operation, target.source)
