"""Benchmark: every way users call the runner, side by side with plain httpx, in one run.

    python benchmarks/bench_paths.py [--rows 1,2,3,4] [--runs N] [--concurrent-runs N] [--concurrency N]

Against the local Stytch sandbox (its own process on 127.0.0.1), running the reference
workflow ``recovery-codes-rotate`` (two requests), through the public API exactly as the
README shows it:

1. ``run_workflow(doc, ...)`` in a loop, no ``client=``, next to plain ``httpx.Client``
   (keep-alive) sending the same two requests.
2. ``arun_workflow(...)`` many times at a fixed concurrency, no ``client=``, next to the
   fastest plain ``httpx.AsyncClient`` doing the same; runs per second and peak memory, each
   measured in a fresh process.
3. ``arazzo-runner run`` (the console script) on the corpus workflow with Stytch's real 1.46 MB
   description (a whole process), next to a plain script that parses that description with PyYAML's
   C loader and sends the two requests with httpx; and ``import arazzo_runner`` next to
   ``import httpx``. Best of several processes, with the parsed-description cache (in a temporary
   directory, warmed by a first run) and with ``--no-cache``. Needs ``../shared/corpus`` (skipped if absent).
4. Per-step overhead with a shared client: ``Runner(client=...)`` next to plain httpx on the
   same ``AsyncClient``: the ratio of the medians (target <= 1.10x) and the overhead in
   microseconds per step, the median of ``--repeats`` rounds.

Prints each row and its ratio to plain httpx; asserts nothing. ``--rows 4`` runs row 4 alone
(``--rows 1,4`` rows 1 and 4); every row by default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from stytch_bench import (  # before arazzo_runner: puts this checkout first on sys.path
    AUTH,
    CORPUS_OPENAPI,
    CORPUS_SPEC,
    CREDENTIALS,
    INPUTS,
    ROOT,
    SPEC,
    WORKFLOW,
    ainterleaved,
    interleaved,
    plain_async,
    plain_sync,
    sandbox_url,
)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# -- row 1: the plain call in a loop -----------------------------------------------------
def row_plain_call(url: str, runs: int) -> tuple[float, float]:
    from arazzo_runner import load, run_workflow

    doc = load(SPEC)

    def engine_once() -> None:
        result = run_workflow(doc, WORKFLOW, INPUTS, servers=url, credentials=CREDENTIALS)
        assert result.status == "succeeded", result.error

    with httpx.Client() as client:
        engine, plain = interleaved(engine_once, plain_sync(client, url), runs)
    return statistics.median(engine), statistics.median(plain)


# -- row 2: many runs at once (each variant in its own process) -----------------------------
async def _concurrent(kind: str, url: str, total: int, concurrency: int) -> float:
    if kind == "engine":
        from arazzo_runner import arun_workflow, load

        doc = load(SPEC)

        async def once() -> None:
            result = await arun_workflow(doc, WORKFLOW, INPUTS, servers=url, credentials=CREDENTIALS)
            assert result.status == "succeeded", result.error

        client = None
    else:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        client = httpx.AsyncClient(limits=limits) if kind == "raw-sized" else httpx.AsyncClient()

        once = plain_async(client, url)

    async def worker(count: int) -> None:
        for _ in range(count):
            await once()

    async def burst(runs: int) -> None:
        share, extra = divmod(runs, concurrency)
        await asyncio.gather(*(worker(share + (1 if i < extra else 0)) for i in range(concurrency)))

    await burst(concurrency * 2)  # warm up: connections opened, code paths hot
    started = time.perf_counter()
    await burst(total)
    elapsed = time.perf_counter() - started
    if client is not None:
        await client.aclose()
    return total / elapsed


def _own_peak_kib() -> int:
    """This process's own peak RSS (VmHWM): ru_maxrss would include the parent's, which Linux carries across exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(kind: str, url: str, total: int, concurrency: int) -> None:
    rate = asyncio.run(_concurrent(kind, url, total, concurrency))
    peak_kb = _own_peak_kib()
    print(json.dumps({"rate": rate, "rss_mb": peak_kb / 1024}))


