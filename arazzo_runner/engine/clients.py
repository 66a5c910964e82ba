"""The HTTP clients runs share when the caller brings none, and the event loop synchronous calls run on.

Building an ``httpx.AsyncClient`` costs far more than a request (its TLS context alone
takes milliseconds), and a client made per run never reuses a connection. So a run
without ``client=`` borrows a client from a :class:`ClientPool`: one client per event
loop (and pool settings), made on first use and kept for the next run on that loop.

- An async caller's client lives as long as its loop: it is closed when the loop shuts
  down (``asyncio.run`` and ``asyncio.Runner`` close the loop's async generators, and
  the client's lifetime is tied to one), by ``Runner.close()``, or at interpreter exit.
- Synchronous calls (``run_workflow``, ``Runner.run``) all run on one event loop that a
  daemon thread of this process runs (:func:`run_sync`), started on first use. Their
  client therefore survives across calls, a caller's own ``AsyncClient`` works on every
  call, and a synchronous call also works from inside a running loop (a notebook).
- After ``fork()`` the child forgets everything it inherited (without closing it, which
  would disturb the parent's connections) and makes its own clients and loop thread.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextvars
import os
import ssl
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Coroutine
from typing import Any, TypeVar

import httpcore
import httpx

from ..errors import ArazzoError

__all__ = ["DEFAULT_POOL", "ClientPool", "default_clients", "make_client", "run_sync"]

T = TypeVar("T")

# Enough keep-alive connections for 50 concurrent runs against one API to reuse theirs
# (httpx keeps 20 by default and would close the rest after every burst).
DEFAULT_POOL = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)

_ClientKey = tuple[int | None, int | None, float | None, float | None]

# Objects a forked child inherited: kept referenced, never closed or collected, so no
# finaliser touches sockets and loops that belong to the parent.
_INHERITED: list[object] = []


def make_client(pool: httpx.Limits, timeout: float | None) -> httpx.AsyncClient:
    """A client like ``httpx.AsyncClient(limits=pool)``, with a pool that stays fast with many connections.

    Its TLS context (httpx's default: certifi's certificates, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``) is
    made on the first https connection, so runs against ``http://`` APIs never pay the milliseconds that
    reading the certificate store costs.
    """
    transport = None
    if _LINEAR_POOL_FITS:
        transport = httpx.AsyncHTTPTransport(limits=pool, verify=_TLSPending(ssl.PROTOCOL_TLS_CLIENT))
        connections = getattr(transport, "_pool", None)
        if type(connections) is httpcore.AsyncConnectionPool:
            connections.__class__ = _LinearPool
        else:  # not the pool the replacement fits: httpx's own transport, its TLS context made now
            transport = None
    if transport is None:
        transport = httpx.AsyncHTTPTransport(limits=pool)
    # limits= still applies to the transports httpx mounts for proxies named in the environment.
    return httpx.AsyncClient(transport=transport, limits=pool, timeout=timeout, follow_redirects=False)


class _LinearPool(httpcore.AsyncConnectionPool):
    """httpcore's pool, with its bookkeeping made cheap when many connections are open.

    On every request added or finished, httpcore 1.0 counts all connections once per idle
    connection, and asks each idle connection's socket whether the server has closed it. With
    50 connections in use that outweighs the requests themselves. Here the tidying pass costs
    one cheap look per connection (closed? keep-alive time over? surplus?), and the socket of an
    idle connection is polled only when it is about to carry a request: a connection the server
    closed is then dropped and the next one taken, as httpcore would have done earlier.
    """

    def create_connection(self, origin: httpcore.Origin) -> Any:
        if isinstance(self._ssl_context, _TLSPending) and origin.scheme != b"http":
            self._ssl_context = httpx.create_ssl_context()  # what httpx.AsyncHTTPTransport() makes by default
        return super().create_connection(origin)

    def _assign_requests_to_connections(self) -> list[Any]:
        closing: list[Any] = []
        now = time.monotonic()
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
            elif _keepalive_over(connection, now) or (
                connection.is_idle() and len(self._connections) > self._max_keepalive_connections
            ):
                self._connections.remove(connection)
                closing.append(connection)
        for pool_request in [request for request in self._requests if request.is_queued()]:
            origin = pool_request.request.url.origin
            available = None
            idle = None
            for connection in list(self._connections):
                if connection.can_handle_request(origin) and connection.is_available():
                    if connection.is_idle() and connection.has_expired():  # the server closed it meanwhile
                        self._connections.remove(connection)
                        closing.append(connection)
                        continue
                    available = connection
                    break
                if idle is None and connection.is_idle():
                    idle = connection
            if available is not None:
                pool_request.assign_to_connection(available)
            elif len(self._connections) < self._max_connections:
                connection = self.create_connection(origin)
                self._connections.append(connection)
                pool_request.assign_to_connection(connection)
            elif idle is not None:
                self._connections.remove(idle)
                closing.append(idle)
                connection = self.create_connection(origin)
                self._connections.append(connection)
                pool_request.assign_to_connection(connection)
        return closing


class _TLSPending(ssl.SSLContext):
    """A stand-in TLS context (it trusts no certificate) until the first https connection makes the real one."""


def _keepalive_over(connection: Any, now: float) -> bool:
    """Whether an idle connection has outlived ``keepalive_expiry`` (httpcore's own deadline; no socket poll)."""
    expire_at = getattr(getattr(connection, "_connection", None), "_expire_at", None)
    return isinstance(expire_at, float) and now > expire_at


# The replacement mirrors httpcore 1.0's method; any other version keeps its own.
_LINEAR_POOL_FITS = httpcore.__version__.startswith("1.0.") and hasattr(
    httpcore.AsyncConnectionPool, "_assign_requests_to_connections"
)


def _key(pool: httpx.Limits, timeout: float | None) -> _ClientKey:
    return (pool.max_connections, pool.max_keepalive_connections, pool.keepalive_expiry, timeout)


class _Entry:
    __slots__ = ("client", "lifetime", "pid")

    def __init__(self, client: httpx.AsyncClient, lifetime: AsyncGenerator[None, None] | None) -> None:
        self.client = client
        self.lifetime = lifetime
        self.pid = os.getpid()


class ClientPool:
    """``httpx.AsyncClient`` objects made on demand, one per running event loop and pool settings."""

    def __init__(self) -> None:
        self._entries: dict[asyncio.AbstractEventLoop, dict[_ClientKey, _Entry]] = {}
        self._lock = threading.Lock()
        _POOLS.add(self)

    def __repr__(self) -> str:
        return f"<ClientPool: {sum(len(e) for e in self._entries.values())} client(s)>"

    async def get(self, pool: httpx.Limits | None, timeout: float | None) -> httpx.AsyncClient:
        """The client for the running loop, made (and tied to the loop's lifetime) on first use."""
        loop = asyncio.get_running_loop()
        key = _key(pool or DEFAULT_POOL, timeout)
        clients = self._entries.get(loop)
        entry = clients.get(key) if clients is not None else None
        if entry is not None:
            return entry.client
        client = make_client(pool or DEFAULT_POOL, timeout)
        lifetime = self._lifetime(loop, key, client)
        entry = _Entry(client, lifetime)
        with self._lock:
            self._prune()
            self._entries.setdefault(loop, {})[key] = entry
        _ensure_exit_hook()
        # Running the generator to its first yield registers it with the loop, which closes it
        # (and so the client) when the loop shuts down its async generators.
        await lifetime.__anext__()
        return client

    async def _lifetime(
        self, loop: asyncio.AbstractEventLoop, key: _ClientKey, client: httpx.AsyncClient
    ) -> AsyncGenerator[None, None]:
        pid = os.getpid()
        try:
            yield
        finally:
            if os.getpid() == pid:  # a forked child never closes its parent's connections
                self._forget(loop, key, client)
                await client.aclose()

    def _forget(self, loop: asyncio.AbstractEventLoop, key: _ClientKey, client: httpx.AsyncClient) -> None:
        with self._lock:
            clients = self._entries.get(loop)
            if clients is not None and key in clients and clients[key].client is client:
                del clients[key]
                if not clients:
                    del self._entries[loop]

    def _prune(self) -> None:
        """Drop the clients of loops closed without shutting down their async generators (none can close them)."""
        for loop in [loop for loop in self._entries if loop.is_closed()]:
            _INHERITED.append(self._entries.pop(loop))

    def _take(self) -> dict[asyncio.AbstractEventLoop, dict[_ClientKey, _Entry]]:
        with self._lock:
            entries, self._entries = self._entries, {}
        return entries

    async def aclose(self) -> None:
        """Close every client of this pool; from a coroutine (the clients of other loops are closed on those)."""
        current = asyncio.get_running_loop()
        for loop, clients in self._take().items():
            await _close_on(loop, list(clients.values()), current)

    def close(self) -> None:
        """Close every client of this pool from synchronous code."""
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, clients in self._take().items():
            entries = list(clients.values())
            if loop is current:
                # Called without await from a coroutine on that very loop: the close runs as soon as it yields.
                task = loop.create_task(_aclose_entries(entries))
                _PENDING.add(task)
                task.add_done_callback(_PENDING.discard)
            else:
                _close_elsewhere(loop, entries)

    def _reset_after_fork(self) -> None:
        _INHERITED.append(self._entries)
        self._entries = {}
        self._lock = threading.Lock()


_POOLS: weakref.WeakSet[ClientPool] = weakref.WeakSet()
_PENDING: set[asyncio.Task[None]] = set()


async def _aclose_entries(entries: list[_Entry]) -> None:
    for entry in entries:
        if entry.pid != os.getpid():
            continue
        if entry.lifetime is not None:
            await entry.lifetime.aclose()  # its last step closes the client
        else:
            await entry.client.aclose()


async def _close_on(
    loop: asyncio.AbstractEventLoop, entries: list[_Entry], current: asyncio.AbstractEventLoop | None
) -> None:
    if loop is current:
        await _aclose_entries(entries)
    else:
        _close_elsewhere(loop, entries)


def _close_elsewhere(loop: asyncio.AbstractEventLoop, entries: list[_Entry]) -> None:
    """Close clients that belong to ``loop`` from a thread that is not running it."""
    if loop.is_closed():
        _INHERITED.append(entries)  # closed without shutting down its generators: nothing to run the close on
    elif loop.is_running():
        future = asyncio.run_coroutine_threadsafe(_aclose_entries(entries), loop)
        if _STATE.loop is None or _STATE.loop.thread is not threading.current_thread():
            try:
                future.result(timeout=10)
            except Exception:  # closing is best effort: a stuck server must not hang the exit
                pass
    else:
        loop.run_until_complete(_aclose_entries(entries))


class _Carried(Exception):
    """A KeyboardInterrupt or SystemExit raised inside a run (by an ``on_event`` listener, say), carried to the caller.

    Raised bare in a task it would leave the loop thread's ``run_forever`` and end the thread, and the caller
    would wait for a result that never comes.
    """

    def __init__(self, inner: BaseException) -> None:
        super().__init__(inner)
        self.inner = inner


async def _carrying(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return await coro
    except (KeyboardInterrupt, SystemExit) as exc:
        raise _Carried(exc) from None


class _LoopThread:
    """An event loop run by a daemon thread: where synchronous calls run their coroutines."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="arazzo-runner-loop", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop, in a copy of the caller's context (its context variables), and wait."""
        done: concurrent.futures.Future[T] = concurrent.futures.Future()
        started: list[asyncio.Task[T]] = []

        def finish(task: asyncio.Task[T]) -> None:
            if task.cancelled():
                done.cancel()
            elif (error := task.exception()) is not None:
                done.set_exception(error.inner if isinstance(error, _Carried) else error)
            else:
                done.set_result(task.result())

        def start() -> None:
            task = self.loop.create_task(_carrying(coro))  # in a copy of the context this callback runs in
            started.append(task)
            task.add_done_callback(finish)

        self.loop.call_soon_threadsafe(start, context=contextvars.copy_context())
        try:
            return done.result()
        except BaseException:
            # Interrupted (Ctrl-C): stop the run too; a no-op when it has already finished.
            self.loop.call_soon_threadsafe(lambda: started and started[0].cancel())
            raise

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
        if not self.loop.is_running() and not self.loop.is_closed():
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


class _State:
    """The process's loop thread, default pool and exit hook (reset in a forked child)."""

    def __init__(self) -> None:
        self.loop: _LoopThread | None = None
        self.default: ClientPool | None = None
        self.exit_hook = False
        self.lock = threading.Lock()


_STATE = _State()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end on the shared loop thread and return its value (blocking the caller)."""
    loop_thread = _STATE.loop
    if loop_thread is None:
        with _STATE.lock:
            if _STATE.loop is None:
                _STATE.loop = _LoopThread()
                _ensure_exit_hook()
            loop_thread = _STATE.loop
    if threading.current_thread() is loop_thread.thread:
        coro.close()
        raise ArazzoError(
            "a synchronous run was started from code the runner itself is running (a sleep= or clock= "
            "callable?); use 'await arun_workflow(...)' there"
        )
    return loop_thread.run(coro)


def default_clients() -> ClientPool:
    """The pool ``run_workflow`` and ``arun_workflow`` borrow from when no ``client=`` is given."""
    if _STATE.default is None:
        _STATE.default = ClientPool()
    return _STATE.default


def _ensure_exit_hook() -> None:
    if not _STATE.exit_hook:
        _STATE.exit_hook = True
        atexit.register(_close_all)


def _close_all() -> None:
    """At interpreter exit: close every client still open, then stop the loop thread."""
    for pool in list(_POOLS):
        pool.close()
    if _STATE.loop is not None:
        _STATE.loop.stop()


def _after_fork_in_child() -> None:
    for pool in list(_POOLS):
        pool._reset_after_fork()
    if _STATE.loop is not None:
        _INHERITED.append(_STATE.loop)  # its thread did not survive the fork; its selector is the parent's
        _STATE.loop = None
    _STATE.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
