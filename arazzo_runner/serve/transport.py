"""Running a :class:`WorkflowServer` over stdio or streamable HTTP (with an optional bearer token)."""

from __future__ import annotations

import hmac
import socket
import sys
from typing import Any, TextIO

from .server import WorkflowServer

__all__ = ["parse_listen", "serve_http", "serve_stdio"]

MCP_PATH = "/mcp"


async def serve_stdio(server: WorkflowServer) -> None:
    """Serve MCP on this process's stdin and stdout until the client closes stdin."""
    from mcp.server.stdio import stdio_server

    app = server.mcp_server()
    async with stdio_server() as (read_stream, write_stream):
        await app.run(read_stream, write_stream, app.create_initialization_options())


def parse_listen(text: str) -> tuple[str, int]:
    """``--http [HOST:]PORT``: the address to bind, 127.0.0.1 unless a host is given (port 0: any free port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host = "127.0.0.1"
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"--http expects [HOST:]PORT, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"--http: port {port} is out of range 0-65535")
    return host, port


class _BearerGate:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>`` (compared in constant
    time); others get 401 without reaching the MCP session."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            given = b""
            for name, value in scope.get("headers") or []:
                if name.lower() == b"authorization":
                    given = value
            if not hmac.compare_digest(given, self.expected):
                body = b'{"error": "unauthorized: this server needs Authorization: Bearer <token>"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="arazzo-runner"'),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


async def serve_http(
    server: WorkflowServer, host: str, port: int, *, token: str | None = None, log: TextIO | None = None
) -> None:
    """Serve MCP over streamable HTTP at ``http://HOST:PORT/mcp`` until interrupted.

    The socket is bound before serving starts, so the address printed (port 0 picks a free one) is ready.
    """
    import uvicorn

    app: Any = server.mcp_server().streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    if token:
        app = _BearerGate(app, token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"--http: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    out = log if log is not None else sys.stderr
    print(f"arazzo-runner serve: listening on http://{shown}:{bound}{MCP_PATH}", file=out, flush=True)
    if not token and host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"arazzo-runner serve: warning: {host} is reachable from other machines and no --token-env is set: "
            "anyone who can connect can run the workflows with your credentials",
            file=out,
            flush=True,
        )
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        sock.close()
