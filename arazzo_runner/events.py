"""What a run does, as it happens: one typed event stream, the single source for traces and reports.

Pass ``on_event=callable`` to :func:`~arazzo_runner.run_workflow` or :class:`~arazzo_runner.Runner`, or
iterate ``Runner.stream(...)``. Every event is a frozen dataclass with the shared fields below; secrets
(credentials, ``Authorization`` / ``Cookie`` headers, password inputs, fetched OAuth2 tokens) are masked
before an event is made, so a listener can print or store any of them as they are.

Shared fields: ``kind`` (a stable string per class), ``time`` (``time.monotonic()`` seconds),
``workflow_id`` and ``step_id`` (``None`` outside a step), and ``path``: the workflow ids from the run's
workflow down to the one the event belongs to (``("main",)``, ``("main", "child")`` in a nested one).

The stream of one run starts with :class:`RunStarted` and ends with :class:`RunFinished`, whose ``result``
is the :class:`~arazzo_runner.WorkflowResult` the call returns. New event kinds and new fields (with
defaults) may be added in minor versions; existing ones keep their names and meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .result import Failure, WorkflowResult

__all__ = [
    "SERVERS_ARGUMENT",
    "ActionChosen",
    "CriterionEvaluated",
    "Event",
    "EventListener",
    "Headers",
    "MessageEvent",
    "MessageReceived",
    "MessageSent",
    "OutputEvaluated",
    "RequestSent",
    "ResponseReceived",
    "RetryWaiting",
    "RunFinished",
    "RunStarted",
    "ServerResolved",
    "StepFinished",
    "StepStarted",
    "Timings",
    "TokenFetched",
    "WorkflowFinished",
    "WorkflowStarted",
]

SERVERS_ARGUMENT = "the servers= argument"  # a ServerResolved origin: the base URL was given to the run

Headers = tuple[tuple[str, str], ...]  # as sent or received, in order, names as on the wire; secrets masked


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    kind: ClassVar[str] = "event"
    time: float
    workflow_id: str
    step_id: str | None = None
    path: tuple[str, ...] = ()


EventListener = Callable[[Event], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class RunStarted(Event):
    """``document``: the Arazzo document's URL or path; ``inputs`` with password inputs masked;
    ``wall_time``: ``time.time()`` at the start (reports need a date)."""

    kind: ClassVar[str] = "run_started"
    document: str
    inputs: Mapping[str, Any]
    wall_time: float


@dataclass(frozen=True, kw_only=True, slots=True)
class RunFinished(Event):
    """``status``: ``succeeded`` or ``failed``; ``result``: what the call returns."""

    kind: ClassVar[str] = "run_finished"
    status: str
    result: WorkflowResult


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowStarted(Event):
    kind: ClassVar[str] = "workflow_started"
    depth: int


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowFinished(Event):
    """``status``: ``succeeded``, ``failed``, or ``stopped`` (a limit, the run timeout or a cancellation
    ended it from outside)."""

    kind: ClassVar[str] = "workflow_finished"
    status: str
    outputs: Mapping[str, Any]
    error: Failure | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ServerResolved(Event):
    """The base URL a source's requests go to, the first time the run uses that source.

    ``origin`` says where it came from: :data:`SERVERS_ARGUMENT` (the ``servers=`` the run was given;
    the ``run`` command says ``--server``), the description's own ``servers`` (``"the first of 2 servers
    in the description"``) or its URL."""

    kind: ClassVar[str] = "server_resolved"
    source: str
    url: str
    origin: str


@dataclass(frozen=True, kw_only=True, slots=True)
class StepStarted(Event):
    """``target``: the operationId (or method and path) or ``workflow <id>``; ``attempt`` counts retries."""

    kind: ClassVar[str] = "step_started"
    target: str
    attempt: int


@dataclass(frozen=True, kw_only=True, slots=True)
class StepFinished(Event):
    """``next_action``: ``next``, ``end (name)``, ``goto <stepId>``, ``retry (name)``, ``stop`` ...;
    ``duration`` in seconds; ``error`` says why a failed step failed."""

    kind: ClassVar[str] = "step_finished"
    succeeded: bool
    attempt: int
    status_code: int | None
    method: str | None
    url: str | None
    duration: float
    next_action: str
    error: str | None = None
    failed_criterion: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RequestSent(Event):
    """One HTTP request as it went out. ``body``: text, at most 65,536 characters (``body_truncated``
    when cut; a binary body is a note, with ``body_binary``); ``body_size``: its length in bytes."""

    kind: ClassVar[str] = "request_sent"
    method: str
    url: str
    headers: Headers
    body: str | None
    body_size: int
    body_truncated: bool = False
    http_version: str = "HTTP/1.1"
    body_binary: bool = False  # not text: ``body`` is a note giving its size


