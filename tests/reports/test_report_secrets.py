"""No form of a credential or password input in any event, trace line or report (ARCHITECTURE.md, Invariants).

The server here is careless: it echoes the ``Authorization`` header it receives (Bearer token, and the
Basic client credentials at the token endpoint) back in its bodies, and the request body with the
password; one failure excerpt cuts the echoed token in the middle.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.cli.app import main
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
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply


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


BASIC_USER, BASIC_PASSWORD = "project-1234", "pw-Basic/Secret+Value?"
BASIC_OPENAPI = """
openapi: 3.0.3
info: {title: echo, version: '1'}
components:
  securitySchemes:
    basicAuth: {type: http, scheme: basic}
security: [{basicAuth: []}]
paths:
  /things:
    get:
      operationId: listThings
      responses: {'200': {description: ok}}
"""
BASIC_ARAZZO = """
arazzo: 1.0.1
info: {title: echo, version: '1'}
sourceDescriptions: [{name: echo, url: ./echo.yaml, type: openapi}]
workflows:
  - workflowId: list
    steps:
      - stepId: things
        operationId: listThings
        successCriteria: [{condition: $statusCode == 200}]
"""


def _echo_every_spelling(request: RecordedRequest) -> Reply:
    # The Authorization header as careless servers echo it: in a redirect, a link, a debug header.
    header = request.header("authorization") or ""
    token = header.removeprefix("Basic ")
    spellings = {
        "percent": quote(header, safe=""),
        "percent_lower": re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(header, safe="")),
        "plus": quote_plus(header),
        "unpadded": token.rstrip("="),
        "urlsafe": base64.urlsafe_b64encode(base64.b64decode(token)).decode().rstrip("="),
    }
    return Reply(
        status=401,
        headers={"X-Seen": quote(header, safe=""), "Location": "/login?auth=" + quote_plus(header)},
        body=spellings,
    )


def _basic_forms() -> list[str]:
    token = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    url_token = base64.urlsafe_b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    percent = quote(token, safe="")
    lower = re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), percent)
    return [*_forms(BASIC_PASSWORD), token, token.rstrip("="), url_token.rstrip("="), percent, lower, token[:12]]


def test_an_echoed_basic_header_is_masked_in_every_spelling(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "echo.yaml").write_text(BASIC_OPENAPI, encoding="utf-8")
    (tmp_path / "echo.arazzo.yaml").write_text(BASIC_ARAZZO, encoding="utf-8")
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in FORMATS}
    with LoopbackServer() as server:
        server.script("GET", "/things", _echo_every_spelling)
        code = main(
            [
                "run", str(tmp_path / "echo.arazzo.yaml"), "-w", "list", "--server", server.url,
                "--credential", f"basicAuth={BASIC_USER}:{BASIC_PASSWORD}", "-vv", "--json",
                *[arg for fmt, path in reports.items() for arg in ("--report", f"{fmt}={path}")],
            ]
        )  # fmt: skip
        sent = server.requests_to("GET", "/things")[0].header("authorization")
    captured = capsys.readouterr()
    assert code == 1
    token = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    assert sent == f"Basic {token}" and token.endswith("=")  # padded: the unpadded echo differs from it
    assert "x-seen: " in captured.err and '"unpadded": "***"' in captured.err  # shown, masked
    outputs = {"the -vv trace": captured.err, "--json": captured.out}
    outputs.update({f"the {fmt} report": path.read_text(encoding="utf-8") for fmt, path in reports.items()})
    for where, text in outputs.items():
        for form in _basic_forms():
            assert form not in text, f"{form!r} appears in {where}"
