"""The live trace of ``run`` on stderr, fed from the event stream.

``-v``: one line per step as it finishes (step, method, URL, status, time, criteria, action) and the
server each source resolved to, and where that came from. ``-vv``: also every request and response (and
every message of an AsyncAPI step) with headers and bodies (each body cut at :data:`BODY_SHOWN` characters,
saying so). On a terminal, a live line shows what a step is waiting for (a request in flight, a retry's
delay) and is replaced when done.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TextIO

from ..events import (
    CriterionEvaluated,
    Event,
    Headers,
    MessageEvent,
    MessageReceived,
    RequestSent,
    ResponseReceived,
    RetryWaiting,
    RunFinished,
    ServerResolved,
    StepFinished,
    StepStarted,
    TokenFetched,
)

__all__ = ["BODY_SHOWN", "Trace", "printable"]

BODY_SHOWN = 2000  # characters of a body -vv prints
TICK = 0.25  # seconds between updates of the live line
_CLEAR = "\r\x1b[K"
# What a server sends is shown, never obeyed: control characters (an escape sequence that clears the
# screen, retitles the window or rewrites a line already printed) are written as \xNN.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if chr(code) not in "\n\t"}


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab spelled out (``\\x1b``)."""
    return text.translate(_CONTROLS)


class Trace:
    """An ``on_event`` listener printing the trace at ``verbosity`` (-1: -q, 0: only the live line, 1: -v, 2: -vv)."""

    def __init__(self, out: TextIO, verbosity: int, *, live: bool | None = None, columns: int | None = None) -> None:
        self.out = out
        self.verbosity = verbosity
        if live is None:  # a terminal that understands the escape sequence redrawing the line
            live = out.isatty() and os.environ.get("TERM") != "dumb"
        self.live = live and verbosity >= 0
        self.columns = columns  # the width the live line must fit; None: the terminal's, asked at each redraw
        self._live_shown = False
        # The live line: what is awaited, since when, and until when (a retry's end), redrawn by a ticker thread.
        self._waiting: tuple[str, float, float | None] | None = None
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._passed = 0
        self._failed = 0

    @property
    def idle(self) -> bool:
        """Nothing to show (no -v, no live line): the run need not be observed for it."""
        return self.verbosity < 1 and not self.live

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._waiting = None
            if self._live_shown:
                self.out.write(_CLEAR)
                self._live_shown = False
            self._handle(event)
            self.out.flush()
        if isinstance(event, RunFinished):
            self._stop.set()

    def _handle(self, event: Event) -> None:
        if isinstance(event, ServerResolved):
            self._server(event)
        elif isinstance(event, StepStarted):
            self._passed = self._failed = 0
        elif isinstance(event, CriterionEvaluated):
            if event.role == "success":
                if event.passed:
                    self._passed += 1
                else:
                    self._failed += 1
        elif isinstance(event, StepFinished):
            if self.verbosity >= 1:
                self._step(event)
        elif isinstance(event, RequestSent):
            if self.verbosity >= 2:
                self._request(event)
            self._wait_for(f"{event.step_id}: {event.method} {event.url}", None)
        elif isinstance(event, ResponseReceived):
            if self.verbosity >= 2:
                self._response(event)
        elif isinstance(event, TokenFetched):
            if self.verbosity >= 2:
                self._write(f"  token request for {event.step_id}:\n")
                self._request(event.request)
                if event.response is not None:
                    self._response(event.response)
        elif isinstance(event, MessageEvent):  # AsyncAPI steps: shown at -vv like a request or a response
            if self.verbosity >= 2:
                self._message(event)
        elif isinstance(event, RetryWaiting):
            self._wait_for(f"{event.step_id}: retry {event.action!r} ({event.source})", event.delay)

    def _write(self, text: str) -> None:
        self.out.write(printable(text))

    # -- the live line (terminals only) ----------------------------------------
    def _wait_for(self, what: str, delay: float | None) -> None:
        if not self.live:
            return
        now = time.monotonic()
        self._waiting = (what, now, now + delay if delay is not None else None)
        self._draw(now)
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick_until_done, name="arazzo-trace", daemon=True)
            self._ticker.start()

    def _draw(self, now: float) -> None:
        if self._waiting is None:
            return
        what, since, until = self._waiting
        if until is None:
            state = f": waiting for the response, {now - since:.1f}s"
        else:
            state = f": next attempt in {max(until - now, 0.0):.1f}s"
        # Narrower than the terminal: a line that wraps cannot be redrawn in place. The step and URL give
        # way, the state stays whole.
        room = max(self._width() - 1 - len(state) - 2, 10)
        what = printable(what)
        if len(what) > room:
            what = what[: room - 1] + "…"
        self.out.write(f"{_CLEAR}… {what}{state}")
        self._live_shown = True

    def _width(self) -> int:
        if self.columns is not None:
            return self.columns
        try:
            return os.get_terminal_size(self.out.fileno()).columns or 80
        except (AttributeError, OSError, ValueError):
            return 80

    def tick(self) -> None:
        """Redraw the live line with the time now (the ticker thread calls it every :data:`TICK` seconds)."""
        with self._lock:
            self._draw(time.monotonic())
            self.out.flush()

    def close(self) -> None:
        """Stop and clear the live line for good: the run was stopped from outside (Ctrl-C, SIGTERM) and
        the command's last words must start on a clean line."""
        self._stop.set()
        with self._lock:
            self.live = False
            self._waiting = None
            if self._live_shown:
                self.out.write(_CLEAR)
                self._live_shown = False
                self.out.flush()

    def _tick_until_done(self) -> None:
        while not self._stop.wait(TICK):
            self.tick()

    def _server(self, event: ServerResolved) -> None:
        # Without -v, the command says before the run which server a source with several goes to (cli/notices.py).
        if self.verbosity >= 1:
            self._write(f"server: source {event.source!r} -> {event.url} ({event.origin})\n")

    def _step(self, event: StepFinished) -> None:
        mark = "ok  " if event.succeeded else "FAIL"
        indent = "  " * max(len(event.path) - 1, 0)
        name = event.step_id if len(event.path) <= 1 else f"{event.workflow_id}.{event.step_id}"
        where = f" {event.method} {event.url}" if event.method else ""
        code = event.status_code if event.status_code is not None else "-"
        attempt = f" (attempt {event.attempt})" if event.attempt > 1 else ""
        checks = self._passed + self._failed
        criteria = f"criteria {self._passed}/{checks} passed" if checks else "no criteria"
        self._write(
            f"{indent}{mark} {name}{attempt}{where} -> {code} {event.duration * 1000:.0f} ms, {criteria}, "
            f"then {event.next_action}\n"
        )
        if event.error and self.verbosity >= 1:
            self._write(f"{indent}     {event.error}\n")

    def _request(self, event: RequestSent) -> None:
        self._write(f"  > {event.method} {event.url}\n")
        self._headers("  > ", event.headers)
        self._body("  > ", event.body, event.body_truncated)

    def _response(self, event: ResponseReceived) -> None:
        self._write(f"  < {event.status_code} {event.reason} ({event.elapsed * 1000:.0f} ms)\n")
        self._headers("  < ", event.headers)
        self._body("  < ", event.body, event.body_truncated)

    def _message(self, event: MessageEvent) -> None:
        prefix = "  < " if isinstance(event, MessageReceived) else "  > "
        said = f"RECEIVED on {event.channel!r}" if isinstance(event, MessageReceived) else f"SEND on {event.channel!r}"
        facts = [f"{event.protocol} {event.server}", event.content_type]
        if event.correlation_id is not None:
            facts.append(f"correlation id {event.correlation_id!r}")
        if isinstance(event, MessageReceived):
            facts.append(f"waited {event.elapsed * 1000:.0f} ms")
        self._write(f"{prefix}{said} ({', '.join(facts)})\n")
        self._headers(prefix, event.headers)
        self._body(prefix, event.body, event.body_truncated)

    def _headers(self, prefix: str, headers: Headers) -> None:
        for name, value in headers:
            self._write(f"{prefix}{name}: {value}\n")

    def _body(self, prefix: str, body: str | None, truncated: bool) -> None:
        if body is None:
            return
        shown = body[:BODY_SHOWN]
        self._write(prefix + "\n")
        for line in shown.splitlines() or [""]:
            self._write(f"{prefix}{line}\n")
        if truncated or len(body) > BODY_SHOWN:
            self._write(f"{prefix}(body cut at {BODY_SHOWN} characters)\n")
