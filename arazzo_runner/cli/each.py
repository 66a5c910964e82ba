"""``arazzo-runner run SPEC -w ID --each FILE``: one run per row of a JSON Lines or CSV file.

Result lines go to ``--output`` (appended and flushed as each row finishes, so ``--resume`` after a
crash runs only the rows without a line) or to stdout. A summary goes to stderr at the end, and a
progress line while it runs when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from ..plan.model import Workflow

if TYPE_CHECKING:
    from ..batch import Row, RowResult

# The batch machinery loads only when --each is given: a single `run` needs just the options below.

__all__ = ["add_options", "run_each"]

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class EachUsageError(Exception):
    """A --each option or file the command cannot use (exit 2, before any request)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _shard(text: str) -> tuple[int, int]:
    index, sep, count = text.partition("/")
    try:
        shard, shards = int(index), int(count)
    except ValueError:
        shard, shards = -1, 0
    if not sep or shards < 1 or not 0 <= shard < shards:
        raise argparse.ArgumentTypeError(f"--shard takes I/N with 0 <= I < N, got {text!r}")
    return shard, shards


def _rate(text: str) -> float:
    from ..batch import parse_rate

    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("many runs (see docs/many-runs.md)")
    group.add_argument(
        "--each",
        metavar="FILE",
        help="run the workflow once per row: FILE.jsonl (one JSON object of inputs per line), FILE.csv "
        "(a header row of input names), or - for JSON Lines on stdin",
    )
    group.add_argument("--concurrency", type=_positive_int, default=1, metavar="N", help="runs at once (default 1)")
    group.add_argument("--rate", type=_rate, metavar="N/s", help="at most N workflow starts per second (or N/m, N/h)")
    group.add_argument("--output", metavar="FILE", help="append one JSON line per row to FILE (default: stdout)")
    group.add_argument("--resume", action="store_true", help="skip the rows that already have a line in --output")
    group.add_argument("--shard", type=_shard, metavar="I/N", help="only the rows whose index i has i %% N == I")
    group.add_argument("--max-failures", type=_positive_int, metavar="K", help="start no new row after K failures")


def _open_rows(path: str, workflow: Workflow) -> tuple[Iterator[Row], int | None, TextIO]:
    from ..batch import count_rows, read_csv, read_jsonl
    from ..batch.rows import csv_header

    if path == "-":
        return read_jsonl(sys.stdin, "<stdin>"), None, sys.stdin
    lowered = path.lower()
    kind = "csv" if lowered.endswith(".csv") else "jsonl" if lowered.endswith((".jsonl", ".ndjson")) else None
    if kind is None:
        raise EachUsageError(f"--each {path}: name the file .jsonl (JSON Lines) or .csv, or pass - for stdin")
    if not os.path.isfile(path):
        raise EachUsageError(f"--each {path}: no such file")
    try:
        handle = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - read lazily while the rows run
    except OSError as exc:
        raise EachUsageError(f"--each {path}: cannot read it: {exc.strerror}") from None
    total = count_rows(path, kind)
    if kind == "jsonl":
        return read_jsonl(handle, path), total, handle
    schema = workflow.inputs_schema if isinstance(workflow.inputs_schema, Mapping) else {}
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    header = csv_header(handle)
    handle.seek(0)
    if not header:
        raise EachUsageError(f"--each {path}: the file is empty; its first row must name the inputs")
    closed = bool(properties) and schema.get("additionalProperties") is False
    unknown = [name for name in header if name not in properties] if properties else []
    if unknown and (closed or len(unknown) == len(header)):
        raise EachUsageError(
            f"--each {path}: column {unknown[0]!r} is not an input of workflow {workflow.workflow_id!r}; "
            f"its inputs: {', '.join(properties) or '(none)'}"
        )
    return read_csv(handle, properties, path), total, handle


