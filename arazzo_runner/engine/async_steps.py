"""Running AsyncAPI steps: connections, subscribe-before-trigger, correlation, timeouts.

The rule: every ``receive`` step of a workflow subscribes to its channel when
the workflow starts, before its first step runs, so a message triggered by
any earlier step (an HTTP call, a ``send``) is already being collected when
the receive step begins waiting. Messages are kept, in arrival order, until a
receive step takes the first one whose correlation id matches.

Connections are opened on first use, one per run and server URL, and closed
when the run ends; a ``Runner`` keeps them for its next runs instead
(engine/brokers.py), and a run then releases only its subscriptions. A
``send`` step succeeds when the message is handed to the broker. A
``receive`` step waits up to its ``timeout`` (milliseconds), or
:data:`DEFAULT_RECEIVE_TIMEOUT` seconds when it has none.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..asyncapi.bindings import Binding, BrokerError, Endpoint, Received, Subscription, binding_for
from ..asyncapi.index import Message
from ..asyncapi.plan import AsyncTarget
from ..errors import EvaluationError
from ..events import SERVERS_ARGUMENT
from ..language.criteria.budget import without_blocking
from ..language.expressions import EvalContext, JsonPointer
from ..language.expressions.context import HttpView
from ..plan.model import Step, Workflow
from .brokers import BrokerPool
from .redact import without_userinfo

if TYPE_CHECKING:
    from .state import StepOutcome

__all__ = [
    "DEFAULT_RECEIVE_TIMEOUT",
    "AsyncOutcome",
    "AsyncRuntime",
    "async_session",
    "async_step_hook",
    "decode",
    "encode",
    "execute_async_step",
    "runtime_of",
    "uses_async_steps",
]

DEFAULT_RECEIVE_TIMEOUT = 30.0
T = TypeVar("T")


@dataclass
class AsyncOutcome:
    succeeded: bool
    url: str | None = None
    method: str | None = None  # "SEND" or "RECEIVE"
    sent: HttpView | None = None
    received: HttpView | None = None
    error: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    # What the event stream tells (engine/observe.py): the broker, and the message as it went over the wire.
    server: str = ""
    protocol: str = ""
    origin: str = ""
    wire: tuple[bytes, dict[str, str], str] | None = None  # body, headers, content type
    correlation: Any = None
    elapsed: float = 0.0


def encode(value: Any, content_type: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if "json" in content_type:
        return json.dumps(value, separators=(",", ":")).encode()
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def decode(received: Received, content_type: str) -> HttpView:
    headers = {k.lower(): v for k, v in received.headers.items()}
    kind = headers.get("content-type", content_type)
    if not received.body:
        return HttpView(headers=headers, body=None, body_kind="empty")
    if "json" in kind:
        try:
            return HttpView(headers=headers, body=json.loads(received.body), body_kind="json")
        except ValueError:
            pass
    if kind.startswith("text/") or "json" in kind or "xml" in kind:
        return HttpView(headers=headers, body=received.body.decode("utf-8", "replace"), body_kind="text")
    return HttpView(headers=headers, body=received.body, body_kind="binary")


def correlation_of(view: HttpView, location: str | None) -> Any:
    """The correlation id a message carries, read at ``location`` (``$message.header#/x``, ``$message.payload#/x``)."""
    if location is None:
        body = view.body if isinstance(view.body, Mapping) else {}
        return body.get("correlationId", view.headers.get("correlationid"))
    head, _, pointer = location.partition("#")
    if head == "$message.header":
        name = pointer.lstrip("/")
        return view.headers.get(name.lower())
    if head == "$message.payload":
        try:
            return JsonPointer.parse(pointer).resolve(view.body) if pointer else view.body
        except EvaluationError:
            return None
    return None


def schema_problems(value: Any, schema: Any) -> list[str]:
    if not isinstance(schema, Mapping):
        return []
    from jsonschema import Draft202012Validator  # imported only when a message is checked

    out = []
    for err in sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path)
        out.append(f"{'/' + where if where else 'payload'}: {err.message}")
    return out


