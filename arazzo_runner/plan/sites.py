"""Every place of a compiled workflow that holds runtime expressions, with its JSON pointer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ..language.criteria import Criterion
from ..language.expressions import CompiledValue, Expression
from ..sources.pointer import escape_pointer_token
from .model import Action, CriterionSpec, Step, Workflow

__all__ = ["Site", "criterion_expressions", "iter_sites"]

Where = Literal["parameter", "body", "criterion", "action", "step-output", "workflow-output"]


@dataclass(frozen=True)
class Site:
    """One runtime expression, where it is used and the JSON pointer of the value holding it."""

    expression: Expression
    where: Where
    pointer: str
    step: Step | None = None
    action: Action | None = None
    action_list: str | None = None  # "onSuccess" | "onFailure"
    criterion: CriterionSpec | None = None
    output_name: str | None = None


def _pointer(location: object, default: str) -> str:
    pointer = getattr(location, "pointer", None)
    return pointer if isinstance(pointer, str) else default


def criterion_expressions(criterion: Criterion) -> Iterator[Expression]:
    # Only runtime-expression nodes: a condition walker may also hand back operator nodes.
    for expression in criterion.expressions():
        if isinstance(expression, Expression):
            yield expression


def _criterion_pointer(spec: CriterionSpec, expression: Expression) -> str:
    base = _pointer(spec.location, "")
    crit = spec.criterion
    if crit.context_expression is not None and expression is crit.context_expression:
        return base + "/context"
    return base + "/condition"


def _value_sites(
    value: CompiledValue, pointer: str, where: Where, step: Step | None, output: str | None = None
) -> Iterator[Site]:
    for expression in value.expressions():
        yield Site(expression, where, pointer, step, output_name=output)


def iter_sites(workflow: Workflow) -> Iterator[Site]:
    wf_pointer = _pointer(workflow.location, "")
    for step in workflow.steps:
        step_pointer = _pointer(step.location, "")
        for param in step.parameters:
            yield from _value_sites(param.value, _pointer(param.pointer, step_pointer) + "/value", "parameter", step)
        body = step.request_body
        if body is not None:
            body_pointer = _pointer(body.location, step_pointer + "/requestBody")
            if body.payload is not None:
                yield from _value_sites(body.payload, body_pointer + "/payload", "body", step)
            for i, rep in enumerate(body.replacements):
                yield from _value_sites(rep.value, f"{body_pointer}/replacements/{i}/value", "body", step)
        for spec in step.success_criteria:
            for expression in criterion_expressions(spec.criterion):
                yield Site(expression, "criterion", _criterion_pointer(spec, expression), step, criterion=spec)
        for label, actions in (("onSuccess", step.on_success), ("onFailure", step.on_failure)):
            for action in actions:
                for spec in action.criteria:
                    for expression in criterion_expressions(spec.criterion):
                        yield Site(
                            expression, "action", _criterion_pointer(spec, expression), step, action, label, spec
                        )
        for name, value in step.outputs:
            yield from _value_sites(
                value, f"{step_pointer}/outputs/{escape_pointer_token(name)}", "step-output", step, name
            )
    for name, value in workflow.outputs:
        yield from _value_sites(
            value, f"{wf_pointer}/outputs/{escape_pointer_token(name)}", "workflow-output", None, name
        )
