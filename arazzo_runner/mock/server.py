"""The mock over real HTTP: a stdlib threading server on 127.0.0.1 bridging to a :class:`MockResponder`."""

from __future__ import annotations

from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .responder import MockResponder

__all__ = ["make_server"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")


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

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            netloc = self.headers.get("Host") or f"{host}:{port}"
            answer = responder.respond(self.command, f"http://{netloc}{self.path}", list(self.headers.items()), body)
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
            if log is not None:
                exchange = responder.log[-1] if responder.log else None
                target = f" ({exchange.operation_id})" if exchange and exchange.operation_id else ""
                log(f"{self.command} {self.path} -> {answer.status}{target}")

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per request is written by _handle instead

    for method in _METHODS:
        setattr(Handler, f"do_{method}", Handler._handle)
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
