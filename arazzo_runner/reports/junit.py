"""The JUnit XML report, as Jenkins, GitLab and GitHub test reporters read it.

One ``testsuite`` per Arazzo document, one ``testcase`` per workflow run; a failed run carries
``<failure>`` (an interrupted one ``<error>``) with the explanation, and ``system-out`` the step trace.
"""

from __future__ import annotations

import json
import re

from ..events import MessageEvent, MessageReceived
from .json_report import iso_time
from .record import Recorder

__all__ = ["junit_xml", "message_line", "step_lines"]

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


NL = "\n"


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def message_line(event: MessageEvent, limit: int = 200) -> str:
    """``received on 'shop/orders/confirmed' (mqtt mqtt://host:1883, correlation id 'o-1', after 12 ms): {...}``."""
    received = isinstance(event, MessageReceived)
    facts = [f"{event.protocol} {event.server}"]
    if event.correlation_id is not None:
        facts.append(f"correlation id {event.correlation_id!r}")
    if isinstance(event, MessageReceived):
        facts.append(f"after {event.elapsed * 1000:.0f} ms")
    body = " ".join((event.body or "").split())
    shown = body if len(body) <= limit else body[:limit] + "…"
    return f"{'received on' if received else 'sent on'} {event.channel!r} ({', '.join(facts)}): {shown}"


def step_lines(recorder: Recorder) -> list[str]:
    """The step trace: one line per step, with its failed criteria and chosen action."""
    lines: list[str] = []
    for number, step in enumerate(recorder.steps, 1):
        started, finished = step.started, step.finished
        indent = "  " * max(len(started.path) - 1, 0)
        label = f"{started.workflow_id}.{started.step_id}" if len(started.path) > 1 else str(started.step_id)
        where = ""
        if finished is not None and finished.method:
            where = f" {finished.method} {finished.url}"
        elif step.exchanges:
            where = f" {step.exchanges[-1].request.method} {step.exchanges[-1].request.url}"
        code = finished.status_code if finished is not None and finished.status_code is not None else "-"
        attempt = f" (attempt {started.attempt})" if started.attempt > 1 else ""
        lines.append(f"{indent}{number}. {label}{attempt} {step.status} {code}{where} {step.duration * 1000:.0f} ms")
        lines.extend(f"{indent}   {message_line(m)}" for m in step.messages)  # AsyncAPI steps
        for criterion in step.criteria:
            if not criterion.passed:
                lines.append(f"{indent}   criterion not met: {criterion.text} ({criterion.explanation})")
        if finished is not None and finished.next_action not in ("next",):
            lines.append(f"{indent}   then: {finished.next_action}")
        if finished is None and step.exchanges and step.exchanges[-1].response is None:
            lines.append(
                f"{indent}   in flight when the run stopped: {step.exchanges[-1].request.method} "
                f"{step.exchanges[-1].request.url}"
            )
    return lines


def _text(text: str) -> str:
    """Element text: cleaned, ``&``, ``<`` and ``>`` escaped."""
    return _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attrs(pairs: dict[str, str]) -> str:
    """Attributes: cleaned and escaped, line breaks and tabs as character references (kept as they are)."""
    out = []
    for name, value in pairs.items():
        value = _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#09;")
        out.append(f' {name}="{value}"')
    return "".join(out)


def junit_xml(recorder: Recorder) -> str:
    # Built as text: the document is small and fixed in shape, and this is several times faster than a tree.
    failed = recorder.status == "failed"
    interrupted = recorder.status == "interrupted"
    seconds = f"{recorder.duration:.3f}"
    counts = {"tests": "1", "failures": "1" if failed else "0", "errors": "1" if interrupted else "0"}
    suite_attrs = {"name": recorder.document, **counts, "skipped": "0", "time": seconds}
    if recorder.started is not None:
        suite_attrs["timestamp"] = iso_time(recorder.started.wall_time).removesuffix("Z")
    case_attrs = {"name": recorder.workflow_id, "classname": recorder.document, "time": seconds}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<testsuites{_attrs({'name': 'arazzo-runner', **counts, 'time': seconds})}>",
        f"  <testsuite{_attrs(suite_attrs)}>",
        f"    <testcase{_attrs(case_attrs)}>",
    ]
    error = recorder.error
    if error is not None:
        tag = "error" if interrupted else "failure"
        details = [str(error["message"])]
        if error.get("responseExcerpt"):
            details.append(f"response: {error['responseExcerpt']}")
        attrs = _attrs({"message": recorder.failure_line() or "", "type": str(error["reason"])})
        lines.append(f"      <{tag}{attrs}>{_text(NL.join(details))}</{tag}>")
    trace = step_lines(recorder)
    for name, value in recorder.outputs.items():
        trace.append(f"output {name}: {json.dumps(value, ensure_ascii=False, default=str)}")
    lines.append(f"      <system-out>{_text(NL.join(trace) + NL)}</system-out>")
    if recorder.warnings:
        warnings = "".join(f"warning: {w}\n" for w in recorder.warnings)
        lines.append(f"      <system-err>{_text(warnings)}</system-err>")
    lines += ["    </testcase>", "  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines)
