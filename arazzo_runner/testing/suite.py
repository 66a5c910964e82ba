"""The suite runner behind ``arazzo-runner test``: collect workflows, give them inputs, run them, tally.

A test item is one workflow of one document (``path::workflowId``). Passed: the workflow succeeded.
Failed: it ran and failed (at the API, a criterion, a contract check at severity ``error``). Errored:
it could not start (its inputs are refused, a setting does not fit the document); nothing was sent.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ArazzoError
from ..plan.coerce import coerce_input_text
from ..plan.model import ArazzoDocument, Workflow
from ..result import WorkflowResult

__all__ = [
    "InputsBook",
    "TestItem",
    "TestOutcome",
    "called_workflows",
    "collect",
    "fill_defaults",
    "run_items",
    "servers_for",
]

TestStatus = Literal["passed", "failed", "errored"]


@dataclass(frozen=True)
class TestItem:
    path: str
    document: ArazzoDocument
    workflow_id: str

    @property
    def node_id(self) -> str:
        return f"{self.path}::{self.workflow_id}"

    @property
    def workflow(self) -> Workflow:
        return self.document.workflow(self.workflow_id)


@dataclass(frozen=True)
class TestOutcome:
    item: TestItem
    status: TestStatus
    duration: float
    result: WorkflowResult | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.item.node_id,
            "file": self.item.path,
            "workflowId": self.item.workflow_id,
            "status": self.status,
            "durationMs": round(self.duration * 1000, 3),
            "message": self.message,
            "result": self.result.to_dict() if self.result is not None else None,
        }


def called_workflows(document: ArazzoDocument) -> set[str]:
    """Ids of this document's workflows that another of its workflows calls (step, goto, dependsOn)."""
    called: set[str] = set()
    for workflow in document.workflows.values():
        refs = list(workflow.depends_on)
        for step in workflow.steps:
            if step.workflow is not None:
                refs.append(step.workflow)
            refs.extend(a.workflow for a in (*step.on_success, *step.on_failure) if a.workflow is not None)
        called.update(ref.workflow_id for ref in refs if ref.document_url == document.url)
    return called


def collect(
    documents: Mapping[str, ArazzoDocument],
    *,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    keyword: Callable[[str], bool] | None = None,
    entry_only: bool = False,
) -> list[TestItem]:
    """Every workflow of every document, in file then document order, filtered by the selection options."""
    only_ids, skip_ids = set(only), set(skip)
    items: list[TestItem] = []
    for path, document in documents.items():
        called = called_workflows(document) if entry_only else set()
        for workflow_id in document.workflows:
            item = TestItem(path, document, workflow_id)
            if only_ids and workflow_id not in only_ids and item.node_id not in only_ids:
                continue
            if workflow_id in skip_ids or item.node_id in skip_ids or workflow_id in called:
                continue
            if keyword is not None and not keyword(item.node_id):
                continue
            items.append(item)
    return items


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class InputsBook:
    """Inputs per workflow from an ``--inputs-file``: ``{workflowId: inputs}``, or keyed by document path
    first (``{"flows/login.arazzo.yaml": {workflowId: inputs}}``). ``${NAME}`` in a string value is
    replaced by the environment variable NAME, so secrets stay in the environment; a value that is exactly
    ``${NAME}`` is read by the input's schema type (``"42"`` for an integer input is 42)."""

    def __init__(self, data: Mapping[str, Any] | None = None, source: str = "--inputs-file") -> None:
        self.source = source
        self.by_workflow: dict[str, Mapping[str, Any]] = {}
        self.by_document: dict[str, dict[str, Mapping[str, Any]]] = {}
        for key, value in (data or {}).items():
            if not isinstance(value, Mapping):
                raise ValueError(f"{source}: {key!r} must map to an object of inputs, not {type(value).__name__}")
            if _looks_like_path(str(key)):
                for workflow_id, inputs in value.items():
                    if not isinstance(inputs, Mapping):
                        raise ValueError(f"{source}: {key!r} -> {workflow_id!r} must be an object of inputs")
                    self.by_document.setdefault(os.path.normpath(str(key)), {})[str(workflow_id)] = inputs
            else:
                self.by_workflow[str(key)] = value

    def inputs_for(self, item: TestItem) -> dict[str, Any]:
        path = os.path.normpath(item.path)
        specific = None
        for key, workflows in self.by_document.items():
            if path == key or path.endswith(os.sep + key) or os.path.abspath(path) == os.path.abspath(key):
                specific = workflows.get(item.workflow_id)
                if specific is not None:
                    break
        chosen = specific if specific is not None else self.by_workflow.get(item.workflow_id, {})
        where = f"{self.source} ({item.node_id})"
        properties = (item.workflow.inputs_schema or {}).get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        expanded: dict[str, Any] = {}
        for name, value in chosen.items():
            if isinstance(value, str) and _ENV.fullmatch(value):
                # Exactly one ${NAME}: the variable's text is read by the input's type, as -i reads it.
                expanded[name] = coerce_input_text(name, _expand(value, where), properties.get(name))
            else:
                expanded[name] = _expand(value, where)
        return expanded


