"""The JUnit report is built as text: escaping round-trips, and stays valid; how a report file is written."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from arazzo_runner.events import RunFinished, RunStarted, StepFinished, StepStarted
from arazzo_runner.reports import Recorder, render, write_report
from arazzo_runner.result import Failure, WorkflowResult
from tests.reports.support import validate_junit

AWKWARD = "a <b> & \"c\" 'd'\ttab\nline two é ✓"


def _failed_run(message: str, document: str = "dir/<flow> & co.arazzo.yaml") -> Recorder:
    recorder = Recorder()
    where = {"workflow_id": "main", "path": ("main",)}
    recorder(RunStarted(time=1.0, **where, document=document, inputs={}, wall_time=1_700_000_000.0))
    recorder(StepStarted(time=1.1, **where, step_id="s1", target="op", attempt=1))
    recorder(
        StepFinished(
            time=1.2, **where, step_id="s1", succeeded=False, attempt=1, status_code=500, method="GET",
            url="http://127.0.0.1:1/x?a=1&b=<2>", duration=0.1, next_action="stop", error=message,
        )
    )  # fmt: skip
    failure = Failure("unhandled_step_failure", message, "main", "s1", 500, response_excerpt="<html>&nbsp;</html>")
    result = WorkflowResult("main", "failed", {"out": AWKWARD}, error=failure, warnings=("w <1> & \x01",))
    recorder(RunFinished(time=1.3, **where, status="failed", result=result))
    return recorder


def test_awkward_text_round_trips_through_the_xml() -> None:
    text = render("junit", _failed_run(AWKWARD))
    validate_junit(text)
    root = ElementTree.fromstring(text.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "dir/<flow> & co.arazzo.yaml"
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("classname") == "dir/<flow> & co.arazzo.yaml"
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == " ".join(AWKWARD.split())  # one line
    assert failure.text == f"{AWKWARD}\nresponse: <html>&nbsp;</html>"  # the whole message, as it was
    out = root.findtext("testsuite/testcase/system-out")
    assert out is not None and "GET http://127.0.0.1:1/x?a=1&b=<2>" in out
    err = root.findtext("testsuite/testcase/system-err")
    assert err == "warning: w <1> & \ufffd\n"  # a control character XML cannot carry is replaced


def test_an_attribute_keeps_its_line_breaks_and_tabs() -> None:
    text = render("junit", _failed_run("x", document="a\nb\tc\rd"))
    validate_junit(text)
    suite = ElementTree.fromstring(text.encode("utf-8")).find("testsuite")
    assert suite is not None and suite.get("name") == "a\nb\tc\rd"


def test_a_report_to_a_pipe_is_written_into_it_not_over_it(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    fifo = tmp_path / "summary.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    recorder = _failed_run("boom")
    write_report("markdown", recorder, fifo)
    reader.join(timeout=10)
    assert received == [render("markdown", recorder).encode("utf-8")]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe: not replaced by a file
    assert not (tmp_path / "summary.fifo.partial").exists()


def test_a_report_replaces_an_earlier_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    target.write_text("an older, longer report " * 100, encoding="utf-8")
    recorder = _failed_run("boom")
    write_report("junit", recorder, target)
    assert target.read_text(encoding="utf-8") == render("junit", recorder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xml"]  # no .partial left beside it


def test_a_second_ctrl_c_while_a_report_is_written_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    target = tmp_path / "report.xml"
    target.write_text("the previous report", encoding="utf-8")
    real_write = os.write

    def interrupted(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data)[:10])  # part of the report is on disk when Ctrl-C comes
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report("junit", _failed_run("boom"), target)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xml"]
    assert target.read_text(encoding="utf-8") == "the previous report"  # never half of the new one
