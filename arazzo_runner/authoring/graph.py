"""Draw a workflow as a flowchart, in Mermaid or Graphviz DOT.

Steps are nodes labelled with their id and the operation (or workflow) they call. An unlabelled edge
leads to the step that runs next by default (or to the end after the last step); every success and
failure action is a labelled edge: ``goto`` a step or a workflow, ``retry`` (with its limit) and
``end``. Workflows reached from the drawn one (called by a step, named by a ``goto`` action or by
``dependsOn``) are drawn as subgraphs.

The model is read through the objects ``arazzo_runner.load()`` returns, attribute by attribute, so a
missing attribute only leaves a detail out.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORMATS", "render_graph"]

FORMATS = ("mermaid", "dot")
_NOT_ID = re.compile(r"[^A-Za-z0-9_]")


@dataclass
class _Node:
    node_id: str
    label: str
    shape: str = "step"  # step | call | end | start


@dataclass
class _Cluster:
    cluster_id: str
    title: str
    nodes: list[_Node] = field(default_factory=list)
    entry: str = ""


@dataclass
class _Edge:
    source: str
    target: str
    label: str = ""
    style: str = "solid"  # solid | dashed


class _Builder:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.clusters: list[_Cluster] = []
        self.edges: list[_Edge] = []
        self._done: dict[str, _Cluster] = {}

    def draw(self, document: Any, workflow: Any) -> None:
        """Draw ``workflow`` and every workflow it reaches, depth first, without recursing in Python.

        Drawing a workflow is a generator that yields the drawing of each workflow it reaches for the
        first time; those wait on an explicit stack, so a chain of a thousand workflows draws whole.
        """
        _, first = self._open(document, workflow)
        stack = [first] if first is not None else []
        while stack:
            reached = next(stack[-1], None)
            if reached is None:
                stack.pop()
            else:
                stack.append(reached)

    def _open(self, document: Any, workflow: Any) -> tuple[_Cluster, Iterator[Any] | None]:
        """The cluster of ``workflow``, and its drawing when it is new (None when already drawn)."""
        workflow_id = str(getattr(workflow, "workflow_id", "?"))
        key = f"{getattr(document, 'url', '')}#{workflow_id}"
        if key in self._done:
            return self._done[key], None
        prefix = f"w{len(self._done)}"
        cluster = _Cluster(f"{prefix}_{_NOT_ID.sub('_', workflow_id)}", f"workflow {workflow_id}")
        self._done[key] = cluster
        self.clusters.append(cluster)
        return cluster, self._fill(document, workflow, cluster, prefix)

    def _fill(self, document: Any, workflow: Any, cluster: _Cluster, prefix: str) -> Iterator[Any]:
        steps = list(getattr(workflow, "steps", ()) or ())
        ids = {
            str(getattr(s, "step_id", i)): f"{prefix}_{_NOT_ID.sub('_', str(getattr(s, 'step_id', i)))}"
            for i, s in enumerate(steps)
        }
        start = _Node(f"{prefix}__start", "start", "start")
        end = _Node(f"{prefix}__end", "end", "end")
        cluster.nodes.append(start)
        cluster.entry = start.node_id
        for ref in getattr(workflow, "depends_on", ()) or ():
            target = yield from self._reference(document, ref)
            if target is not None:
                self.edges.append(_Edge(target.entry, start.node_id, "dependsOn (runs first)", "dashed"))
        for index, step in enumerate(steps):
            step_id = str(getattr(step, "step_id", index))
            node = ids[step_id]
            called = getattr(step, "workflow", None)
            cluster.nodes.append(_Node(node, f"{step_id}\n{_target_label(step)}", "call" if called else "step"))
            if index == 0:
                self.edges.append(_Edge(start.node_id, node))
            if called is not None:
                child = yield from self._reference(document, called)
                if child is not None:
                    self.edges.append(_Edge(node, child.entry, "calls", "dashed"))
            following = ids[str(getattr(steps[index + 1], "step_id", index + 1))] if index + 1 < len(steps) else None
            self.edges.append(_Edge(node, following or end.node_id))
            for kind, actions in (
                ("onSuccess", getattr(step, "on_success", ())),
                ("onFailure", getattr(step, "on_failure", ())),
            ):
                for action in actions or ():
                    yield from self._action(document, node, kind, action, ids, end.node_id)
        cluster.nodes.append(end)

    def _action(self, document: Any, node: str, kind: str, action: Any, ids: dict[str, str], end: str) -> Iterator[Any]:
        action_kind = str(getattr(action, "kind", ""))
        name = str(getattr(action, "name", "") or "")
        when = _criteria(getattr(action, "criteria", ()))
        label = f"{kind}: {name}" if name else kind
        if action_kind == "retry":
            limit = getattr(action, "effective_retry_limit", None)
            if limit is None:
                limit = getattr(action, "retry_limit", None)
            label += f" retry ≤{limit}" if limit is not None else " retry"
            after = getattr(action, "retry_after", None)
            if after is not None:
                label += f" after {after:g}s"
        else:
            label += f" {action_kind}"
        if when:
            label += f" [{when}]"
        if action_kind == "end":
            self.edges.append(_Edge(node, end, label))
            return
        target_step = getattr(action, "step_id", None)
        target_workflow = getattr(action, "workflow", None)
        if target_step is not None and str(target_step) in ids:
            self.edges.append(_Edge(node, ids[str(target_step)], label))
        elif target_workflow is not None:
            child = yield from self._reference(document, target_workflow)
            if child is not None:
                self.edges.append(_Edge(node, child.entry, label))
        elif action_kind == "retry":
            self.edges.append(_Edge(node, node, label))

    def _reference(self, document: Any, ref: Any) -> Generator[Any, None, _Cluster | None]:
        """The cluster of the workflow ``ref`` names; a new one is drawn (yielded to :meth:`draw`) first."""
        resolve = getattr(document, "resolve_workflow", None)
        try:
            child_document, child = resolve(ref) if resolve is not None else (None, None)
        except Exception:  # an unresolvable reference is left out of the drawing, not an error
            return None
        if child is None:
            return None
        cluster, drawing = self._open(child_document, child)
        if drawing is not None:
            yield drawing
        return cluster


def _target_label(step: Any) -> str:
    called = getattr(step, "workflow", None)
    if called is not None:
        return f"workflow {called}"
    target = getattr(step, "operation", None)
    operation = getattr(target, "operation", None)
    name = getattr(operation, "operation_id", None) or getattr(operation, "label", None)
    return str(name) if name else str(getattr(step, "target_label", ""))


def _criteria(criteria: Iterable[Any] | None) -> str:
    texts = [" ".join(str(getattr(c, "text", c)).split()) for c in criteria or ()]
    joined = " and ".join(texts)
    return joined if len(joined) <= 60 else joined[:57] + "..."


def render_graph(document: Any, workflow_id: str, fmt: str = "mermaid") -> str:
    """The flowchart of ``workflow_id`` of a loaded document (``arazzo_runner.load()``) as text.

    Raises ``arazzo_runner.WorkflowNotFound`` for an unknown id and ``ValueError`` for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}; use one of {', '.join(FORMATS)}")
    builder = _Builder(document)
    builder.draw(document, document.workflow(workflow_id))
    return _mermaid(builder) if fmt == "mermaid" else _dot(builder)


