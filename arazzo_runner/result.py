"""What a run returns: the workflow's status and outputs, each executed step, and what failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import WorkflowFailed

__all__ = ["CheckResult", "Failure", "NextAction", "NextKind", "Status", "StepResult", "WorkflowResult"]

Status = Literal["succeeded", "failed"]
CheckOutcome = Literal["passed", "failed", "skipped"]
CheckSeverity = Literal["error", "warn", "off"]


@dataclass(frozen=True)
class CheckResult:
    """One contract check of one response against its OpenAPI operation.

    ``name``: ``status-code``, ``content-type``, ``schema`` or ``headers``. ``outcome``: ``passed``,
    ``failed`` or ``skipped`` (not checkable: ``message`` says why). ``severity``: what a failure does:
    ``error`` fails the step like an unmet criterion, ``warn`` is reported only.
    """

    name: str
    outcome: CheckOutcome
    severity: CheckSeverity
    message: str = ""

    @property
    def is_error(self) -> bool:
        """A failed check whose severity fails the step."""
        return self.outcome == "failed" and self.severity == "error"

    def __str__(self) -> str:
        text = f"{self.name}: {self.outcome}"
        return f"{text} ({self.message})" if self.message else text

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "outcome": self.outcome, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class Failure:
    """Why a run failed, in words a person can act on.

    ``reason`` is a stable code: ``unhandled_step_failure``,
    ``ended_by_failure_action``, ``dependency_failed``, ``invalid_inputs``,
    ``request_error``, ``transport_error``, ``limit_exceeded``, ``run_timeout``,
    ``retry_workflow_failed`` (a retry's target workflow failed or could not start, DEC-05).
    A step's own error (:attr:`StepResult.error`) uses ``step_failed`` (its
    criteria or outputs), ``workflow_failed`` (the workflow it ran failed:
    see ``cause``), ``request_error``, ``transport_error`` or ``invalid_inputs``.
    Arazzo 1.1 adds ``step_timeout`` (a step's own ``timeout``) and ``unsupported_step`` (an
    AsyncAPI step); a step ``dependsOn`` another workflow's step that has not completed is
    ``dependency_failed``.
    """

    reason: str
    message: str
    workflow_id: str
    step_id: str | None = None
    status_code: int | None = None
    criterion: str | None = None
    action: str | None = None
    response_excerpt: str | None = None
    # For a step that ran a workflow (a workflowId step): that workflow's own failure.
    cause: Failure | None = None

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "message": self.message,
            "workflowId": self.workflow_id,
            "stepId": self.step_id,
            "statusCode": self.status_code,
            "criterion": self.criterion,
            "action": self.action,
            "responseExcerpt": self.response_excerpt,
            "cause": self.cause.to_dict() if self.cause is not None else None,
        }


NextKind = Literal["next", "end", "goto", "goto_workflow", "retry", "back", "stop"]


@dataclass(frozen=True)
class NextAction:
    """What the run did after a step: ``kind``, the step or workflow it moved to, and the action that said so.

    ``str()`` gives the display form: ``next``, ``end (userMissing)``,
    ``goto revokeApp``, ``goto workflow refresh``, ``retry (refreshToken)``,
    ``back to getData`` (a retry's target step, before the retried step), ``stop``.
    """

    kind: NextKind
    target: str | None = None  # goto/back: a stepId; goto_workflow: the workflow reference as written
    action: str | None = None  # the success or failure action's name (end, goto, retry)

    def __str__(self) -> str:
        if self.kind == "end":
            return f"end ({self.action})" if self.action else "end"
        if self.kind == "goto":
            return f"goto {self.target}"
        if self.kind == "goto_workflow":
            return f"goto workflow {self.target}"
        if self.kind == "retry":
            return f"retry ({self.action})"
        if self.kind == "back":
            return f"back to {self.target}"
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "action": self.action}


@dataclass(frozen=True)
class StepResult:
    """One execution of one step (a retried step appears once per attempt)."""

    step_id: str
    workflow_id: str
    succeeded: bool
    status_code: int | None
    outputs: Mapping[str, Any]
    method: str | None = None
    url: str | None = None
    attempt: int = 1
    duration: float = 0.0
    error: Failure | None = None  # why this execution failed (None when it succeeded)
    next_action: NextAction | None = None
    warnings: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] = ()  # contract checks of the response (checks= / --checks)

    @property
    def status(self) -> Status:
        return "succeeded" if self.succeeded else "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "stepId": self.step_id,
            "workflowId": self.workflow_id,
            "status": self.status,
            "statusCode": self.status_code,
            "method": self.method,
            "url": self.url,
            "attempt": self.attempt,
            "durationMs": round(self.duration * 1000, 3),
            "outputs": dict(self.outputs),
            "next": str(self.next_action) if self.next_action is not None else None,
            "nextAction": self.next_action.to_dict() if self.next_action is not None else None,
            "error": self.error.to_dict() if self.error is not None else None,
            "warnings": list(self.warnings),
            "checks": [check.to_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class WorkflowResult:
    workflow_id: str
    status: Status
    outputs: Mapping[str, Any]
    steps: tuple[StepResult, ...] = ()
    error: Failure | None = None
    warnings: tuple[str, ...] = field(default=())
    duration: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def step(self, step_id: str, workflow_id: str | None = None) -> StepResult:
        """The last execution of ``step_id`` (in ``workflow_id``, if given); ``KeyError`` naming the steps run."""
        for step in reversed(self.steps):
            if step.step_id == step_id and (workflow_id is None or step.workflow_id == workflow_id):
                return step
        ran = ", ".join(dict.fromkeys(s.step_id for s in self.steps)) or "none"
        raise KeyError(f"no step {step_id!r} ran in workflow {self.workflow_id!r}; steps run: {ran}")

    def raise_for_status(self) -> WorkflowResult:
        """Raise :class:`WorkflowFailed` if the run failed; return the result otherwise."""
        if self.status != "succeeded":
            raise WorkflowFailed(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflowId": self.workflow_id,
            "status": self.status,
            "outputs": dict(self.outputs),
            "steps": [s.to_dict() for s in self.steps],
            "error": self.error.to_dict() if self.error else None,
            "warnings": list(self.warnings),
            "durationMs": round(self.duration * 1000, 3),
        }