class AsyncRuntime:
    """The async side of one run. ``servers`` and ``credentials`` are the run's, as for HTTP steps."""

    def __init__(
        self, servers: Any, credentials: Any, *, offline: bool = False, pool: BrokerPool | None = None
    ) -> None:
        self.servers = servers if isinstance(servers, Mapping) else {}
        self.credentials = credentials
        self.offline = offline  # --mock: no broker; receive steps are answered from the message schema
        self.pool = pool  # a Runner's kept connections (engine/brokers.py); None: this run's own
        self._bindings: dict[str, Binding] = {}
        self._subscribed: list[tuple[Binding, Subscription]] = []
        self._subs: dict[tuple[int, str], Subscription | str] = {}
        self._kept: dict[tuple[int, str], list[Received]] = {}

    # -- connections -------------------------------------------------------------
    def _server(self, target: AsyncTarget) -> tuple[str, str, tuple[str, ...], str]:
        """``(protocol, url, security scheme names, origin)`` for a step: --server for the source first."""
        override = self.servers.get(target.source)
        declared = target.servers
        if override:
            protocol = override.split("://", 1)[0] if "://" in override else "mqtt"
            return protocol, override, declared[0].security if declared else (), SERVERS_ARGUMENT
        if not declared:
            raise BrokerError(f"source {target.source!r} has no servers; pass servers= (--server on the command line)")
        return declared[0].protocol, declared[0].url, declared[0].security, "the description's server"

    def _endpoint(self, target: AsyncTarget, url: str, schemes: tuple[str, ...]) -> Endpoint:
        for scheme in schemes:
            key = self.credentials.key_for(target.source, scheme)
            if key is None:
                continue
            value = self.credentials.get(key)
            if isinstance(value, Mapping):
                return Endpoint(url, str(value.get("username", "")), str(value.get("password", "")))
            if isinstance(value, str):
                user, _, password = value.partition(":")
                return Endpoint(url, user, password)
        return Endpoint(url)

    async def _binding(self, target: AsyncTarget, out: AsyncOutcome | None = None) -> tuple[Binding, str]:
        protocol, url, schemes, origin = self._server(target)
        if out is not None:
            out.server, out.protocol, out.origin = url, protocol.lower(), origin
        binding = self._bindings.get(url)
        if binding is None:
            try:
                endpoint = self._endpoint(target, url, schemes)
                if self.pool is not None:
                    binding = await self.pool.get(protocol, endpoint)
                else:
                    binding = binding_for(protocol, endpoint)
                    await binding.connect()
            except BrokerError as exc:
                raise BrokerError(f"server {without_userinfo(url)} of {target.source!r}: {exc}") from None
            self._bindings[url] = binding
        return binding, url

    async def _on_binding(self, target: AsyncTarget, work: Callable[[Binding], Awaitable[T]]) -> tuple[Binding, T]:
        """``work`` on the step's connection. A kept connection (a Runner's) that fails it may have been
        dropped since it was last used: it is let go and ``work`` tried once more on a new one."""
        binding, url = await self._binding(target)
        try:
            return binding, await work(binding)
        except BrokerError:
            if self.pool is None:
                raise
        self._bindings.pop(url, None)
        await self.pool.discard(binding)
        binding, url = await self._binding(target)
        return binding, await work(binding)

    async def _subscribe(self, target: AsyncTarget, address: str) -> Subscription:
        binding, sub = await self._on_binding(target, lambda b: b.subscribe(address))
        self._subscribed.append((binding, sub))
        return sub

    async def close(self) -> None:
        """The end of the run: its subscriptions released on kept connections, or its own connections closed."""
        subscribed, self._subscribed = self._subscribed, []
        bindings, self._bindings = list(self._bindings.values()), {}
        if self.pool is not None:
            for binding, sub in subscribed:
                with contextlib.suppress(Exception):
                    await binding.unsubscribe(sub)
            return
        for binding in bindings:
            await binding.close()

    # -- subscribe before trigger --------------------------------------------------------------
    async def prepare(self, workflow: Workflow, frame: object) -> None:
        """Subscribe every receive step of ``workflow`` now, before any of its steps runs."""
        for step in workflow.steps:
            target = step.asyncapi
            if target is None or target.action != "receive":
                continue
            key = (id(frame), step.step_id)
            if self.offline:
                continue
            try:
                self._subs[key] = await self._subscribe(target, target.channel.address)
            except BrokerError as exc:
                self._subs[key] = str(exc)  # the step fails with it when it runs

    # -- one step -----------------------------------------------------------------------
    async def execute(self, step: Step, ctx: EvalContext, frame: object) -> AsyncOutcome:
        target: AsyncTarget = step.asyncapi
        message = target.messages[0] if target.messages else None
        content_type = message.content_type if message is not None else "application/json"
        if target.action == "send":
            return await self._send(step, target, ctx, message, content_type)
        return await self._receive(step, target, ctx, frame, content_type)

    async def _send(
        self, step: Step, target: AsyncTarget, ctx: EvalContext, message: Message | None, content_type: str
    ) -> AsyncOutcome:
        address = target.channel.address
        out = AsyncOutcome(False, method="SEND")
        try:
            headers = {p.name: str(p.value.evaluate(ctx)) for p in step.parameters if p.location in (None, "header")}
            body = step.request_body
            payload = body.payload.evaluate(ctx) if body is not None and body.payload is not None else None
        except EvaluationError as exc:
            out.error, out.reason = f"could not build the message: {exc.message}", "request_error"
            return out
        if body is not None and body.content_type:
            content_type = body.content_type
        out.sent = HttpView(
            headers={k.lower(): v for k, v in headers.items()},
            body=payload,
            body_kind="json" if "json" in content_type else "text",
        )
        if message is not None:
            problems = schema_problems(payload, message.payload) + schema_problems(headers, message.headers)
            if problems:
                out.error = f"the message for {target.label} does not match its schema: " + "; ".join(problems)
                out.reason = "request_error"
                return out
        if target.correlation_id is not None:
            with contextlib.suppress(EvaluationError):
                out.correlation = target.correlation_id.evaluate(ctx)
        wire = encode(payload, content_type)
        if self.offline:  # --mock: validated above, handed to no broker
            out.url, out.succeeded = f"{target.source}:{address}", True
            out.server, out.protocol, out.origin = "mock", _declared_protocol(target), "the offline mock"
            out.wire = (wire, headers, content_type)
            return out
        try:
            _, url = await self._binding(target, out)
            out.url = f"{without_userinfo(url).rstrip('/')}/{address}"
            await self._on_binding(target, lambda b: b.publish(address, wire, headers, content_type))
        except BrokerError as exc:
            out.error, out.reason = str(exc), "transport_error"
            return out
        out.succeeded = True
        out.wire = (wire, headers, content_type)
        return out

    async def _receive(
        self, step: Step, target: AsyncTarget, ctx: EvalContext, frame: object, content_type: str
    ) -> AsyncOutcome:
        out = AsyncOutcome(False, method="RECEIVE")
        if self.offline:
            out.server, out.protocol, out.origin = "mock", _declared_protocol(target), "the offline mock"
            return self._mock_receive(out, target, ctx, content_type)
        key = (id(frame), step.step_id)
        sub = self._subs.get(key)
        try:
            self._server_of(target, out)
        except BrokerError:
            pass  # said by the subscription's error below
        if sub is None:  # not prepared (a step reached by goto from another workflow): subscribe now
            try:
                sub = self._subs[key] = await self._subscribe(target, target.channel.address)
            except BrokerError as exc:
                sub = str(exc)
        if isinstance(sub, str):
            out.error, out.reason = sub, "transport_error"
            return out
        wanted: Any = None
        if target.correlation_id is not None:
            try:
                wanted = target.correlation_id.evaluate(ctx)
            except EvaluationError as exc:
                out.error, out.reason = f"correlationId: {exc.message}", "request_error"
                return out
        out.correlation = wanted
        locations = {m.content_type: m.correlation_location for m in target.messages}
        location = next((loc for loc in locations.values() if loc), None)
        seconds = step.timeout_ms / 1000 if step.timeout_ms is not None else DEFAULT_RECEIVE_TIMEOUT
        kept = self._kept.setdefault(key, [])

        def matches(received: Received) -> HttpView | None:
            view = decode(received, content_type)
            if wanted is None or str(correlation_of(view, location)) == str(wanted):
                return view
            return None

        for i, received in enumerate(kept):
            view = matches(received)
            if view is not None:
                del kept[i]
                return self._got(out, target, received, view)
        loop = asyncio.get_running_loop()
        began = loop.time()
        deadline = began + seconds
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise asyncio.TimeoutError
                received = await asyncio.wait_for(sub.queue.get(), remaining)
            except asyncio.TimeoutError:
                awaited = f" with correlation id {wanted!r}" if wanted is not None else ""
                out.error = (
                    f"no message{awaited} arrived on channel {target.channel.address!r} of {target.source!r} "
                    f"within {seconds * 1000:g} ms"
                )
                out.reason = "step_timeout"
                return out
            view = matches(received)
            if view is not None:
                out.elapsed = loop.time() - began
                return self._got(out, target, received, view)
            kept.append(received)

    def _server_of(self, target: AsyncTarget, out: AsyncOutcome) -> None:
        protocol, url, _, origin = self._server(target)
        out.server, out.protocol, out.origin = url, protocol.lower(), origin

    def _got(self, out: AsyncOutcome, target: AsyncTarget, received: Received, view: HttpView) -> AsyncOutcome:
        """A message taken: checked against its schemas by the run's contract checks (execute_async_step)."""
        out.succeeded = True
        out.received = view
        out.url = f"{target.source}:{received.address}"
        content_type = view.headers.get("content-type") or (target.messages[0].content_type if target.messages else "")
        out.wire = (received.body, dict(received.headers), content_type)
        return out

    def _mock_receive(
        self, out: AsyncOutcome, target: AsyncTarget, ctx: EvalContext, content_type: str
    ) -> AsyncOutcome:
        """--mock: a message made from the message's schemas, carrying the awaited correlation id."""
        import random

        from ..mock.generate import ValueGenerator

        message = target.messages[0] if target.messages else None
        rng = random.Random(f"{target.source}:{target.channel.address}")
        payload = ValueGenerator(lambda s: s, rng).generate(message.payload) if message and message.payload else {}
        headers_value = (
            ValueGenerator(lambda s: s, rng).generate(message.headers) if message and message.headers else {}
        )
        headers = {str(k).lower(): str(v) for k, v in headers_value.items()} if isinstance(headers_value, dict) else {}
        if target.correlation_id is not None:
            try:
                wanted = target.correlation_id.evaluate(ctx)
            except EvaluationError as exc:
                out.error, out.reason = f"correlationId: {exc.message}", "request_error"
                return out
            out.correlation = wanted
            location = message.correlation_location if message is not None else None
            head, _, pointer = (location or "$message.payload#/correlationId").partition("#")
            tokens = [t for t in pointer.split("/") if t]
            if head == "$message.header" and tokens:
                headers[tokens[0].lower()] = str(wanted)
            elif tokens and isinstance(payload, dict):
                node = payload
                for token in tokens[:-1]:
                    node = node.setdefault(token, {}) if isinstance(node.get(token, {}), dict) else {}
                node[tokens[-1]] = wanted
        received = Received(target.channel.address, encode(payload, content_type), headers)
        return self._got(out, target, received, decode(received, content_type))


