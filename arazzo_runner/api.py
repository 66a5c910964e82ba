"""The public face: ``load``, ``run_workflow``, ``arun_workflow`` and ``Runner``."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import os
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import httpx

from .compile.loader import load
from .engine.async_steps import async_session, uses_async_steps
from .engine.bounded import Limits
from .engine.brokers import BrokerPool
from .engine.clients import DEFAULT_POOL, ClientPool, default_clients, make_client, run_sync
from .engine.execution import Execution, ServerMap
from .engine.observe import Observer
from .engine.preflight import check_credentials, check_servers
from .engine.redact import without_userinfo
from .engine.security import Credentials, TokenCache
from .engine.transport import retry_delay
from .errors import ArazzoError
from .events import Event, EventListener
from .plan.model import ArazzoDocument
from .result import WorkflowResult

if TYPE_CHECKING:
    from .batch import Row, RowResult, StartGate

__all__ = ["Runner", "Spec", "arun_workflow", "run_workflow"]

Spec = ArazzoDocument | str | os.PathLike[str]
_P = ParamSpec("_P")
_T = TypeVar("_T")


def _document(spec: Spec) -> ArazzoDocument:
    if isinstance(spec, ArazzoDocument):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        return load(spec)
    raise TypeError(f"spec must be a loaded document or a path, not {type(spec).__name__}")


class Runner:
    """Runs workflows with shared settings and a kept HTTP client.

    ``servers``: ``None`` (each source's own servers), one base URL for every
    source, or ``{source name: base URL}``. ``credentials``: secrets by
    security scheme name. ``timeout``: seconds per request. ``client``: an
    ``httpx.AsyncClient`` the caller owns (for proxies, mTLS, mock transports);
    without it the runner makes one on first use (one per event loop) and keeps
    it, with its open connections, until :meth:`close` (or ``with Runner(...)``,
    ``async with Runner(...)``, or interpreter exit). Broker connections of
    AsyncAPI steps are kept the same way: opened by the first run that needs
    one, reused by the later runs, opened again when found dropped, closed by
    :meth:`close`. ``pool``: the
    ``httpx.Limits`` of that client (connections kept and allowed).
    ``on_event``: called with every :mod:`arazzo_runner.events` event of every run, secrets masked
    (see also :meth:`stream`).
    """

    def __init__(
        self,
        *,
        servers: ServerMap = None,
        credentials: Mapping[str, Any] | Credentials | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float | None = 30.0,
        limits: Limits | None = None,
        workflow_inputs: Mapping[str, Mapping[str, Any]] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        mock: bool | Mapping[str, Any] = False,
        follow_redirects: bool = False,
        pool: httpx.Limits | None = None,
        checks: str | Mapping[str, str] | None = None,
        on_event: EventListener | None = None,
    ) -> None:
        self.on_event = on_event
        self.mock = mock
        self.pool = pool
        self._clients: ClientPool | None = None
        self._brokers: BrokerPool | None = BrokerPool()  # broker connections kept across runs (AsyncAPI steps)
        self.checks = _contract_checker(checks)
        self.follow_redirects = follow_redirects
        self.servers = servers
        self.credentials = credentials if isinstance(credentials, Credentials) else Credentials(credentials)
        self.client = client
        base = limits or Limits()
        # A request timeout set in Limits wins; otherwise the timeout= argument applies. Every other
        # field is kept as given (replace() copies them all, so a new field cannot be dropped here).
        self.limits = base if base.request_timeout is not None else dataclasses.replace(base, request_timeout=timeout)
        self.workflow_inputs = workflow_inputs
        self.sleep = sleep
        self.clock = clock
        self.tokens = TokenCache.shared()  # one token per endpoint, client and scopes for the process
        self._checked: weakref.WeakValueDictionary[int, ArazzoDocument] = weakref.WeakValueDictionary()

    def __repr__(self) -> str:
        servers: Any = self.servers
        if isinstance(servers, str):
            servers = without_userinfo(servers)
        elif isinstance(servers, Mapping):
            servers = {name: without_userinfo(str(url)) for name, url in servers.items()}
        return f"Runner(servers={servers!r}, credentials={self.credentials!r})"

    async def arun(
        self,
        spec: Spec,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        on_event: EventListener | None = None,
    ) -> WorkflowResult:
        """Run ``workflow_id`` of ``spec`` (a path or a loaded document) with this runner's settings.

        Raises :class:`ArazzoError` before any request when the document, the workflow id, the inputs,
        ``servers`` or the credentials are invalid; anything that goes wrong at the API gives a result
        with ``status == "failed"`` and an ``error`` saying why.
        """
        document = _document(spec)
        listener = on_event or self.on_event
        if self._checked.get(id(document)) is not document:  # once per document for this runner's settings
            check_servers(self.servers, document)
            check_credentials(self.credentials, document)
            self._checked[id(document)] = document
        if self.mock:
            # Offline mode: an in-process transport answers from the OpenAPI descriptions.
            from .mock import mock_client, mock_servers

            # Like inputs, credentials are not made up here: the command line does that, and says so
            # (arazzo_runner.mock.placeholder_credentials does it for Python callers who want it).
            options = {"workflow": workflow_id, **(self.mock if isinstance(self.mock, Mapping) else {})}
            async with mock_client(document, **options) as client:
                servers = mock_servers(document, self.servers)
                return await self._execute(client, document, workflow_id, inputs or {}, listener, servers=servers)
        if self.client is not None:
            if self.client.is_closed:
                raise ArazzoError("the httpx.AsyncClient given as client= is closed; pass an open client")
            return await self._execute(self.client, document, workflow_id, inputs or {}, listener)
        if not _in_asyncio():  # another async library (trio): a client for this run only
            async with httpx.AsyncClient(
                timeout=self.limits.request_timeout, follow_redirects=False, limits=self.pool or DEFAULT_POOL
            ) as client:
                return await self._execute(client, document, workflow_id, inputs or {}, listener)
        if self._clients is None:
            self._clients = ClientPool()
        client = await self._clients.get(self.pool, self.limits.request_timeout)
        return await self._execute(client, document, workflow_id, inputs or {}, listener)

    def run(self, spec: Spec, workflow_id: str, inputs: Mapping[str, Any] | None = None) -> WorkflowResult:
        """The synchronous twin of :meth:`arun`; it also works from inside a running event loop (a notebook).

        Synchronous runs all run on one event loop that a background thread of this process runs,
        so the kept client (or your own ``client=``) is reused from call to call.
        """
        return run_sync(self.arun(spec, workflow_id, inputs))

    def close(self) -> None:
        """Close the client this runner made (a ``client=`` you passed stays yours to close) and the broker
        connections it keeps."""
        if self._clients is not None:
            self._clients.close()
        if self._brokers is not None:
            self._brokers.close()

    async def aclose(self) -> None:
        """Close the client this runner made, and its broker connections, from a coroutine."""
        if self._clients is not None:
            await self._clients.aclose()
        if self._brokers is not None:
            await self._brokers.aclose()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Runner:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def stream(
        self, spec: Spec, workflow_id: str, inputs: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Event]:
        """Run like :meth:`arun`, yielding each event as it happens; the last is a ``RunFinished``
        holding the result. An error before the run (a bad document or inputs) is raised from the
        iteration; closing the iterator early (``contextlib.aclosing``) cancels the run.

            async for event in runner.stream("wf.arazzo.yaml", "login", {"user": "ada"}):
                print(event.kind, event.step_id)
        """
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        chained = self.on_event

        def put(event: Event) -> None:
            if chained is not None:
                chained(event)
            queue.put_nowait(event)

        async def produce() -> None:
            try:
                await self.arun(spec, workflow_id, inputs, on_event=put)
            finally:
                queue.put_nowait(None)

        task = asyncio.ensure_future(produce())
        try:
            while (event := await queue.get()) is not None:
                yield event
            await task  # re-raises what stopped the run before it began
        finally:
            if not task.done():
                task.cancel()

    async def arun_many(
        self,
        spec: Spec,
        workflow_id: str,
        rows: Iterable[Mapping[str, Any] | Row],
        *,
        concurrency: int = 1,
        rate: float | str | None = None,
        max_failures: int | None = None,
        gate: StartGate | None = None,
    ) -> AsyncIterator[RowResult]:
        """Run ``workflow_id`` once per row of inputs, yielding a :class:`RowResult` as each row finishes.

        ``rows``: any iterable of input mappings (read lazily: a generator over a file of millions of rows
        is fine); each result carries its row's 0-based index. ``concurrency``: runs at once (default 1).
        ``rate``: starts per second, or ``"N/s"``, ``"N/m"``, ``"N/h"``. A 429 or 503 response with
        ``Retry-After`` seen by any run holds every new start for that long (at most
        ``Limits.max_retry_delay``). ``max_failures``: after that many rows failed or were invalid, start
        no more. A row whose inputs the workflow refuses is yielded as ``invalid``, with no request sent.
        """
        from .batch import StartGate, parse_rate, rows_from, run_rows

        document = _document(spec)
        document.workflow(workflow_id)
        if gate is None:
            gate = StartGate(parse_rate(rate) if isinstance(rate, str) else rate)
        hold_gate = gate
        longest = self.limits.max_retry_delay

        async def on_response(response: httpx.Response) -> None:
            if response.status_code in (429, 503) and "retry-after" in response.headers:
                delay = retry_delay(response.headers.get("retry-after"), None, time.time)
                hold_gate.hold(min(delay, longest) if longest is not None else delay)

        runner = copy.copy(self)
        client = self.client
        owned = client is None and not self.mock
        if owned:
            # One client for the whole batch, its pool sized to the concurrency (and fast with many connections).
            pool = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            client = make_client(pool, self.limits.request_timeout)
        if client is not None:
            client.event_hooks["response"] = [*client.event_hooks.get("response", []), on_response]
            runner.client = client
        try:
            async for outcome in run_rows(
                lambda inputs: runner.arun(document, workflow_id, inputs),
                rows_from(rows),
                concurrency=concurrency,
                gate=gate,
                max_failures=max_failures,
                workflow_id=workflow_id,
            ):
                yield outcome
        finally:
            if client is not None:
                hooks = client.event_hooks.get("response", [])
                client.event_hooks["response"] = [hook for hook in hooks if hook is not on_response]
            if owned and client is not None:
                await client.aclose()

    def run_many(
        self,
        spec: Spec,
        workflow_id: str,
        rows: Iterable[Mapping[str, Any] | Row],
        *,
        concurrency: int = 1,
        rate: float | str | None = None,
        max_failures: int | None = None,
        gate: StartGate | None = None,
    ) -> Iterator[RowResult]:
        """The synchronous twin of :meth:`arun_many`: a generator of results as rows finish.

        The runs go on in a worker thread with its own event loop; stopping the iteration early
        (``break``) cancels the runs under way.
        """
        from .batch.threads import iterate_in_thread

        return iterate_in_thread(
            lambda: self.arun_many(
                spec,
                workflow_id,
                rows,
                concurrency=concurrency,
                rate=rate,
                max_failures=max_failures,
                gate=gate,
            ),
            buffer=max(16, concurrency * 2),
        )

    def _execute(
        self,
        client: httpx.AsyncClient,
        document: ArazzoDocument,
        workflow_id: str,
        inputs: Mapping[str, Any],
        listener: EventListener | None,
        *,
        servers: str | Mapping[str, str] | None = None,
    ) -> Awaitable[WorkflowResult]:
        """The run, for the caller to await (no coroutine of its own: every await of the run would pass it)."""
        kwargs: dict[str, Any] = {}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        if self.clock is not None:
            kwargs["clock"] = self.clock
        execution = Execution(
            client,
            servers=servers if servers is not None else self.servers,
            credentials=self.credentials,
            limits=self.limits,
            workflow_inputs=self.workflow_inputs,
            tokens=self.tokens,
            follow_redirects=self.follow_redirects,
            response_checker=self.checks,
            **kwargs,
        )
        if listener is not None:
            execution.observer = Observer(listener, execution.redactor)
        if not uses_async_steps(document):
            return execution.run(document, workflow_id, inputs)  # masks the HTTP libraries' log records too
        return self._execute_with_brokers(execution, document, workflow_id, inputs)

    async def _execute_with_brokers(
        self, execution: Execution, document: ArazzoDocument, workflow_id: str, inputs: Mapping[str, Any]
    ) -> WorkflowResult:
        # AsyncAPI steps: broker connections live for the run or the Runner (docs/async-steps.md).
        async with async_session(execution, offline=bool(self.mock), brokers=self._brokers):
            return await execution.run(document, workflow_id, inputs)


def _contract_checker(checks: str | Mapping[str, str] | None) -> Any:
    """``checks=``: None (no contract checks), a severity for all ("warn"), or ``{check: severity}``."""
    if checks is None:
        return None
    from .testing.contract import ContractChecker, parse_severities

    try:
        return ContractChecker(parse_severities(checks, "warn"))
    except ValueError as exc:
        raise ArazzoError(f"contract checks: {exc}") from None


def _blocking_twin_of(twin: Callable[_P, Awaitable[_T]]) -> Callable[[Callable[..., _T]], Callable[_P, _T]]:
    """Declare the decorated function the blocking twin of ``twin``, taking the same parameters: type
    checkers and ``help()`` show ``twin``'s signature, which is written once."""

    def declare(function: Callable[..., _T]) -> Callable[_P, _T]:
        function.__wrapped__ = twin  # type: ignore[attr-defined]  # inspect.signature() follows it
        return function

    return declare


def _in_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def arun_workflow(
    spec: Spec,
    workflow_id: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    servers: ServerMap = None,
    credentials: Mapping[str, Any] | None = None,
    client: httpx.AsyncClient | None = None,
    timeout: float | None = 30.0,
    limits: Limits | None = None,
    workflow_inputs: Mapping[str, Mapping[str, Any]] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], float] | None = None,
    mock: bool | Mapping[str, Any] = False,
    follow_redirects: bool = False,
    pool: httpx.Limits | None = None,
    checks: str | Mapping[str, str] | None = None,
    on_event: EventListener | None = None,
) -> WorkflowResult:
    """Run ``workflow_id`` of ``spec`` (a path or a loaded document) and return its result.

    ``inputs``: the workflow's inputs, checked against its ``inputs`` JSON Schema first.
    ``servers``: ``None`` (each OpenAPI source's own ``servers``), one base URL for every
    source, or ``{source name: base URL}``.
    ``credentials``: secrets by OpenAPI security scheme name (``"source.scheme"`` for one
    source only): ``(user, password)`` or ``"user:password"`` for HTTP basic; a token string
    for bearer, OAuth2 and OpenID Connect; ``{"client_id", "client_secret"}`` to fetch an
    OAuth2 client-credentials token; the key for apiKey.
    ``client``: an ``httpx.AsyncClient`` you own (proxies, mTLS, a mock transport); otherwise
    calls share one client per event loop, kept with its connections for the next call and
    closed when the loop ends (or at exit). ``pool``: ``httpx.Limits`` for that shared client
    (default: up to 100 connections, all kept alive). ``timeout``: seconds per request.
    ``limits``: :class:`Limits` (steps per run, nesting depth, retry wait, run timeout).
    ``workflow_inputs``: ``{workflowId: inputs}`` for workflows the run starts without a
    step passing them (``dependsOn``, ``goto`` or ``retry`` to a workflow).
    ``mock``: ``True`` (or ``{"seed": n, "scenario": path}``) answers every request from the
    OpenAPI descriptions, offline. ``follow_redirects``: follow 3xx responses (off: a step
    sees the 3xx itself). ``checks``: contract checks of every response against its OpenAPI
    operation (``status-code``, ``content-type``, ``schema``, ``headers``): ``"warn"`` records them on
    each step, ``"error"`` also fails a step whose response breaks the contract, or
    ``{"schema": "error", "headers": "off", ...}``; ``None`` (the default) runs none. ``sleep`` and
    ``clock``: replace ``asyncio.sleep`` and ``time.time`` (retry waits and ``Retry-After`` dates), for tests.
    ``on_event``: a callable given every :mod:`arazzo_runner.events` event as it happens, secrets masked
    (docs/events.md).

    Raises :class:`ArazzoError` before any request when the document, the workflow id, the
    inputs, ``servers`` or the credentials are invalid. Anything that goes wrong at the API
    (a status the criteria reject, a refused connection, a timeout) gives a result with
    ``status == "failed"`` and an ``error`` saying which step, why, and what was received.
    """
    runner = Runner(
        servers=servers,
        credentials=credentials,
        client=client,
        timeout=timeout,
        limits=limits,
        workflow_inputs=workflow_inputs,
        sleep=sleep,
        clock=clock,
        mock=mock,
        follow_redirects=follow_redirects,
        pool=pool,
        checks=checks,
        on_event=on_event,
    )
    runner._clients = default_clients()  # every call without client= shares one client per event loop
    runner._brokers = None  # a one-off run: its broker connections end with it
    return await runner.arun(spec, workflow_id, inputs)


@_blocking_twin_of(arun_workflow)
def run_workflow(
    spec: Spec, workflow_id: str, inputs: Mapping[str, Any] | None = None, **settings: Any
) -> WorkflowResult:
    """Run ``workflow_id`` of ``spec`` and return its :class:`WorkflowResult` (blocking).

    The synchronous twin of :func:`arun_workflow`, with the same parameters (see there).
    Every synchronous call runs on one event loop that a background thread keeps, so
    repeated calls reuse one client and its connections; it also works inside a running
    event loop (a notebook), though ``await arun_workflow(...)`` does not block that loop.

        result = run_workflow("wf.arazzo.yaml", "login", {"user": "ada"},
                              servers="http://127.0.0.1:8000", credentials={"basicAuth": ("id", "secret")})
        result.raise_for_status()
        print(result.outputs)
    """
    return run_sync(arun_workflow(spec, workflow_id, inputs, **settings))
