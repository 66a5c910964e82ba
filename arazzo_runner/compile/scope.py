"""Scope checks on a compiled workflow: what ``$steps.X`` and ``$inputs.X`` may name.

Both walk the workflow's expression sites with :func:`arazzo_runner.plan.sites.iter_sites`,
the same walk ``check`` uses, so a finding has the same JSON pointer from both.
"""

from __future__ import annotations

from ..errors import Location
from ..language.expressions import InputExpression
from ..plan.inputs import InputNames
from ..plan.model import Workflow
from ..plan.sites import Site, iter_sites
from .base import DocumentScope

__all__ = ["check_input_scope", "check_step_scope"]


def check_step_scope(scope: DocumentScope, workflow: Workflow) -> None:
    """DEC-14/T-59: ``$steps.X`` must name a step of this workflow (a child's steps are out of scope)."""
    declared = {step.step_id: {name for name, _ in step.outputs} for step in workflow.steps}
    reported: set[tuple[str, str]] = set()
    wf_id = workflow.workflow_id
    for site in iter_sites(workflow):
        expression = site.expression
        step_id = expression.step_id if expression.root == "steps" else None
        if step_id is None or (step_id, str(expression)) in reported:
            continue
        reported.add((step_id, str(expression)))
        where = _owner(scope, site)
        if step_id not in declared:
            known = ", ".join(declared) or "(none)"
            scope.diag.error(
                "ARZ017",
                f"{expression} names step {step_id!r}, which is not a step of workflow {wf_id!r} "
                f"(steps: {known}); $steps only reaches the current workflow's steps — "
                "expose a child workflow's values through its outputs and $outputs/$workflows",
                where,
            )
            continue
        name = expression.name or ""
        names = declared[step_id]
        if name not in names and not any(name.startswith(n + ".") for n in names):
            scope.diag.warning(
                "ARZ018",
                f"{expression}: step {step_id!r} declares no output {name!r} "
                f"(outputs: {', '.join(sorted(names)) or '(none)'})",
                where,
            )


def _owner(scope: DocumentScope, site: Site) -> Location | None:
    """Where a step-reference finding is reported: the object holding the expression (parameter, body, criterion)."""
    if site.criterion is not None:
        return site.criterion.location
    if site.where == "parameter" and site.pointer.endswith("/value"):
        return scope.loc(site.pointer[: -len("/value")])
    if site.where == "body":
        head, found, _ = site.pointer.rpartition("/requestBody/")
        if found:
            return scope.loc(head + "/requestBody")
    return scope.loc(site.pointer)


def check_input_scope(scope: DocumentScope, workflow: Workflow, names: InputNames | None) -> None:
    """``$inputs.X`` must name an input the workflow's inputs schema declares (ARZ112, as ``check`` says).

    A schema that lists ``properties`` and lets no other name through makes an
    undeclared name an error: it is a typo, which would otherwise fail a step
    mid-run or be left out silently. A workflow with no inputs schema at all
    gets a warning.
    """
    if names is not None and names.open:
        return
    reported: set[tuple[str, str]] = set()
    wf_id = workflow.workflow_id
    for site in iter_sites(workflow):
        expression = site.expression
        if not isinstance(expression, InputExpression):
            continue
        name = expression.input_name
        if (site.pointer, name) in reported:
            continue
        if names is not None:
            if names.allows(name, dotted=True):
                continue
            reported.add((site.pointer, name))
            scope.error(
                site.pointer,
                f"{expression}: workflow {wf_id!r} declares no input {names.unknown_message(name)}",
                "ARZ112",
                find=str(expression),
            )
        else:
            reported.add((site.pointer, name))
            scope.warning(
                site.pointer,
                f"{expression}: workflow {wf_id!r} has no inputs schema listing its inputs, "
                f"so {name!r} cannot be checked before the run",
                "ARZ112",
                find=str(expression),
            )