def _mermaid_text(text: str) -> str:
    return text.replace("#", "#35;").replace('"', "#quot;").replace("\n", "<br/>")


def _mermaid(builder: _Builder) -> str:
    lines = ["flowchart TD"]
    for cluster in builder.clusters:
        lines.append(f'  subgraph {cluster.cluster_id}["{_mermaid_text(cluster.title)}"]')
        for node in cluster.nodes:
            label = _mermaid_text(node.label)
            shape = {"start": f'(("{label}"))', "end": f'((("{label}")))', "call": f'[["{label}"]]'}.get(
                node.shape, f'["{label}"]'
            )
            lines.append(f"    {node.node_id}{shape}")
        lines.append("  end")
    for edge in builder.edges:
        arrow = "-.->" if edge.style == "dashed" else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _dot(builder: _Builder) -> str:
    lines = [
        "digraph arazzo {",
        "  rankdir=TB;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for cluster in builder.clusters:
        lines.append(f"  subgraph cluster_{cluster.cluster_id} {{")
        lines.append(f'    label="{_dot_text(cluster.title)}";')
        for node in cluster.nodes:
            shape = {"start": "circle", "end": "doublecircle", "call": "component"}.get(node.shape, "box")
            lines.append(f'    {node.node_id} [label="{_dot_text(node.label)}", shape={shape}];')
        lines.append("  }")
    for edge in builder.edges:
        attributes = [f'label="{_dot_text(edge.label)}"'] if edge.label else []
        if edge.style == "dashed":
            attributes.append("style=dashed")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {edge.source} -> {edge.target}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
