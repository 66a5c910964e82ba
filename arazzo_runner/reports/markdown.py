"""The Markdown summary: a table fit for ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from .record import Recorder

__all__ = ["markdown_summary"]

_ICONS = {"succeeded": "✅ succeeded", "failed": "❌ failed", "interrupted": "⚠️ interrupted"}


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped, long text cut."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= 300 else text[:300] + "…"


def markdown_summary(recorder: Recorder) -> str:
    finished = sum(1 for s in recorder.steps if s.finished is not None)
    failed = sum(1 for s in recorder.steps if s.status == "failed")
    steps = f"{finished} run" + (f", {failed} failed" if failed else "")
    status = _ICONS.get(recorder.status, recorder.status)
    if recorder.stop_reason:
        status += f" ({recorder.stop_reason})"
    failure = recorder.failure_line() or ""
    took = f"{recorder.duration * 1000:.0f} ms"
    lines = [
        f"### Arazzo workflow `{_cell(recorder.workflow_id)}`",
        "",
        "| Workflow | Status | Steps | Time | Failure |",
        "| --- | --- | --- | --- | --- |",
        f"| `{_cell(recorder.workflow_id)}` | {status} | {steps} | {took} | {_cell(failure)} |",
        "",
        f"Document: `{_cell(recorder.document)}`",
        "",
    ]
    if recorder.messages:  # AsyncAPI steps
        taken = sum(1 for m in recorder.messages if m.kind == "message_received")
        lines += [f"Messages: {len(recorder.messages) - taken} sent, {taken} received", ""]
    return "\n".join(lines)
