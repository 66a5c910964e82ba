"""Outputs belong to a step's final result: a retried attempt evaluates none of them to report.

A step that fails twice and is retried used to evaluate its outputs on each
failed attempt and warn "output ... left out" every time (and emit an
``output_evaluated`` event per attempt). Only the attempt whose result is final
reports its outputs and the warnings about them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arazzo_runner import run_workflow
from arazzo_runner.events import Event, OutputEvaluated
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.1.0
info: {title: flaky, version: '1'}
paths:
  /job:
    get:
      operationId: job
      responses: {'200': {description: ok}, '503': {description: busy}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: flaky, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: job
    steps:
      - stepId: fetch
        operationId: job
        successCriteria:
          - condition: $statusCode == 200
        onFailure:
          - {name: again, type: retry, retryAfter: 0, retryLimit: RETRIES}
        outputs:
          id: $response.body#/id
          note: $response.body#/note
    outputs:
      id: $steps.fetch.outputs.id
"""

BUSY = Reply(503, body={"busy": True})


def _write(tmp_path: Path, retries: int) -> Path:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "arazzo.yaml"
    spec.write_text(ARAZZO.replace("RETRIES", str(retries)), encoding="utf-8")
    return spec


async def _no_wait(_: float) -> None:
    return None


def _run(spec: Path, server: LoopbackServer) -> tuple[Any, list[Event]]:
    events: list[Event] = []
    result = run_workflow(spec, "job", servers=server.url, sleep=_no_wait, on_event=events.append)
    return result, events


def test_a_step_that_fails_twice_then_succeeds_warns_only_about_its_final_outputs(tmp_path: Path) -> None:
    spec = _write(tmp_path, retries=3)
    with LoopbackServer() as server:
        server.script("GET", "/job", [BUSY, BUSY, Reply(200, body={"id": 7})])
        result, events = _run(spec, server)
    assert result.status == "succeeded", result.error
    assert [(s.attempt, s.succeeded) for s in result.steps] == [(1, False), (2, False), (3, True)]
    assert [s.warnings for s in result.steps[:2]] == [(), ()]
    assert [s.outputs for s in result.steps[:2]] == [{}, {}]
    final = result.steps[2]
    assert final.outputs == {"id": 7}
    assert len(final.warnings) == 1 and final.warnings[0].startswith("output 'note' left out: ")
    assert result.outputs == {"id": 7}
    evaluated = [(e.name, e.value, e.left_out is not None) for e in events if isinstance(e, OutputEvaluated)]
    assert evaluated == [("id", 7, False), ("note", None, True), ("id", 7, False)]  # fetch's two, then the workflow's


def test_a_step_whose_retries_run_out_reports_the_outputs_of_its_last_attempt(tmp_path: Path) -> None:
    spec = _write(tmp_path, retries=1)
    with LoopbackServer() as server:
        server.script("GET", "/job", [BUSY, Reply(503, body={"busy": True, "note": "try later"})])
        result, events = _run(spec, server)
    assert result.status == "failed"
    first, last = result.steps
    assert (first.warnings, first.outputs) == ((), {})
    assert last.outputs == {"note": "try later"}  # the failed step's final result, for its failure actions (DEC-13)
    assert [w.split(":")[0] for w in last.warnings] == ["output 'id' left out"]
    step_outputs = [e.name for e in events if isinstance(e, OutputEvaluated) and e.step_id == "fetch"]
    assert step_outputs == ["id", "note"]
