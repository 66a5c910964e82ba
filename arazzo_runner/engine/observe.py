"""Turning what the engine does into :mod:`arazzo_runner.events`, every secret masked on the way out.

An :class:`Observer` exists only when someone listens (``on_event``); the engine guards each call with
``if self.observer is not None``, so a run nobody watches builds no event at all. Steps run one at a time
(DEC-43), so the workflow and step an event belongs to is a simple stack kept here.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from ..events import (
    SERVERS_ARGUMENT,
    ActionChosen,
    CriterionEvaluated,
    Event,
    EventListener,
    Headers,
    MessageReceived,
    MessageSent,
    OutputEvaluated,
    RequestSent,
    ResponseReceived,
    RetryWaiting,
    RunFinished,
    RunStarted,
    ServerResolved,
    StepFinished,
    StepStarted,
    Timings,
    TokenFetched,
    WorkflowFinished,
    WorkflowStarted,
)
from ..plan.inputs import secret_values
from ..plan.model import Action, CriterionSpec, OperationTarget, Step, Workflow
from ..result import Failure, StepResult, WorkflowResult
from .redact import MASK, TRUNCATED, Redactor, without_userinfo
from .timings import PhaseClock

if TYPE_CHECKING:
    from .state import StepOutcome, WorkflowOutcome

__all__ = ["BODY_LIMIT", "SECRET_HEADERS", "Observer", "server_origin"]

BODY_LIMIT = 65536  # characters of a request or response body an event carries; the rest is cut, and said so
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def server_origin(servers: str | Mapping[str, str] | None, target: OperationTarget, names: tuple[str, ...]) -> str:
    """Where the base URL of ``target``'s requests came from, in words (the trace says it)."""
    if isinstance(servers, str) or (isinstance(servers, Mapping) and any(name in servers for name in names)):
        return SERVERS_ARGUMENT
    count = len(target.operation.servers)
    if count:
        return f"the first of {count} servers in the description" if count > 1 else "the description's server"
    return "the description's own URL"


