"""The event stream: every kind, in order, typed, with secrets masked before a listener sees them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from arazzo_runner import Runner, events, load, run_workflow
from arazzo_runner.events import (
    ActionChosen,
    CriterionEvaluated,
    Event,
    OutputEvaluated,
    RequestSent,
    ResponseReceived,
    RetryWaiting,
    RunFinished,
    RunStarted,
    ServerResolved,
    StepFinished,
    StepStarted,
    TokenFetched,
    WorkflowFinished,
    WorkflowStarted,
)
from tests.reports.fixtures import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    CREDENTIALS,
    INPUTS,
    PASSWORD,
    script_items,
    write_documents,
)
from tests.support.loopback import LoopbackServer, Reply


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _run(tmp_path: Path, server: LoopbackServer, **kwargs: object) -> tuple[list[Event], object]:
    seen: list[Event] = []
    result = run_workflow(
        write_documents(tmp_path),
        "main",
        INPUTS,
        servers=server.url,
        credentials=CREDENTIALS,
        on_event=seen.append,
        **kwargs,  # type: ignore[arg-type]
    )
    return seen, result


def test_a_run_is_told_from_start_to_finish_in_order(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, result = _run(tmp_path, server)

    assert isinstance(seen[0], RunStarted) and isinstance(seen[-1], RunFinished)
    assert seen[-1].result is result and seen[-1].status == "succeeded"
    times = [event.time for event in seen]
    assert times == sorted(times)  # monotonic
    steps = [(e.workflow_id, e.step_id, e.attempt) for e in seen if isinstance(e, StepStarted)]
    assert steps == [
        ("main", "create", 1),
        ("main", "poll", 1),
        ("main", "poll", 2),
        ("main", "nested", 1),
        ("child", "ping", 1),
    ]
    kinds = {type(e) for e in seen}
    for kind in (
        WorkflowStarted,
        WorkflowFinished,
        ServerResolved,
        StepFinished,
        RequestSent,
        ResponseReceived,
        CriterionEvaluated,
        ActionChosen,
        RetryWaiting,
        OutputEvaluated,
        TokenFetched,
    ):
        assert kind in kinds, kind.__name__
    # every event kind is named once, and the public module lists it
    assert len({cls.kind for cls in kinds}) == len(kinds)
    assert {cls.__name__ for cls in kinds} <= set(events.__all__)


def test_nested_workflow_events_carry_the_path(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, _ = _run(tmp_path, server)

    ping = next(e for e in seen if isinstance(e, StepFinished) and e.step_id == "ping")
    assert ping.path == ("main", "child") and ping.workflow_id == "child"
    nested = next(e for e in seen if isinstance(e, StepFinished) and e.step_id == "nested")
    assert nested.path == ("main",)
    finished = [(e.workflow_id, e.status) for e in seen if isinstance(e, WorkflowFinished)]
    assert finished == [("child", "succeeded"), ("main", "succeeded")]


def test_requests_and_responses_have_headers_bodies_and_timing(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, _ = _run(tmp_path, server)

    create = next(e for e in seen if isinstance(e, RequestSent) and e.step_id == "create")
    assert create.method == "POST" and create.url == f"{server.url}/items"
    assert ("authorization", "***") in create.headers
    assert json.loads(create.body or "") == {"name": "widget", "password": "***"}
    answer = next(e for e in seen if isinstance(e, ResponseReceived) and e.step_id == "create")
    assert answer.status_code == 201 and answer.reason == "Created" and answer.elapsed >= 0
    assert json.loads(answer.body or "")["id"] == 7
    assert ("content-type", "application/json") in answer.headers


def test_criteria_actions_retries_and_outputs_say_why(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, _ = _run(tmp_path, server)

    failed = [e for e in seen if isinstance(e, CriterionEvaluated) and not e.passed]
    assert failed[0].step_id == "poll" and failed[0].text == "$statusCode == 200" and failed[0].type == "simple"
    assert "503" in failed[0].explanation  # the value it saw
    retry_criterion = next(e for e in seen if isinstance(e, CriterionEvaluated) and e.role == "action again")
    assert retry_criterion.passed
    chosen = [(e.step_id, e.action, e.name) for e in seen if isinstance(e, ActionChosen)]
    assert chosen[:3] == [("create", "next", None), ("poll", "retry", "again"), ("poll", "next", None)]
    wait = next(e for e in seen if isinstance(e, RetryWaiting))
    assert (wait.delay, wait.source, wait.action) == (0.0, "Retry-After header", "again")
    outputs = {(e.step_id, e.name): e for e in seen if isinstance(e, OutputEvaluated)}
    assert outputs[("create", "id")].value == 7
    assert outputs[("create", "missing")].left_out and outputs[("create", "missing")].value is None
    assert outputs[(None, "id")].value == 7  # the workflow's own output


def test_the_server_and_where_it_came_from(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, _ = _run(tmp_path, server)
    resolved = [e for e in seen if isinstance(e, ServerResolved)]
    assert [(e.source, e.url, e.origin) for e in resolved] == [("items", server.url, "the servers= argument")]


def test_a_token_fetch_is_an_exchange_of_its_own_with_the_token_masked(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, _ = _run(tmp_path, server)

    token = next(e for e in seen if isinstance(e, TokenFetched))
    assert token.token_url == f"{server.url}/oauth/token" and token.step_id == "create"
    assert token.response is not None and token.response.status_code == 200
    assert ACCESS_TOKEN not in (token.response.body or "") and "***" in (token.response.body or "")
    assert ("authorization", "***") in token.request.headers


def test_no_secret_reaches_any_event(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, _ = _run(tmp_path, server)
    started = seen[0]
    assert isinstance(started, RunStarted) and started.inputs == {"name": "widget", "password": "***"}
    text = repr([asdict(e) if not isinstance(e, RunFinished) else repr(e) for e in seen])
    for secret in (PASSWORD, CLIENT_SECRET, ACCESS_TOKEN, json.dumps(PASSWORD)[1:-1]):
        assert secret not in text


def test_events_are_frozen_and_typed(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    seen, _ = _run(tmp_path, server)
    with pytest.raises(AttributeError):
        seen[0].time = 0.0  # type: ignore[misc]
    assert all(isinstance(e, Event) and e.kind != "event" for e in seen)


def test_stream_yields_the_events_as_an_async_iterator(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    document = load(write_documents(tmp_path))
    runner = Runner(servers=server.url, credentials=CREDENTIALS)

    async def collect() -> list[Event]:
        return [event async for event in runner.stream(document, "main", INPUTS)]

    seen = asyncio.run(collect())
    assert isinstance(seen[0], RunStarted)
    assert isinstance(seen[-1], RunFinished) and seen[-1].result.outputs == {"id": 7}


def test_stream_raises_what_stops_a_run_before_it_starts(tmp_path: Path, server: LoopbackServer) -> None:
    document = load(write_documents(tmp_path))
    runner = Runner(servers=server.url, credentials=CREDENTIALS)

    async def collect() -> list[Event]:
        return [event async for event in runner.stream(document, "main", {"name": 5})]

    with pytest.raises(Exception, match="invalid inputs"):
        asyncio.run(collect())
    assert server.requests == []


def test_a_failing_step_ends_with_stop_and_the_reason(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server, poll_fails=True)
    seen, result = _run(tmp_path, server)
    assert result.status == "failed"  # type: ignore[attr-defined]
    stop = next(e for e in seen if isinstance(e, ActionChosen) and e.step_id == "poll")
    assert stop.action == "stop" and "no onFailure action matched" in stop.reason
    poll = next(e for e in seen if isinstance(e, StepFinished) and e.step_id == "poll")
    assert not poll.succeeded and poll.failed_criterion == "$statusCode == 200" and poll.next_action == "stop"


def test_without_a_listener_no_observer_is_made(tmp_path: Path, server: LoopbackServer) -> None:
    from arazzo_runner.engine.execution import Execution

    made: list[object] = []
    original = Execution.run

    async def spy(self: Execution, *args: object) -> object:
        made.append(self.observer)
        return await original(self, *args)  # type: ignore[arg-type]

    script_items(server)
    Execution.run = spy  # type: ignore[method-assign]
    try:
        result = run_workflow(write_documents(tmp_path), "main", INPUTS, servers=server.url, credentials=CREDENTIALS)
    finally:
        Execution.run = original  # type: ignore[method-assign]
    assert made == [None] and result.status == "succeeded"


def test_the_first_of_several_description_servers_is_named(tmp_path: Path, server: LoopbackServer) -> None:
    server.script("GET", "/ping", Reply(body={}))
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        f"servers: [{{url: '{server.url}'}}, {{url: 'https://staging.invalid'}}]\n"
        "paths: {/ping: {get: {operationId: ping, responses: {'200': {description: ok}}}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "wf.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]\n"
        "workflows: [{workflowId: w, steps: [{stepId: s, operationId: ping}]}]\n",
        encoding="utf-8",
    )
    seen: list[Event] = []
    run_workflow(tmp_path / "wf.yaml", "w", on_event=seen.append)
    resolved = next(e for e in seen if isinstance(e, ServerResolved))
    assert (resolved.url, resolved.origin) == (server.url, "the first of 2 servers in the description")


def test_token_exchanges_are_collected_for_the_observed_run_only(tmp_path: Path, server: LoopbackServer) -> None:
    from arazzo_runner.engine.security import TOKEN_RESPONSES

    script_items(server)
    document = load(write_documents(tmp_path))

    async def two_runs() -> tuple[object, int]:
        seen: list[Event] = []
        await Runner(servers=server.url, credentials=CREDENTIALS).arun(document, "main", INPUTS, on_event=seen.append)
        after = TOKEN_RESPONSES.get()
        await Runner(servers=server.url, credentials=CREDENTIALS).arun(document, "main", INPUTS)
        return after, sum(isinstance(e, TokenFetched) for e in seen)

    after, fetched = asyncio.run(two_runs())
    assert after is None and fetched == 1
    assert len(server.requests_to("POST", "/oauth/token")) == 1  # the process keeps the token for the second run


def test_a_refused_token_request_is_told_under_its_step(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    server.script("POST", "/oauth/token", Reply(status=401, body={"error": "invalid_client"}))
    seen, result = _run(tmp_path, server)
    assert result.status == "failed"  # type: ignore[attr-defined]
    token = next(e for e in seen if isinstance(e, TokenFetched))
    assert token.step_id == "create" and token.response is not None and token.response.status_code == 401
    finished = next(e for e in seen if isinstance(e, StepFinished))
    assert finished.step_id == "create" and "answered 401" in (finished.error or "")
    assert not any(isinstance(e, RequestSent) for e in seen)  # the step's own request was never sent


def test_closing_the_stream_early_cancels_the_run(tmp_path: Path) -> None:
    from contextlib import aclosing

    with LoopbackServer() as server:
        script_items(server)
        server.script("GET", "/items/7", Reply(body={"id": 7}, delay=120))  # the second step hangs
        document = load(write_documents(tmp_path))
        runner = Runner(servers=server.url, credentials=CREDENTIALS)

        async def until_poll_is_sent() -> tuple[list[str], list[asyncio.Task[object]]]:
            kinds: list[str] = []
            async with aclosing(runner.stream(document, "main", INPUTS)) as stream:
                async for event in stream:
                    kinds.append(event.kind)
                    if isinstance(event, RequestSent) and event.step_id == "poll":
                        break
            # The run was cancelled when the stream closed: nothing of it is left running long before the
            # hanging response (120 s) could arrive. Polled, not timed: on a slow machine it may take a while.
            for _ in range(300):
                if all(t.done() for t in asyncio.all_tasks() if t is not asyncio.current_task()):
                    break
                await asyncio.sleep(0.1)
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
            return kinds, left

        kinds, left = asyncio.run(until_poll_is_sent())
    assert left == []
    assert kinds[0] == "run_started" and kinds[-1] == "request_sent" and "run_finished" not in kinds
