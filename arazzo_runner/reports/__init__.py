"""Reports of a run, each built from its event stream: JSON, JUnit XML, HAR 1.2, Markdown.

from arazzo_runner import run_workflow
from arazzo_runner.reports import Recorder, write_report

recorder = Recorder()
run_workflow("wf.arazzo.yaml", "login", inputs, on_event=recorder)
write_report("junit", recorder, "report.xml")
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from .har import har_log
from .json_report import SCHEMA_VERSION, json_report, report_schema, to_json_text
from .junit import junit_xml
from .markdown import markdown_summary
from .record import ExchangeRecord, Recorder, StepRecord

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "ExchangeRecord",
    "Recorder",
    "StepRecord",
    "har_log",
    "json_report",
    "junit_xml",
    "markdown_summary",
    "render",
    "report_schema",
    "write_report",
]


def _har_text(recorder: Recorder) -> str:
    return json.dumps(har_log(recorder), ensure_ascii=False, separators=(",", ":")) + "\n"


_RENDERERS: dict[str, Callable[[Recorder], str]] = {
    "json": to_json_text,
    "junit": junit_xml,
    "har": _har_text,
    "markdown": markdown_summary,
}
FORMATS = tuple(_RENDERERS)


def render(format: str, recorder: Recorder) -> str:
    """The report in ``format`` (one of :data:`FORMATS`) as text."""
    try:
        renderer = _RENDERERS[format]
    except KeyError:
        raise ValueError(f"unknown report format {format!r}; formats: {', '.join(FORMATS)}") from None
    return renderer(recorder)


def write_report(format: str, recorder: Recorder, path: str | os.PathLike[str]) -> None:
    """Write the report in ``format`` to ``path`` (replaced whole: written beside it, then renamed).

    Raises ``OSError`` when it cannot be written (a full disk, no permission).
    """
    text = render(format, recorder)
    target = os.fspath(path)
    partial = f"{target}.partial"
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(partial, target)
    except OSError:
        try:
            os.remove(partial)
        except OSError:
            pass
        raise
