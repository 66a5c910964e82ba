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


_BEARER_API = """
openapi: 3.0.3
info: {title: TITLE, version: '1'}
servers: [{url: SERVER}]
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
SECURITY
paths:
  /PATH:
    get:
      operationId: OPID
      responses: {'200': {description: ok}}
"""


def bearer_api(
    folder: Path, name: str, path: str, *, server: str = "http://127.0.0.1:9", required: bool = True
) -> Path:
    """``<name>.yaml``: an OpenAPI description with one ``GET /<path>`` (operationId ``get_<path>``) and an HTTP
    bearer scheme ``bearerAuth``, which the operation requires unless ``required=False``."""
    security = "security: [{bearerAuth: []}]" if required else ""
    text = _BEARER_API.replace("TITLE", name).replace("SERVER", server).replace("PATH", path)
    return write(folder, f"{name}.yaml", text.replace("SECURITY\n", security + "\n").replace("OPID", f"get_{path}"))


def one_step_workflow(folder: Path, source: str, operation: str, step_id: str = "s") -> Path:
    """``arazzo.yaml``: workflow ``main``, one step calling ``operation`` of ``./<source>.yaml`` and expecting 200."""
    return write(
        folder,
        "arazzo.yaml",
        f"""
        arazzo: 1.0.1
        info: {{title: t, version: '1'}}
        sourceDescriptions: [{{name: {source}, url: ./{source}.yaml, type: openapi}}]
        workflows:
          - workflowId: main
            steps:
              - stepId: {step_id}
                operationId: {operation}
                successCriteria: [{{condition: $statusCode == 200}}]
        """,
    )


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