@dataclass(frozen=True, kw_only=True, slots=True)
class ResponseReceived(Event):
    """The answer to the latest :class:`RequestSent`; ``elapsed`` in seconds since it was sent, until its
    body was read. ``timings``: where that time went, when the transport reports it (None otherwise)."""

    kind: ClassVar[str] = "response_received"
    status_code: int
    reason: str
    headers: Headers
    body: str | None
    body_size: int
    elapsed: float
    body_truncated: bool = False
    http_version: str = "HTTP/1.1"
    body_binary: bool = False  # not text: ``body`` is a note giving its size
    timings: Timings | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Timings:
    """The phases of one HTTP exchange, in seconds, as HAR 1.2 counts them; -1 for a phase that did not
    happen. ``blocked``: from the request event until the connection was ready to use (queueing for a
    pooled connection included); ``dns``: always -1 (name resolution is part of ``connect``); ``connect``:
    opening a new connection, TLS included (-1 on a reused one); ``ssl``: the TLS handshake alone;
    ``send``: writing the request; ``wait``: from the last byte sent to the response headers;
    ``receive``: reading the body."""

    blocked: float
    dns: float
    connect: float
    ssl: float
    send: float
    wait: float
    receive: float


@dataclass(frozen=True, kw_only=True, slots=True)
class CriterionEvaluated(Event):
    """``text``: the condition; ``type``: simple, regex, jsonpath, xpath; ``role``: ``success`` or
    ``action <name>``; ``explanation``: what was compared (the values seen, for a false one)."""

    kind: ClassVar[str] = "criterion_evaluated"
    text: str
    type: str
    role: str
    passed: bool
    explanation: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionChosen(Event):
    """What the step does next: ``action`` is ``next``, ``end``, ``goto``, ``retry`` or ``stop``;
    ``name`` the action's name (None for next/stop); ``reason`` says why in words."""

    kind: ClassVar[str] = "action_chosen"
    action: str
    name: str | None
    target: str | None
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryWaiting(Event):
    """A retry is about to wait ``delay`` seconds; ``source`` is ``Retry-After header``, ``retryAfter``
    or ``none``."""

    kind: ClassVar[str] = "retry_waiting"
    delay: float
    source: str
    action: str


@dataclass(frozen=True, kw_only=True, slots=True)
class OutputEvaluated(Event):
    """A step or workflow output: ``value`` (secrets masked), or ``left_out`` with the reason."""

    kind: ClassVar[str] = "output_evaluated"
    name: str
    value: Any = None
    left_out: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenFetched(Event):
    """An OAuth2 client-credentials token request: an HTTP exchange of its own (the token masked)."""

    kind: ClassVar[str] = "token_fetched"
    token_url: str
    request: RequestSent
    response: ResponseReceived | None


# -- AsyncAPI steps (Arazzo 1.1): messages, told as HTTP exchanges are ---------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageEvent(Event):
    """What :class:`MessageSent` and :class:`MessageReceived` share.

    ``source``: the AsyncAPI source; ``server``: the broker URL (never with its credentials), or ``mock``
    offline; ``protocol``: the binding (``mqtt``, ``amqp``, ``ws``, ``kafka`` ...); ``channel``: the address
    (topic, routing key, path); ``correlation_id``: the id awaited or carried (None without one). Headers and
    body as for :class:`RequestSent`: secrets masked, the body text cut at 65,536 characters."""

    kind: ClassVar[str] = "message"
    source: str
    server: str
    protocol: str
    channel: str
    content_type: str
    headers: Headers
    body: str | None
    body_size: int
    correlation_id: str | None = None
    body_truncated: bool = False
    body_binary: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageSent(MessageEvent):
    """A send step handed its message to the broker (with ``--mock``: checked, and handed to none)."""

    kind: ClassVar[str] = "message_sent"


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageReceived(MessageEvent):
    """The message a receive step took; ``elapsed``: seconds the step waited for it (0 for one already kept)."""

    kind: ClassVar[str] = "message_received"
    elapsed: float = 0.0
