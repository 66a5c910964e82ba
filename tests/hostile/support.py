"""Helpers for hostile-input tests: raw servers that misbehave on purpose, small documents, bounded runs.

Every test here has its own bound: time through :func:`run_bounded` (a child
process killed when it overruns) and, where memory is the point, an address-space
limit set with ``resource.setrlimit`` in that child.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: '%(server)s'}]
paths:
  /r:
    get:
      operationId: r
      responses: {'200': {description: ok}}
  /s:
    get:
      operationId: s
      responses: {'200': {description: ok}}
"""

ARAZZO = """\
arazzo: 1.0.0
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
%(steps)s
    outputs: %(outputs)s
"""

STEP = """\
      - stepId: %(id)s
        operationId: %(op)s
        successCriteria: %(criteria)s
        outputs: %(outputs)s
"""


def write_spec(
    directory: Path,
    server: str,
    *,
    steps: list[dict[str, str]] | None = None,
    outputs: str = "{}",
) -> Path:
    """A one-source document whose workflow ``w`` runs ``steps`` (default: one GET /r that must answer 200)."""
    steps = steps or [{"id": "s", "op": "r"}]
    text = "".join(
        STEP
        % {
            "id": step["id"],
            "op": step.get("op", "r"),
            "criteria": step.get("criteria", "[{condition: $statusCode == 200}]"),
            "outputs": step.get("outputs", "{}"),
        }
        for step in steps
    )
    (directory / "openapi.yaml").write_text(OPENAPI % {"server": server})
    spec = directory / "arazzo.yaml"
    spec.write_text(ARAZZO % {"steps": text, "outputs": outputs})
    return spec


@dataclass
class Bounded:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int

    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout.strip().splitlines()[-1])


def run_bounded(code: str, *, seconds: float, memory_mib: int | None = None, args: list[str] | None = None) -> Bounded:
    """Run ``code`` in a fresh interpreter, killed after ``seconds``, with at most ``memory_mib`` of address space.

    The child prints its peak resident size (KiB) on stderr's last line, so a test can report it.
    A child that overruns fails the test with the bound it broke.
    """
    prelude = "import resource, sys, atexit\n"
    if memory_mib is not None:
        limit = memory_mib * 1024 * 1024
        prelude += f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
    # The peak is VmHWM, this process's own high-water mark: ru_maxrss would also count the parent's, which Linux
    # carries across the exec of a vfork()ed child (a test worker grown to 300 MB would hide the child's figure).
    prelude += (
        "def _peak_kib():\n"
        "    try:\n"
        "        with open('/proc/self/status') as status:\n"
        "            for line in status:\n"
        "                if line.startswith('VmHWM:'):\n"
        "                    return int(line.split()[1])\n"
        "    except OSError:\n"
        "        pass\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "atexit.register(lambda: sys.stderr.write('\\npeak_kib=%d\\n' % _peak_kib()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(code), *(args or [])],
            capture_output=True,
            text=True,
            timeout=seconds,
            env=env,
            cwd=str(ROOT),
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"still running after the {seconds:g}s bound: {exc.stderr!r}") from None
    elapsed = time.monotonic() - started
    peak = 0
    for line in reversed(done.stderr.splitlines()):
        if line.startswith("peak_kib="):
            peak = int(line.split("=", 1)[1])
            break
    return Bounded(done.returncode, done.stdout, done.stderr, elapsed, peak)


class RawServer:
    """A TCP server on 127.0.0.1 that hands each connection and its request head to ``handler`` on its own thread."""

    def __init__(self, handler: Callable[[socket.socket, bytes], None]) -> None:
        self.handler = handler
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, _read_request(conn))
        except OSError:
            pass
        finally:
            conn.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def trickle(data: bytes, every: float) -> Callable[[socket.socket, bytes], None]:
    """A handler sending ``data`` one byte every ``every`` seconds."""

    def handler(conn: socket.socket, request: bytes) -> None:
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return handler


def send_all(data: bytes) -> Callable[[socket.socket, bytes], None]:
    def handler(conn: socket.socket, request: bytes) -> None:
        conn.sendall(data)

    return handler


RUN_CHILD = """
import json, sys
from arazzo_runner import run_workflow
from arazzo_runner import Limits
kwargs = json.loads(sys.argv[2])
limits = Limits(**kwargs.pop("limits", {}))
result = run_workflow(sys.argv[1], "w", {}, limits=limits, **kwargs)
error = result.error
print(json.dumps({
    "status": result.status,
    "outputs": result.outputs,
    "error": None if error is None else {"message": error.message, "step_id": error.step_id, "reason": error.reason},
    "steps": [s.step_id for s in result.steps],
}, default=str))
"""


def run_workflow_bounded(
    spec: Path, *, seconds: float, memory_mib: int | None = None, **kwargs: Any
) -> tuple[dict[str, Any], Bounded]:
    """Run workflow ``w`` of ``spec`` in a bounded child; its result as a dict, and the child's figures."""
    done = run_bounded(RUN_CHILD, seconds=seconds, memory_mib=memory_mib, args=[str(spec), json.dumps(kwargs)])
    assert done.returncode == 0, done.stderr
    return done.report(), done
