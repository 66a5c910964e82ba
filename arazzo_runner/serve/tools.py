"""Workflows as MCP tools: names, descriptions, input schemas, results and the Mermaid graph.

Pure functions over the loaded documents: no I/O, no MCP session, so each rule
is tested on its own.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..engine.redact import Redactor
from ..plan.model import ArazzoDocument, Step, Workflow
from ..result import WorkflowResult

__all__ = [
    "FIXED_TOOLS",
    "MAX_NAME_LENGTH",
    "WorkflowTool",
    "assign_names",
    "describe",
    "input_problems",
    "mermaid",
    "result_payload",
    "tool_description",
    "tool_input_schema",
    "workflow_summary",
]

MAX_NAME_LENGTH = 128  # what MCP clients accept for a tool name
_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]")

FIXED_TOOLS = ("arazzo_list_workflows", "arazzo_describe_workflow", "arazzo_check")


@dataclass(frozen=True)
class WorkflowTool:
    """One exposed workflow: its tool name, where it lives and the inputs the server fills in."""

    name: str
    document: ArazzoDocument
    workflow: Workflow
    filled: frozenset[str]  # inputs the server supplies (configured values and password inputs)
    values: Mapping[str, Any] = field(default_factory=dict, repr=False)  # the configured ones, typed


def _valid_name(text: str) -> str:
    name = _INVALID_NAME_CHARS.sub("_", text) or "workflow"
    return name[:MAX_NAME_LENGTH]


def _document_stem(document: ArazzoDocument) -> str:
    path = unquote(urlsplit(document.url).path)
    stem = os.path.basename(path)
    for suffix in (".yaml", ".yml", ".json"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    for suffix in (".arazzo",):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem or "document"


def assign_names(pairs: Iterable[tuple[ArazzoDocument, Workflow]]) -> list[tuple[str, ArazzoDocument, Workflow]]:
    """A tool name per workflow: its workflowId, with characters MCP does not allow turned into ``_``.

    When that name is taken by another served workflow (or is one of the fixed tools'),
    every workflow sharing it is named ``<document file stem>.<workflowId>`` instead; a
    name still taken gets ``-2``, ``-3``… Names stay within 128 characters, in file order.
    """
    items = list(pairs)
    plain = [_valid_name(workflow.workflow_id) for _, workflow in items]
    counts: dict[str, int] = {}
    for name in plain:
        counts[name] = counts.get(name, 0) + 1
    taken: set[str] = set(FIXED_TOOLS)
    named: list[tuple[str, ArazzoDocument, Workflow]] = []
    for (document, workflow), name in zip(items, plain, strict=True):
        if counts[name] > 1 or name in FIXED_TOOLS:
            name = _valid_name(f"{_document_stem(document)}.{workflow.workflow_id}")
        candidate, number = name, 2
        while candidate in taken:
            suffix = f"-{number}"
            candidate = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
            number += 1
        taken.add(candidate)
        named.append((candidate, document, workflow))
    return named


def _step_line(step: Step) -> str:
    if step.operation is not None:
        operation = step.operation.operation
        target = operation.label + (f" ({operation.operation_id})" if operation.operation_id else "")
    else:
        target = f"runs workflow {step.workflow}"
    text = f"- {step.step_id}: {target}"
    if step.description:
        text += " — " + " ".join(step.description.split())
    return text


def tool_description(workflow: Workflow, filled: Iterable[str] = ()) -> str:
    """The workflow's summary and description, then one line per step saying what it calls."""
    parts = [" ".join(text.split()) for text in (workflow.summary, workflow.description) if text]
    lines = ["\n\n".join(parts)] if parts else [f"Runs the Arazzo workflow {workflow.workflow_id!r}."]
    lines.append("\nSteps:")
    lines.extend(_step_line(step) for step in workflow.steps)
    supplied = sorted(filled)
    if supplied:
        lines.append("\nSupplied by the server (not arguments): " + ", ".join(supplied) + ".")
    return "\n".join(lines)


def tool_input_schema(workflow: Workflow, filled: Iterable[str]) -> dict[str, Any]:
    """The workflow's inputs JSON Schema (already self-contained), minus the inputs the server fills in."""
    schema: dict[str, Any] = copy.deepcopy(dict(workflow.inputs_schema or {}))
    schema.setdefault("type", "object")
    if schema.get("type") != "object" and "object" not in (schema.get("type") or []):
        schema["type"] = "object"
    removed = set(filled)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        schema["properties"] = {name: value for name, value in properties.items() if name not in removed}
    else:
        schema["properties"] = {}
    required = schema.get("required")
    if isinstance(required, list):
        kept = [name for name in required if name not in removed]
        if kept:
            schema["required"] = kept
        else:
            schema.pop("required")
    return schema


def filled_inputs(workflow: Workflow, configured: Iterable[str]) -> frozenset[str]:
    """The inputs of ``workflow`` the server supplies: configured ones it declares, and password inputs."""
    names = set(workflow.input_names())
    return frozenset((names & set(configured)) | set(workflow.secret_inputs))


def input_problems(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each way ``arguments`` break ``schema``: pointer, rule and message, in a stable order."""
    from jsonschema import Draft202012Validator

    problems: list[dict[str, str]] = []
    validator = Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(dict(arguments)), key=lambda e: (list(map(str, e.path)), e.validator)):
        path = list(error.path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            missing = [name for name in error.validator_value if name not in error.instance]
            for name in missing:
                pointer = "/".join(["", *map(str, path), str(name)])
                problems.append({"pointer": pointer, "rule": "required", "message": f"input {name!r} is required"})
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            allowed = set((error.schema.get("properties") or {}) if isinstance(error.schema, Mapping) else ())
            for name in sorted(set(error.instance) - allowed):
                pointer = "/".join(["", *map(str, path), str(name)])
                problems.append(
                    {"pointer": pointer, "rule": "additionalProperties", "message": f"unknown input {name!r}"}
                )
            continue
        pointer = "".join(f"/{segment}" for segment in path) or "/"
        problems.append({"pointer": pointer, "rule": str(error.validator), "message": error.message})
    return problems


def _mask(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor.mask(value)
    if isinstance(value, Mapping):
        return {str(key): _mask(item, redactor) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(item, redactor) for item in value]
    return value


def result_payload(result: WorkflowResult, redactor: Redactor) -> dict[str, Any]:
    """A run's result for the agent: status, outputs, steps and, on failure, the explanation; masked."""
    from ..cli.app import jsonable

    data = result.to_dict()
    payload: dict[str, Any] = {
        "status": data["status"],
        "workflowId": data["workflowId"],
        "outputs": data["outputs"],
        "steps": [
            {
                key: step[key]
                for key in ("stepId", "workflowId", "status", "statusCode", "method", "url", "attempt", "error")
                if step.get(key) is not None
            }
            for step in data["steps"]
        ],
    }
    if data.get("error"):
        error = data["error"]
        payload["error"] = {key: value for key, value in error.items() if value is not None}
    if data.get("warnings"):
        payload["warnings"] = data["warnings"]
    masked: dict[str, Any] = _mask(jsonable(payload), redactor)
    return masked


def workflow_summary(tool: WorkflowTool) -> dict[str, Any]:
    """One row of ``arazzo_list_workflows``: the tool, its workflow, inputs (minus server-filled) and outputs."""
    schema = tool_input_schema(tool.workflow, tool.filled)
    required = set(schema.get("required") or [])
    return {
        "tool": tool.name,
        "workflowId": tool.workflow.workflow_id,
        "document": tool.document.display,
        "summary": tool.workflow.summary,
        "inputs": [
            {
                "name": name,
                "type": prop.get("type") if isinstance(prop, Mapping) else None,
                "required": name in required,
                **({"description": prop["description"]} if isinstance(prop, Mapping) and "description" in prop else {}),
            }
            for name, prop in schema["properties"].items()
        ],
        "suppliedByServer": sorted(tool.filled),
        "outputs": [name for name, _ in tool.workflow.outputs],
    }


def _node(step_id: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", step_id)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(workflow: Workflow) -> str:
    """The workflow's steps as a Mermaid flowchart: the default next step, and every action's goto or end."""
    lines = ["flowchart TD", '  start(["start"])', '  finish(["end"])']
    steps = workflow.steps
    for step in steps:
        target = step.target_label
        lines.append(f'  {_node(step.step_id)}["{_label(step.step_id)}<br/>{_label(target)}"]')
    if steps:
        lines.append(f"  start --> {_node(steps[0].step_id)}")
    else:
        lines.append("  start --> finish")
    for index, step in enumerate(steps):
        node = _node(step.step_id)
        following = _node(steps[index + 1].step_id) if index + 1 < len(steps) else "finish"
        if not any(action.kind in ("end", "goto") and not action.criteria for action in step.on_success):
            lines.append(f"  {node} -->|success| {following}")
        for outcome, actions in (("success", step.on_success), ("failure", step.on_failure)):
            for action in actions:
                label = _label(f"{outcome}: {action.name}")
                if action.kind == "end":
                    lines.append(f'  {node} -->|"{label}"| finish')
                elif action.kind == "retry":
                    lines.append(f'  {node} -->|"{label} (retry)"| {node}')
                elif action.step_id is not None:
                    lines.append(f'  {node} -->|"{label}"| {_node(action.step_id)}')
                elif action.workflow is not None:
                    other = "wf_" + re.sub(r"[^A-Za-z0-9_]", "_", action.workflow.workflow_id)
                    lines.append(f'  {other}[["workflow {_label(action.workflow.workflow_id)}"]]')
                    lines.append(f'  {node} -->|"{label}"| {other}')
    return "\n".join(lines)


def describe(tool: WorkflowTool) -> dict[str, Any]:
    """``arazzo_describe_workflow``: inputs, outputs, each step's operation, and the Mermaid graph."""
    workflow = tool.workflow
    steps: list[dict[str, Any]] = []
    for step in workflow.steps:
        entry: dict[str, Any] = {"stepId": step.step_id}
        if step.description:
            entry["description"] = " ".join(step.description.split())
        if step.operation is not None:
            operation = step.operation.operation
            entry["operation"] = {
                "source": step.operation.source,
                "method": operation.method.upper(),
                "path": operation.path,
                "operationId": operation.operation_id,
            }
        else:
            entry["workflow"] = str(step.workflow)
        entry["successCriteria"] = [criterion.text for criterion in step.success_criteria]
        entry["outputs"] = [name for name, _ in step.outputs]
        steps.append(entry)
    return {
        **workflow_summary(tool),
        "description": workflow.description,
        "inputSchema": tool_input_schema(workflow, tool.filled),
        "dependsOn": [str(ref) for ref in workflow.depends_on],
        "steps": steps,
        "mermaid": mermaid(workflow),
    }


def as_text(data: Any) -> str:
    """Structured content as text, for clients that only show text."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
