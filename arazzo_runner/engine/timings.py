"""Where the time of one HTTP exchange went, from httpcore's ``trace`` request extension.

A :class:`PhaseClock` is attached to a request only when someone listens to the run's events: httpcore
then calls it at the start and end of each phase (connect, TLS, send headers and body, receive headers
and body), and :meth:`PhaseClock.timings` turns those moments into HAR 1.2 phases. A transport that does
not call it (the mock, a test transport) gives no timings.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from ..events import Timings

__all__ = ["PhaseClock"]


class PhaseClock:
    """The moments (``time.monotonic()``) each phase of one request started and ended."""

    __slots__ = ("marks", "sent")

    def __init__(self, sent: float) -> None:
        self.sent = sent  # when the request event was made: the exchange starts there
        self.marks: dict[str, float] = {}

    def attach(self, request: httpx.Request) -> None:
        request.extensions["trace"] = self.trace

    async def trace(self, name: str, info: dict[str, Any]) -> None:
        # "connection.connect_tcp.started", "http11.send_request_headers.complete", "http2...": the phase
        # and its edge, without the protocol prefix; the first start and the last end of each are kept.
        phase = name.partition(".")[2]
        if phase.endswith(".started"):
            self.marks.setdefault(phase, time.monotonic())
        else:
            self.marks[phase] = time.monotonic()

    def timings(self, done: float) -> Timings | None:
        """The phases, ``done`` being when the body was read; None when the transport reported nothing."""
        marks = self.marks
        headers_sent = marks.get("send_request_headers.started")
        headers_received = marks.get("receive_response_headers.complete")
        if headers_sent is None or headers_received is None:
            return None
        connect = ssl = -1.0
        ready = headers_sent
        opened = marks.get("connect_tcp.started")
        if opened is not None:
            ready = opened
            connected = marks.get("start_tls.complete", marks.get("connect_tcp.complete", opened))
            connect = max(connected - opened, 0.0)
            tls = marks.get("start_tls.started")
            if tls is not None:
                ssl = max(marks.get("start_tls.complete", tls) - tls, 0.0)
        body_sent = marks.get("send_request_body.complete", headers_sent)
        body_read = marks.get("receive_response_body.complete", done)
        return Timings(
            blocked=max(ready - self.sent, 0.0),
            dns=-1.0,
            connect=connect,
            ssl=ssl,
            send=max(body_sent - headers_sent, 0.0),
            wait=max(headers_received - body_sent, 0.0),
            receive=max(body_read - headers_received, 0.0),
        )
