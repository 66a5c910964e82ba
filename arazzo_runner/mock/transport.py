"""The in-process httpx transport over a :class:`MockResponder`: no sockets, no network."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ..plan.model import ArazzoDocument
from .responder import MockResponder
from .scenario import Scenario

__all__ = ["MockTransport", "mock_client"]


class MockTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Answers every request with ``responder`` (sync and async clients alike)."""

    def __init__(self, responder: MockResponder) -> None:
        self.responder = responder

    def _reply(self, request: httpx.Request) -> httpx.Response:
        answer = self.responder.respond(
            request.method, str(request.url), list(request.headers.multi_items()), request.content
        )
        return httpx.Response(answer.status, headers=list(answer.headers), content=answer.body, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._reply(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self._reply(request)


@asynccontextmanager
async def mock_client(
    document: ArazzoDocument,
    *,
    workflow: str | None = None,
    seed: int = 0,
    scenario: str | os.PathLike[str] | Mapping[str, Any] | Scenario | None = None,
    validate: bool = True,
    responder: MockResponder | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """An ``httpx.AsyncClient`` whose every request is answered from ``document``'s OpenAPI descriptions.

    ``workflow``: the workflowId about to run, if known; it makes attributing
    requests to steps exact where steps of other workflows share operations.

    ``seed`` makes generated values differ between runs (the same seed, the
    same values); ``scenario`` overrides responses per stepId or operationId
    (a YAML file path or a mapping, see :mod:`arazzo_runner.mock.scenario`);
    ``validate=False`` answers invalid requests too. Pass your own
    ``responder`` to inspect ``responder.log`` afterwards.
    """
    if responder is None:
        responder = MockResponder.for_document(
            document, workflow=workflow, seed=seed, scenario=scenario, validate=validate
        )
    async with httpx.AsyncClient(transport=MockTransport(responder), follow_redirects=False) as client:
        yield client
