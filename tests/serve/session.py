"""Driving ``arazzo-runner serve`` the way an agent host does: the ``mcp`` SDK's own client, over the
server's stdio (a subprocess) or streamable HTTP, recording everything the client receives."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

mcp = pytest.importorskip("mcp", reason="the serve tests need the MCP SDK: pip install -e '.[mcp]'")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STYTCH = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
SERVICE = FIXTURES / "service.arazzo.yaml"


@dataclass
class Received:
    """Everything a client got from the server: results, notifications, progress, and the server's log."""

    items: list[str] = field(default_factory=list)
    progress: list[tuple[float, str | None]] = field(default_factory=list)

    def add(self, value: Any) -> Any:
        dump = getattr(value, "model_dump_json", None)
        self.items.append(dump(by_alias=True) if dump else json.dumps(value, default=str))
        return value

    async def on_message(self, message: Any) -> None:
        self.items.append(repr(message))

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.append((progress, message))
        self.items.append(f"progress {progress} {message}")

    def text(self) -> str:
        return "\n".join(self.items)


def secret_forms(*secrets: str, user: str | None = None) -> list[str]:
    """Every form a secret may take on the wire or in text."""
    forms: list[str] = []
    for secret in secrets:
        forms += [secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]]
        forms.append(base64.b64encode(secret.encode()).decode())
        if user is not None:
            forms.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return forms


def assert_no_secret(text: str, forms: list[str]) -> None:
    for form in forms:
        assert form not in text, f"a secret ({form[:3]}…) reached the client or the log"


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), **(extra or {})}


@asynccontextmanager
async def stdio_session(
    *args: str, env: dict[str, str] | None = None, received: Received | None = None, mode: str = "auto"
) -> AsyncIterator[Client]:
    """A client connected to ``python -m arazzo_runner serve ARGS`` over its stdin and stdout.

    The server's stderr (its log) is added to ``received`` when the session ends. ``mode``: the client's
    protocol negotiation ("legacy" speaks the initialize handshake of clients before 2026).
    """
    received = received if received is not None else Received()
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "arazzo_runner", "serve", *args], cwd=str(ROOT), env=_env(env)
    )
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errlog:
        try:
            transport = stdio_client(params, errlog=errlog)
            async with Client(transport, message_handler=received.on_message, mode=mode) as client:
                yield client
        finally:
            errlog.seek(0)
            received.items.append(errlog.read())


@contextmanager
def http_server(*args: str, env: dict[str, str] | None = None, received: Received | None = None) -> Iterator[str]:
    """``arazzo-runner serve ARGS --http 127.0.0.1:0`` as a subprocess; yields its MCP URL (from its log)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "arazzo_runner", "serve", *args, "--http", "127.0.0.1:0"],
        cwd=ROOT,
        env={**os.environ, **_env(env)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "listening on " in line, f"the server did not start: {line}{process.stderr.read()}"
        yield line.split("listening on ", 1)[1].strip()
    finally:
        process.terminate()
        try:
            out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        if received is not None:
            received.items += [out, err]
