"""The Markdown summary: a table fit for ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import re

from .record import Recorder

__all__ = ["markdown_summary"]

_ICONS = {"succeeded": "✅ succeeded", "failed": "❌ failed", "interrupted": "⚠️ interrupted"}


_MARKDOWN_SPECIAL = str.maketrans({"\\": "\\\\", "`": "\\`", "|": "\\|", "&": "&amp;", "<": "&lt;", ">": "&gt;"})
_PLAIN_CODE = re.compile(r"[^\\`|&<>]*")


def markdown_text(text: str) -> str:
    """``text`` (a server's message, say) as one line of literal Markdown, safe in a table cell.

    A newline would end the table row, a pipe the cell, a backtick would open a code span and ``<``
    a tag in $GITHUB_STEP_SUMMARY: backslashes, backticks and pipes are escaped with a backslash (so a
    server's ``\\|`` stays text), ``&``, ``<`` and ``>`` become entities. Long text is cut first, so
    no escape is cut in two."""
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:300] + "…"
    return text.translate(_MARKDOWN_SPECIAL)


def markdown_code(text: str) -> str:
    """``text`` as code: a code span when it holds nothing to escape, else ``<code>`` around :func:`markdown_text`."""
    text = " ".join(text.split())
    if _PLAIN_CODE.fullmatch(text) and len(text) <= 300:
        return f"`{text}`"
    return f"<code>{markdown_text(text)}</code>"


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
        f"### Arazzo workflow {markdown_code(recorder.workflow_id)}",
        "",
        "| Workflow | Status | Steps | Time | Failure |",
        "| --- | --- | --- | --- | --- |",
        f"| {markdown_code(recorder.workflow_id)} | {status} | {steps} | {took} | {markdown_text(failure)} |",
        "",
        f"Document: {markdown_code(recorder.document)}",
        "",
    ]
    if recorder.messages:  # AsyncAPI steps
        taken = sum(1 for m in recorder.messages if m.kind == "message_received")
        lines += [f"Messages: {len(recorder.messages) - taken} sent, {taken} received", ""]
    return "\n".join(lines)