class _Progress:
    """One line on stderr, redrawn at most ten times a second: done / failed / rate / ETA."""

    def __init__(self, out: TextIO, total: int | None, enabled: bool) -> None:
        self.out, self.total, self.enabled = out, total, enabled
        self.started = time.monotonic()
        self.shown = 0.0
        self.done = self.failed = 0

    def update(self, outcome: RowResult) -> None:
        self.done += 1
        self.failed += outcome.status != "succeeded"
        now = time.monotonic()
        if self.enabled and (now - self.shown >= 0.1 or self.done == self.total):
            self.shown = now
            elapsed = max(now - self.started, 1e-9)
            rate = self.done / elapsed
            line = (
                f"{self.done}" + (f"/{self.total}" if self.total is not None else "") + f" done, {self.failed} failed"
            )
            line += f", {rate:.1f} rows/s"
            if self.total is not None and rate > 0:
                line += f", ETA {_duration(max(self.total - self.done, 0) / rate)}"
            self.out.write("\r\x1b[2K" + line)
            self.out.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.out.write("\r\x1b[2K")
            self.out.flush()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def run_each(
    args: argparse.Namespace,
    runner: Any,
    document: Any,
    workflow: Workflow,
    common: Mapping[str, Any],
) -> int:
    """Run every selected row and write its line; the exit code says whether every row succeeded."""
    from ..batch import ResultFile, StartGate, completed_rows, select_shard

    if args.resume and not args.output:
        raise EachUsageError("--resume needs --output FILE: the rows already done are read from it")
    previous: dict[int, str] = {}
    if args.resume:
        try:
            previous = completed_rows(args.output)
        except (ValueError, OSError) as exc:
            raise EachUsageError(f"--resume: {exc}") from None
    elif args.output:
        directory = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(directory):
            raise EachUsageError(f"--output {args.output}: the folder {directory} does not exist")
    rows, total, handle = _open_rows(args.each, workflow)
    if args.shard:
        shard, shards = args.shard
        rows = select_shard(rows, shard, shards)
        if total is not None:
            total = len(range(shard, total, shards))
    if previous:
        rows = (row for row in rows if row.index not in previous)
        if total is not None:
            total = max(total - len(previous), 0)
    gate = StartGate(args.rate)
    progress = _Progress(sys.stderr, total, sys.stderr.isatty())
    counts = {"succeeded": 0, "failed": 0, "invalid": 0}
    for status in previous.values():
        counts[status if status in counts else "failed"] += 1
    started = time.monotonic()
    sink = ResultFile(args.output, append=args.resume) if args.output else None

    async def consume() -> int:
        ran = 0
        async for outcome in runner.arun_many(
            document,
            workflow.workflow_id,
            _with_common(rows, common),
            concurrency=args.concurrency,
            max_failures=args.max_failures,
            gate=gate,
        ):
            # Written in the loop that runs the rows: a line is on disk before the next row starts.
            record = outcome.to_dict()
            if sink is not None:
                sink.write(record)
            else:
                _write_stdout(record)
            counts[outcome.status] += 1
            ran += 1
            progress.update(outcome)
        return ran

    try:
        ran = asyncio.run(consume())
    finally:
        progress.close()
        if sink is not None:
            sink.close()
        if handle is not sys.stdin:
            handle.close()
    stopped_early = total is not None and ran < total
    elapsed = time.monotonic() - started
    summary = (
        f"{sum(counts.values())} rows: {counts['succeeded']} succeeded, {counts['failed']} failed, "
        f"{counts['invalid']} invalid"
    )
    if previous:
        summary += f" ({len(previous)} from an earlier run)"
    summary += f"; {ran} run in {elapsed:.1f} s" + (f" ({ran / elapsed:.1f} rows/s)" if elapsed > 0 and ran else "")
    if gate.holds:
        summary += f"; starts held back {gate.held_seconds:.1f} s by 429/503 Retry-After ({gate.holds}x)"
    if stopped_early and args.max_failures:
        summary += f"; stopped starting rows after {args.max_failures} failures"
    print(f"arazzo-runner: {summary}", file=sys.stderr)
    return EXIT_OK if counts["failed"] == counts["invalid"] == 0 and not stopped_early else EXIT_FAILED


def _with_common(rows: Iterator[Row], common: Mapping[str, Any]) -> Iterator[Row]:
    """The rows with the inputs common to all (-i, --inputs) merged in; a row's own value wins."""
    from ..batch import Row

    for row in rows:
        yield Row(row.index, {**common, **row.inputs} if row.inputs is not None else None, row.problem)


def _write_stdout(record: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()
