"""No form of a credential or password input in any event, trace line or report (ARCHITECTURE.md, Invariants).

The server here is careless: it echoes the ``Authorization`` header it receives (Bearer token, and the
Basic client credentials at the token endpoint) back in its bodies, and the request body with the
password; one failure excerpt cuts the echoed token in the middle.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.cli.main import main
from arazzo_runner.cli.trace import Trace
from arazzo_runner.events import Event
from arazzo_runner.reports import FORMATS, Recorder, render
from tests.reports.fixtures import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    CREDENTIALS,
    INPUTS,
    PASSWORD,
    script_items,
    write_documents,
)
from tests.support.loopback import LoopbackServer


def _forms(secret: str, user: str | None = None) -> list[str]:
    forms = [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        secret[:8],  # cut short
    ]
    if user is not None:
        forms.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return forms


ALL_FORMS = [*_forms(PASSWORD), *_forms(ACCESS_TOKEN), *_forms(CLIENT_SECRET, "client-1")]


def _assert_clean(where: str, text: str) -> None:
    for form in ALL_FORMS:
        assert form not in text, f"{form!r} appears in {where}"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        script_items(running, poll_fails=True)
        yield running


def test_every_output_of_the_command_line_is_clean(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in FORMATS}
    code = main(
        [
            "run", str(write_documents(tmp_path)), "-w", "main", "--inputs", json.dumps(INPUTS),
            "--server", server.url, "--credential", f"oauth={ACCESS_TOKEN}", "-vv", "--json",
            *[arg for fmt, path in reports.items() for arg in ("--report", f"{fmt}={path}")],
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    # the server did echo them: the test would prove nothing otherwise
    echoed = [r for r in server.requests if r.path == "/items"]
    assert echoed and echoed[0].header("authorization") == f"Bearer {ACCESS_TOKEN}"
    assert "***" in captured.err and "aaaa" in captured.err  # the echo and the cut excerpt were shown, masked
    _assert_clean("the -vv trace", captured.err)
    _assert_clean("--json", captured.out)
    for fmt, path in reports.items():
        _assert_clean(f"the {fmt} report", path.read_text(encoding="utf-8"))


def test_every_event_report_and_trace_of_an_oauth_run_is_clean(tmp_path: Path, server: LoopbackServer) -> None:
    recorder = Recorder()
    seen: list[Event] = []
    trace_out = io.StringIO()
    trace = Trace(trace_out, 2, live=False)

    def listen(event: Event) -> None:
        seen.append(event)
        recorder(event)
        trace(event)

    result = run_workflow(
        write_documents(tmp_path), "main", INPUTS, servers=server.url, credentials=CREDENTIALS, on_event=listen
    )
    assert result.status == "failed"
    token_request = server.requests_to("POST", "/oauth/token")[0]
    assert token_request.header("authorization") == "Basic " + base64.b64encode(
        f"client-1:{CLIENT_SECRET}".encode()
    ).decode("ascii")
    _assert_clean("the events", repr(seen))
    _assert_clean("the trace", trace_out.getvalue())
    for fmt in FORMATS:
        _assert_clean(f"the {fmt} report", render(fmt, recorder))
