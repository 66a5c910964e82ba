"""Nothing lost on interruption: Ctrl-C, SIGTERM or the run timeout during a hanging step still leave
every report, marked, with the steps that completed and the request that was in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from arazzo_runner import Limits, run_workflow
from arazzo_runner.reports import Recorder, write_report
from tests.reports.fixtures import ACCESS_TOKEN, CREDENTIALS, INPUTS, script_items, write_documents
from tests.reports.support import validate_file
from tests.support.loopback import LoopbackServer, Reply

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
FORMATS = {"json": "report.json", "junit": "junit.xml", "har": "run.har", "markdown": "summary.md"}


@pytest.fixture
def hanging_server() -> Iterator[LoopbackServer]:
    """The first step answers; the second never does (within the test)."""
    with LoopbackServer() as server:
        script_items(server)
        server.script("GET", "/items/7", Reply(body={"id": 7}, delay=120))
        yield server


def _wait_for_request(server: LoopbackServer, path: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not server.requests_to("GET", path):
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.communicate()
            pytest.fail(f"the run never reached {path}: {output}")
        time.sleep(0.05)


def _report_options(folder: Path) -> list[str]:
    return [arg for fmt, file in FORMATS.items() for arg in ("--report", f"{fmt}={folder / file}")]


def _interrupt(command: list[str], server: LoopbackServer, path: str, sent: signal.Signals) -> tuple[int, str, str]:
    """Runs ``command`` until ``server`` is asked for ``path``, then sends it ``sent``: its exit code and outputs."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_for_request(server, path, process)
        process.send_signal(sent)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, stdout, stderr


def _check_reports(folder: Path, stopped_by: str, server: LoopbackServer) -> None:
    reports = {fmt: validate_file(fmt, folder / name) for fmt, name in FORMATS.items()}
    report = json.loads(reports["json"])
    assert report["status"] == "interrupted" and report["stoppedBy"] == stopped_by
    assert [(s["stepId"], s["status"]) for s in report["steps"]] == [("create", "succeeded"), ("poll", "interrupted")]
    in_flight = report["steps"][1]["exchanges"][0]
    assert in_flight["request"]["url"] == f"{server.url}/items/7" and in_flight["response"] is None
    assert report["error"]["reason"] == "interrupted" and "during step 'poll'" in report["error"]["message"]
    entries = json.loads(reports["har"])["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [201, 0]
    assert "in flight" in entries[1]["response"]["comment"]
    case = ElementTree.fromstring(reports["junit"]).find("testsuite/testcase")
    assert case is not None and case.find("error") is not None and case.find("error").get("type") == "interrupted"  # type: ignore[union-attr]
    assert "create succeeded 201" in (case.findtext("system-out") or "")
    assert "in flight when the run stopped: GET" in (case.findtext("system-out") or "")
    assert f"interrupted ({stopped_by})" in reports["markdown"]


@pytest.mark.parametrize(
    ("sent", "name", "exit_code"), [(signal.SIGINT, "SIGINT", 130), (signal.SIGTERM, "SIGTERM", 143)]
)
def test_a_signal_during_a_hanging_step_still_writes_every_report(
    tmp_path: Path, hanging_server: LoopbackServer, sent: signal.Signals, name: str, exit_code: int
) -> None:
    document = write_documents(tmp_path)
    command = [
        sys.executable, "-m", "arazzo_runner", "run", str(document), "-w", "main",
        "--inputs", json.dumps(INPUTS), "--server", hanging_server.url, "--credential", f"oauth={ACCESS_TOKEN}",
        "--json", *_report_options(tmp_path),
    ]  # fmt: skip
    returncode, stdout, stderr = _interrupt(command, hanging_server, "/items/7", sent)
    assert returncode == exit_code, stderr
    assert f"arazzo-runner: interrupted ({name})" in stderr
    assert "Traceback" not in stderr
    partial = json.loads(stdout)
    assert partial["status"] == "interrupted" and partial["stoppedBy"] == name
    assert [(s["stepId"], s["status"]) for s in partial["steps"]] == [("create", "succeeded"), ("poll", "interrupted")]
    _check_reports(tmp_path, name, hanging_server)


def test_the_run_timeout_marks_the_reports_with_its_name(tmp_path: Path, hanging_server: LoopbackServer) -> None:
    recorder = Recorder()
    result = run_workflow(
        write_documents(tmp_path),
        "main",
        INPUTS,
        servers=hanging_server.url,
        credentials=CREDENTIALS,
        limits=Limits(run_timeout=1.0),
        on_event=recorder,
    )
    assert result.status == "failed" and result.error is not None and result.error.reason == "run_timeout"
    for fmt, name in FORMATS.items():
        write_report(fmt, recorder, tmp_path / name)
    report = json.loads(validate_file("json", tmp_path / "report.json"))
    assert report["status"] == "failed" and report["stoppedBy"] == "run_timeout"
    assert [(s["stepId"], s["status"]) for s in report["steps"]] == [("create", "succeeded"), ("poll", "interrupted")]
    assert report["steps"][1]["exchanges"][0]["response"] is None
    entries = json.loads(validate_file("har", tmp_path / "run.har"))["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [200, 201, 0]  # the token request, create, poll in flight
    validate_file("junit", tmp_path / "junit.xml")
    assert "(run_timeout)" in validate_file("markdown", tmp_path / "summary.md")


def test_a_limit_marks_the_reports_with_its_name(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        script_items(server)
        recorder = Recorder()
        result = run_workflow(
            write_documents(tmp_path),
            "main",
            INPUTS,
            servers=server.url,
            credentials=CREDENTIALS,
            limits=Limits(max_steps=2),
            on_event=recorder,
        )
    assert result.error is not None and result.error.reason == "limit_exceeded"
    write_report("json", recorder, tmp_path / "report.json")
    report = json.loads(validate_file("json", tmp_path / "report.json"))
    assert report["status"] == "failed" and report["stoppedBy"] == "limit_exceeded"
    assert report["error"]["message"].startswith("stopped before step 'poll'")
    assert [(s["stepId"], s["status"]) for s in report["steps"]] == [("create", "succeeded"), ("poll", "failed")]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_on_a_terminal_the_live_line_is_cleared_before_the_interruption_is_said(
    tmp_path: Path, hanging_server: LoopbackServer
) -> None:
    import select

    document = write_documents(tmp_path)
    command = [
        sys.executable, "-m", "arazzo_runner", "run", str(document), "-w", "main", "--inputs", json.dumps(INPUTS),
        "--server", hanging_server.url, "--credential", f"oauth={ACCESS_TOKEN}",
    ]  # fmt: skip
    terminal, child_end = os.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(child_end, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))  # a 60-column terminal
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)}
    process = subprocess.Popen(command, stdin=child_end, stdout=child_end, stderr=child_end, env=env)
    os.close(child_end)
    shown = b""

    def read_for(seconds: float) -> None:
        nonlocal shown
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([terminal], [], [], 0.05)[0]:
                try:
                    chunk = os.read(terminal, 65536)
                except OSError:  # the command exited and closed the terminal
                    return
                if not chunk:
                    return
                shown += chunk

    try:
        _wait_for_request(hanging_server, "/items/7", process)
        read_for(0.8)  # the live line ticks while the second step waits
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        read_for(0.5)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(terminal)
    text = shown.decode("utf-8", "replace")
    assert process.returncode == 130, text
    assert "… poll: GET " in text and "waiting for the response" in text
    before, said, after = text.partition("arazzo-runner: interrupted (SIGINT)")
    assert said, text
    assert before.endswith("\r\x1b[K"), repr(text[-300:])  # said on a cleared line, not after the live line
    assert "waiting for the response" not in after
    live = [part for part in before.split("\r\x1b[K") if "waiting for the response" in part]
    assert live and all(len(part) <= 59 for part in live), live  # fits: redrawn in place, not wrapped