def _declared_protocol(target: AsyncTarget) -> str:
    return target.servers[0].protocol.lower() if target.servers else "mock"


_RUNTIMES: weakref.WeakKeyDictionary[Any, AsyncRuntime] = weakref.WeakKeyDictionary()
_PREPARED: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def runtime_of(execution: Any, *, offline: bool = False, pool: BrokerPool | None = None) -> AsyncRuntime:
    """The run's :class:`AsyncRuntime`, made on first use."""
    runtime = _RUNTIMES.get(execution)
    if runtime is None:
        runtime = AsyncRuntime(execution.servers, execution.credentials, offline=offline, pool=pool)
        _RUNTIMES[execution] = runtime
    return runtime


def uses_async_steps(document: Any) -> bool:
    """Whether any workflow ``document`` can reach has an AsyncAPI step (worked out once per load)."""
    cache = document.documents.__dict__
    found = cache.get("uses_async_steps")
    if found is None:
        workflows = (w for doc in document.documents.arazzo.values() for w in doc.workflows.values())
        found = cache["uses_async_steps"] = any(s.asyncapi_target is not None for w in workflows for s in w.steps)
    return bool(found)


@contextlib.asynccontextmanager
async def async_session(
    execution: Any, *, offline: bool = False, brokers: BrokerPool | None = None
) -> AsyncIterator[None]:
    """Around one run: its broker connections are closed when it ends, or with ``brokers`` (a Runner's) kept
    for the next run and only its subscriptions released; ``offline`` for ``--mock``."""
    runtime_of(execution, offline=offline, pool=brokers)
    try:
        yield
    finally:
        runtime = _RUNTIMES.pop(execution, None)
        if runtime is not None:
            await runtime.close()


