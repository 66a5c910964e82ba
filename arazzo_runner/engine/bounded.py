"""Bounds on one HTTP exchange: a total deadline and a cap on the decoded response body.

httpx's own timeouts apply to each network operation, so a server that sends one
byte just inside the read timeout can hold a request open for ever. Here the
whole exchange (connect, headers, every body chunk, every redirect) runs under one
deadline, and the body is read in chunks, decompressed, and given up as soon as
it passes ``max_bytes``: a gzip bomb never inflates past the cap.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from ..language.criteria.budget import CRITERION_TIMEOUT, DEFAULT_CRITERION_TIMEOUT

__all__ = [
    "CRITERION_TIMEOUT",
    "DEFAULT_CRITERION_TIMEOUT",
    "DeadlineExceeded",
    "RequestDeadline",
    "ResponseTooLarge",
    "deadline_exceeded",
    "finite_seconds",
    "read_bounded",
    "run_timeout_words",
    "within_deadline",
]

T = TypeVar("T")

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024


class DeadlineExceeded(httpx.TimeoutException):
    """The whole exchange took longer than the request timeout."""


class ResponseTooLarge(httpx.HTTPError):
    """The decoded response body passed ``max_response_bytes``."""


async def within_deadline(work: Awaitable[T], seconds: float | None, request: httpx.Request) -> T:
    """``await work``, raising :class:`DeadlineExceeded` when it takes longer than ``seconds`` in total."""
    if seconds is None:
        return await work
    try:
        if sys.version_info >= (3, 11):
            # In the calling task: no task of its own to create and schedule for every request.
            async with asyncio.timeout(seconds):
                return await work
        return await asyncio.wait_for(work, seconds)
    except asyncio.TimeoutError:
        raise deadline_exceeded(seconds, request) from None


def deadline_exceeded(seconds: float, request: httpx.Request) -> DeadlineExceeded:
    return DeadlineExceeded(f"no complete response within {seconds:g}s", request=request)


class RequestDeadline:
    """The deadline of each request of one run, kept on one timer of the event loop for the whole run.

    ``asyncio.timeout`` schedules a timer per request and cancels it when the response is in: two
    operations on the loop's timer heap per request. Here the timer is left in place when a request
    ends; when it fires it looks at the request running then (if any) and either stops it, or sets
    itself again for that request's own deadline. A later request with an earlier deadline (a
    shorter timeout) moves the timer earlier. The cancellation is undone as ``asyncio.timeout`` does
    (Python 3.11 and later): a cancellation of the task from elsewhere stays a cancellation.
    """

    __slots__ = ("_cancelling", "_due", "_expired", "_handle", "_loop", "_task")

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[object] | None = None
        self._due = 0.0
        self._expired = False
        self._cancelling = 0

    def start(self, seconds: float) -> bool:
        """Bound the request the current task is about to send; False when one is bounded already."""
        if self._task is not None:
            return False
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            return False
        if loop is not self._loop:
            self.close()
            self._loop = loop
        due = loop.time() + seconds
        self._task, self._due, self._expired = task, due, False
        self._cancelling = task.cancelling()  # type: ignore[attr-defined,unused-ignore]  # Python 3.11+
        handle = self._handle
        if handle is None or handle.when() > due:
            if handle is not None:
                handle.cancel()
            self._handle = loop.call_at(due, self._fire)
        return True

    def finish(self, cancelled: bool) -> bool:
        """End the request started last; True when it ran out of time (``cancelled``: a CancelledError ended it)."""
        task = self._task
        if task is None:
            return False
        self._task = None
        if not self._expired:
            return False
        self._expired = False
        return bool(task.uncancel() <= self._cancelling and cancelled)  # type: ignore[attr-defined,unused-ignore]

    def close(self) -> None:
        """Take the timer off the loop (the run is over)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        task = self._task
        if task is None or self._loop is None:
            return
        if self._loop.time() < self._due:
            self._handle = self._loop.call_at(self._due, self._fire)
            return
        self._expired = True
        task.cancel()


async def read_bounded(response: httpx.Response, max_bytes: int | None) -> None:
    """Read the (streamed) body of ``response``, decoded, refusing more than ``max_bytes`` of it.

    Afterwards ``response.content`` is the body, as if httpx had read it.
    """
    if max_bytes is None:
        await response.aread()
        return
    headers = response.headers
    declared = headers.get("content-length", "")
    if declared.isdigit():
        encoding = headers.get("content-encoding")
        # A compressed body's declared length says nothing of its decoded size. An identity body's is
        # its size, unless Transfer-Encoding frames it instead: httpx's HTTP/1.1 connection then reads
        # exactly the declared bytes, and its HTTP/2 connection refuses a body longer than declared.
        if (encoding is None or encoding.strip().lower() in ("", "identity")) and "transfer-encoding" not in headers:
            if int(declared) > max_bytes:
                await response.aclose()
                raise _too_large(max_bytes)
            await response.aread()
            return
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
    finally:
        if not response.is_closed:  # the stream closes itself once read to the end
            await response.aclose()
    response._content = b"".join(chunks)


def _too_large(max_bytes: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"the response body is larger than max_response_bytes ({max_bytes} bytes, counted after decompression)"
    )


def run_timeout_words(
    seconds: float | None, running: tuple[str, str] | None, workflow_id: str
) -> tuple[str, str | None, str]:
    """``(workflow id, step id, message)`` for a run stopped by ``run_timeout`` while ``running`` ran."""
    wf_id, step_id = running or (workflow_id, None)
    where = f" during step {step_id!r} of workflow {wf_id!r}" if step_id else ""
    return wf_id, step_id, f"the run took longer than run_timeout ({seconds or 0:g}s) and was stopped{where}"


@dataclass(frozen=True)
class Limits:
    """Guards against runaway runs (DEC-42, DEC-44). Hitting one fails the run, naming it."""

    max_steps: int = 1000
    max_depth: int = 32
    max_retry_delay: float = 300.0
    request_timeout: float | None = None  # None: the ``timeout=`` given to run_workflow / Runner (30 s by default)
    run_timeout: float | None = None
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES  # the decoded body; None: no cap
    criterion_timeout: float = DEFAULT_CRITERION_TIMEOUT  # seconds for one backtracking regex, XPath or filter

    def __post_init__(self) -> None:
        """Refuse what would make a limit never hit or always hit: NaN, infinities, negatives, wrong types."""
        for name in ("max_steps", "max_depth", "max_response_bytes"):
            value = getattr(self, name)
            if value is None and name == "max_response_bytes":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Limits.{name} must be a whole number >= 0, not {value!r}")
        for name in ("max_retry_delay", "request_timeout", "run_timeout", "criterion_timeout"):
            value = getattr(self, name)
            if value is None and name in ("request_timeout", "run_timeout"):
                continue
            positive = name != "max_retry_delay"
            if not finite_seconds(value, positive=positive):
                floor = "> 0" if positive else ">= 0"
                given = " (the timeout= argument, when Limits sets none)" if name == "request_timeout" else ""
                raise ValueError(f"Limits.{name}{given} must be a finite number of seconds {floor}, not {value!r}")


def finite_seconds(value: object, *, positive: bool = True) -> bool:
    """Whether ``value`` is a number of seconds a wait can end after: finite, and > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return value > 0 if positive else value >= 0


DEFAULT_LIMITS = Limits()
