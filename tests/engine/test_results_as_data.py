"""What a run and a load report is data a program can read, not only sentences (errors as data).

``StepResult.error`` is a :class:`Failure` like ``WorkflowResult.error`` (a
workflow step's carries the child's failure as ``cause``);
``StepResult.next_action`` is a :class:`NextAction` with a display form;
``InputError.problems`` are :class:`InputProblem` (pointer, rule, message);
``DocumentError.diagnostics`` is declared and holds every finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import (
    DocumentError,
    Failure,
    InputError,
    InputProblem,
    NextAction,
    load,
    run_workflow,
)
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /members/{id}:
    get:
      operationId: getMember
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {'200': {description: ok}, '404': {description: missing}}
"""

DOC = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: parent
    inputs:
      type: object
      required: [member_id]
      properties:
        member_id: {type: string}
        age: {type: integer}
    steps:
      - stepId: child
        workflowId: member
        parameters:
          - {name: member_id, value: $inputs.member_id}
  - workflowId: member
    inputs:
      type: object
      properties:
        member_id: {type: string}
    steps:
      - stepId: get
        operationId: getMember
        parameters:
          - {name: id, in: path, value: $inputs.member_id}
        successCriteria:
          - condition: $statusCode == 200
        onFailure:
          - name: memberMissing
            type: end
            criteria:
              - condition: $statusCode == 404
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    path = tmp_path / "member.arazzo.yaml"
    path.write_text(DOC, encoding="utf-8")
    return path


def test_a_failed_step_carries_a_structured_failure_and_next_action(spec: Path) -> None:
    with LoopbackServer() as server:
        server.script("GET", "/members/7", Reply(status=404, body={"error": "no such member"}))
        result = run_workflow(load(spec), "member", {"member_id": "7"}, servers=server.url)
    assert result.status == "failed"
    (step,) = result.steps
    assert isinstance(step.error, Failure)
    assert (step.error.reason, step.error.step_id, step.error.status_code) == ("step_failed", "get", 404)
    assert step.error.criterion == "$statusCode == 200"
    assert step.next_action == NextAction("end", None, "memberMissing")
    assert str(step.next_action) == "end (memberMissing)"  # the display form the summary prints
    data = step.to_dict()
    assert data["next"] == "end (memberMissing)"
    assert data["nextAction"] == {"kind": "end", "target": None, "action": "memberMissing"}
    assert data["error"]["reason"] == "step_failed" and data["error"]["statusCode"] == 404


def test_a_workflow_step_error_has_the_child_failure_as_its_cause(spec: Path) -> None:
    with LoopbackServer() as server:
        server.script("GET", "/members/7", Reply(status=404, body={}))
        result = run_workflow(load(spec), "parent", {"member_id": "7"}, servers=server.url)
    parent_step = result.steps[-1]
    assert parent_step.step_id == "child" and parent_step.error is not None
    assert parent_step.error.reason == "workflow_failed"
    cause = parent_step.error.cause
    assert cause is not None and (cause.workflow_id, cause.step_id, cause.action) == ("member", "get", "memberMissing")
    assert parent_step.to_dict()["error"]["cause"]["reason"] == "ended_by_failure_action"


def test_a_succeeded_step_has_no_error_and_moves_next(spec: Path) -> None:
    with LoopbackServer() as server:
        server.script("GET", "/members/7", Reply(status=200, body={}))
        result = run_workflow(load(spec), "member", {"member_id": "7"}, servers=server.url)
    (step,) = result.steps
    assert step.error is None and step.next_action == NextAction("next")


def test_input_problems_say_where_and_which_rule(spec: Path) -> None:
    with pytest.raises(InputError) as info:
        run_workflow(load(spec), "parent", {"age": "old", "memberid": "7"})
    problems = {(p.pointer, p.rule) for p in info.value.problems}
    assert problems == {("/memberid", "unknown"), ("/member_id", "required"), ("/age", "type")}
    assert all(isinstance(p, InputProblem) and str(p) == p.message for p in info.value.problems)


def test_document_error_declares_every_finding(tmp_path: Path, spec: Path) -> None:
    text = spec.read_text(encoding="utf-8").replace("$statusCode == 200", "$statusCode === 200")
    text = text.replace("workflowId: member\n        parameters", "workflowId: membr\n        parameters")
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load(spec)
    codes = [d.code for d in info.value.diagnostics if d.severity == "error"]
    assert codes == ["ARZ014", "ARZ021"]
    assert info.value.code == "ARZ014"
    assert DocumentError("on its own").diagnostics == ()
