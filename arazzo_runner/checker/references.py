"""Reference rules over the compiled document: what every runtime expression names must exist, and be there.

The loader already resolves operations, workflow ids, action step ids,
components and ``dependsOn``; these rules cover the expressions themselves:
``$steps`` (the step, its output, and whether it can have run yet on some
path through the workflow's control flow), ``$inputs``, ``$workflows``,
``$outputs``, ``$components``, ``$sourceDescriptions``, and HTTP expressions
used where there is no request or response.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..compile.versions import minor_version
from ..errors import ArazzoError
from ..language.expressions import (
    ComponentExpression,
    Expression,
    HttpExpression,
    MethodExpression,
    OutputExpression,
    SourceDescriptionExpression,
    StatusCodeExpression,
    StepOutputExpression,
    UrlExpression,
    WorkflowExpression,
)
from ..language.expressions.template import (
    ArrayValue,
    CompiledValue,
    LiteralValue,
    ObjectValue,
    TemplateValue,
)
from ..plan.model import ArazzoDocument, Workflow
from ..plan.rules import as_list
from ..plan.sites import Site, iter_sites
from ..sources.pointer import escape_pointer_token
from .report import Report

__all__ = ["check_references", "declared_names", "reachability"]

_HTTP = (UrlExpression, MethodExpression, StatusCodeExpression, HttpExpression)
_LOOKS_LIKE = re.compile(
    r"\$(inputs|steps|outputs|workflows|response|request|components|sourceDescriptions)\.[A-Za-z0-9_]|\$(statusCode|url|method)\b"
)


def _run_order(workflow: Workflow, raw_steps: list[Any]) -> list[int]:
    """The indices of ``raw_steps`` in the order the compiled workflow runs them (as written unless 1.1 reordered)."""
    ids = [s.get("stepId") if isinstance(s, Mapping) else None for s in raw_steps]
    compiled = [s.step_id for s in workflow.steps]
    if len(compiled) != len(ids) or compiled == ids or sorted(compiled) != sorted(str(i) for i in ids):
        return list(range(len(raw_steps)))
    return [ids.index(step_id) for step_id in compiled]


def reachability(workflow: Workflow, raw_steps: list[Any]) -> tuple[dict[int, set[int]], dict[str, int]]:
    """``reach[i]``: the steps that can run after step ``i`` completes (one or more transitions)."""
    index: dict[str, int] = {
        str(s["stepId"]): i
        for i, s in enumerate(raw_steps)
        if isinstance(s, Mapping) and isinstance(s.get("stepId"), str)
    }
    compiled = {s.step_id: s for s in workflow.steps}
    edges: dict[int, set[int]] = {i: set() for i in range(len(raw_steps))}
    for i, raw in enumerate(raw_steps):
        step = compiled.get(str(raw.get("stepId"))) if isinstance(raw, Mapping) else None
        nxt = i + 1 if i + 1 < len(raw_steps) else None
        if step is None:
            if nxt is not None:
                edges[i].add(nxt)
            continue
        always = False
        for action in step.on_success:
            if action.kind == "goto" and action.step_id in index:
                edges[i].add(index[action.step_id])
            if not action.criteria:
                always = True  # the first action without criteria always matches
                break
        if not always and nxt is not None:
            edges[i].add(nxt)
        for action in step.on_failure:
            if action.kind == "goto" and action.step_id in index:
                edges[i].add(index[action.step_id])
            elif action.kind == "retry":
                edges[i].add(i)
                if action.step_id in index:
                    target = index[action.step_id]
                    edges[i].add(target)
                    edges[target].add(i)  # the target runs, then this step is retried
            if not action.criteria:
                break
    reach: dict[int, set[int]] = {}
    for start in edges:
        seen: set[int] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(edges[node])
        reach[start] = seen
    return reach, index


def declared_names(schema: Any, depth: int = 0) -> set[str] | None:
    """Top-level property names an inputs schema declares (None: it does not say)."""
    if depth > 16 or not isinstance(schema, Mapping):
        return None
    names: set[str] = set()
    said = False
    props = schema.get("properties")
    if isinstance(props, Mapping):
        names.update(str(k) for k in props)
        said = True
    for group in ("allOf", "anyOf", "oneOf"):
        for branch in as_list(schema.get(group)):
            sub = declared_names(branch, depth + 1)
            if sub is None:
                if group == "allOf":
                    continue
                return None
            names |= sub
            said = True
    if schema.get("patternProperties") or schema.get("additionalProperties") not in (None, False):
        return None
    if not said and schema.get("additionalProperties") is not False:
        return None if schema.get("type") not in (None, "object") or "$ref" in schema else names
    return names


def _dotted_ok(name: str, declared: set[str]) -> bool:
    if name in declared:
        return True
    return any(name.startswith(key + ".") for key in declared)


class _ReferenceChecker:
    def __init__(self, doc: ArazzoDocument, report: Report) -> None:
        self.doc = doc
        self.r = report
        self.raw_workflows = [w for w in as_list(doc.data.get("workflows")) if isinstance(w, Mapping)]
        self.all_workflows: dict[str, Workflow] = {}
        for other in doc.documents.arazzo.values():
            for wf_id, wf in other.workflows.items():
                self.all_workflows.setdefault(wf_id, wf)
        self.all_workflows.update(doc.workflows)

    def run(self) -> None:
        for i, raw in enumerate(as_list(self.doc.data.get("workflows"))):
            if not isinstance(raw, Mapping):
                continue
            wf_id = raw.get("workflowId")
            wf = (
                self.doc.workflows.get(wf_id) if isinstance(wf_id, str) else None
            )  # a non-string id is reported elsewhere
            if wf is None or getattr(wf.location, "pointer", None) != f"/workflows/{i}":
                continue
            self.workflow(wf, raw, f"/workflows/{i}")
        self.literals()

    # -- one workflow ------------------------------------------------------
    def workflow(self, wf: Workflow, raw: Mapping[str, Any], pointer: str) -> None:
        written = as_list(raw.get("steps"))
        order = _run_order(wf, written)  # 1.1: dependsOn may run the steps in another order than written
        raw_steps = [written[j] for j in order]
        reach, index = reachability(wf, raw_steps)
        self.reach, self.index = reach, index
        self.raw_steps = raw_steps
        self.step_outputs: dict[str, set[str]] = {}
        for s in raw_steps:
            if isinstance(s, Mapping) and isinstance(s.get("stepId"), str):
                outs = s.get("outputs")
                self.step_outputs[s["stepId"]] = {str(k) for k in outs} if isinstance(outs, Mapping) else set()
        for i in range(1, len(raw_steps)):
            if i not in reach.get(0, set()):
                sid = raw_steps[i].get("stepId") if isinstance(raw_steps[i], Mapping) else i
                self.r.add(
                    "ARZ111",
                    f"step {sid!r} can never run: no step continues to it (it follows an action that always "
                    "ends or jumps elsewhere, and no goto names it)",
                    f"{pointer}/steps/{order[i]}",
                )
        wf_outputs_seen: list[str] = []
        for site in iter_sites(wf):
            self.site(wf, site, wf_outputs_seen)

    def site(self, wf: Workflow, site: Site, seen_outputs: list[str]) -> None:
        e = site.expression
        text = str(e)
        if isinstance(e, StepOutputExpression):
            self.step_reference(wf, site, e)
        # An undeclared $inputs name is the loader's ARZ112 (compile/scope.py, over the same sites).
        elif isinstance(e, WorkflowExpression):
            target = self.all_workflows.get(e.workflow)
            if target is None:
                self.r.add("ARZ113", f"{text}: there is no workflow {e.workflow!r}", site.pointer, find=text)
            else:
                names = (
                    {n for n, _ in target.outputs}
                    if e.kind == "outputs"
                    else declared_names(target.inputs_schema)
                    if target.inputs_schema is not None
                    else set()
                )
                if names is not None and not _dotted_ok(e.field_name, names):
                    self.r.add(
                        "ARZ113",
                        f"{text}: workflow {e.workflow!r} declares no {e.kind[:-1]} {e.field_name!r} "
                        f"({e.kind}: {', '.join(sorted(names)) or 'none'})",
                        site.pointer,
                        find=text,
                    )
        elif isinstance(e, OutputExpression):
            self.outputs_reference(wf, site, e, seen_outputs)
        elif isinstance(e, ComponentExpression):
            group = self.doc.components.get(e.kind) if isinstance(self.doc.components, Mapping) else None
            if not isinstance(group, Mapping) or not _dotted_ok(e.key, {str(k) for k in group}):
                self.r.add("ARZ116", f"{text}: there is no component {e.kind}.{e.key}", site.pointer, find=text)
        elif isinstance(e, SourceDescriptionExpression):
            self.source_reference(site, e)
        if isinstance(e, _HTTP):
            self.http_reference(site, e)
        if site.where == "workflow-output" and site.output_name and site.output_name not in seen_outputs:
            seen_outputs.append(site.output_name)

    def step_reference(self, wf: Workflow, site: Site, e: StepOutputExpression) -> None:
        text = str(e)
        target = self.index.get(e.step)
        if target is None:
            return  # the loader reports it (ARZ017)
        # An undeclared output is the loader's ARZ018.
        if site.where == "workflow-output":
            if target != 0 and target not in self.reach.get(0, set()):
                self.r.add(
                    "ARZ110",
                    f"{text}: step {e.step!r} never runs, so this output can never be set",
                    site.pointer,
                    find=text,
                )
            return
        assert site.step is not None
        here = self.index.get(site.step.step_id)
        if here is None:
            return
        if minor_version(self.doc.arazzo_version) == "1.1" and (target > here or any(s.depends_on for s in wf.steps)):
            return  # 1.1: the steps run in dependency order, and a forward reference is the loader's ARZ153
        after_request = site.where in ("action", "step-output")
        if here in self.reach.get(target, set()) or (after_request and here == target):
            return
        if here == target:
            why = "its own outputs are set only after its request is sent and its successCriteria are checked"
        elif target > here:
            why = f"{e.step!r} comes later and no goto or retry leads from it back to {site.step.step_id!r}"
        else:
            why = f"no path leads from {e.step!r} to {site.step.step_id!r}"
        self.r.add(
            "ARZ110",
            f"{text}: step {e.step!r} cannot have run yet when step {site.step.step_id!r} reads it: {why}",
            site.pointer,
            find=text,
        )

    def outputs_reference(self, wf: Workflow, site: Site, e: OutputExpression, seen: list[str]) -> None:
        text = str(e)
        step = site.step
        if site.where == "workflow-output":
            if not _dotted_ok(e.output_name, set(seen)):
                self.r.add(
                    "ARZ114",
                    f"{text}: in workflow outputs, $outputs reads only the outputs listed before this one "
                    f"({', '.join(seen) or 'none'})",
                    site.pointer,
                    find=text,
                )
            return
        if step is None or step.workflow is None or site.where in ("parameter", "body"):
            where = "a parameter or request body" if site.where in ("parameter", "body") else "an operation step"
            self.r.add(
                "ARZ114",
                f"{text}: $outputs has no value in {where}; it is only defined in workflow outputs and in "
                "the outputs and criteria of a workflowId step (DEC-14)",
                site.pointer,
                find=text,
            )
            return
        self.r.add(
            "ARZ106",
            f"{text}: reads the outputs of the called workflow {str(step.workflow)!r}; the 1.0.1 text only "
            "calls $outputs 'a workflow output value', so other tools may read it differently (DEC-14)",
            site.pointer,
            find=text,
        )
        try:
            _, child = self.doc.resolve_workflow(step.workflow)
        except (KeyError, ArazzoError):  # an unresolved child was reported by the loader
            return
        names = {n for n, _ in child.outputs}
        if not _dotted_ok(e.output_name, names):
            self.r.add(
                "ARZ114",
                f"{text}: workflow {child.workflow_id!r} declares no output {e.output_name!r} "
                f"(outputs: {', '.join(sorted(names)) or 'none'})",
                site.pointer,
                find=text,
            )

    def source_reference(self, site: Site, e: SourceDescriptionExpression) -> None:
        text = str(e)
        source = self.doc.sources.get(e.source)
        if source is None:
            close = [n for n in self.doc.sources if n.lower() == e.source.lower()]
            hint = f" (names are case-sensitive: {close[0]!r})" if close else ""
            self.r.add("ARZ116", f"{text}: there is no source description {e.source!r}{hint}", site.pointer, find=text)
            return
        if e.field == "url":
            return
        description = self.doc.documents.openapi.get(source.url)
        if description is not None and e.field not in description.operations_by_id:
            self.r.add(
                "ARZ116",
                f"{text}: source {e.source!r} has no operation {e.field!r} (and the field is not 'url')",
                site.pointer,
                find=text,
            )

    def http_reference(self, site: Site, e: Expression) -> None:
        text = str(e)
        step = site.step
        if site.where == "workflow-output":
            self.r.add(
                "ARZ115",
                f"{text}: workflow outputs are evaluated after the last step; map the value to a step "
                "output and read it with $steps.<stepId>.outputs.<name>",
                site.pointer,
                find=text,
            )
            return
        if site.where in ("parameter", "body") and not (isinstance(e, HttpExpression) and e.side == "request"):
            self.r.add(
                "ARZ115",
                f"{text}: there is no response yet while the step's request is being built",
                site.pointer,
                find=text,
            )
            return
        if site.where in ("parameter", "body"):
            self.r.add(
                "ARZ115",
                f"{text}: the request is still being built here; it cannot read itself",
                site.pointer,
                find=text,
            )
            return
        if step is not None and step.workflow is not None:
            self.r.add(
                "ARZ105",
                f"{text}: step {step.step_id!r} calls a workflow, not an operation; reading the last HTTP "
                "exchange of the called workflow is this runner's choice and not portable (DEC-52)",
                site.pointer,
                find=text,
            )

    # -- literal text that looks like an expression ---------------------------
    def literals(self) -> None:
        for wf in self.doc.workflows.values():
            for step in wf.steps:
                step_pointer = getattr(step.location, "pointer", "") or ""
                for param in step.parameters:
                    self.literal(param.value, (getattr(param.pointer, "pointer", None) or step_pointer) + "/value")
                body = step.request_body
                if body is not None and body.payload is not None:
                    self.literal(
                        body.payload,
                        (getattr(body.location, "pointer", None) or step_pointer + "/requestBody") + "/payload",
                    )
                for name, value in step.outputs:
                    self.literal(value, f"{step_pointer}/outputs/{escape_pointer_token(name)}")
            wf_pointer = getattr(wf.location, "pointer", "") or ""
            for name, value in wf.outputs:
                self.literal(value, f"{wf_pointer}/outputs/{escape_pointer_token(name)}")

    def literal(self, value: CompiledValue, pointer: str) -> None:
        if isinstance(value, ObjectValue):
            for key, item in value.items:
                self.literal(item, f"{pointer}/{escape_pointer_token(str(key))}")
        elif isinstance(value, ArrayValue):
            for i, item in enumerate(value.items):
                self.literal(item, f"{pointer}/{i}")
        elif isinstance(value, LiteralValue) and isinstance(value.value, str):
            self.looks_like(value.value, value.value, pointer)
        elif isinstance(value, TemplateValue):
            for part in value.parts:
                if isinstance(part, str):
                    self.looks_like(part, value.source, pointer)

    def looks_like(self, text: str, whole: str, pointer: str) -> None:
        match = _LOOKS_LIKE.search(text)
        if match is None:
            return
        start = match.start()
        fragment = re.match(r"\S+", text[start:])
        shown = fragment.group(0) if fragment else match.group(0)
        if whole.startswith("$") and text == whole:
            return  # a whole string that fails to parse: the loader's ARZ019
        self.r.add(
            "ARZ102",
            f"{shown!r} in {whole!r} is literal text, not an expression: embed it as "
            f"{{{shown.rstrip('}')}}} to have it evaluated",
            pointer,
            find=shown,
        )


def check_references(doc: ArazzoDocument, report: Report) -> None:
    _ReferenceChecker(doc, report).run()
