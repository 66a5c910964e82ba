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
import base64
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples")]

import httpx  # noqa: E402
from stytch_sandbox import (  # noqa: E402
    DEFAULT_MEMBER_ID,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET,
    StytchSandbox,
)

from arazzo_runner import Runner, load  # noqa: E402
from arazzo_runner.openapi.index import clear_cache  # noqa: E402

SPEC = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
CORPUS_SPEC = ROOT.parent / "shared" / "corpus" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
INPUTS = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}


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


@contextlib.contextmanager
def sandbox_url(in_process: bool) -> Iterator[str]:
    if in_process:
        with StytchSandbox() as sandbox:
            yield sandbox.url
        return
    proc = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "examples" / "stytch_sandbox.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        yield first.rsplit(" ", 1)[-1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def bench_runs(runs: int, in_process: bool) -> tuple[list[float], list[float]]:
    doc = load(SPEC)
    project, secret = DEFAULT_PROJECT_ID, DEFAULT_SECRET
    with sandbox_url(in_process) as url:
        auth = "Basic " + base64.b64encode(f"{project}:{secret}".encode()).decode()
        get_url = f"{url}/v1/b2b/recovery_codes/{DEFAULT_ORGANIZATION_ID}/{DEFAULT_MEMBER_ID}"
        rotate_url = f"{url}/v1/b2b/recovery_codes/rotate"
        async with httpx.AsyncClient() as client:
            runner = Runner(servers=url, credentials={"basicAuth": (project, secret)}, client=client)

            async def engine_once() -> None:
                result = await runner.arun(doc, "recovery-codes-rotate", INPUTS)
                assert result.status == "succeeded", result.error

            async def plain_once() -> None:
                first = await client.get(get_url, headers={"Authorization": auth})
                assert first.status_code == 200
                first.json()["recovery_codes"]
                second = await client.post(rotate_url, json=INPUTS, headers={"Authorization": auth})
                assert second.status_code == 200
                second.json()["recovery_codes"]

            for _ in range(20):  # warm up both paths and the connection
                await engine_once()
                await plain_once()
            engine_times: list[float] = []
            plain_times: list[float] = []
            for _ in range(runs):  # interleave so drift hits both alike
                started = time.perf_counter()
                await plain_once()
                plain_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                await engine_once()
                engine_times.append(time.perf_counter() - started)
    return engine_times, plain_times


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