@pytest.mark.parametrize(
    ("sent", "name", "exit_code"), [(signal.SIGINT, "SIGINT", 130), (signal.SIGTERM, "SIGTERM", 143)]
)
def test_a_signal_while_the_document_loads_still_writes_every_report(
    tmp_path: Path, sent: signal.Signals, name: str, exit_code: int
) -> None:
    document = write_documents(tmp_path)
    with LoopbackServer() as server:
        # The description is fetched from a server that takes its time: the run has not started when the signal comes.
        server.script("GET", "/items.yaml", Reply(body="openapi: 3.0.3", delay=60))
        text = document.read_text(encoding="utf-8").replace("./items.yaml", f"{server.url}/items.yaml")
        document.write_text(text, encoding="utf-8")
        command = [
            sys.executable, "-m", "arazzo_runner", "run", str(document), "-w", "main", "--no-cache",
            "--inputs", json.dumps(INPUTS), "--json", *_report_options(tmp_path),
        ]  # fmt: skip
        returncode, stdout, stderr = _interrupt(command, server, "/items.yaml", sent)
    assert returncode == exit_code, stderr
    assert f"arazzo-runner: interrupted ({name})" in stderr and "Traceback" not in stderr
    assert json.loads(stdout)["status"] == "interrupted"
    reports = {fmt: validate_file(fmt, tmp_path / file) for fmt, file in FORMATS.items()}
    report = json.loads(reports["json"])
    assert (report["status"], report["stoppedBy"], report["steps"]) == ("interrupted", name, [])
    assert report["workflowId"] == "main" and report["document"] == str(document)
    assert "before its first step: no step was run" in report["error"]["message"]
    case = ElementTree.fromstring(reports["junit"]).find("testsuite/testcase")
    assert case is not None and case.get("name") == "main" and case.find("error") is not None
    assert json.loads(reports["har"])["log"]["entries"] == []
    assert f"interrupted ({name})" in reports["markdown"]
