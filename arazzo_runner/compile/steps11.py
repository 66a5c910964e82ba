"""The Arazzo 1.1 parts of steps and actions: timeout, step dependsOn, AsyncAPI steps, action parameters.

Called from :mod:`.steps` and :mod:`.document` for 1.1 documents only.

* ``timeout`` (V11-15): whole milliseconds; kept on the step, enforced by the engine.
* step ``dependsOn`` (V11-16, V11-17): a local stepId,
  ``$workflows.<id>.steps.<stepId>`` or
  ``$sourceDescriptions.<name>.<workflowId>.steps.<stepId>``; every one must
  name a step that exists. Local ones, and ``$steps.X.outputs`` references
  (implicit dependencies), order the workflow's steps: the steps are put in
  the order written wherever that satisfies every dependency, and moved
  after what they depend on otherwise. A cycle is an error. In a workflow
  without any step ``dependsOn``, reading a later step's outputs is an error
  (the specification's validation recommendation).
* AsyncAPI steps (V11-19): loaded and checked, their target kept; a run that
  reaches one fails that step ("AsyncAPI steps are not executed yet").
* action ``parameters`` (V11-20): mapped to the inputs of the workflow the
  action runs; ``in`` is not allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..plan.model import Parameter, Step
from ..plan.rules import as_list as _list

if TYPE_CHECKING:  # pragma: no cover
    from .base import DocumentScope
    from .steps import StepCompiler

__all__ = ["action_parameters", "asyncapi_step", "asyncapi_target", "depends_on", "order_steps", "step_timeout"]

_CROSS_WORKFLOW = re.compile(r"^\$workflows\.([^.]+)\.steps\.([^.]+)$")
_CROSS_DOCUMENT = re.compile(r"^\$sourceDescriptions\.([^.]+)\.([^.]+)\.steps\.([^.]+)$")


def step_timeout(compiler: DocumentScope, raw: Mapping[str, Any], pointer: str) -> int | None:
    if "timeout" not in raw:
        return None
    value = raw["timeout"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        compiler.error(
            f"{pointer}/timeout", f"'timeout' must be a whole number of milliseconds >= 0, not {value!r}", "ARZ158"
        )
        return None
    return value


def asyncapi_target(compiler: DocumentScope, raw: Mapping[str, Any], pointer: str) -> str | None:
    """The AsyncAPI operation or channel a step names, or None for an HTTP or workflow step."""
    if "workflowId" in raw:
        return None
    target = raw.get("channelPath") or raw.get("operationId")
    if not isinstance(target, str):
        return None
    is_async = "channelPath" in raw or "action" in raw
    if not is_async and target.startswith("$sourceDescriptions."):
        source = compiler.sources.get(target[len("$sourceDescriptions.") :].partition(".")[0])
        is_async = source is not None and source.type == "asyncapi"
    elif not is_async and "operationId" in raw:
        kinds = {source.type for source in compiler.sources.values()}
        is_async = "asyncapi" in kinds and "openapi" not in kinds
    if not is_async:
        return None
    if compiler.asyncapi_sources:  # read: the step is bound and run (compile/asyncsteps.py)
        return target
    compiler.warning(
        pointer,
        f"step {raw.get('stepId')!r} is an AsyncAPI step ({target}); AsyncAPI steps are not executed yet: "
        "it loads and is checked, and a run that reaches it fails that step",
        "ARZ159",
    )
    return target


def depends_on(compiler: DocumentScope, raw: Mapping[str, Any], pointer: str) -> tuple[str, ...]:
    entries = compiler.object_list(raw, "dependsOn", pointer)
    if "dependsOn" in raw and not entries and isinstance(raw["dependsOn"], list):
        compiler.error(f"{pointer}/dependsOn", "'dependsOn' must list at least one step", "ARZ152")
    result: list[str] = []
    for i, entry in enumerate(entries):
        here = f"{pointer}/dependsOn/{i}"
        if not isinstance(entry, str) or not entry:
            compiler.error(here, f"a dependsOn entry must be a stepId string, not {entry!r}", "ARZ152")
            continue
        if entry in result:
            compiler.error(here, f"dependsOn lists {entry!r} twice", "ARZ005")
            continue
        if entry.startswith("$") and not (_CROSS_WORKFLOW.match(entry) or _CROSS_DOCUMENT.match(entry)):
            compiler.error(
                here,
                f"dependsOn entry {entry!r} must be a stepId, $workflows.<workflowId>.steps.<stepId> or "
                "$sourceDescriptions.<name>.<workflowId>.steps.<stepId>",
                "ARZ152",
            )
            continue
        if not _check_remote(compiler, entry, here):
            continue
        result.append(entry)
    return tuple(result)


def _check_remote(compiler: DocumentScope, entry: str, here: str) -> bool:
    """A cross-workflow or cross-document entry must name a step that exists."""
    cross = _CROSS_WORKFLOW.match(entry)
    document_data: Any = None
    if cross is not None:
        wf_id, step_id = cross.groups()
        document_data, where = compiler.data, "this document"
    else:
        remote = _CROSS_DOCUMENT.match(entry)
        if remote is None:
            return True  # a local stepId: checked with the workflow's steps
        name, wf_id, step_id = remote.groups()
        source = compiler.sources.get(name)
        if source is None or source.type != "arazzo":
            compiler.error(here, f"{entry!r}: {name!r} is not an arazzo source description", "ARZ152")
            return False
        raw = compiler.context.documents.get(source.url)
        if raw is None:
            return False  # its loading error was already reported
        document_data, where = raw.data, raw.display
    for workflow in _list(document_data.get("workflows") if isinstance(document_data, Mapping) else None):
        if isinstance(workflow, Mapping) and workflow.get("workflowId") == wf_id:
            ids = [s.get("stepId") for s in _list(workflow.get("steps")) if isinstance(s, Mapping)]
            if step_id in ids:
                return True
            compiler.error(
                here,
                f"{entry!r}: workflow {wf_id!r} has no step {step_id!r} (steps: {', '.join(map(str, ids))})",
                "ARZ152",
            )
            return False
    compiler.error(here, f"{entry!r}: no workflow {wf_id!r} in {where}", "ARZ152")
    return False


def action_parameters(
    steps: StepCompiler, raw: Mapping[str, Any], pointer: str, runs_workflow: bool
) -> tuple[Parameter, ...]:
    compiler = steps.scope
    if "parameters" not in raw:
        return ()
    if not runs_workflow:
        compiler.error(
            f"{pointer}/parameters",
            "action 'parameters' are the inputs of the workflow it runs: the action needs a 'workflowId'",
            "ARZ157",
        )
        return ()
    items = compiler.object_list(raw, "parameters", pointer)
    for i, item in enumerate(items):
        if isinstance(item, Mapping) and "in" in item:
            compiler.error(
                f"{pointer}/parameters/{i}/in",
                f"parameter {item.get('name')!r} of an action maps to a workflow input: 'in' must not be used",
                "ARZ157",
            )
    return tuple(steps.parameters(items, f"{pointer}/parameters"))


def order_steps(compiler: DocumentScope, wf_id: str, steps: list[Step], pointer: str) -> list[Step]:
    """The steps in an order that satisfies every dependency (V11-16), or as written when there are none."""
    ids = [step.step_id for step in steps]
    position = {step_id: i for i, step_id in enumerate(ids)}
    explicit = any(step.depends_on for step in steps)
    needs: dict[str, list[str]] = {}
    for i, step in enumerate(steps):
        wanted: list[str] = []
        for j, entry in enumerate(step.depends_on):
            if entry.startswith("$"):
                continue  # another workflow's step: checked at load, an ordering inside this workflow cannot help
            if entry not in position:
                compiler.error(
                    _at(step, pointer, f"/dependsOn/{j}"),
                    f"dependsOn names step {entry!r}, which is not a step of workflow {wf_id!r} "
                    f"(steps: {', '.join(ids)})",
                    "ARZ152",
                )
                continue
            wanted.append(entry)
        for expression in _reads(step):
            target = expression.step_id
            if target is None or target not in position or target == step.step_id or target in wanted:
                continue
            if not explicit and position[target] > i:
                compiler.error(
                    _at(step, pointer, ""),
                    f"step {step.step_id!r} reads {expression}, but step {target!r} comes later in workflow "
                    f"{wf_id!r}: in a workflow without dependsOn steps run in the order written, so that value "
                    f"is never there; move {target!r} before {step.step_id!r} or declare dependsOn",
                    "ARZ153",
                )
                continue
            wanted.append(target)
        needs[step.step_id] = wanted
    if not explicit:
        return steps
    ordered: list[str] = []
    state: dict[str, int] = {}  # 1: being placed, 2: placed

    def place(step_id: str, chain: list[str]) -> bool:
        if state.get(step_id) == 2:
            return True
        if state.get(step_id) == 1:
            cycle = [*chain[chain.index(step_id) :], step_id]
            compiler.error(
                _at(steps[position[step_id]], pointer, ""),
                f"steps of workflow {wf_id!r} depend on each other in a cycle: {' -> '.join(cycle)}",
                "ARZ152",
            )
            return False
        state[step_id] = 1
        for dependency in needs[step_id]:
            if not place(dependency, [*chain, step_id]):
                return False
        state[step_id] = 2
        ordered.append(step_id)
        return True

    for step_id in ids:
        if not place(step_id, []):
            return steps
    return [replace(steps[position[step_id]], index=i) for i, step_id in enumerate(ordered)]


def _reads(step: Step) -> list[Any]:
    """The ``$steps.X…`` expressions a step reads before it runs (parameters, body) or as it ends."""
    found: list[Any] = []
    values = [param.value for param in step.parameters]
    if step.request_body is not None:
        if step.request_body.payload is not None:
            values.append(step.request_body.payload)
        values.extend(r.value for r in step.request_body.replacements)
    values.extend(value for _, value in step.outputs)
    for value in values:
        found.extend(e for e in value.expressions() if e.root == "steps")
    for spec in step.success_criteria:
        found.extend(e for e in spec.criterion.expressions() if e.root == "steps")
    return found


def _at(step: Step, pointer: str, suffix: str) -> str:
    base = step.location.pointer if step.location is not None and step.location.pointer else pointer
    return base + suffix


def asyncapi_step(
    steps: StepCompiler,
    raw: Mapping[str, Any],
    pointer: str,
    index: int,
    step_id: str,
    wf_success: list[Any],
    wf_failure: list[Any],
) -> Step:
    """An AsyncAPI step as the plan keeps it: its target and actions; nothing to send (V11-19)."""
    from .steps import merge_actions

    compiler = steps.scope
    on_success = steps.actions(compiler.object_list(raw, "onSuccess", pointer), f"{pointer}/onSuccess", "success")
    on_failure = steps.actions(compiler.object_list(raw, "onFailure", pointer), f"{pointer}/onFailure", "failure")
    target = raw.get("channelPath") or raw.get("operationId")
    return Step(
        step_id=step_id,
        index=index,
        description=raw.get("description") if isinstance(raw.get("description"), str) else None,
        operation=None,
        workflow=None,
        parameters=(),
        request_body=None,
        success_criteria=(),
        on_success=tuple(merge_actions(on_success, wf_success)),
        on_failure=tuple(merge_actions(on_failure, wf_failure)),
        outputs=(),
        location=compiler.loc(pointer),
        timeout_ms=step_timeout(compiler, raw, pointer),
        depends_on=depends_on(compiler, raw, pointer),
        asyncapi_target=str(target),
    )
