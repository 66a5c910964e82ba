"""Each redirect hop is an exchange of its own (events, -vv trace, JSON report, HAR), secrets masked on
every hop; HAR timings come from real measurements of each exchange."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.cli.app import main
from arazzo_runner.events import Event, RequestSent, ResponseReceived
from arazzo_runner.reports import FORMATS, Recorder, render, write_report
from tests.reports.support import validate_file
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

TOKEN = "tok-Redirect/Secret+42"

OPENAPI = """
openapi: 3.0.3
info: {title: hops, version: '1'}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
security: [{bearer: []}]
paths:
  /start:
    get:
      operationId: start
      responses: {'200': {description: ok}}
"""

ARAZZO = """
arazzo: 1.0.1
info: {title: hops, version: '1'}
sourceDescriptions:
  - {name: hops, url: ./hops.yaml, type: openapi}
workflows:
  - workflowId: follow
    steps:
      - stepId: start
        operationId: start
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          saw: $response.body#/saw
"""


def _documents(folder: Path) -> Path:
    (folder / "hops.yaml").write_text(textwrap.dedent(OPENAPI), encoding="utf-8")
    path = folder / "hops.arazzo.yaml"
    path.write_text(textwrap.dedent(ARAZZO), encoding="utf-8")
    return path


def _moved(request: RecordedRequest) -> Reply:
    # Echoes the credential in the redirect's own body too: its hop is recorded with its body.
    moved = {"moved": request.header("authorization")}
    return Reply(status=302, headers={"Location": "/landing?from=start"}, body=moved)


def _landing(request: RecordedRequest) -> Reply:
    return Reply(body={"saw": request.header("authorization")})


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        running.script("GET", "/start", _moved)
        running.script("GET", "/landing", _landing)
        yield running


def _assert_no_token(where: str, text: str) -> None:
    for form in (TOKEN, json.dumps(TOKEN)[1:-1], TOKEN.replace("/", "%2F"), TOKEN[:8]):
        assert form not in text, f"{form!r} appears in {where}"


def test_each_redirect_hop_is_its_own_exchange_everywhere_and_masked(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in FORMATS}
    code = main(
        [
            "run", str(_documents(tmp_path)), "-w", "follow", "--server", server.url,
            "--credential", f"bearer={TOKEN}", "--follow-redirects", "-vv",
            *[arg for fmt, path in reports.items() for arg in ("--report", f"{fmt}={path}")],
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    # the server saw the token on both hops, and echoed it: masking is what keeps it out
    assert [(r.path, r.header("authorization")) for r in server.requests] == [
        ("/start", f"Bearer {TOKEN}"),
        ("/landing", f"Bearer {TOKEN}"),
    ]
    texts = {fmt: validate_file(fmt, path) for fmt, path in reports.items()}
    entries = json.loads(texts["har"])["log"]["entries"]
    assert [(e["request"]["url"].removeprefix(server.url), e["response"]["status"]) for e in entries] == [
        ("/start", 302),
        ("/landing?from=start", 200),
    ]
    assert entries[0]["response"]["redirectURL"] == "/landing?from=start"
    assert '"moved": "Bearer ***"' in entries[0]["response"]["content"]["text"]
    assert '"saw": "Bearer ***"' in entries[1]["response"]["content"]["text"]
    step = json.loads(texts["json"])["steps"][0]
    assert [(x["request"]["url"].removeprefix(server.url), x["response"]["statusCode"]) for x in step["exchanges"]] == [
        ("/start", 302),
        ("/landing?from=start", 200),
    ]
    assert step["statusCode"] == 200
    # -vv shows both requests and both responses, in order
    assert err.index(f"GET {server.url}/start") < err.index("302") < err.index(f"GET {server.url}/landing")
    _assert_no_token("the -vv trace", err)
    for fmt, text in texts.items():
        _assert_no_token(f"the {fmt} report", text)


def test_the_events_of_a_redirect_alternate_request_and_response(tmp_path: Path, server: LoopbackServer) -> None:
    seen: list[Event] = []
    result = run_workflow(
        _documents(tmp_path), "follow", servers=server.url, credentials={"bearer": TOKEN},
        follow_redirects=True, on_event=seen.append,
    )  # fmt: skip
    assert result.status == "succeeded" and result.outputs == {}  # the step's outputs are not workflow outputs
    http = [e for e in seen if isinstance(e, (RequestSent, ResponseReceived))]
    assert [type(e).__name__ for e in http] == ["RequestSent", "ResponseReceived"] * 2
    assert [e.status_code for e in http if isinstance(e, ResponseReceived)] == [302, 200]
    assert all(e.step_id == "start" for e in http)
    sent = [e for e in http if isinstance(e, RequestSent)]
    assert all(dict(e.headers)["authorization"] == "***" for e in sent)
    _assert_no_token("the events", repr(seen))


def test_without_following_the_redirect_is_the_one_exchange(tmp_path: Path, server: LoopbackServer) -> None:
    recorder = Recorder()
    run_workflow(_documents(tmp_path), "follow", servers=server.url, credentials={"bearer": TOKEN}, on_event=recorder)
    assert [(x.response.status_code if x.response else None) for x in recorder.exchanges] == [302]


def test_har_timings_are_measured_consistent_and_non_negative(tmp_path: Path, server: LoopbackServer) -> None:
    recorder = Recorder()
    result = run_workflow(
        _documents(tmp_path), "follow", servers=server.url, credentials={"bearer": TOKEN},
        follow_redirects=True, on_event=recorder,
    )  # fmt: skip
    assert result.status == "succeeded"
    write_report("har", recorder, tmp_path / "run.har")
    entries = json.loads(validate_file("har", tmp_path / "run.har"))["log"]["entries"]
    assert len(entries) == 2
    for entry in entries:
        timings = entry["timings"]
        assert set(timings) == {"blocked", "dns", "connect", "ssl", "send", "wait", "receive"}
        assert all(value == -1 or value >= 0 for value in timings.values()), timings
        assert timings["dns"] == -1 and timings["ssl"] == -1  # plain HTTP; resolving is inside connect
        assert timings["send"] >= 0 and timings["wait"] > 0 and timings["receive"] >= 0
        parts = [value for name, value in timings.items() if value > 0 and name != "ssl"]
        assert entry["time"] == pytest.approx(sum(parts), abs=0.002) and entry["time"] > 0
        # the phases lie within the exchange as the event stream timed it
        response = next(x.response for x in recorder.exchanges if x.request.url == entry["request"]["url"])
        assert response is not None and response.timings is not None
        assert entry["time"] <= response.elapsed * 1000 + 0.002
    # a fresh client opens a connection for the first request; the second hop reuses it
    assert entries[0]["timings"]["connect"] > 0
    assert entries[1]["timings"]["connect"] == -1


def test_a_transport_that_reports_no_phases_gives_the_whole_exchange_as_wait(tmp_path: Path) -> None:
    import asyncio

    import httpx

    from arazzo_runner import arun_workflow

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"saw": "nothing"})

    async def go() -> str:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            result = await arun_workflow(
                _documents(tmp_path), "follow", servers="http://hops.invalid", credentials={"bearer": TOKEN},
                client=client, on_event=recorder,
            )  # fmt: skip
        return result.status

    recorder = Recorder()
    assert asyncio.run(go()) == "succeeded"
    entry = json.loads(render("har", recorder))["log"]["entries"][0]
    assert entry["timings"] == {"send": 0, "wait": entry["time"], "receive": 0} and entry["time"] >= 0