def _looks_like_path(key: str) -> bool:
    return key.lower().endswith((".yaml", ".yml", ".json")) or "/" in key or os.sep in key


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ValueError(f"{where}: environment variable {name} is not set (named as ${{{name}}})")
            return os.environ[name]

        return _ENV.sub(replace, value)
    if isinstance(value, Mapping):
        return {key: _expand(item, where) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, where) for item in value]
    return value


def fill_defaults(workflow: Workflow, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``inputs`` with the ``default`` of every top-level input the schema declares and the caller left out."""
    filled = dict(inputs)
    properties = (workflow.inputs_schema or {}).get("properties")
    if isinstance(properties, Mapping):
        for name, schema in properties.items():
            if name not in filled and isinstance(schema, Mapping) and "default" in schema:
                filled[name] = schema["default"]
    return filled


RunOne = Callable[[TestItem, Mapping[str, Any]], Awaitable[WorkflowResult]]


async def run_items(
    items: list[TestItem],
    run_one: RunOne,
    inputs_for: Callable[[TestItem], Mapping[str, Any]],
    *,
    jobs: int = 1,
    fail_fast: bool = False,
    on_outcome: Callable[[TestOutcome], None] | None = None,
) -> list[TestOutcome]:
    """Run the items, ``jobs`` at a time; with ``fail_fast`` no item starts after the first that did not pass."""
    outcomes: list[TestOutcome] = []
    gate = asyncio.Semaphore(max(1, jobs))
    stop = asyncio.Event()

    async def one(item: TestItem) -> None:
        async with gate:
            if stop.is_set():
                return
            started = time.perf_counter()
            try:
                inputs = fill_defaults(item.workflow, inputs_for(item))
                result = await run_one(item, inputs)
            except (ArazzoError, ValueError) as exc:
                outcome = TestOutcome(item, "errored", time.perf_counter() - started, None, str(exc))
            else:
                status: TestStatus = "passed" if result.succeeded else "failed"
                message = str(result.error) if result.error else ""
                outcome = TestOutcome(item, status, time.perf_counter() - started, result, message)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
            if fail_fast and outcome.status != "passed":
                stop.set()

    await asyncio.gather(*(one(item) for item in items))
    order = {item.node_id: index for index, item in enumerate(items)}
    outcomes.sort(key=lambda outcome: order[outcome.item.node_id])
    return outcomes


def servers_for(items: list[str], document: ArazzoDocument) -> Any:
    """``[SOURCE=]URL`` items as a ``servers=`` value for ``document``.

    A source name the document does not have is ignored (it may belong to another document of the suite).
    """
    if not items:
        return None
    sources = document.all_source_names()
    default = None
    per_source: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        if sep and "://" not in name:
            if name in sources:
                per_source[name] = url
        else:
            default = item
    if default is not None and not per_source:
        return default
    if default is not None:
        for name in sources:
            per_source.setdefault(name, default)
    return per_source or None