def async_step_hook(
    execution: Any, frame: Any, step: Step, work: Coroutine[Any, Any, StepOutcome]
) -> Coroutine[Any, Any, StepOutcome]:
    """Around every step's ``work``: subscribes a workflow's receive steps before its first step runs
    (subscribe-before-trigger); an AsyncAPI step is run here instead of ``work``. A workflow without
    AsyncAPI steps gets its ``work`` back untouched."""
    if step.asyncapi is None and not _has_async_steps(frame.workflow):
        return work
    return _around_async_steps(execution, frame, step, work)


def _has_async_steps(workflow: Any) -> bool:
    """Whether ``workflow`` has an AsyncAPI step (worked out once per loaded workflow)."""
    cache = workflow.__dict__
    found = cache.get("has_async_steps")
    if found is None:
        found = cache["has_async_steps"] = any(s.asyncapi is not None for s in workflow.steps)
    return bool(found)


async def _around_async_steps(
    execution: Any, frame: Any, step: Step, work: Coroutine[Any, Any, StepOutcome]
) -> StepOutcome:
    workflow = frame.workflow
    prepared = _PREPARED.setdefault(execution, set())
    if id(frame) not in prepared:
        prepared.add(id(frame))
        await runtime_of(execution).prepare(workflow, frame)
    if step.asyncapi is None:
        return await work
    work.close()  # an HTTP or workflow step's coroutine, never started
    return await execute_async_step(execution, frame, step)


