"""Progress of a tool call, from the engine's event stream (:mod:`arazzo_runner.events`).

The engine calls ``on_event`` synchronously as things happen; MCP progress
notifications are sent by a coroutine. :class:`ProgressRelay` queues one line
per request sent and per response received and sends them, in order, from a task
of its own, so a slow client never holds up the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from ..engine.redact import Redactor
from ..events import Event, RequestSent, ResponseReceived

__all__ = ["Progress", "ProgressRelay"]

Progress = Callable[[float, str], Awaitable[None]]


class ProgressRelay:
    """An ``on_event`` listener that reports ``step ID: METHOD /path`` and ``… -> STATUS`` as progress.

    ``count`` is the number of responses received so far. Use inside a running event loop;
    :meth:`close` waits for the queued notifications to be sent.
    """

    def __init__(self, progress: Progress, redactor: Redactor) -> None:
        self.progress = progress
        self.redactor = redactor
        self.count = 0
        self._requests: dict[tuple[tuple[str, ...], str | None], str] = {}
        self._queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._send())

    def __call__(self, event: Event) -> None:
        key = (event.path, event.step_id)
        if isinstance(event, RequestSent):
            label = f"step {event.step_id}: " if event.step_id else ""
            sent = self._requests[key] = f"{label}{event.method} {httpx.URL(event.url).path}"
            self._queue.put_nowait((self.count, self.redactor.mask(sent)))
        elif isinstance(event, ResponseReceived):
            self.count += 1
            sent = self._requests.pop(key, f"step {event.step_id}:" if event.step_id else "a request")
            self._queue.put_nowait((self.count, self.redactor.mask(f"{sent} -> {event.status_code}")))

    async def _send(self) -> None:
        while (item := await self._queue.get()) is not None:
            await self.progress(*item)

    async def close(self, *, drain: bool = True) -> None:
        """Send what is queued (``drain``), or drop it (a cancelled or failed call), and end the task."""
        if drain:
            self._queue.put_nowait(None)
            await self._task
        else:
            self._task.cancel()
