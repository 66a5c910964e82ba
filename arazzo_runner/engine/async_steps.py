"""Running AsyncAPI steps: connections, subscribe-before-trigger, correlation, timeouts.

The rule: every ``receive`` step of a workflow subscribes to its channel when
the workflow starts, before its first step runs, so a message triggered by
any earlier step (an HTTP call, a ``send``) is already being collected when
the receive step begins waiting. Messages are kept, in arrival order, until a
receive step takes the first one whose correlation id matches.

Connections are opened on first use, one per run and server URL, and closed
when the run ends. A ``send`` step succeeds when the message is handed to the
broker. A ``receive`` step waits up to its ``timeout`` (milliseconds), or
:data:`DEFAULT_RECEIVE_TIMEOUT` seconds when it has none.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import weakref
from collections.abc import AsyncIterator, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..asyncapi.bindings import Binding, BrokerError, Endpoint, Received, Subscription, binding_for
from ..asyncapi.index import Message
from ..asyncapi.plan import AsyncTarget
from ..errors import EvaluationError
from ..language.criteria.budget import without_blocking
from ..language.expressions import EvalContext, JsonPointer
from ..language.expressions.context import HttpView
from ..plan.model import Step, Workflow

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
]

DEFAULT_RECEIVE_TIMEOUT = 30.0


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

    def __init__(self, servers: Any, credentials: Any, *, offline: bool = False) -> None:
        self.servers = servers if isinstance(servers, Mapping) else {}
        self.credentials = credentials
        self.offline = offline  # --mock: no broker; receive steps are answered from the message schema
        self._bindings: dict[str, Binding] = {}
        self._subs: dict[tuple[int, str], Subscription | str] = {}
        self._kept: dict[tuple[int, str], list[Received]] = {}

    # -- connections -------------------------------------------------------------
    def _server(self, target: AsyncTarget) -> tuple[str, str, tuple[str, ...]]:
        """``(protocol, url, security scheme names)`` for a step: --server for the source first."""
        override = self.servers.get(target.source)
        declared = target.servers
        if override:
            protocol = override.split("://", 1)[0] if "://" in override else "mqtt"
            return protocol, override, declared[0].security if declared else ()
        if not declared:
            raise BrokerError(f"source {target.source!r} has no servers; pass servers= (--server on the command line)")
        return declared[0].protocol, declared[0].url, declared[0].security

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

    async def _binding(self, target: AsyncTarget) -> tuple[Binding, str]:
        protocol, url, schemes = self._server(target)
        binding = self._bindings.get(url)
        if binding is None:
            try:
                binding = binding_for(protocol, self._endpoint(target, url, schemes))
            except BrokerError as exc:
                raise BrokerError(f"server {url} of {target.source!r}: {exc}") from None
            try:
                await binding.connect()
            except BrokerError as exc:
                raise BrokerError(f"server {url} of {target.source!r}: {exc}") from None
            self._bindings[url] = binding
        return binding, url

    async def close(self) -> None:
        bindings, self._bindings = list(self._bindings.values()), {}
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
                binding, _ = await self._binding(target)
                self._subs[key] = await binding.subscribe(target.channel.address)
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
        if self.offline:  # --mock: validated above, handed to no broker
            out.url, out.succeeded = f"{target.source}:{address}", True
            return out
        try:
            binding, url = await self._binding(target)
            out.url = f"{url.rstrip('/')}/{address}"
            await binding.publish(address, encode(payload, content_type), headers, content_type)
        except BrokerError as exc:
            out.error, out.reason = str(exc), "transport_error"
            return out
        out.succeeded = True
        return out

    async def _receive(
        self, step: Step, target: AsyncTarget, ctx: EvalContext, frame: object, content_type: str
    ) -> AsyncOutcome:
        out = AsyncOutcome(False, method="RECEIVE")
        if self.offline:
            return self._mock_receive(out, target, ctx, content_type)
        key = (id(frame), step.step_id)
        sub = self._subs.get(key)
        if sub is None:  # not prepared (a step reached by goto from another workflow): subscribe now
            try:
                binding, _ = await self._binding(target)
                sub = self._subs[key] = await binding.subscribe(target.channel.address)
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
        deadline = loop.time() + seconds
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
                return self._got(out, target, received, view)
            kept.append(received)

    def _got(self, out: AsyncOutcome, target: AsyncTarget, received: Received, view: HttpView) -> AsyncOutcome:
        out.succeeded = True
        out.received = view
        out.url = f"{target.source}:{received.address}"
        for message in target.messages[:1]:
            problems = schema_problems(view.body, message.payload) if view.body_kind == "json" else []
            if problems:
                out.warnings.append(
                    f"contract: the message received on {received.address!r} does not match message "
                    f"{message.name!r}: " + "; ".join(problems)
                )
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


_RUNTIMES: weakref.WeakKeyDictionary[Any, AsyncRuntime] = weakref.WeakKeyDictionary()
_PREPARED: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def runtime_of(execution: Any, *, offline: bool = False) -> AsyncRuntime:
    """The run's :class:`AsyncRuntime`, made on first use."""
    runtime = _RUNTIMES.get(execution)
    if runtime is None:
        runtime = _RUNTIMES[execution] = AsyncRuntime(execution.servers, execution.credentials, offline=offline)
    return runtime


@contextlib.asynccontextmanager
async def async_session(execution: Any, *, offline: bool = False) -> AsyncIterator[None]:
    """Around one run: its broker connections are closed when it ends; ``offline`` for ``--mock``."""
    runtime_of(execution, offline=offline)
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
    if step.asyncapi is None and not any(s.asyncapi is not None for s in frame.workflow.steps):
        return work
    return _around_async_steps(execution, frame, step, work)


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
    """One AsyncAPI step of ``execution``: its outcome, criteria and outputs evaluated against the message."""
    from .state import StepOutcome
    from .steps11 import unmet_dependency
    from .transport import Exchange

    unmet = unmet_dependency(step, execution.step_results) if step.depends_on else None
    if unmet is not None:
        return StepOutcome(False, Exchange(), {}, unmet, reason="dependency_failed")
    done = await runtime_of(execution).execute(step, execution._context(frame, None), frame)
    message = done.received or done.sent
    exchange = Exchange(url=done.url, method=done.method, request=done.sent, response=done.received, message=message)
    if not done.succeeded:
        reason = done.reason or "transport_error"
        return StepOutcome(False, exchange, {}, done.error, reason=reason, warnings=done.warnings)
    ctx = dataclasses.replace(execution._context(frame, exchange), message=message)
    outputs: dict[str, Any] = {}
    warnings = list(done.warnings)
    for name, value in step.outputs:
        try:
            outputs[name] = value.evaluate(ctx)
        except EvaluationError as exc:  # an unresolvable output is left out, never failing the step
            warnings.append(f"output {name!r} left out: {exc.message}")
    for spec in step.success_criteria:
        verdict = await without_blocking(spec.criterion.evaluate, ctx)
        if not verdict.passed:
            shown = json.dumps(message.body, default=str)[:200] if message is not None else "no message"
            error = f"success criterion {spec.text!r} not met ({verdict.explanation}); message {shown}"
            return StepOutcome(False, exchange, outputs, error, failed_criterion=spec.text, warnings=warnings, ctx=ctx)
    return StepOutcome(True, exchange, outputs, None, warnings=warnings, ctx=ctx)
