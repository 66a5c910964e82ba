"""The HAR and JUnit reports against the published schemas: HAR 1.2 as the npm package ``har-schema``
writes it, JUnit as the XSD the pytest source distribution ships. ``make test`` fetches both (published.py);
without them these tests skip, naming what is missing and how to get it."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema

from arazzo_runner import Limits, run_workflow
from arazzo_runner.events import Event, RequestSent
from arazzo_runner.reports import Recorder, render
from tests.reports.fixtures import CREDENTIALS, INPUTS, script_items, write_documents
from tests.reports.published import published_har_validator, published_junit_schema
from tests.support.loopback import LoopbackServer, Reply


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


OUTCOMES = ["succeeded", "failed", "interrupted", "timed out"]


def _recorded(tmp_path: Path, server: LoopbackServer, outcome: str) -> Recorder:
    """A run of the items workflow (an OAuth2 token request first) that ends as ``outcome``.

    "interrupted" is what a Ctrl-C leaves while the second step's request is in flight: the recorder has
    seen every event up to that request when ``run`` marks it (the run itself ends by its timeout here).
    "timed out" is the run timeout stopping that request."""
    script_items(server, poll_fails=outcome == "failed")
    recorder = Recorder()
    listener: Callable[[Event], None] = recorder
    limits = None
    if outcome in ("interrupted", "timed out"):  # the second step never answers
        server.script("GET", "/items/7", Reply(body={"id": 7}, delay=60))
        limits = Limits(run_timeout=0.5)
    if outcome == "interrupted":
        seen_in_flight = False

        def listener(event: Event) -> None:
            nonlocal seen_in_flight
            if not seen_in_flight:
                recorder(event)
            seen_in_flight = seen_in_flight or (isinstance(event, RequestSent) and event.url.endswith("/items/7"))

    run_workflow(
        write_documents(tmp_path), "main", INPUTS, servers=server.url, credentials=CREDENTIALS,
        limits=limits, on_event=listener,
    )  # fmt: skip
    if outcome == "interrupted":
        recorder.interrupt("SIGINT")
    expected = {"succeeded": "succeeded", "failed": "failed", "interrupted": "interrupted", "timed out": "failed"}
    assert recorder.status == expected[outcome]
    assert recorder.stop_reason == {"interrupted": "SIGINT", "timed out": "run_timeout"}.get(outcome)
    return recorder


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_har_report_is_valid_against_the_published_schema(
    tmp_path: Path, server: LoopbackServer, outcome: str
) -> None:
    validator = published_har_validator()
    har = json.loads(render("har", _recorded(tmp_path, server, outcome)))
    validator.validate(har)
    entries = har["log"]["entries"]
    assert entries[0]["request"]["url"].endswith("/oauth/token")  # the token request is an entry too
    statuses = [e["response"]["status"] for e in entries]
    expected = {"succeeded": [200, 201, 503, 200, 200], "failed": [200, 201, 404]}
    assert statuses == expected.get(outcome, [200, 201, 0])  # stopped: the last request is in flight


def _broken(har: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    no_timings = copy.deepcopy(har)
    del no_timings["log"]["entries"][0]["timings"]
    yield "an entry without timings", no_timings
    text_status = copy.deepcopy(har)
    text_status["log"]["entries"][0]["response"]["status"] = "200"
    yield "a status as text", text_status
    bad_date = copy.deepcopy(har)
    bad_date["log"]["entries"][0]["startedDateTime"] = "yesterday"
    yield "a start that is no date", bad_date
    no_creator = copy.deepcopy(har)
    del no_creator["log"]["creator"]
    yield "a log without its creator", no_creator
    header_list = copy.deepcopy(har)
    header_list["log"]["entries"][0]["request"]["headers"] = [["Accept", "*/*"]]
    yield "headers as pairs", header_list


def test_the_published_har_schema_rejects_a_broken_har(tmp_path: Path, server: LoopbackServer) -> None:
    validator = published_har_validator()
    har = json.loads(render("har", _recorded(tmp_path, server, "succeeded")))
    validator.validate(har)
    for what, broken in _broken(har):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)
        assert not validator.is_valid(broken), what


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_junit_report_is_valid_against_the_published_xsd(
    tmp_path: Path, server: LoopbackServer, outcome: str
) -> None:
    schema = published_junit_schema()
    text = render("junit", _recorded(tmp_path, server, outcome))
    schema.validate(text)
    marks = {"succeeded": "<testcase", "failed": "<failure", "interrupted": "<error", "timed out": "<failure"}
    assert marks[outcome] in text


def test_the_published_junit_xsd_rejects_a_broken_report(tmp_path: Path, server: LoopbackServer) -> None:
    schema = published_junit_schema()
    text = render("junit", _recorded(tmp_path, server, "failed"))
    schema.validate(text)
    broken = {
        "a suite without its failure count": re.sub(r'(<testsuite [^>]*?) failures="1"', r"\1", text, count=1),
        "a case without a name": text.replace("<testcase name=", "<testcase title=", 1),
        "an element the format does not have": text.replace("<failure", "<failed", 1).replace(
            "</failure>", "</failed>"
        ),
    }
    for what, document in broken.items():
        assert document != text, what
        with pytest.raises(xmlschema.XMLSchemaValidationError):
            schema.validate(document)
