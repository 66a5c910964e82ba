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
import stat
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
    log = har_log(recorder)  # a tree built afresh, without cycles
    return json.dumps(log, ensure_ascii=False, separators=(",", ":"), check_circular=False) + "\n"


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
    """Write the report in ``format`` to ``path``; an interrupted write never leaves half a report there.

    The text goes to ``PATH.partial`` first, which then takes the report's name. An existing report is
    removed just before (rather than renamed over: on ext4 a rename over a file forces the new data to
    disk, which made each report cost a quarter of a millisecond). A path that is not a regular file
    (``/dev/stdout``, a pipe) is written in place. Raises ``OSError`` when it cannot be written (a full
    disk, no permission).
    """
    data = render(format, recorder).encode("utf-8")
    target = os.fspath(path)
    try:
        mode = os.stat(target).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        _write(target, data, os.O_WRONLY)
        return
    partial = f"{target}.partial"
    try:
        _write(partial, data, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        if mode is not None:
            os.remove(target)
        os.replace(partial, target)
    except BaseException:  # a full disk, or a second Ctrl-C while writing: no half-written file stays behind
        try:
            os.remove(partial)
        except OSError:
            pass
        raise


def _write(path: str, data: bytes, flags: int) -> None:
    # os.open rather than open(): no buffer object, no isatty probe; the data is written whole in one call.
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
