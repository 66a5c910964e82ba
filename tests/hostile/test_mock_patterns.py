"""The mock server's request validation checks ``pattern`` in bounded time, and one slow check blocks no one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from arazzo_runner import load
from arazzo_runner.mock import MockResponder, make_server

OPENAPI = r"""
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'http://127.0.0.1/'}]
paths:
  /linear:
    get:
      operationId: linear
      parameters:
        - {name: q, in: query, required: true, schema: {type: string, pattern: '^(a+)+$'}}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
  /backtracking:
    get:
      operationId: backtracking
      parameters:
        - {name: q, in: query, required: true, schema: {type: string, pattern: '^(a+)+\1$'}}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
  /body:
    post:
      operationId: body
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                name: {type: string, pattern: '^(?=x)(x+)+\1$'}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
"""

ARAZZO = """
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: openapi.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - {stepId: s, operationId: linear, parameters: [{name: q, in: query, value: a}]}
"""


@pytest.fixture()
def base(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "openapi.yaml").write_text(OPENAPI)
    (tmp_path / "arazzo.yaml").write_text(ARAZZO)
    server = make_server(MockResponder.for_document(load(tmp_path / "arazzo.yaml")), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_catastrophic_pattern_is_checked_in_linear_time(base: str) -> None:
    with httpx.Client(timeout=30) as client:
        assert client.get(f"{base}/linear", params={"q": "a" * 5000}).status_code == 200
        refused = client.get(f"{base}/linear", params={"q": "a" * 5000 + "!"})
    assert refused.status_code == 400
    assert "does not match" in refused.text


def test_a_backtracking_pattern_is_decided_in_the_worker(base: str) -> None:
    with httpx.Client(timeout=30) as client:
        assert client.get(f"{base}/backtracking", params={"q": "aaaa"}).status_code == 200
        refused = client.get(f"{base}/backtracking", params={"q": "a"})
        body_ok = client.post(f"{base}/body", json={"name": "xxxx"})
        body_refused = client.post(f"{base}/body", json={"name": "x"})
    assert refused.status_code == 400 and "query parameter 'q'" in refused.text
    assert body_ok.status_code == 200
    assert body_refused.status_code == 400 and "request body at /name" in body_refused.text


def test_one_slow_pattern_check_blocks_no_other_client(base: str) -> None:
    """A request whose value makes the pattern backtrack for ever is stopped at the budget; meanwhile others
    are answered: the second client's answer comes while the first is still waiting for its own."""
    done: list[str] = []
    answers: dict[str, httpx.Response] = {}

    def slow() -> None:
        with httpx.Client(timeout=60) as client:
            answers["slow"] = client.get(f"{base}/backtracking", params={"q": "a" * 40 + "!"})
        done.append("slow")

    first = threading.Thread(target=slow)
    first.start()
    first.join(1.0)  # the first request is in its pattern check by now (it cannot finish: 2**40 steps)
    with httpx.Client(timeout=30) as client:
        answers["quick"] = client.get(f"{base}/linear", params={"q": "a"})
    done.append("quick")
    first.join(60)
    assert done == ["quick", "slow"]
    assert answers["quick"].status_code == 200
    assert answers["slow"].status_code == 400
    assert "criterion_timeout" in answers["slow"].text
