"""Actions that run another workflow: a ``goto`` to a workflow (a tail call) and a retry's target workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..language.expressions import EvalContext
from ..plan.model import Action, Step
from ..result import Failure
from .state import Frame, invalid_inputs
from .steps11 import action_inputs

if TYPE_CHECKING:
    from .execution import Execution

__all__ = ["goto_workflow", "retry_workflow"]


async def goto_workflow(
    execution: Execution, frame: Frame, action: Action, ctx: EvalContext
) -> tuple[str, Failure | None]:
    """DEC-04: a tail call; this workflow ends with the target's status."""
    assert action.workflow is not None
    doc, target = frame.document.resolve_workflow(action.workflow)
    inputs = dict(execution.workflow_inputs.get(target.workflow_id, {}))
    problem = action_inputs(action, ctx, inputs)  # 1.1 action parameters (V11-20)
    if problem is not None:
        return "failed", Failure("invalid_inputs", problem, frame.workflow.workflow_id, action=action.name)
    invalid = invalid_inputs(
        execution.redactor,
        target,
        inputs,
        f"goto workflow {target.workflow_id!r}",
        frame.workflow.workflow_id,
        action=action.name,
    )
    if invalid is not None:
        return "failed", invalid
    outcome = await execution.start_workflow(doc, target, inputs, frame.depth + 1)
    frame.last_exchange = outcome.last_exchange or frame.last_exchange
    return outcome.status, outcome.error


async def retry_workflow(
    execution: Execution, frame: Frame, step: Step, action: Action, ctx: EvalContext
) -> Failure | None:
    """DEC-05: run a retry's target workflow before the step again; its inputs are checked as for goto (DEC-04).

    When the target fails (or cannot start), the step is not retried on top
    of it: the workflow fails with a failure that names the step, the retry
    action and the target's own error.
    """
    assert action.workflow is not None
    doc, target = frame.document.resolve_workflow(action.workflow)
    wf_id = frame.workflow.workflow_id
    inputs = dict(execution.workflow_inputs.get(target.workflow_id, {}))
    action_inputs(action, ctx, inputs)  # 1.1 action parameters (V11-20); an unresolvable one is left out
    what = f"step {step.step_id!r}: retry {action.name!r} runs workflow {target.workflow_id!r}"
    invalid = invalid_inputs(execution.redactor, target, inputs, what, wf_id, step_id=step.step_id, action=action.name)
    if invalid is not None:
        return invalid
    outcome = await execution.start_workflow(doc, target, inputs, frame.depth + 1)
    if outcome.status == "succeeded":
        return None
    cause = outcome.error.message if outcome.error is not None else "it failed"
    return Failure(
        "retry_workflow_failed",
        execution.redactor.mask(f"{what}, which failed: {cause}; the step is not retried"),
        wf_id,
        step.step_id,
        outcome.error.status_code if outcome.error is not None else None,
        action=action.name,
    )
