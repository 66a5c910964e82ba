"""A run as the reports see it, gathered from its event stream by a :class:`Recorder`.

The recorder is an ``on_event`` listener; it holds everything a report needs at any moment, so a run
stopped half-way (Ctrl-C, SIGTERM, a timeout) still gives complete reports of what happened: the steps
that finished and the request that was in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..events import (
    ActionChosen,
    CriterionEvaluated,
    Event,
    MessageEvent,
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
    TokenFetched,
)

__all__ = ["ExchangeRecord", "Recorder", "StepRecord"]


@dataclass
class ExchangeRecord:
    """One HTTP exchange; ``response`` is None for a request still in flight (or one that failed)."""

    request: RequestSent
    response: ResponseReceived | None = None
    token: bool = False  # an OAuth2 token request made for the step
    ended: float | None = None  # monotonic time the exchange ended without a response (transport error)


@dataclass
class StepRecord:
    started: StepStarted
    finished: StepFinished | None = None
    exchanges: list[ExchangeRecord] = field(default_factory=list)
    criteria: list[CriterionEvaluated] = field(default_factory=list)
    actions: list[ActionChosen] = field(default_factory=list)
    retries: list[RetryWaiting] = field(default_factory=list)
    outputs: list[OutputEvaluated] = field(default_factory=list)
    messages: list[MessageEvent] = field(default_factory=list)  # an AsyncAPI step's message sent or taken

    @property
    def status(self) -> str:
        if self.finished is None:
            return "interrupted"
        return "succeeded" if self.finished.succeeded else "failed"

    @property
    def duration(self) -> float:
        return self.finished.duration if self.finished is not None else time.monotonic() - self.started.time


class Recorder:
    """Listens to one run (pass it as ``on_event``) and keeps what the report writers read.

    recorder = Recorder()
    run_workflow(doc, "login", inputs, on_event=recorder)
    write_report("junit", recorder, "report.xml")
    """

    def __init__(self) -> None:
        self.started: RunStarted | None = None
        self.finished: RunFinished | None = None
        self.steps: list[StepRecord] = []
        self.exchanges: list[ExchangeRecord] = []  # every HTTP exchange in order, token requests included
        self.servers: list[ServerResolved] = []
        self.messages: list[MessageEvent] = []  # every message of AsyncAPI steps in order (MessageSent/Received)
        self.stopped_by: str | None = None  # "SIGINT", "SIGTERM" ...: the run ended from outside
        self.stopped_at: float | None = None
        self._planned = ("", "")  # the workflow id and document of a run stopped before it started
        self._open: list[StepRecord] = []  # started, not finished: a workflow step holds its child's steps
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            StepStarted: self._step_started,
            RequestSent: self._request_sent,
            ResponseReceived: self._response_received,
            TokenFetched: self._token_fetched,
            StepFinished: self._step_finished,
            CriterionEvaluated: self._criterion,
            ActionChosen: self._action,
            RetryWaiting: self._retry,
            OutputEvaluated: self._output,
            ServerResolved: self._server,
            RunStarted: self._run_started,
            RunFinished: self._run_finished,
            MessageSent: self._message,
            MessageReceived: self._message,
        }

    def __call__(self, event: Event) -> None:
        handle = self._handlers.get(type(event))
        if handle is not None:
            handle(event)

    # One handler per event kind this recorder keeps (a dict lookup: it sees every event of the run).
    def _step_started(self, event: Any) -> None:
        step = StepRecord(event)
        self.steps.append(step)
        self._open.append(step)

    def _request_sent(self, event: Any) -> None:
        self._exchange(ExchangeRecord(event), self._current())

    def _response_received(self, event: Any) -> None:
        pending = self.in_flight()
        if pending is not None:
            pending.response = event

    def _token_fetched(self, event: Any) -> None:
        self._exchange(ExchangeRecord(event.request, event.response, token=True), self._current())

    def _step_finished(self, event: Any) -> None:
        pending = self.in_flight()
        if pending is not None:
            pending.ended = event.time  # a transport error: the request got no answer
        if self._open:
            self._open.pop().finished = event

    def _criterion(self, event: Any) -> None:
        if self._open:
            self._open[-1].criteria.append(event)

    def _action(self, event: Any) -> None:
        if self._open:
            self._open[-1].actions.append(event)

    def _retry(self, event: Any) -> None:
        # The wait comes after the attempt it follows has finished: it belongs to that attempt's record.
        for step in reversed(self.steps):
            if step.started.step_id == event.step_id and step.started.path == event.path:
                step.retries.append(event)
                return

    def _output(self, event: Any) -> None:
        if self._open and event.step_id is not None:
            self._open[-1].outputs.append(event)

    def _message(self, event: Any) -> None:
        self.messages.append(event)
        if self._open:
            self._open[-1].messages.append(event)

    def _server(self, event: Any) -> None:
        self.servers.append(event)

    def _run_started(self, event: Any) -> None:
        self.started = event

    def _run_finished(self, event: Any) -> None:
        self.finished = event

    def _current(self) -> StepRecord | None:
        return self._open[-1] if self._open else None

    def _exchange(self, exchange: ExchangeRecord, step: StepRecord | None) -> None:
        self.exchanges.append(exchange)
        if step is not None:
            step.exchanges.append(exchange)

    def in_flight(self) -> ExchangeRecord | None:
        """The last request, when it has neither a response nor an end yet."""
        if self.exchanges and self.exchanges[-1].response is None and self.exchanges[-1].ended is None:
            return self.exchanges[-1]
        return None

    def interrupt(self, why: str, *, workflow_id: str = "", document: str = "") -> None:
        """Mark the run as stopped from outside (``"SIGINT"``, ``"SIGTERM"``) before writing reports.

        ``workflow_id`` and ``document`` name the run the reports are about when it was stopped before
        it started (while its document was loading)."""
        if self.finished is None and self.stopped_by is None:
            self.stopped_by = why
            self.stopped_at = time.monotonic()
            self._planned = (workflow_id, document)

    # -- what every report says ----------------------------------------------
    @property
    def workflow_id(self) -> str:
        return self.started.workflow_id if self.started is not None else self._planned[0]

    @property
    def document(self) -> str:
        return self.started.document if self.started is not None else self._planned[1]

    @property
    def status(self) -> str:
        """``succeeded``, ``failed`` or ``interrupted`` (the run has no result: it was stopped from outside)."""
        if self.finished is None:
            return "interrupted"
        return self.finished.status

    @property
    def stop_reason(self) -> str | None:
        """What cut the run short: a signal name, ``run_timeout`` or ``limit_exceeded``; None otherwise."""
        if self.finished is None:
            return self.stopped_by or "interrupted"
        error = self.finished.result.error
        if error is not None and error.reason in ("run_timeout", "limit_exceeded"):
            return error.reason
        return None

    @property
    def duration(self) -> float:
        if self.finished is not None:
            return self.finished.result.duration
        if self.started is None:
            return 0.0
        return (self.stopped_at or time.monotonic()) - self.started.time

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.finished.result.outputs) if self.finished is not None else {}

    @property
    def error(self) -> dict[str, Any] | None:
        if self.finished is not None:
            error = self.finished.result.error
            return error.to_dict() if error is not None else None
        step = next((s for s in reversed(self.steps) if s.finished is None), None)
        why = self.stopped_by or "stopped"
        if not self.steps:
            message = f"the run was interrupted ({why}) before its first step: no step was run"
        else:
            where = f" during step {step.started.step_id!r}" if step is not None else ""
            message = (
                f"the run was interrupted ({why}){where}; "
                "the steps before it completed, and may have changed state on the server"
            )
        return {
            "reason": "interrupted",
            "message": message,
            "workflowId": self.workflow_id,
            "stepId": step.started.step_id if step is not None else None,
            "statusCode": None,
            "criterion": None,
            "action": None,
            "responseExcerpt": None,
            "cause": None,
        }

    @property
    def warnings(self) -> list[str]:
        return list(self.finished.result.warnings) if self.finished is not None else []

    def failure_line(self) -> str | None:
        """The failure in one line (for a table cell or a JUnit ``message``)."""
        error = self.error
        if error is None:
            return None
        return " ".join(str(error["message"]).split())

    def offset(self, moment: float) -> float:
        """Seconds from the start of the run to the monotonic ``moment``."""
        return moment - self.started.time if self.started is not None else 0.0

    def wall(self, moment: float) -> float:
        """The ``time.time()`` of the monotonic ``moment``."""
        return self.started.wall_time + self.offset(moment) if self.started is not None else time.time()
