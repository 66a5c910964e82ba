"""Benchmark: one pre-loaded run of the reference workflow vs plain httpx, and load() of the real description.

    python benchmarks/bench_run.py [--runs N]

1. ``load()`` of ``../shared/corpus/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml``,
   which references Stytch's real 1.46 MB B2B OpenAPI description (skipped when ../shared is absent).
2. One run of the pre-loaded reference workflow against the local sandbox on 127.0.0.1,
   next to plain httpx sending the same two requests. Both share one keep-alive AsyncClient,
   so the comparison is the engine's own cost. The sandbox runs in its own process, as an API
   server would (``--in-process`` serves it from a thread of this process instead, where it
   competes with the client for the interpreter lock).

Prints medians and the overhead; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import httpx
from stytch_bench import (  # before arazzo_runner: puts this checkout first on sys.path
    CORPUS_SPEC,
    CREDENTIALS,
    INPUTS,
    SPEC,
    WORKFLOW,
    ainterleaved,
    plain_async,
    sandbox_url,
)

from arazzo_runner import Runner, load
from arazzo_runner.openapi.index import clear_cache


def bench_load(repeats: int, *, cold: bool) -> list[float]:
    """Cold: the parsed-description cache is emptied first, so the 1.46 MB file is read and parsed every time."""
    times = []
    for _ in range(repeats):
        if cold:
            clear_cache()
        started = time.perf_counter()
        load(CORPUS_SPEC)
        times.append(time.perf_counter() - started)
    return times


async def bench_runs(runs: int, in_process: bool) -> tuple[list[float], list[float]]:
    doc = load(SPEC)
    with sandbox_url(in_process) as url:
        async with httpx.AsyncClient() as client:
            runner = Runner(servers=url, credentials=CREDENTIALS, client=client)

            async def engine_once() -> None:
                result = await runner.arun(doc, WORKFLOW, INPUTS)
                assert result.status == "succeeded", result.error

            return await ainterleaved(engine_once, plain_async(client, url), runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--load-repeats", type=int, default=7)
    parser.add_argument("--in-process", action="store_true", help="serve the sandbox from a thread of this process")
    args = parser.parse_args()

    if CORPUS_SPEC.exists():
        for label, cold in (("cold", True), ("cached description", False)):
            times = bench_load(args.load_repeats, cold=cold)
            print(
                f"load() of the corpus reference workflow + 1.46 MB description, {label}: "
                f"median {statistics.median(times) * 1000:.1f} ms, min {min(times) * 1000:.1f} ms "
                f"({args.load_repeats} loads)"
            )
    else:
        print(f"load() benchmark skipped: {CORPUS_SPEC} not found (the ../shared corpus is absent)")

    engine, plain = asyncio.run(bench_runs(args.runs, args.in_process))
    e, p = statistics.median(engine), statistics.median(plain)
    print(f"reference workflow, pre-loaded, one run: median {e * 1000:.3f} ms ({args.runs} runs)")
    print(f"plain httpx, the same two requests:     median {p * 1000:.3f} ms")
    print(f"engine overhead: {(e / p - 1) * 100:+.1f}% ({(e - p) * 1e6:.0f} us per run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
