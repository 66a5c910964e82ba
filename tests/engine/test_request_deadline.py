"""One timer bounds every request of a run (``RequestDeadline``): each request still gets its own deadline,
and a cancellation from elsewhere stays a cancellation."""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest

from arazzo_runner.engine.bounded import DeadlineExceeded, RequestDeadline
from arazzo_runner.engine.request import PreparedRequest
from arazzo_runner.engine.transport import send

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="the run's timer is used on Python 3.11+")


def _client(delays: dict[str, float]) -> httpx.AsyncClient:
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(delays.get(request.url.path, 0.0))
        return httpx.Response(200, json={"path": request.url.path})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def _send(client: httpx.AsyncClient, path: str, timeout: float, deadline: RequestDeadline) -> httpx.Response:
    prepared = PreparedRequest(method="GET", base_url="http://api.test", path=path)
    request = client.build_request("GET", prepared.url)
    return await send(client, request, prepared, follow_redirects=False, timeout=timeout, deadline=deadline)


def test_each_request_of_a_run_has_its_own_deadline() -> None:
    async def scenario() -> list[str]:
        deadline = RequestDeadline()
        seen = []
        async with _client({"/slow": 30.0, "/quick": 0.01}) as client:
            for path, timeout in [("/quick", 0.2), ("/quick", 0.2), ("/slow", 0.05), ("/quick", 5.0), ("/slow", 0.3)]:
                try:
                    response = await _send(client, path, timeout, deadline)
                    seen.append(response.json()["path"])
                except DeadlineExceeded as exc:
                    seen.append(f"timeout: {exc}")
        deadline.close()
        return seen

    assert asyncio.run(asyncio.wait_for(scenario(), 20)) == [
        "/quick",
        "/quick",
        "timeout: no complete response within 0.05s",  # shorter than the timer left by the requests before
        "/quick",
        "timeout: no complete response within 0.3s",  # the timer set again for this request's own deadline
    ]


def test_the_timer_left_by_a_finished_request_stops_nothing() -> None:
    async def scenario() -> str:
        deadline = RequestDeadline()
        async with _client({"/quick": 0.0}) as client:
            await _send(client, "/quick", 0.05, deadline)
            await asyncio.sleep(0.15)  # the first request's timer fires while no request runs
            response = await _send(client, "/quick", 5.0, deadline)
        deadline.close()
        return str(response.json()["path"])

    assert asyncio.run(scenario()) == "/quick"


def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    async def scenario() -> tuple[bool, bool]:
        deadline = RequestDeadline()
        async with _client({"/slow": 30.0}) as client:
            task = asyncio.ensure_future(_send(client, "/slow", 10.0, deadline))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            follow_up = await _send(client, "/other", 5.0, deadline)  # the timer is free for the next request
        deadline.close()
        return task.cancelled(), follow_up.status_code == 200

    assert asyncio.run(scenario()) == (True, True)


def test_a_second_request_at_once_gets_a_timer_of_its_own() -> None:
    async def scenario() -> list[str]:
        deadline = RequestDeadline()
        async with _client({"/slow": 30.0, "/quick": 0.05}) as client:
            results = await asyncio.gather(
                _send(client, "/slow", 0.1, deadline), _send(client, "/quick", 5.0, deadline), return_exceptions=True
            )
        deadline.close()
        return [type(r).__name__ if isinstance(r, BaseException) else r.json()["path"] for r in results]

    assert asyncio.run(scenario()) == ["DeadlineExceeded", "/quick"]
