"""A time budget for criteria that could run for ever: matching in a worker process with a deadline.

A backtracking regex (``regress`` holds the GIL while it matches, so a thread
does not help), an RFC 9535 filter over a large document or an XPath
expression can take time exponential or polynomial in their input. Such a
criterion is evaluated in a separate process; when it has not answered within
the budget the process is killed and the criterion fails, naming the limit.

The budget is :attr:`arazzo_runner.Limits.criterion_timeout` (default
:data:`DEFAULT_CRITERION_TIMEOUT` seconds); a run sets it in a context variable,
so runs with different limits can share the compiled documents.

The engine never waits for the worker on the event loop: it evaluates criteria
through :func:`without_blocking`, under which a criterion that needs the worker
raises :class:`WorkerNeeded` instead of waiting; the question is then put to the
worker from a thread while the loop serves other runs, and the evaluation is
repeated with the answer at hand. Evaluating criteria has no side effects, so
repeating it changes nothing but the time it takes.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import dataclasses
import enum
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Final, Literal, TypeVar

__all__ = [
    "CRITERION_TIMEOUT",
    "DEFAULT_CRITERION_TIMEOUT",
    "NEEDS_WORKER",
    "CriterionTimeout",
    "WorkerNeeded",
    "evaluate_bounded",
    "evaluate_unblocked",
    "without_blocking",
]

T = TypeVar("T")

DEFAULT_CRITERION_TIMEOUT = 2.0
CRITERION_TIMEOUT: contextvars.ContextVar[float] = contextvars.ContextVar(
    "criterion_timeout", default=DEFAULT_CRITERION_TIMEOUT
)
MAX_WORKERS = 4  # processes kept for concurrent runs; more callers wait for one
STARTUP_TIMEOUT = 60.0  # starting a worker (an interpreter importing the matchers) is not charged to the budget


class CriterionTimeout(Exception):
    """The criterion did not finish within its budget."""


Question = tuple[str, str, str, Any, str]  # (kind, source, version, value, body kind)
Answer = tuple[bool, str] | CriterionTimeout
# Under without_blocking: the answers the worker gave so far, for the evaluation being repeated.
_ANSWERS: contextvars.ContextVar[list[tuple[Question, Answer]] | None] = contextvars.ContextVar(
    "criteria_answers", default=None
)
MAX_REPEATS = 16  # more criteria needing the worker in one evaluation: the whole evaluation runs in a thread


class WorkerNeeded(BaseException):
    """Raised by :func:`evaluate_bounded` under :func:`without_blocking` instead of waiting on the event loop.

    A ``BaseException``, so that no ``except Exception`` between here and :func:`without_blocking` takes it.
    """

    def __init__(self, question: Question) -> None:
        super().__init__(question[0])
        self.question = question


def _same(question: Question, kind: str, source: str, version: str, value: Any, body_kind: str) -> bool:
    if question[0] != kind or question[1] != source or question[2] != version or question[4] != body_kind:
        return False
    asked = question[3]
    return asked is value or (type(asked) is type(value) and isinstance(value, (str, bytes)) and asked == value)


def _ask(question: Question) -> Answer:
    try:
        return _evaluate_now(*question)
    except CriterionTimeout as exc:
        return exc


class _Deferred(enum.Enum):
    NEEDS_WORKER = "needs the worker"


NEEDS_WORKER: Final = _Deferred.NEEDS_WORKER


def evaluate_unblocked(evaluate: Callable[..., T], *args: Any) -> T | Literal[_Deferred.NEEDS_WORKER]:
    """``evaluate(*args)`` when none of its criteria needs the worker process, else :data:`NEEDS_WORKER`
    (then ``await without_blocking(evaluate, *args)``, which evaluates it again).

    The common case (simple conditions, or a pattern whose answer needs no worker) with no coroutine of
    its own; ``evaluate`` must have no side effects before its last criterion is evaluated.
    """
    token = _ANSWERS.set([])
    try:
        return evaluate(*args)
    except WorkerNeeded:
        return NEEDS_WORKER
    finally:
        _ANSWERS.reset(token)


async def without_blocking(evaluate: Callable[..., T], *args: Any) -> T:
    """``evaluate(*args)``, whose criteria never make the event loop wait for the worker process.

    ``evaluate`` must have no side effects before its last criterion is evaluated: it may be called again.
    """
    answers: list[tuple[Question, Answer]] = []
    token = _ANSWERS.set(answers)
    try:
        for _ in range(MAX_REPEATS):
            try:
                return evaluate(*args)
            except WorkerNeeded as need:
                answers.append((need.question, await asyncio.to_thread(_ask, need.question)))
    finally:
        _ANSWERS.reset(token)
    return await asyncio.to_thread(evaluate, *args)  # many slow criteria at once: all of it off the loop


@lru_cache(maxsize=256)
def _matcher(kind: str, source: str, version: str) -> Any:
    from .goessner import compile_goessner
    from .matchers import GoessnerMatcher, compile_jsonpath, compile_regex, compile_xpath

    if kind == "regex":
        return compile_regex(source, linear=False)
    if kind == "jsonpath":
        return dataclasses.replace(compile_jsonpath(source), bounded=False)
    if kind == "goessner":
        return GoessnerMatcher(compile_goessner(source), bounded=False)
    return dataclasses.replace(compile_xpath(source, version), bounded=False)


@dataclasses.dataclass(frozen=True)
class _JsonText:
    """A JSON document nested deeper than ``pickle`` goes, handed to the worker as its text."""

    text: str


def _encode(question: Question) -> bytes | None:
    """The question as the worker reads it; None when the value cannot be written even as JSON text.

    ``pickle`` takes two levels of recursion per level of nesting, ``json`` one: a response body
    ``json`` could read (up to about a thousand levels) can be written back as text.
    """
    try:
        return pickle.dumps(question, protocol=pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        pass
    kind, source, version, value, body_kind = question
    try:
        text = json.dumps(value)
    except (RecursionError, TypeError, ValueError):
        return None
    return pickle.dumps((kind, source, version, _JsonText(text), body_kind), protocol=pickle.HIGHEST_PROTOCOL)


def _write(stream: IO[bytes], message: Any) -> None:
    data = message if isinstance(message, bytes) else pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
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
            if isinstance(value, _JsonText):
                value = json.loads(value.text)
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

    def ask(self, message: bytes, budget: float) -> Any:
        """The answer to ``message`` (a pickled question), or None when none came within ``budget`` seconds."""
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
    Under :func:`without_blocking`, gives the answer already obtained, or raises :class:`WorkerNeeded`.
    """
    answers = _ANSWERS.get()
    if answers is not None:
        for question, answer in answers:
            if _same(question, kind, source, version, value, body_kind):
                if isinstance(answer, CriterionTimeout):
                    raise CriterionTimeout(*answer.args)
                return answer
        raise WorkerNeeded((kind, source, version, value, body_kind))
    return _evaluate_now(kind, source, version, value, body_kind)


def _evaluate_now(kind: str, source: str, version: str, value: Any, body_kind: str) -> tuple[bool, str]:
    budget = CRITERION_TIMEOUT.get()
    message = _encode((kind, source, version, value, body_kind))
    if message is None:
        return False, f"{kind} {source} could not be evaluated: the value is nested too deeply"
    with _slots:
        with _lock:
            worker = _idle.pop() if _idle else None
        if worker is None or not worker.alive():
            worker = _Worker()
        try:
            answer = worker.ask(message, budget)
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
