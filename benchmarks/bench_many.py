"""Benchmark: many runs of one workflow (``run --each``) against a fast loopback server.

    python benchmarks/bench_many.py [--rows 100000] [--small 10000] [--concurrency 50]

1. Plain ``arun_workflow(...)`` calls at the given concurrency (asyncio tasks behind a semaphore,
   no ``client=``, exactly as the README shows the call): runs per second.
2. ``arazzo-runner run SPEC -w fetch-item --each rows.jsonl --concurrency N --output out.jsonl`` as a
   whole process over ``--small`` rows and over ``--rows`` rows: rows per second and peak RSS.

Prints the throughput ratio (many runs / plain calls) and the RSS ratio (large / small); asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from arazzo_runner import arun_workflow, load  # noqa: E402

SPEC = ROOT / "tests" / "batch" / "fixtures" / "items.arazzo.yaml"


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "benchmarks" / "items_server.py")], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, process.stdout.readline().rsplit(" ", 1)[-1].strip()


async def plain_calls(url: str, runs: int, concurrency: int) -> float:
    document = load(SPEC)
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            result = await arun_workflow(document, "fetch-item", {"item_id": f"i{n}"}, servers=url)
            assert result.succeeded, result.error

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(runs)))
    return runs / (time.perf_counter() - started)


def many(url: str, rows: int, concurrency: int, folder: Path) -> tuple[float, float]:
    """(rows per second, peak RSS in MB) of one `run --each` process."""
    source = folder / f"rows-{rows}.jsonl"
    with source.open("w") as handle:
        for n in range(rows):
            handle.write(json.dumps({"item_id": f"i{n}"}) + "\n")
    out = folder / f"out-{rows}.jsonl"
    command = [
        sys.executable, "-m", "arazzo_runner", "run", str(SPEC), "-w", "fetch-item", "--server", url,
        "--each", str(source), "--concurrency", str(concurrency), "--output", str(out),
    ]  # fmt: skip
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # a child of our own, so its peak RSS is read alone
        os.execve(sys.executable, command, {**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"run --each over {rows} rows failed")
    lines = sum(1 for _ in out.open())
    assert lines == rows, (lines, rows)
    return rows / elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    server, url = start_server()
    try:
        plain = asyncio.run(plain_calls(url, min(args.small, 5000), args.concurrency))
        print(f"plain arun_workflow x{min(args.small, 5000)} at concurrency {args.concurrency}: {plain:.0f} runs/s")
        with tempfile.TemporaryDirectory() as folder:
            small_rate, small_rss = many(url, args.small, args.concurrency, Path(folder))
            print(f"run --each {args.small} rows: {small_rate:.0f} rows/s, peak RSS {small_rss:.1f} MB")
            large_rate, large_rss = many(url, args.rows, args.concurrency, Path(folder))
            print(f"run --each {args.rows} rows: {large_rate:.0f} rows/s, peak RSS {large_rss:.1f} MB")
        print(f"throughput, run --each {args.rows} rows / plain calls: {large_rate / plain:.2f}x (aim >= 0.9)")
        print(f"peak RSS, {args.rows} rows / {args.small} rows: {large_rss / small_rss:.2f}x (aim <= 1.2)")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
