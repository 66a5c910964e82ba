"""Contexts derived from one another, and runs sharing one Runner, never share what they change.

The engine derives each step's evaluation context from its workflow's (``EvalContext.derived``)
instead of building it again: these tests fail if that copy lets one step, or one run, see
another's request, response or outputs.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from arazzo_runner import Runner, load
from arazzo_runner.language.expressions import EvalContext, HttpView, parse_expression
from tests.support.documents import arazzo_over_api, get_by_id_openapi, write_spec
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

OPENAPI = get_by_id_openapi("/items/{id}", "getItem", "string")
ARAZZO = arazzo_over_api(
    """\
  - workflowId: two
    inputs: {type: object, properties: {first: {type: string}, second: {type: string}}}
    steps:
      - stepId: one
        operationId: getItem
        parameters: [{name: id, in: path, value: $inputs.first}]
        successCriteria: [{condition: $response.body#/id == $inputs.first}]
        outputs: {id: $response.body#/id, tags: $response.body#/tags, url: $url}
      - stepId: two
        operationId: getItem
        parameters: [{name: id, in: path, value: $inputs.second}]
        successCriteria: [{condition: $response.body#/id == $inputs.second}]
        outputs: {id: $response.body#/id, tags: $response.body#/tags, url: $url, before: $steps.one.outputs.id}
    outputs:
      first: $steps.one.outputs.id
      second: $steps.two.outputs.id
      firstTags: $steps.one.outputs.tags
"""
)


def _item(request: RecordedRequest) -> Reply:
    item = request.path.rsplit("/", 1)[-1]
    return Reply(200, body={"id": item, "tags": [item, "shared"]})


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, OPENAPI, ARAZZO)


@pytest.fixture()
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        srv.script("GET", "/items/{id}", _item)
        yield srv


def test_derived_context_is_a_copy_with_the_changes() -> None:
    steps: dict[str, dict[str, object]] = {"a": {"x": 1}}
    base = EvalContext(inputs={"n": 1}, steps=steps, optional_inputs=frozenset({"n"}))
    view = HttpView(body={"id": "r"}, body_kind="json")
    step = base.derived(status_code=200, response=view, url="http://h/r")

    assert step is not base
    assert (step.status_code, step.response, step.url) == (200, view, "http://h/r")
    assert (base.status_code, base.response, base.url) == (None, None, None)  # the base is untouched
    assert step == dataclasses.replace(base, status_code=200, response=view, url="http://h/r")
    assert step.inputs is base.inputs and step.steps is steps  # read through, as replace() does
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.status_code = 500  # type: ignore[misc]
    other = base.derived(status_code=404)
    assert step.status_code == 200 and other.status_code == 404 and other.response is None


def test_a_step_sees_its_own_response_not_the_one_before(spec: Path, server: LoopbackServer) -> None:
    with Runner(servers=server.url) as runner:
        result = runner.run(load(spec), "two", {"first": "a1", "second": "b2"})
    assert result.status == "succeeded", result.error
    one, two = result.steps
    assert one.outputs == {"id": "a1", "tags": ["a1", "shared"], "url": f"{server.url}/items/a1"}
    assert two.outputs == {"id": "b2", "tags": ["b2", "shared"], "url": f"{server.url}/items/b2", "before": "a1"}
    assert result.outputs == {"first": "a1", "second": "b2", "firstTags": ["a1", "shared"]}


def test_changing_a_result_does_not_reach_the_next_run(spec: Path, server: LoopbackServer) -> None:
    doc = load(spec)
    with Runner(servers=server.url) as runner:
        first = runner.run(doc, "two", {"first": "a1", "second": "b2"})
        first.outputs["firstTags"].append("edited")  # type: ignore[attr-defined]
        first.steps[0].outputs["tags"].append("edited")  # type: ignore[attr-defined]
        again = runner.run(doc, "two", {"first": "a1", "second": "b2"})
    assert again.outputs["firstTags"] == ["a1", "shared"]
    assert again.steps[0].outputs["tags"] == ["a1", "shared"]


def test_concurrent_runs_on_one_runner_keep_their_own_state(spec: Path, server: LoopbackServer) -> None:
    doc = load(spec)

    async def many() -> list[tuple[str, str, object]]:
        async with httpx.AsyncClient() as client:
            runner = Runner(servers=server.url, client=client)
            results = await asyncio.gather(
                *(runner.arun(doc, "two", {"first": f"a{i}", "second": f"b{i}"}) for i in range(24))
            )
        return [(r.outputs["first"], r.outputs["second"], r.steps[1].outputs["before"]) for r in results]

    assert asyncio.run(many()) == [(f"a{i}", f"b{i}", f"a{i}") for i in range(24)]


def test_response_expressions_read_only_the_context_they_are_given() -> None:
    base = EvalContext()
    first = base.derived(response=HttpView(body={"id": "one"}, body_kind="json"), status_code=200)
    second = base.derived(response=HttpView(body={"id": "two"}, body_kind="json"), status_code=201)
    body_id = parse_expression("$response.body#/id")
    status = parse_expression("$statusCode")
    assert (body_id.evaluate(first), status.evaluate(first)) == ("one", 200)
    assert (body_id.evaluate(second), status.evaluate(second)) == ("two", 201)
    with pytest.raises(Exception, match="there is no response"):
        body_id.evaluate(base)