async def execute_async_step(execution: Any, frame: Any, step: Step) -> StepOutcome:
    """One AsyncAPI step of ``execution``: its outcome, criteria and outputs evaluated against the message.

    The message is told to the run's listener (``MessageSent`` / ``MessageReceived``) as HTTP exchanges
    are, and a received one is checked against its message by the run's contract checks (``checks=``)."""
    from .state import StepOutcome
    from .steps11 import unmet_dependency
    from .transport import Exchange

    unmet = unmet_dependency(step, execution.step_results) if step.depends_on else None
    if unmet is not None:
        return StepOutcome(False, Exchange(), {}, unmet, reason="dependency_failed")
    target: AsyncTarget = step.asyncapi
    done = await runtime_of(execution).execute(step, execution._context(frame, None), frame)
    observer = execution.observer
    if observer is not None:
        if done.server:
            observer.server_resolved(target.source, without_userinfo(done.server), done.origin)
        if done.wire is not None:
            body, headers, content_type = done.wire
            observer.message(
                done.method == "RECEIVE",
                source=target.source,
                server=done.server,
                protocol=done.protocol,
                channel=target.channel.address,
                content_type=content_type,
                headers=headers,
                body=body,
                correlation_id=done.correlation,
                elapsed=done.elapsed,
            )
    message = done.received or done.sent
    exchange = Exchange(url=done.url, method=done.method, request=done.sent, response=done.received, message=message)
    if not done.succeeded:
        reason = done.reason or "transport_error"
        return StepOutcome(False, exchange, {}, done.error, reason=reason, warnings=done.warnings)
    check_message = getattr(execution.response_checker, "check_message", None)  # testing.ContractChecker
    if check_message is not None and done.received is not None and done.wire is not None and target.messages:
        exchange.checks = check_message(target.messages[0], done.wire[1], done.received.body, done.received.body_kind)
    ctx = dataclasses.replace(execution._context(frame, exchange), message=message)
    failed: Any = None
    explanation = ""
    for spec in step.success_criteria:
        verdict = await without_blocking(spec.criterion.evaluate, ctx)
        if observer is not None:
            observer.criterion(spec, verdict.passed, verdict.explanation, "success")
        if not verdict.passed:
            failed, explanation = spec, verdict.explanation
            break
    outputs: dict[str, Any] = {}
    warnings = list(done.warnings)
    for name, value in step.outputs:
        try:
            outputs[name] = value.evaluate(ctx)
        except EvaluationError as exc:  # an unresolvable output is left out, never failing the step
            warnings.append(f"output {name!r} left out: {exc.message}")
    if observer is not None:
        observer.outputs(step.outputs, outputs, warnings)
    shown = json.dumps(message.body, default=str)[:200] if message is not None else "no message"
    shown = execution.redactor.mask(shown)
    broken = next((check for check in exchange.checks if check.is_error), None)
    if failed is None and broken is not None:  # severity error: fails the step as for an HTTP response
        error = f"contract check {broken.name!r} failed ({broken.message}); message {shown}"
        criterion = f"contract:{broken.name}"
        return StepOutcome(False, exchange, outputs, error, failed_criterion=criterion, warnings=warnings, ctx=ctx)
    if failed is not None:
        error = f"success criterion {failed.text!r} not met ({explanation}); message {shown}"
        return StepOutcome(False, exchange, outputs, error, failed_criterion=failed.text, warnings=warnings, ctx=ctx)
    return StepOutcome(True, exchange, outputs, None, warnings=warnings, ctx=ctx)
