"""Helpers for the security tests: documents written to a temporary folder, two local hosts.

Two hosts are one loopback server each, reached by two host names (``127.0.0.1`` and
``localhost``), so a value travelling to "another host" is visible as a request arriving there.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from tests.support.loopback import LoopbackServer


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def localhost_url(server: LoopbackServer) -> str:
    """The server's URL by the name ``localhost``: another origin than ``http://127.0.0.1:port``."""
    return f"http://localhost:{server.port}"


def wire_text(server: LoopbackServer) -> str:
    """Everything the server received (request lines, headers, bodies), for 'never on the wire' assertions."""
    parts: list[str] = []
    for request in server.requests:
        parts.append(f"{request.method} {request.target}")
        parts.extend(f"{k}: {v}" for k, v in request.headers)
        parts.append(request.body.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def every_output(result: Any, runner: Any = None) -> str:
    """The result in every form a user sees it: repr, to_dict, and the runner's repr."""
    parts = [repr(result), json.dumps(result.to_dict(), default=str), str(result.error or "")]
    parts.extend(repr(step) for step in result.steps)
    if runner is not None:
        parts.append(repr(runner))
    return "\n".join(parts)