def row_concurrent(url: str, total: int, concurrency: int, repeats: int) -> dict[str, dict[str, float]]:
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeats):
        for kind in ("raw-default", "raw-sized", "engine"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, url, str(total), str(concurrency)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            measured = json.loads(out)
            if kind not in best or measured["rate"] > best[kind]["rate"]:
                best[kind] = measured
    return best


# -- row 3: the command line and the import ---------------------------------------------
PLAIN_SCRIPT = """
import sys, httpx, yaml
description = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=yaml.CSafeLoader)
assert "paths" in description
url, org, member, auth = sys.argv[2:6]
with httpx.Client() as client:
    first = client.get(f"{url}/v1/b2b/recovery_codes/{org}/{member}", headers={"Authorization": auth})
    assert first.status_code == 200
    second = client.post(f"{url}/v1/b2b/recovery_codes/rotate",
                         json={"organization_id": org, "member_id": member}, headers={"Authorization": auth})
    assert second.status_code == 200
    print(second.json()["recovery_codes"][0][:0])
"""


_CACHE_DIRS: list[str] = []  # made when row 3 first needs one (not at import: row 2's children import this file)


def _cache_dir() -> str:
    if not _CACHE_DIRS:
        _CACHE_DIRS.append(tempfile.mkdtemp(prefix="arazzo-bench-cache-"))
    return _CACHE_DIRS[0]


def _best_process(argv: list[str], repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARAZZO_RUNNER_CACHE_DIR": _cache_dir()}
    # An installed package has its bytecode compiled (pip does it); without this setting the warm-up
    # run compiles it here too, instead of every process compiling the whole package again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        best = min(best, time.perf_counter() - started)
    return best


def _console_script() -> list[str]:
    """``arazzo-runner`` as the README runs it: the console script installed beside this Python.

    (With ``PYTHONPATH`` set to this checkout, the script imports the package from here.)
    """
    script = Path(sys.executable).parent / "arazzo-runner"
    if script.exists():
        return [str(script)]
    found = shutil.which("arazzo-runner")
    return [found] if found else [sys.executable, "-m", "arazzo_runner"]


def row_command_line(url: str, repeats: int) -> tuple[float, float, float] | None:
    if not CORPUS_SPEC.exists():
        return None
    cli = [
        *_console_script(),
        "run",
        str(CORPUS_SPEC),
        "-w",
        WORKFLOW,
        "-i",
        f"organization_id={INPUTS['organization_id']}",
        "-i",
        f"member_id={INPUTS['member_id']}",
        "--server",
        url,
        "--credential",
        "basicAuth=" + ":".join(CREDENTIALS["basicAuth"]),
    ]
    plain = [sys.executable, "-c", PLAIN_SCRIPT, str(CORPUS_OPENAPI), url, *INPUTS.values(), AUTH]
    _best_process(cli, 1)  # compiled bytecode, the OS file cache and our parsed-description cache warm
    _best_process(plain, 1)
    cli_best, uncached_best, plain_best = float("inf"), float("inf"), float("inf")
    for _ in range(repeats):  # alternated so load on the machine hits all alike
        cli_best = min(cli_best, _best_process(cli, 1))
        uncached_best = min(uncached_best, _best_process([*cli, "--no-cache"], 1))
        plain_best = min(plain_best, _best_process(plain, 1))
    return cli_best, uncached_best, plain_best


IMPORT_TARGET = 0.15  # seconds for a whole interpreter running `import arazzo_runner` (issue 11)


def row_import(repeats: int) -> tuple[float, float]:
    ours, floor = float("inf"), float("inf")
    for _ in range(repeats):
        ours = min(ours, _best_process([sys.executable, "-c", "import arazzo_runner"], 1))
        floor = min(floor, _best_process([sys.executable, "-c", "import httpx"], 1))
    return ours, floor


# -- row 4: per-step overhead on a shared client -----------------------------------------
async def row_shared_client(url: str, runs: int) -> tuple[float, float]:
    from arazzo_runner import Runner, load

    doc = load(SPEC)
    async with httpx.AsyncClient() as client:
        runner = Runner(servers=url, credentials=CREDENTIALS, client=client)

        async def engine_once() -> None:
            result = await runner.arun(doc, WORKFLOW, INPUTS)
            assert result.status == "succeeded", result.error

        engine, plain = await ainterleaved(engine_once, plain_async(client, url), runs)
    return statistics.median(engine), statistics.median(plain)


def _print_row_1(url: str, args: argparse.Namespace) -> None:
    engine, plain = row_plain_call(url, args.runs)
    print(
        f"1. run_workflow() in a loop, no client=: {_ms(engine)} / run; plain httpx.Client {_ms(plain)} "
        f"({engine / plain:.2f}x)"
    )


def _print_row_2(url: str, args: argparse.Namespace) -> None:
    best = row_concurrent(url, args.concurrent_runs, args.concurrency, 2)
    floor = max(best["raw-default"], best["raw-sized"], key=lambda m: m["rate"])
    ours = best["engine"]
    print(
        f"2. arun_workflow() x {args.concurrent_runs} at concurrency {args.concurrency}, no client=: "
        f"{ours['rate']:.0f} runs/s, peak RSS {ours['rss_mb']:.0f} MB; best plain httpx.AsyncClient "
        f"{floor['rate']:.0f} runs/s, {floor['rss_mb']:.0f} MB "
        f"({ours['rate'] / floor['rate']:.2f}x the rate, {ours['rss_mb'] / floor['rss_mb']:.2f}x the memory; "
        f"httpx default limits {best['raw-default']['rate']:.0f} runs/s, sized {best['raw-sized']['rate']:.0f})"
    )


def _print_row_3(url: str, args: argparse.Namespace) -> None:
    command = row_command_line(url, args.repeats)
    if command is None:
        print(f"3. command line: skipped, {CORPUS_SPEC} not found (the ../shared corpus is absent)")
    else:
        cli, uncached, script = command
        print(
            f"3. arazzo-runner run, corpus workflow + 1.46 MB description: {cli:.3f} s "
            f"(--no-cache {uncached:.3f} s); plain httpx + PyYAML script {script:.3f} s "
            f"({cli / script:.2f}x the script, target <= 1.25x; --no-cache {uncached / script:.2f}x)"
        )
    ours_import, httpx_import = row_import(args.repeats)
    print(
        f"   import arazzo_runner: {ours_import:.3f} s ({ours_import / IMPORT_TARGET:.2f}x the "
        f"{IMPORT_TARGET:.2f} s target); import httpx {httpx_import:.3f} s ({ours_import / httpx_import:.2f}x "
        f"import httpx; each a whole interpreter start, best of {args.repeats})"
    )


def _print_row_4(url: str, args: argparse.Namespace) -> None:
    ratios, overheads, engines, plains = [], [], [], []
    for _ in range(args.repeats):  # rounds of interleaved runs; the median round is reported
        engine, plain = asyncio.run(row_shared_client(url, args.runs))
        ratios.append(engine / plain)
        overheads.append(engine - plain)
        engines.append(engine)
        plains.append(plain)
    engine, plain = statistics.median(engines), statistics.median(plains)
    engine_over = statistics.median(overheads)
    print(
        f"4. Runner(client=shared).arun(): {_ms(engine)} / run; plain httpx on the same client {_ms(plain)} "
        f"({statistics.median(ratios):.2f}x the plain time, median of {args.repeats} rounds; target <= 1.10x; "
        f"overhead {engine_over * 1e6:.0f} us per run, {engine_over * 1e6 / 2:.0f} us per step)"
    )


def _rows(text: str) -> frozenset[int]:
    try:
        rows = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"rows are numbers 1 to 4, separated by commas: {text!r}") from None
    if not rows or not rows <= set(range(1, 5)):
        raise argparse.ArgumentTypeError(f"rows are numbers 1 to 4, separated by commas: {text!r}")
    return rows


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="runs per side in rows 1 and 4")
    parser.add_argument("--concurrent-runs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--repeats", type=int, default=5, help="processes per side in row 3 (best kept), rounds in row 4 (median)"
    )
    parser.add_argument("--rows", type=_rows, default=frozenset(range(1, 5)), help="rows to run, e.g. 4 or 1,4")
    args = parser.parse_args()

    printers = {1: _print_row_1, 2: _print_row_2, 3: _print_row_3, 4: _print_row_4}
    with sandbox_url() as url:
        for row in sorted(args.rows):
            printers[row](url, args)
    for folder in _CACHE_DIRS:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
