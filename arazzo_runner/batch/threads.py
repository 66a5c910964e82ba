"""Iterating an async generator from synchronous code: it runs on its own event loop in a worker thread."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

__all__ = ["iterate_in_thread"]

T = TypeVar("T")
_DONE = object()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def iterate_in_thread(make: Callable[[], AsyncIterator[T]], buffer: int = 64) -> Iterator[T]:
    """Yield what ``make()`` yields. At most ``buffer`` items wait for the caller; closing this
    generator early (``break``) closes the async one, which cancels whatever it has under way."""
    items: queue.Queue[object] = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    async def produce() -> None:
        loop = asyncio.get_running_loop()
        source = make()
        try:
            async for item in source:
                if stop.is_set() or not await loop.run_in_executor(None, hand_over, item):
                    break
        finally:
            await source.aclose()  # type: ignore[attr-defined]

    def worker() -> None:
        try:
            asyncio.run(produce())
        except BaseException as exc:  # handed to the caller's thread and raised there
            hand_over(_Raised(exc))
            return
        hand_over(_DONE)

    thread = threading.Thread(target=worker, name="arazzo-runner-many", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