def _hide_secret_inputs(value: Any, names: frozenset[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: (MASK if k in names else _hide_secret_inputs(v, names)) for k, v in value.items()}
    return value


class Observer:
    """One per observed run: builds each event, masks it, hands it to the listener."""

    def __init__(self, listener: EventListener, redactor: Redactor) -> None:
        self.listener = listener
        self.redactor = redactor
        self._stack: list[list[str | None]] = []  # [workflow id, current step id] per running workflow
        self._path: tuple[str, ...] = ()  # the workflow ids of the stack, kept as it changes
        self._announced: set[str] = set()
        self._sent_at = 0.0
        self._clock: PhaseClock | None = None  # the phases of the request in flight, from httpcore's trace
        self.token_responses: list[httpx.Response] = []

    # -- shared ---------------------------------------------------------------
    def _where(self) -> dict[str, Any]:
        if not self._stack:
            return {"workflow_id": "", "step_id": None, "path": ()}
        workflow_id, step_id = self._stack[-1]
        return {"workflow_id": workflow_id, "step_id": step_id, "path": self._path}

    def _emit(self, event: Event) -> None:
        self.listener(event)

    def _headers(self, headers: httpx.Headers) -> Headers:
        mask = self.redactor.mask
        return tuple((name, MASK if name.lower() in SECRET_HEADERS else mask(value)) for name, value in headers.items())

    def _body(self, content: bytes) -> tuple[str | None, bool, bool]:
        """The body as events carry it: (text, cut short, binary)."""
        if not content:
            return None, False, False
        head = content[: BODY_LIMIT * 4 + 4096]
        cut_bytes = len(head) < len(content)
        try:
            text = (head[:-3] if cut_bytes else head).decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(content)} bytes of binary data, not shown)", False, True
        if "\x00" in text:
            return f"({len(content)} bytes of binary data, not shown)", False, True
        text = self.redactor.mask(text)  # masked whole before it is cut: no secret is left half-shown
        if cut_bytes or len(text) > BODY_LIMIT:
            return self.redactor.mask(text[:BODY_LIMIT] + TRUNCATED), True, False
        return text, False, False

    # -- run and workflows ----------------------------------------------------
    def run_started(self, document: str, workflow: Workflow, inputs: Mapping[str, Any]) -> None:
        self.redactor.add_many(secret_values(inputs, workflow.secret_inputs))
        shown = self.redactor.mask_value(_hide_secret_inputs(inputs, workflow.secret_inputs))
        self._emit(
            RunStarted(
                time=time.monotonic(),
                workflow_id=workflow.workflow_id,
                path=(workflow.workflow_id,),
                document=document,
                inputs=shown,
                wall_time=time.time(),
            )
        )

    def run_finished(self, result: WorkflowResult) -> None:
        self._emit(
            RunFinished(
                time=time.monotonic(),
                workflow_id=result.workflow_id,
                path=(result.workflow_id,),
                status=result.status,
                result=result,
            )
        )

    def workflow_started(self, workflow: Workflow, depth: int) -> None:
        self._stack.append([workflow.workflow_id, None])
        self._path = (*self._path, workflow.workflow_id)
        self._emit(WorkflowStarted(time=time.monotonic(), **self._where(), depth=depth))

    async def around_workflow(self, workflow: Workflow, depth: int, run: Awaitable[WorkflowOutcome]) -> WorkflowOutcome:
        """Await ``run`` (one workflow) between its started and finished events, also when it is stopped."""
        from .state import LimitExceeded  # the state module imports this one

        self.workflow_started(workflow, depth)
        try:
            outcome = await run
        except LimitExceeded as exc:
            self.workflow_finished("stopped", exc.outputs, exc.failure)
            raise
        except BaseException:  # the run timeout or a cancellation (Ctrl-C) stops it from outside
            self.workflow_finished("stopped", {}, None)
            raise
        self.workflow_finished(outcome.status, outcome.outputs, outcome.error)
        return outcome

    def workflow_finished(self, status: str, outputs: Mapping[str, Any], error: Failure | None) -> None:
        where = self._where()
        where["step_id"] = None
        if error is not None:
            mask = self.redactor.mask
            error = Failure(
                error.reason,
                mask(error.message),
                error.workflow_id,
                error.step_id,
                error.status_code,
                error.criterion,
                error.action,
                mask(error.response_excerpt) if error.response_excerpt else None,
            )
        event = WorkflowFinished(
            time=time.monotonic(),
            **where,
            status=status,
            outputs=self.redactor.mask_value(outputs),
            error=error,
        )
        if self._stack:
            self._stack.pop()
            self._path = self._path[:-1]
        self._emit(event)

    def server_resolved(self, source: str, url: str, origin: str) -> None:
        if source in self._announced:
            return
        self._announced.add(source)
        self._emit(
            ServerResolved(
                time=time.monotonic(), **self._where(), source=source, url=self.redactor.mask(url), origin=origin
            )
        )

    # -- steps ----------------------------------------------------------------
    def step_started(self, step: Step, attempt: int) -> None:
        if self._stack:
            self._stack[-1][1] = step.step_id
        self._emit(StepStarted(time=time.monotonic(), **self._where(), target=step.target_label, attempt=attempt))

    def step_finished(self, record: StepResult, outcome: StepOutcome) -> None:
        self._emit(
            StepFinished(
                time=time.monotonic(),
                **self._where(),
                succeeded=record.succeeded,
                attempt=record.attempt,
                status_code=record.status_code,
                method=record.method,
                url=record.url,
                duration=record.duration,
                next_action=str(record.next_action) if record.next_action is not None else "next",
                error=str(record.error) if record.error is not None else None,
                failed_criterion=outcome.failed_criterion,
            )
        )

    def request_sent(self, request: httpx.Request) -> None:
        self.tokens_fetched()  # a token fetched for this request comes before it
        self._emit(self._request_event(request))
        self._sent_at = time.monotonic()
        self._clock = PhaseClock(self._sent_at)
        self._clock.attach(request)

    def _request_event(self, request: httpx.Request) -> RequestSent:
        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed body the engine did not buffer
            content = b""
        body, cut, binary = self._body(content)
        return RequestSent(
            time=time.monotonic(),
            **self._where(),
            method=request.method,
            url=self.redactor.mask(str(request.url)),
            headers=self._headers(request.headers),
            body=body,
            body_size=len(content),
            body_truncated=cut,
            body_binary=binary,
        )

    def response_received(self, response: httpx.Response) -> None:
        done = time.monotonic()
        timings = self._clock.timings(done) if self._clock is not None else None
        self._clock = None
        self._emit(self._response_event(response, done - self._sent_at, timings))

    def redirected(self, response: httpx.Response, request: httpx.Request) -> None:
        """A redirect followed: its response, then the request that follows it (each hop is an exchange)."""
        self.response_received(response)
        self.request_sent(request)

    def _response_event(
        self, response: httpx.Response, elapsed: float, timings: Timings | None = None
    ) -> ResponseReceived:
        try:
            content = response.content
        except httpx.ResponseNotRead:  # a redirect whose body was too large to read
            content = b""
        body, cut, binary = self._body(content)
        return ResponseReceived(
            time=time.monotonic(),
            **self._where(),
            status_code=response.status_code,
            reason=response.reason_phrase,
            headers=self._headers(response.headers),
            body=body,
            body_size=len(content),
            elapsed=elapsed,
            body_truncated=cut,
            http_version=response.http_version,
            body_binary=binary,
            timings=timings,
        )

    def tokens_fetched(self) -> None:
        """Token endpoint exchanges since the last call (their access tokens are in the redactor by now)."""
        if not self.token_responses:
            return
        responses, self.token_responses[:] = list(self.token_responses), []
        for response in responses:
            try:
                elapsed = response.elapsed.total_seconds()
            except RuntimeError:  # not closed yet (a transport that leaves it open)
                elapsed = 0.0
            request = self._request_event(response.request)
            self._emit(
                TokenFetched(
                    time=time.monotonic(),
                    **self._where(),
                    token_url=self.redactor.mask(str(response.request.url)),
                    request=request,
                    response=self._response_event(response, elapsed),
                )
            )

    def criterion(self, spec: CriterionSpec, passed: bool, explanation: str, role: str) -> None:
        self._emit(
            CriterionEvaluated(
                time=time.monotonic(),
                **self._where(),
                text=self.redactor.mask(spec.text),
                type=spec.criterion.type,
                role=role,
                passed=passed,
                explanation=self.redactor.mask(explanation),
            )
        )

    def outputs(
        self,
        declared: Sequence[tuple[str, Any]],
        values: Mapping[str, Any],
        warnings: Sequence[str],
        *,
        workflow: bool = False,
    ) -> None:
        """Each declared output: its value, or why it was left out (from the warning that says so)."""
        for name, _ in declared:
            if name in values:
                self.output(name, values[name], workflow=workflow)
            else:
                marker = f"output {name!r} left out: "
                why = next((w.split(marker, 1)[1] for w in reversed(warnings) if marker in w), "no value")
                self.output(name, left_out=why, workflow=workflow)

    def output(self, name: str, value: Any = None, left_out: str | None = None, *, workflow: bool = False) -> None:
        where = self._where()
        if workflow:
            where["step_id"] = None
        self._emit(
            OutputEvaluated(
                time=time.monotonic(),
                **where,
                name=name,
                value=self.redactor.mask_value(value),
                left_out=self.redactor.mask(left_out) if left_out else None,
            )
        )

    def action(self, action: Action | None, succeeded: bool) -> None:
        side = "onSuccess" if succeeded else "onFailure"
        if action is None:
            kind, target = ("next", None) if succeeded else ("stop", None)
            reason = (
                "the step succeeded and no onSuccess action matched: on to the next step"
                if succeeded
                else "no onFailure action matched: the workflow stops"
            )
        else:
            kind = action.kind
            target = action.step_id or (str(action.workflow) if action.workflow is not None else None)
            reason = f"{side} action {action.name!r} matched: {kind}" + (f" to {target}" if target else "")
        self._emit(
            ActionChosen(
                time=time.monotonic(),
                **self._where(),
                action=kind,
                name=action.name if action is not None else None,
                target=target,
                reason=reason,
            )
        )

    def retry_waiting(self, delay: float, header: str | None, action: Action) -> None:
        source = "Retry-After header" if header else ("retryAfter" if action.retry_after else "none")
        self._emit(RetryWaiting(time=time.monotonic(), **self._where(), delay=delay, source=source, action=action.name))

    # -- AsyncAPI steps -------------------------------------------------------
    def message(
        self,
        received: bool,
        *,
        source: str,
        server: str,
        protocol: str,
        channel: str,
        content_type: str,
        headers: Mapping[str, str],
        body: bytes,
        correlation_id: Any = None,
        elapsed: float = 0.0,
    ) -> None:
        """A message a send step handed to the broker, or one a receive step took, masked as HTTP bodies are."""
        mask = self.redactor.mask
        shown_headers = tuple(
            (name, MASK if name.lower() in SECRET_HEADERS else mask(str(value))) for name, value in headers.items()
        )
        text, cut, binary = self._body(body)
        fields: dict[str, Any] = {
            "time": time.monotonic(),
            **self._where(),
            "source": source,
            "server": mask(without_userinfo(server)),
            "protocol": protocol,
            "channel": mask(channel),
            "content_type": content_type,
            "headers": shown_headers,
            "body": text,
            "body_size": len(body),
            "correlation_id": mask(str(correlation_id)) if correlation_id is not None else None,
            "body_truncated": cut,
            "body_binary": binary,
        }
        self._emit(MessageReceived(**fields, elapsed=elapsed) if received else MessageSent(**fields))
