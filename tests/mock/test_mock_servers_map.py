"""The engine knows nothing of the mock: the mock hands it a servers map for sources without a usable URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import load, run_workflow
from arazzo_runner.mock import mock_servers

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: '1'}
%(servers)s
paths:
  /ping:
    get:
      operationId: ping
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: object, properties: {ok: {type: boolean}}}}}
"""

DOC = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: Ping_API, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: ping
    steps:
      - stepId: ping
        operationId: ping
        successCriteria: [{condition: $statusCode == 200}]
"""


def _spec(tmp_path: Path, servers: str) -> Path:
    (tmp_path / "openapi.yaml").write_text(OPENAPI % {"servers": servers}, encoding="utf-8")
    path = tmp_path / "ping.arazzo.yaml"
    path.write_text(DOC, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "servers",
    ["", "servers: [{url: 'https://{region}.example.com'}]"],
    ids=["no-servers", "variable-without-default"],
)
def test_a_source_without_a_usable_url_gets_a_made_up_one_and_the_mock_runs_it(tmp_path: Path, servers: str) -> None:
    document = load(_spec(tmp_path, servers))
    assert mock_servers(document) == {"Ping_API": "http://ping-api.invalid"}
    assert run_workflow(document, "ping", {}, mock=True).status == "succeeded"
    # Without the mock the same document needs servers=: the engine does not invent a host.
    offline = run_workflow(document, "ping", {})
    assert offline.status == "failed" and offline.error is not None
    assert "servers=" in offline.error.message


def test_a_usable_url_and_the_callers_servers_are_kept(tmp_path: Path) -> None:
    document = load(_spec(tmp_path, "servers: [{url: 'https://api.example.com/v1'}]"))
    assert mock_servers(document) is None
    assert mock_servers(document, {"Ping_API": "http://127.0.0.1:9"}) == {"Ping_API": "http://127.0.0.1:9"}
    assert mock_servers(document, "http://127.0.0.1:9") == "http://127.0.0.1:9"
