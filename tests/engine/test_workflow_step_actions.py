"""DEC-14 / DEC-53: the action criteria of a workflowId step see the child's outputs as $outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import run_workflow
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: http://127.0.0.1:9}]
paths:
  /flag: {get: {operationId: getFlag, responses: {'200': {description: ok}}}}
  /yes: {get: {operationId: onYes, responses: {'200': {description: ok}}}}
  /no: {get: {operationId: onNo, responses: {'200': {description: ok}}}}
"""
ARAZZO = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: openapi.yaml, type: openapi}]
workflows:
  - workflowId: child
    steps:
      - stepId: read
        operationId: getFlag
        outputs: {flag: $response.body#/flag}
    outputs: {flag: $steps.read.outputs.flag}
  - workflowId: parent
    steps:
      - stepId: call
        workflowId: child
        onSuccess:
          - {name: whenYes, type: goto, stepId: yes, criteria: [{condition: $outputs.flag == true}]}
      - stepId: no
        operationId: onNo
        onSuccess: [{name: done, type: end}]
      - stepId: yes
        operationId: onYes
"""


@pytest.mark.parametrize("flag, expected", [(True, "/yes"), (False, "/no")])
def test_action_criteria_of_a_workflow_step_see_the_child_outputs(tmp_path: Path, flag: bool, expected: str) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI)
    (tmp_path / "wf.yaml").write_text(ARAZZO)
    with LoopbackServer() as server:
        server.script("GET", "/flag", [Reply(200, body={"flag": flag})])
        server.script("GET", "/yes", [Reply(200, body={})])
        server.script("GET", "/no", [Reply(200, body={})])
        result = run_workflow(tmp_path / "wf.yaml", "parent", servers=server.url)
        paths = [r.path for r in server.requests]
    assert result.status == "succeeded", result.error
    assert paths == ["/flag", expected]
