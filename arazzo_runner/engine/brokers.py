"""Broker connections a :class:`~arazzo_runner.Runner` keeps across its runs, as it keeps its HTTP client.

One connection per event loop, binding protocol, server URL and login, opened by the first run that needs
it and reused by the later ones; a connection found dropped is closed and opened again. Each run still
has its own subscriptions (engine/async_steps.py releases them when it ends), so runs at the same time on
one connection each see every message and take only their own. :meth:`BrokerPool.close` (``Runner.close``)
closes them all, as does the end of the event loop they belong to (``asyncio.run``); ``run_workflow`` and
``arun_workflow`` use no pool: a run's connections end with the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator
from typing import Any

from ..asyncapi.bindings import Binding, Endpoint, binding_for

__all__ = ["BrokerPool"]

CLOSE_WAIT = 10.0  # seconds close() waits for the connections of another thread's loop to close

_Key = tuple[str, str, str | None, str | None]


class BrokerPool:
    """Open broker connections by event loop and ``(protocol, URL, user, password)``."""

    def __init__(self) -> None:
        self._entries: dict[asyncio.AbstractEventLoop, dict[_Key, Binding]] = {}
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._lifetimes: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = {}
        self._guard = threading.Lock()
        self.opened = 0  # connections opened so far (reopened ones included)

    def __repr__(self) -> str:  # never the logins
        return f"<BrokerPool: {sum(len(e) for e in self._entries.values())} connection(s)>"

    async def get(self, protocol: str, endpoint: Endpoint) -> Binding:
        """The open connection for ``endpoint`` on the running loop: kept, reopened if dropped, or new.

        Raises :class:`~arazzo_runner.asyncapi.bindings.BrokerError` when it cannot be opened.
        """
        loop = asyncio.get_running_loop()
        key: _Key = (protocol.lower(), endpoint.url, endpoint.username, endpoint.password)
        with self._guard:
            lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:  # two runs starting together open one connection
            bindings = self._entries.get(loop, {})
            binding = bindings.get(key)
            if binding is not None and _is_open(binding):
                return binding
            if binding is not None:  # dropped since the last run: let it go, open another
                with contextlib.suppress(Exception):
                    await binding.close()
            binding = binding_for(protocol, endpoint)
            await binding.connect()
            self.opened += 1
            with self._guard:
                first = loop not in self._entries
                self._entries.setdefault(loop, {})[key] = binding
            if first:
                # Running this generator to its first yield registers it with the loop, which finalises it
                # (closing the loop's connections) when it shuts down: asyncio.run() ends them with the loop.
                # Kept here: a generator nobody holds would be finalised, and the connections closed, at once.
                lifetime = self._lifetimes[loop] = self._lifetime(loop)
                await lifetime.__anext__()
            return binding

    async def _lifetime(self, loop: asyncio.AbstractEventLoop) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._guard:
                bindings = self._entries.pop(loop, {})
                self._locks.pop(loop, None)
                self._lifetimes.pop(loop, None)
            await _close_all(list(bindings.values()))

    async def discard(self, binding: Binding) -> None:
        """Let ``binding`` go (it failed: dropped, most likely) and close it; the next :meth:`get` opens another."""
        with self._guard:
            for bindings in self._entries.values():
                for key, kept in list(bindings.items()):
                    if kept is binding:
                        del bindings[key]
        with contextlib.suppress(Exception):
            await binding.close()

    def _take(self) -> dict[asyncio.AbstractEventLoop, dict[_Key, Binding]]:
        with self._guard:
            entries, self._entries = self._entries, {}
            self._locks = {}
            self._lifetimes = {}  # a loop's generator, no longer held, is finalised by it: the work is done here
        return entries

    async def aclose(self) -> None:
        """Close every connection; those of another thread's loop are closed on that loop."""
        current = asyncio.get_running_loop()
        for loop, bindings in self._take().items():
            if loop is current:
                await _close_all(list(bindings.values()))
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(_close_all(list(bindings.values())), loop)
                await asyncio.wrap_future(future)

    def close(self) -> None:
        """Close every connection from synchronous code (``Runner.close``)."""
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, bindings in self._take().items():
            work = _close_all(list(bindings.values()))
            if loop is current:  # called without await from a coroutine on that loop: closes when it yields
                task = loop.create_task(work)
                _PENDING.add(task)
                task.add_done_callback(_PENDING.discard)
            elif loop.is_running():
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(work, loop).result(CLOSE_WAIT)
            else:
                work.close()  # a loop that is gone took its connections with it


_PENDING: set[asyncio.Task[None]] = set()


def _is_open(binding: Any) -> bool:
    return bool(getattr(binding, "is_open", True))


async def _close_all(bindings: list[Binding]) -> None:
    for binding in bindings:
        with contextlib.suppress(Exception):
            await binding.close()
