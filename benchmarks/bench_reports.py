"""Benchmark: what the event stream and the reports add to a run of the reference workflow.

    python benchmarks/bench_reports.py [--runs N]

Interleaves, against the local sandbox in its own process on 127.0.0.1 (one shared keep-alive client):
1. a plain run (no listener: the engine builds no event);
2. a run with a ``Recorder`` listening (every event built and kept);
3. the same, then all four reports (json, junit, har, markdown) rendered as text in memory;
4. the same, then written to a temporary folder, which is what ``run --report ... x4`` does
   (adding four file creations, whose cost is the file system's).

Prints, per variant, the median wall time of a run and the median CPU time this process spent on it
(the sandbox's own work is in its process, not counted), and the overhead of each over 1. On a busy
machine the wall times swing with the load; the CPU times are the steadier measure of what the events and
reports cost. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples"), str(ROOT / "benchmarks")]

import httpx  # noqa: E402
from bench_run import INPUTS, SPEC, sandbox_url  # noqa: E402
from stytch_sandbox import DEFAULT_PROJECT_ID, DEFAULT_SECRET  # noqa: E402

from arazzo_runner import Runner, load  # noqa: E402
from arazzo_runner.reports import FORMATS, Recorder, render, write_report  # noqa: E402


async def bench(runs: int, in_process: bool) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    doc = load(SPEC)
    times: dict[str, list[float]] = {"plain": [], "recorded": [], "rendered": [], "written": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    with sandbox_url(in_process) as url, tempfile.TemporaryDirectory() as folder:
        async with httpx.AsyncClient() as client:
            runner = Runner(servers=url, credentials={"basicAuth": (DEFAULT_PROJECT_ID, DEFAULT_SECRET)}, client=client)

            async def plain() -> None:
                result = await runner.arun(doc, "recovery-codes-rotate", INPUTS)
                assert result.status == "succeeded", result.error

            async def recorded() -> Recorder:
                recorder = Recorder()
                result = await runner.arun(doc, "recovery-codes-rotate", INPUTS, on_event=recorder)
                assert result.status == "succeeded", result.error
                return recorder

            async def rendered() -> None:
                recorder = await recorded()
                for fmt in FORMATS:
                    render(fmt, recorder)

            async def written() -> None:
                recorder = await recorded()
                for fmt in FORMATS:
                    write_report(fmt, recorder, Path(folder) / f"report.{fmt}")

            variants = {"plain": plain, "recorded": recorded, "rendered": rendered, "written": written}
            for _ in range(20):  # warm up every path and the connection
                for once in variants.values():
                    await once()
            for _ in range(runs):  # interleaved, so drift hits all alike
                for name, once in variants.items():
                    started, cpu_started = time.perf_counter(), time.process_time()
                    await once()
                    times[name].append(time.perf_counter() - started)
                    cpu[name].append(time.process_time() - cpu_started)
    return times, cpu


def _middle(values: list[float]) -> list[float]:
    """The middle half of the values (a median that CPU clock ticks do not quantise)."""
    ordered = sorted(values)
    quarter = len(ordered) // 4
    return ordered[quarter : len(ordered) - quarter] or ordered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--in-process", action="store_true", help="serve the sandbox from a thread of this process")
    args = parser.parse_args()
    times, cpu = asyncio.run(bench(args.runs, args.in_process))
    print(f"reference workflow, {args.runs} runs each (mean of the middle half, wall time | CPU time of this process):")
    for name, label in (
        ("plain", "plain run"),
        ("recorded", "with a Recorder"),
        ("rendered", "+ four reports rendered"),
        ("written", "+ four reports written"),
    ):
        line = f"  {label:<24}"
        for series in (times, cpu):
            base, median = statistics.mean(_middle(series["plain"])), statistics.mean(_middle(series[name]))
            extra = "" if name == "plain" else f" ({(median / base - 1) * 100:+.1f} %)"
            line += f" {median * 1000:8.3f} ms{extra:<10}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
