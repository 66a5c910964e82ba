"""What the engine does for Arazzo 1.1 steps and actions: step ``timeout``, action ``parameters``, AsyncAPI steps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from ..errors import EvaluationError, UnresolvedExpression
from ..language.expressions import EvalContext
from ..language.expressions.template import is_absent_optional_input
from ..plan.model import Action, Step
from ..result import StepResult
from .async_steps import async_step_hook
from .state import StepOutcome
from .transport import Exchange

__all__ = [
    "ASYNCAPI_NOT_EXECUTED",
    "action_inputs",
    "async_step_hook",
    "asyncapi_message",
    "guarded_step",
    "ready",
    "refuse_step",
    "timed_out_message",
    "unmet_dependency",
    "within_timeout",
]

T = TypeVar("T")

ASYNCAPI_NOT_EXECUTED = "AsyncAPI steps are not executed yet"


async def within_timeout(work: Awaitable[T], step: Step) -> tuple[bool, T | None]:
    """``(True, result)``, or ``(False, None)`` when the step's ``timeout`` ran out first (V11-15).

    Everything the step does counts: building the request, security (token
    fetches), sending, reading the answer, a child workflow's whole run.
    """
    if step.timeout_ms is None:
        return True, await work
    try:
        return True, await asyncio.wait_for(work, step.timeout_ms / 1000)
    except asyncio.TimeoutError:
        return False, None


def timed_out_message(step: Step) -> str:
    return f"the step did not complete within its timeout of {step.timeout_ms} ms (step 'timeout')"


def asyncapi_message(step: Step) -> str:
    return f"{ASYNCAPI_NOT_EXECUTED}: step {step.step_id!r} targets {step.asyncapi_target}"


def action_inputs(action: Action, ctx: EvalContext | None, inputs: dict[str, Any]) -> str | None:
    """Add the action's ``parameters`` to ``inputs`` for the workflow it runs (V11-20); an error text, or None."""
    if not action.parameters or ctx is None:
        return None
    for param in action.parameters:
        try:
            inputs[param.name] = param.value.evaluate(ctx)
        except EvaluationError as exc:
            if isinstance(exc, UnresolvedExpression) and is_absent_optional_input(param.value, ctx):
                continue
            return f"action {action.name!r}: parameter {param.name!r}: {exc.message}"
    return None


def unmet_dependency(step: Step, results: list[StepResult]) -> str | None:
    """Why a step may not run yet: a ``dependsOn`` step of another workflow that has not completed (V11-16).

    Steps of the same workflow are ordered at load; a step of another workflow
    (``$workflows.<id>.steps.<stepId>``, or the same form through an arazzo
    source) must have succeeded earlier in this run: it is a join point, not
    a call, so nothing is run for it.
    """
    for entry in step.depends_on:
        if not entry.startswith("$"):
            continue
        parts = entry.split(".")
        workflow_id, step_id = parts[-3], parts[-1]
        if not any(r.succeeded and r.workflow_id == workflow_id and r.step_id == step_id for r in results):
            return (
                f"it depends on {entry}, which has not completed in this run; dependsOn does not run it: "
                f"run workflow {workflow_id!r} first (for example, list it in the workflow's dependsOn)"
            )
    return None


def refuse_step(step: Step, results: list[StepResult]) -> tuple[str, str] | None:
    """``(reason, message)`` when a 1.1 step may not run: an AsyncAPI step, or an unmet dependency."""
    if step.asyncapi_target is not None and step.asyncapi is None:  # its AsyncAPI source could not be read
        return "unsupported_step", asyncapi_message(step)
    unmet = unmet_dependency(step, results)
    return None if unmet is None else ("dependency_failed", unmet)


def refused_outcome(step: Step, results: list[StepResult]) -> StepOutcome | None:
    """The failed outcome of a step the Arazzo 1.1 rules refuse (AsyncAPI source unread, unmet dependency),
    decided before its work is even created."""
    refused = refuse_step(step, results) if step.asyncapi_target is not None or step.depends_on else None
    return None if refused is None else StepOutcome(False, Exchange(), {}, refused[1], reason=refused[0])


async def ready(outcome: StepOutcome) -> StepOutcome:
    """An outcome decided before any work, awaitable like the work of a step."""
    return outcome


async def guarded_step(step: Step, work: Coroutine[Any, Any, StepOutcome]) -> StepOutcome:
    """Run a step's ``work`` under the Arazzo 1.1 rules: bounded by its ``timeout``."""
    if step.asyncapi is not None:  # a receive step's timeout is its own wait (engine/async_steps.py)
        return await work
    finished, outcome = await within_timeout(work, step)
    if outcome is None or not finished:  # V11-15
        return StepOutcome(False, Exchange(), {}, timed_out_message(step), reason="step_timeout")
    return outcome
