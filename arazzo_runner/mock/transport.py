"""The in-process httpx transport over a :class:`MockResponder`: no sockets, no network."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ..errors import ArazzoError
from ..openapi.index import OpenAPIDescription, Operation
from ..plan.model import ArazzoDocument
from .responder import MockResponder
from .scenario import Scenario

__all__ = ["MockTransport", "mock_client", "mock_servers"]

_HOST_UNSAFE = re.compile(r"[^a-z0-9-]+")


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


def mock_servers(
    document: ArazzoDocument, servers: str | Mapping[str, str] | None = None
) -> str | dict[str, str] | None:
    """``servers`` completed with a made-up base URL for each source whose description gives no usable one.

    The mock transport answers any host, so a source whose description has no
    servers entry, or one with a ``{variable}`` without a default, is served at
    ``http://<source>.invalid``; the engine then needs to know nothing about the
    mock. Sources the caller names, and those with a usable server URL, keep theirs.
    """
    if isinstance(servers, str):
        return servers  # one base URL for every source
    completed = dict(servers or {})
    for arazzo in document.documents.arazzo.values():
        for name, source in arazzo.sources.items():
            description = document.documents.openapi.get(source.url)
            if name in completed or description is None:
                continue
            if not all(_usable_base_url(description, op, name) for op in description.operations):
                completed[name] = f"http://{_HOST_UNSAFE.sub('-', name.lower()).strip('-') or 'source'}.invalid"
    return completed or None


def _usable_base_url(description: OpenAPIDescription, operation: Operation, source: str) -> bool:
    try:
        return description.base_url(operation, source) is not None
    except ArazzoError:
        return False


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
