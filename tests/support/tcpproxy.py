"""A TCP proxy on 127.0.0.1 in front of a real broker: it counts the connections made through it, and can
cut them all (a dropped connection, as a network failure or a broker restart would drop it)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlsplit

__all__ = ["TcpProxy"]


class TcpProxy:
    """``with TcpProxy("mqtt://127.0.0.1:1883") as proxy:`` then connect to ``proxy.url``."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self.scheme = parts.scheme
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 0)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"{self.scheme}://127.0.0.1:{self.port}{parts.path}"
        self.accepted = 0  # connections made through the proxy so far
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)

    @property
    def active(self) -> int:
        """Client connections still open."""
        with self._lock:
            return sum(1 for s in self._open[::2] if s.fileno() != -1)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self.accepted += 1
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut(self) -> None:
        """Drop every connection open through the proxy (both sides see the connection end)."""
        with self._lock:
            sockets, self._open = list(self._open), []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def wait_until_idle(self, seconds: float = 10.0) -> bool:
        """True once no connection is open through the proxy (False if some still are after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.active == 0:
                return True
            time.sleep(0.05)
        return self.active == 0

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self.listener.close()
        self.cut()
