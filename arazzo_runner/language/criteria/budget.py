"""A time budget for criteria that could run for ever: matching in a worker process with a deadline.

A backtracking regex (``regress`` holds the GIL while it matches, so a thread
does not help), an RFC 9535 filter over a large document or an XPath
expression can take time exponential or polynomial in their input. Such a
criterion is evaluated in a separate process; when it has not answered within
the budget the process is killed and the criterion fails, naming the limit.

The budget is :attr:`arazzo_runner.Limits.criterion_timeout` (default
:data:`DEFAULT_CRITERION_TIMEOUT` seconds); a run sets it in a context variable,
so runs with different limits can share the compiled documents.
"""

from __future__ import annotations

import atexit
import contextvars
import dataclasses
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

__all__ = ["CRITERION_TIMEOUT", "DEFAULT_CRITERION_TIMEOUT", "CriterionTimeout", "evaluate_bounded"]

DEFAULT_CRITERION_TIMEOUT = 2.0
CRITERION_TIMEOUT: contextvars.ContextVar[float] = contextvars.ContextVar(
    "criterion_timeout", default=DEFAULT_CRITERION_TIMEOUT
)
MAX_WORKERS = 4  # processes kept for concurrent runs; more callers wait for one
STARTUP_TIMEOUT = 60.0  # starting a worker (an interpreter importing the matchers) is not charged to the budget


class CriterionTimeout(Exception):
    """The criterion did not finish within its budget."""


@lru_cache(maxsize=256)
def _matcher(kind: str, source: str, version: str) -> Any:
    from .matchers import compile_jsonpath, compile_regex, compile_xpath

    if kind == "regex":
        return compile_regex(source, linear=False)
    if kind == "jsonpath":
        return dataclasses.replace(compile_jsonpath(source), bounded=False)
    return dataclasses.replace(compile_xpath(source, version), bounded=False)


def _write(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:  # pragma: no cover - runs in the worker process
    """The worker's loop: one request in, one ``(passed, explanation)`` out, until its input closes."""
    from . import matchers  # noqa: F401  (imported before saying ready: the budget is for matching only)

    _write(answers, "ready")
    while True:
        try:
            (size,) = struct.unpack(">Q", _read_exactly(requests, 8))
            kind, source, version, value, body_kind = pickle.loads(_read_exactly(requests, size))
        except EOFError:
            return
        try:
            answer: Any = _matcher(kind, source, version).check(value, body_kind)
        except Exception as exc:  # the parent turns this into a failed criterion
            answer = (False, f"{kind} {source} failed: {type(exc).__name__}")
        _write(answers, answer)


class _Worker:
    """A child interpreter running :func:`serve` (a plain subprocess: no re-import of the caller's script)."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[3])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from arazzo_runner.language.criteria.budget import serve; "
                "serve(sys.stdin.buffer, sys.stdout.buffer)",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        if self._receive(time.monotonic() + STARTUP_TIMEOUT) != "ready":
            self.kill()
            raise OSError("the criteria worker did not start")

    def ask(self, message: Any, budget: float) -> Any:
        """The answer to ``message``, or None when none came within ``budget`` seconds."""
        assert self.process.stdin is not None
        _write(self.process.stdin, message)
        return self._receive(time.monotonic() + budget)

    def _receive(self, deadline: float) -> Any:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        data = b""
        size: int | None = None
        while size is None or len(data) < size + 8:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError
            data += chunk
            if size is None and len(data) >= 8:
                (size,) = struct.unpack(">Q", data[:8])
        return pickle.loads(data[8:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


_lock = threading.Lock()
_idle: list[_Worker] = []
_slots = threading.BoundedSemaphore(MAX_WORKERS)


@atexit.register
def _stop_workers() -> None:
    with _lock:
        while _idle:
            _idle.pop().kill()


def evaluate_bounded(kind: str, source: str, version: str, value: Any, body_kind: str) -> tuple[bool, str]:
    """``matcher.check(value, body_kind)`` for the matcher ``(kind, source, version)``, in a worker, within the budget.

    Raises :class:`CriterionTimeout` when the budget runs out (the worker is then killed and replaced).
    """
    budget = CRITERION_TIMEOUT.get()
    with _slots:
        with _lock:
            worker = _idle.pop() if _idle else None
        if worker is None or not worker.alive():
            worker = _Worker()
        try:
            answer = worker.ask((kind, source, version, value, body_kind), budget)
        except (OSError, EOFError, pickle.PickleError):
            worker.kill()
            return False, f"{kind} {source} could not be evaluated (the worker process ended)"
        if answer is None:
            worker.kill()
            raise CriterionTimeout(f"it did not finish within criterion_timeout ({budget:g}s)")
        with _lock:
            _idle.append(worker)
        passed, explanation = answer
        return bool(passed), str(explanation)
