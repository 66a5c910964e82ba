"""The mock over real HTTP: a stdlib threading server on 127.0.0.1 bridging to a :class:`MockResponder`."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .responder import MockResponder

__all__ = ["make_server"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
MAX_CONNECTIONS = 64  # served at once (one thread each)
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # a larger request body is refused with 413 before it is read
IDLE_TIMEOUT = 30.0  # seconds a connection may sit idle (or trickle) before it is closed


def make_server(
    responder: MockResponder,
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    log: Callable[[str], None] | None = None,
) -> ThreadingHTTPServer:
    """A bound, not yet serving, server (``port=0``: any free port; ``server.server_address`` says which)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "arazzo-runner-mock"

        timeout = IDLE_TIMEOUT  # an idle or trickling connection is closed, freeing its thread

        def _refuse(self, status: int, message: str) -> None:
            data = (message + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if self.command != "HEAD":
                self.wfile.write(data)

        def _handle(self) -> None:
            declared = (self.headers.get("Content-Length") or "0").strip()
            if not declared.isdigit():
                return self._refuse(400, f"Content-Length {declared[:40]!r} is not a number of bytes")
            length = int(declared[:20])
            if length > MAX_REQUEST_BYTES:
                return self._refuse(413, f"the request body is larger than {MAX_REQUEST_BYTES} bytes")
            body = self.rfile.read(length) if length > 0 else b""
            netloc = self.headers.get("Host") or f"{host}:{port}"
            try:
                answer = responder.respond(
                    self.command, f"http://{netloc}{self.path}", list(self.headers.items()), body
                )
            except Exception as exc:  # a request the mock cannot read: an answer in words, never a traceback
                return self._refuse(400, f"the mock could not read this request ({type(exc).__name__}: {exc})"[:500])
            if log is not None:  # logged before the client has the answer: a log never lags behind what it saw
                exchange = responder.log[-1] if responder.log else None
                target = f" ({exchange.operation_id})" if exchange and exchange.operation_id else ""
                log(f"{self.command} {self.path} -> {answer.status}{target}")
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per request is written by _handle instead

    for method in _METHODS:
        setattr(Handler, f"do_{method}", Handler._handle)
    server = _BoundedServer((host, port), Handler)
    server.daemon_threads = True
    return server


class _BoundedServer(ThreadingHTTPServer):
    """At most :data:`MAX_CONNECTIONS` connections served at once; more are closed on arrival."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # a flood of connections costs no threads
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is not worth a traceback; anything else is reported as before."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
