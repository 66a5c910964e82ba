"""What ``run`` shows and writes besides its result: -v/-vv/-q, ``--report FORMAT=PATH``, interruptions.

Reports are checked before the run starts (exit 2, naming the path) and written at its end, also when
it is interrupted: a Ctrl-C (exit 130) or SIGTERM (exit 143) still leaves every report, marked as
interrupted, with the steps that completed and the request that was in flight.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..events import SERVERS_ARGUMENT, Event, EventListener, ServerResolved
from .trace import Trace

if TYPE_CHECKING:
    from ..reports import Recorder

__all__ = [
    "EXIT_SIGINT",
    "EXIT_SIGTERM",
    "Observed",
    "Terminated",
    "add_options",
    "exit_code_for",
    "observed",
    "partial_result",
    "signal_name",
    "terminate_as_interrupt",
]

EXIT_SIGINT, EXIT_SIGTERM = 130, 143

# The formats of arazzo_runner.reports.FORMATS, named here so that a run without --report or --json never
# loads the report writers (a test keeps the two equal).
FORMATS = ("json", "junit", "har", "markdown")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is so that it unwinds as a Ctrl-C does."""


def add_options(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="trace each step on stderr as it finishes; -vv adds request and response headers and bodies",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    run.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help=f"write a report ({', '.join(FORMATS)}) to PATH, also when the run is interrupted (repeatable)",
    )


def report_targets(items: list[str], error: Callable[[str], Exception]) -> list[tuple[str, str]]:
    """``--report`` items as (format, path), each checked: a known format, a writable directory."""
    targets: list[tuple[str, str]] = []
    claimed: dict[str, str] = {}  # each report's file, by its absolute path: two reports in one file would lose one
    for item in items:
        fmt, sep, path = item.partition("=")
        if not sep or not path:
            raise error(f"--report expects FORMAT=PATH (formats: {', '.join(FORMATS)}), got {item!r}")
        if fmt not in FORMATS:
            raise error(f"--report {item}: unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
        earlier = claimed.setdefault(os.path.realpath(path), item)
        if earlier != item:
            raise error(f"--report {item}: {path} is also where --report {earlier} goes")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            if os.path.exists(directory):
                raise error(f"--report {item}: {directory} is not a directory")
            raise error(f"--report {item}: the directory {directory} does not exist")
        if os.path.isdir(path):
            raise error(f"--report {item}: {path} is a directory")
        writable = os.access(path, os.W_OK) if os.path.exists(path) else os.access(directory, os.W_OK | os.X_OK)
        if not writable:
            raise error(f"--report {item}: {path} cannot be written (permission denied)")
        problem = _cannot_create(path)
        if problem is not None:
            raise error(f"--report {item}: {path} cannot be written ({problem})")
        targets.append((fmt, path))
    return targets


def _cannot_create(path: str) -> str | None:
    """Why the file a report is first written to (``PATH.partial``, see reports.write_report) cannot be made.

    Permission bits do not bind root, and some file systems refuse files whatever the bits say: the file
    is made (and removed) to know. A path that is not a regular file (a pipe, ``/dev/stdout``) is written
    in place and is not tried.
    """
    if os.path.exists(path) and not os.path.isfile(path):
        return None
    partial = f"{path}.partial"
    existed = os.path.lexists(partial)
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT, 0o666))
    except OSError as exc:
        return exc.strerror or str(exc)
    if not existed:
        try:
            os.remove(partial)
        except OSError:
            pass
    return None


@dataclass
class Observed:
    """The listeners of one ``run`` command: the trace and, when reports or --json need it, a recorder."""

    recorder: Recorder | None
    trace: Trace | None
    reports: list[tuple[str, str]]

    @property
    def listener(self) -> EventListener | None:
        trace = self.trace if self.trace is not None and not self.trace.idle else None
        listeners: list[Callable[[Event], None]] = [x for x in (self.recorder, trace) if x is not None]
        if not listeners:
            return None

        def each(event: Event) -> None:
            # The servers the run was given came from --server: the trace and the reports say so.
            if type(event) is ServerResolved and event.origin == SERVERS_ARGUMENT:
                event = dataclasses.replace(event, origin="--server")
            for listener in listeners:
                listener(event)

        return each

    def write_reports(self, err: TextIO) -> bool:
        """Write every report; a failure is said on ``err`` and does not stop the others. True when all were written."""
        if self.recorder is None:
            return True
        written = True
        from ..reports import write_report

        for fmt, path in self.reports:
            try:
                write_report(fmt, self.recorder, path)
            except OSError as exc:
                written = False
                print(
                    f"arazzo-runner: error: could not write the {fmt} report to {path}: {exc.strerror or exc}",
                    file=err,
                )
        return written


def observed(args: argparse.Namespace, error: Callable[[str], Exception], err: TextIO) -> Observed:
    reports = report_targets(args.report, error)
    if reports and getattr(args, "each", None) is not None:
        raise error("--report describes one run; with --each, each row's result is in the JSON Lines output")
    verbosity = -1 if args.quiet else args.verbose
    recorder = None
    if reports or args.json:
        from ..reports import Recorder

        recorder = Recorder()
    return Observed(recorder, Trace(err, verbosity), reports)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while the run is going (main thread only)."""

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def partial_result(recorder: Recorder) -> dict[str, Any]:
    """What ``--json`` prints for an interrupted run: the result so far, in the shape of a full one."""
    from ..reports.json_report import jsonable

    steps: list[dict[str, Any]] = []
    for step in recorder.steps:
        finished = step.finished
        steps.append(
            {
                "stepId": step.started.step_id,
                "workflowId": step.started.workflow_id,
                "status": step.status,
                "statusCode": finished.status_code if finished else None,
                "method": finished.method
                if finished
                else (step.exchanges[-1].request.method if step.exchanges else None),
                "url": finished.url if finished else (step.exchanges[-1].request.url if step.exchanges else None),
                "attempt": step.started.attempt,
                "durationMs": round(step.duration * 1000, 3),
                "outputs": {o.name: jsonable(o.value) for o in step.outputs if o.left_out is None},
                "next": finished.next_action if finished else None,
                "error": finished.error if finished else None,
                "warnings": [],
            }
        )
    return {
        "workflowId": recorder.workflow_id,
        "status": "interrupted",
        "stoppedBy": recorder.stop_reason,
        "outputs": {},
        "steps": steps,
        "error": recorder.error,
        "warnings": [],
        "durationMs": round(recorder.duration * 1000, 3),
    }


def exit_code_for(interrupt: KeyboardInterrupt) -> int:
    return EXIT_SIGTERM if isinstance(interrupt, Terminated) else EXIT_SIGINT


def signal_name(interrupt: KeyboardInterrupt) -> str:
    return "SIGTERM" if isinstance(interrupt, Terminated) else "SIGINT"
