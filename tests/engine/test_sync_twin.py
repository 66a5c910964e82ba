"""``run_workflow`` is the blocking twin of ``arun_workflow``: one parameter list, written once."""

from __future__ import annotations

import inspect

import pytest

from arazzo_runner import arun_workflow, run_workflow
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /ping:
    get:
      operationId: ping
      responses: {'200': {description: ok}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: ping
    inputs: {type: object, properties: {n: {type: integer}}}
    steps:
      - stepId: ping
        operationId: ping
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {body: $response.body}
    outputs: {body: $steps.ping.outputs.body, n: $inputs.n}
"""


def test_help_shows_the_same_parameters_as_the_async_twin() -> None:
    sync = inspect.signature(run_workflow)
    assert sync == inspect.signature(arun_workflow)
    assert {"servers", "credentials", "limits", "checks", "on_event"} <= set(sync.parameters)
    assert run_workflow.__name__ == "run_workflow" and "(blocking)" in (run_workflow.__doc__ or "")


def test_every_setting_reaches_the_run(tmp_path) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "wf.arazzo.yaml"
    spec.write_text(ARAZZO, encoding="utf-8")
    events: list[str] = []
    with LoopbackServer() as server:
        server.script("GET", "/ping", Reply(body={"pong": True}))
        result = run_workflow(spec, "ping", {"n": 3}, servers=server.url, on_event=lambda e: events.append(e.kind))
    assert result.status == "succeeded", result.error
    assert result.outputs == {"body": {"pong": True}, "n": 3}
    assert events[0] == "run_started" and events[-1] == "run_finished"


def test_a_misspelt_setting_is_refused_before_anything_runs(tmp_path) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'server'"):
        run_workflow(tmp_path / "missing.arazzo.yaml", "ping", server="http://127.0.0.1:9")
