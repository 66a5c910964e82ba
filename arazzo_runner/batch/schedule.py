"""Running one workflow over many rows: bounded concurrency, a start rate, and back-pressure from the API.

At most ``concurrency`` runs are alive at once and rows are pulled from their iterator only when a run
can start, so memory does not grow with the number of rows. Every start passes one :class:`StartGate`:
it spaces starts to the rate asked for and holds all of them while the API has said to wait (a 429 or
503 with ``Retry-After`` seen by any run).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ArazzoError
from ..result import Failure, WorkflowResult
from .rows import Row

__all__ = ["RowResult", "RowStatus", "StartGate", "parse_rate", "run_rows"]

RowStatus = Literal["succeeded", "failed", "invalid"]
RunOne = Callable[[Mapping[str, Any]], Awaitable[WorkflowResult]]


@dataclass(frozen=True)
class RowResult:
    """The outcome of one row: ``row`` is its 0-based index in the whole input (shards keep it)."""

    row: int
    status: RowStatus
    outputs: Mapping[str, Any] = field(default_factory=dict)
    error: Failure | None = None
    duration: float = 0.0
    result: WorkflowResult | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        """The row as one line of ``--output``: row, status, outputs, error, duration_ms."""
        return {
            "row": self.row,
            "status": self.status,
            "outputs": dict(self.outputs),
            "error": self.error.to_dict() if self.error else None,
            "duration_ms": round(self.duration * 1000, 3),
        }


def parse_rate(text: str) -> float:
    """``"100/s"``, ``"600/m"``, ``"5000/h"`` or a bare number (per second) as starts per second."""
    number, _, unit = text.strip().partition("/")
    per = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}.get(unit.strip().lower())
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if per is None or not _usable_rate(value / per if per else 0.0):
        raise ValueError(f"a rate is N/s, N/m or N/h with N > 0 and finite, got {text!r}")
    return value / per


def _usable_rate(rate: float) -> bool:
    """A rate the gate can wait by: positive, finite, and with a finite interval between starts."""
    return isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0 and math.isfinite(1.0 / rate)


class StartGate:
    """Decides when the next run may start: no sooner than the rate allows, nor while the API asks to wait."""

    def __init__(
        self,
        rate: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate is not None and not _usable_rate(rate):
            raise ValueError(f"a start rate must be a positive, finite number of starts per second, not {rate!r}")
        self.interval = 1.0 / rate if rate else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next_slot = 0.0
        self._hold_until = 0.0
        self.held_seconds = 0.0  # how long starts were held back by the API, in all
        self.holds = 0

    def hold(self, seconds: float) -> None:
        """Pause every new start for ``seconds`` from now (extending a pause already in force)."""
        if not seconds > 0:
            return
        now = self.clock()
        until = now + seconds
        if until > self._hold_until:
            self.held_seconds += until - max(now, self._hold_until)
            self._hold_until = until
            self.holds += 1

    async def wait_turn(self) -> None:
        """Wait until this start is allowed, then claim its slot."""
        while True:
            now = self.clock()
            start = max(now, self._next_slot, self._hold_until)
            if start <= now:
                self._next_slot = now + self.interval if self._next_slot <= now else self._next_slot + self.interval
                return
            await self.sleep(start - now)


async def run_rows(
    run_one: RunOne,
    rows: Iterable[Row],
    *,
    concurrency: int = 1,
    gate: StartGate | None = None,
    max_failures: int | None = None,
    workflow_id: str = "",
) -> AsyncIterator[RowResult]:
    """Run ``run_one`` for every row, at most ``concurrency`` at once, yielding each result as it finishes.

    A row that could not be read, or whose inputs the workflow refuses (an :class:`ArazzoError` raised
    before any request), gives an ``invalid`` result and the others go on. After ``max_failures`` rows
    failed or were invalid, no new row is started; the runs under way finish and are yielded.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    gate = gate or StartGate()
    iterator = iter(rows)
    pending: set[asyncio.Task[RowResult]] = set()
    failures = 0
    exhausted = False

    async def one(row: Row) -> RowResult:
        if row.inputs is None:
            problem = row.problem or "the row could not be read"
            return RowResult(row.index, "invalid", error=_invalid(problem, workflow_id))
        await gate.wait_turn()
        started = time.perf_counter()
        try:
            result = await run_one(row.inputs)
        except ArazzoError as exc:
            elapsed = time.perf_counter() - started
            return RowResult(row.index, "invalid", error=_invalid(str(exc), workflow_id), duration=elapsed)
        return RowResult(
            row.index,
            result.status,
            result.outputs,
            result.error,
            time.perf_counter() - started,
            result,
        )

    try:
        while True:
            stop = max_failures is not None and failures >= max_failures
            while not exhausted and not stop and len(pending) < concurrency:
                row = next(iterator, None)
                if row is None:
                    exhausted = True
                    break
                pending.add(asyncio.ensure_future(one(row)))
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=lambda t: t.result().row):
                outcome = task.result()
                if outcome.status != "succeeded":
                    failures += 1
                yield outcome
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def _invalid(message: str, workflow_id: str) -> Failure:
    return Failure(reason="invalid_inputs", message=message, workflow_id=workflow_id)
