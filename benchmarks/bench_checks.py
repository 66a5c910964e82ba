"""Benchmark: the cost of contract checks per response, on the reference workflow.

    python benchmarks/bench_checks.py [--responses N]

Uses the reference workflow against Stytch's real 1.46 MB B2B description
(``../shared/corpus/stytch/...``; falls back to the bundled description when ../shared is absent) and
the two responses the sandbox gives for its two steps. Times ``ContractChecker(...)`` on each response
(validators built on the first call, reused after: that is what a run does), and whole runs with
``checks="error"`` against ``checks=None`` in one process. Prints microseconds per response; asserts nothing.
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
    ROOT,
    SPEC,
    sandbox_url,
    urls,
)

from arazzo_runner import Runner, load
from arazzo_runner.testing import ContractChecker


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=2_000)
    args = parser.parse_args()
    spec = CORPUS_SPEC if CORPUS_SPEC.exists() else SPEC
    print(f"document: {spec.relative_to(ROOT.parent) if CORPUS_SPEC.exists() else spec.relative_to(ROOT)}")
    document = load(spec)
    with sandbox_url(in_process=True) as url:
        result = Runner(servers=url, credentials=CREDENTIALS, checks="warn").run(
            document, "recovery-codes-rotate", INPUTS
        )
        assert result.succeeded, result.error
        for step in result.steps:
            print(f"{step.step_id}: " + "; ".join(f"{c.name} {c.outcome}" for c in step.checks))
        workflow = document.workflow("recovery-codes-rotate")
        exchanges = []
        with httpx.Client(auth=CREDENTIALS["basicAuth"]) as client:
            get_url, rotate_url = urls(url)
            get = client.get(get_url)
            rotate = client.post(rotate_url, json=INPUTS)
        for step, response in zip(workflow.steps, (get, rotate), strict=True):
            assert step.operation is not None
            headers = {k.lower(): v for k, v in response.headers.items()}
            exchanges.append((step.operation.operation, response.status_code, headers, response.json(), "json"))
        checker = ContractChecker("error")
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            for n in range(args.responses):
                checker(*exchanges[n % 2])
            samples.append((time.perf_counter() - started) / args.responses * 1e6)
        print(f"contract checks per response: median {statistics.median(samples):.1f} µs (aim <= 50 µs)")

        async def runs(checks: str | None) -> float:
            async with httpx.AsyncClient() as client:
                runner = Runner(servers=url, credentials=CREDENTIALS, client=client, checks=checks)
                await runner.arun(document, "recovery-codes-rotate", INPUTS)
                started = time.perf_counter()
                for _ in range(args.runs):
                    await runner.arun(document, "recovery-codes-rotate", INPUTS)
                return (time.perf_counter() - started) / args.runs * 1e3

        off, on = asyncio.run(runs(None)), asyncio.run(runs("error"))
        print(
            f"whole run: {off:.3f} ms without checks, {on:.3f} ms with every check at error "
            f"({(on - off) * 1000 / 2:+.1f} µs per response)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
