"""The live trace: -v lines, -vv exchanges, the live line on a terminal, the server note."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.cli.trace import BODY_SHOWN, Trace
from arazzo_runner.events import RequestSent, ResponseReceived, RetryWaiting, RunFinished, ServerResolved
from arazzo_runner.result import WorkflowResult
from tests.reports.fixtures import ACCESS_TOKEN, CREDENTIALS, INPUTS, script_items, write_documents
from tests.support.loopback import LoopbackServer, Reply


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _trace_run(tmp_path: Path, server: LoopbackServer, verbosity: int) -> str:
    out = io.StringIO()
    run_workflow(
        write_documents(tmp_path),
        "main",
        INPUTS,
        servers=server.url,
        credentials=CREDENTIALS,
        on_event=Trace(out, verbosity, live=False),
    )
    return out.getvalue()


def test_v_prints_one_line_per_step_as_it_finishes(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    everything = _trace_run(tmp_path, server, 1).splitlines()
    # a failed step's line is followed by why it failed
    assert "     success criterion '$statusCode == 200' not met (" in everything[3]
    lines = [line for line in everything if not line.startswith("     ")]
    assert lines[0] == f"server: source 'items' -> {server.url} (the servers= argument)"
    steps = [line.split(" ->")[0] for line in lines[1:]]
    assert steps == [
        f"ok   create POST {server.url}/items",
        f"FAIL poll GET {server.url}/items/7",
        f"ok   poll (attempt 2) GET {server.url}/items/7",
        f"  ok   child.ping GET {server.url}/ping",
        f"ok   nested GET {server.url}/ping",
    ]
    assert lines[2].endswith("criteria 0/1 passed, then retry (again)")
    assert " -> 201 " in lines[1] and lines[1].endswith("criteria 1/1 passed, then next")
    assert "\x1b" not in "".join(lines)  # not a terminal: no live line


def test_vv_adds_headers_and_bodies_cut_with_a_note(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    server.script("GET", "/ping", Reply(body="x" * (BODY_SHOWN + 10)))
    text = _trace_run(tmp_path, server, 2)
    assert f"  > POST {server.url}/items\n" in text
    assert "  > authorization: ***\n" in text and "  > content-type: application/json\n" in text
    assert "  < 201 Created (" in text and '"id": 7' in text
    assert f"  < {'x' * BODY_SHOWN}\n  < (body cut at {BODY_SHOWN} characters)\n" in text
    assert "  token request for create:\n" in text


def test_v_names_the_server_picked_from_several_and_default_verbosity_leaves_it_to_the_command(
    tmp_path: Path, server: LoopbackServer
) -> None:
    server.script("GET", "/ping", Reply(body={}))
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        f"servers: [{{url: '{server.url}'}}, {{url: 'https://staging.invalid'}}]\n"
        "paths: {/ping: {get: {operationId: ping, responses: {'200': {description: ok}}}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "wf.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]\n"
        "workflows: [{workflowId: w, steps: [{stepId: s, operationId: ping}]}]\n",
        encoding="utf-8",
    )
    verbose, default, quiet = io.StringIO(), io.StringIO(), io.StringIO()
    run_workflow(tmp_path / "wf.yaml", "w", on_event=Trace(verbose, 1, live=False))
    run_workflow(tmp_path / "wf.yaml", "w", on_event=Trace(default, 0, live=False))
    run_workflow(tmp_path / "wf.yaml", "w", on_event=Trace(quiet, -1, live=True))
    first = verbose.getvalue().splitlines()[0]
    assert first == f"server: source 'api' -> {server.url} (the first of 2 servers in the description)"
    assert default.getvalue() == "" and quiet.getvalue() == ""


def _request(step: str = "poll") -> RequestSent:
    return RequestSent(
        time=0.0,
        workflow_id="main",
        step_id=step,
        path=("main",),
        method="GET",
        url="http://h/x",
        headers=(),
        body=None,
        body_size=0,
    )


def test_on_a_terminal_a_live_line_shows_what_a_step_waits_for() -> None:
    out = io.StringIO()
    trace = Trace(out, 1, live=True)
    trace(_request())
    trace.tick()
    shown = out.getvalue()
    assert shown.startswith("\r\x1b[K… poll: GET http://h/x: waiting for the response, 0.")
    assert shown.count("\r\x1b[K") == 2  # drawn, then redrawn by the tick
    trace(
        ResponseReceived(
            time=0.0, workflow_id="main", step_id="poll", path=("main",), status_code=200, reason="OK",
            headers=(), body=None, body_size=0, elapsed=0.1,
        )
    )  # fmt: skip
    assert out.getvalue().endswith("\r\x1b[K")  # the live line is cleared when the answer comes
    trace(
        RetryWaiting(
            time=0.0, workflow_id="main", step_id="poll", path=("main",), delay=2.0, source="retryAfter", action="again"
        )
    )
    assert (
        "… poll: retry 'again' (retryAfter): next attempt in 2.0s" in out.getvalue()
        or "next attempt in 1.9" in out.getvalue()
    )
    trace(
        RunFinished(
            time=0.0,
            workflow_id="main",
            path=("main",),
            status="succeeded",
            result=WorkflowResult("main", "succeeded", {}),
        )
    )
    assert trace._ticker is not None
    trace._ticker.join(timeout=10)
    assert not trace._ticker.is_alive()  # the ticker stops with the run


def test_a_run_with_nothing_to_show_or_record_is_not_observed(tmp_path: Path) -> None:
    import argparse

    from arazzo_runner.cli.observe import observed

    def watch(**changes: object) -> Any:
        settings: dict[str, object] = {"report": [], "each": None, "quiet": False, "verbose": 0, "json": False}
        args = argparse.Namespace(**{**settings, **changes})
        return observed(args, ValueError, io.StringIO())  # not a terminal: no live line

    assert watch().listener is None  # the engine then builds no event at all
    assert watch(quiet=True).listener is None
    assert watch(verbose=1).listener is not None
    with_report = watch(report=[f"json={tmp_path / 'r.json'}"])
    assert with_report.listener is not None and with_report.recorder is not None


def test_the_command_line_says_the_server_came_from_server(tmp_path: Path, server: LoopbackServer) -> None:
    """The engine says ``the servers= argument`` (Python's word); ``run`` tells its trace and reports ``--server``."""
    import argparse
    import json

    from arazzo_runner.cli.app import main
    from arazzo_runner.cli.observe import observed
    from arazzo_runner.events import SERVERS_ARGUMENT

    script_items(server)
    assert f"({SERVERS_ARGUMENT})" in _trace_run(tmp_path, server, 1).splitlines()[0]
    args = argparse.Namespace(report=[f"json={tmp_path / 'r.json'}"], each=None, quiet=False, verbose=1, json=False)
    out = io.StringIO()
    watch = observed(args, ValueError, out)
    assert watch.listener is not None and watch.recorder is not None
    watch.listener(
        ServerResolved(time=0.0, workflow_id="main", source="items", url=server.url, origin=SERVERS_ARGUMENT)
    )
    watch.listener(ServerResolved(time=0.0, workflow_id="main", source="b", url="u", origin="the description's server"))
    assert [s.origin for s in watch.recorder.servers] == ["--server", "the description's server"]
    assert out.getvalue().splitlines()[0] == f"server: source 'items' -> {server.url} (--server)"

    report = tmp_path / "run.json"
    code = main(
        ["run", str(write_documents(tmp_path)), "-w", "main", "--inputs", json.dumps(INPUTS), "--server", server.url,
         "--credential", f"oauth={ACCESS_TOKEN}", "--report", f"json={report}"]
    )  # fmt: skip
    assert code in (0, 1)
    assert json.loads(report.read_text(encoding="utf-8"))["servers"][0]["origin"] == "--server"


def test_what_a_server_sends_is_shown_never_obeyed_by_the_terminal(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from arazzo_runner.cli.app import main
    from tests.reports.fixtures import ACCESS_TOKEN

    script_items(server)
    hostile = "boom \x1b[2J\x1b[1A\x1b[31mok\x1b[0m \x07 \x9b1m \rdone"  # clear screen, move up, bell, 8-bit CSI
    server.script(
        "GET",
        "/items/7",
        Reply(status=500, headers={"Content-Type": "text/plain", "X-Note": "a\x1b]0;title\x07b"}, body=hostile),
    )
    code = main(
        [
            "run", str(write_documents(tmp_path)), "-w", "main", "--inputs", json.dumps(INPUTS),
            "--server", server.url, "--credential", f"oauth={ACCESS_TOKEN}", "-vv",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    for where, text in (("the trace", captured.err), ("the summary", captured.out)):
        assert not any(c in text for c in "\x1b\x07\x9b\r"), f"a control character reached {where}"
    assert "  < x-note: a\\x1b]0;title\\x07b" in captured.err
    assert "  < boom \\x1b[2J\\x1b[1A\\x1b[31mok\\x1b[0m \\x07 \\x9b1m \n  < done\n" in captured.err  # the -vv body
    assert "response 500: boom \\x1b[2J" in captured.out  # the error line of the summary


def test_the_live_line_fits_the_terminal_so_it_can_be_redrawn_in_place() -> None:
    out = io.StringIO()
    trace = Trace(out, 1, live=True, columns=60)
    long_url = "http://127.0.0.1:8000/v1/b2b/recovery_codes/organization-test-07971b06/member-test-32fc5024"
    trace(dataclasses.replace(_request(), url=long_url))
    trace.tick()
    drawn = [line for line in out.getvalue().split("\r\x1b[K") if line]
    assert drawn and all(len(line) <= 59 for line in drawn), drawn  # a wrapped line would scroll at each tick
    assert all(line.startswith("… poll: GET http://127.0.0") for line in drawn)
    assert all("…: waiting for the response, 0." in line for line in drawn)  # the URL gives way, the state stays


def test_a_dumb_terminal_gets_no_live_line(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm-256color")
    assert Trace(Terminal(), 0).live
    monkeypatch.setenv("TERM", "dumb")  # an editor's shell buffer: it would print the escape sequences
    assert not Trace(Terminal(), 0).live
