"""Benchmark: what the event stream and the four reports add to a run of the reference workflow.

    python benchmarks/bench_reports.py [--runs N] [--processes N] [--in-process]

Against the local sandbox (its own process on 127.0.0.1), two paths, each measured side by side:

(a) the command the README shows, as a whole process: ``arazzo-runner run SPEC -w recovery-codes-rotate ...
    --report json=... --report junit=... --report har=... --report markdown=...`` against the same command
    without ``--report`` (alternating; the best of ``--processes`` runs of each, since a process start
    only ever gets slower from noise);
(b) in-process: ``run_workflow(...)`` with a ``Recorder`` listening and then the four ``write_report``
    calls, against ``run_workflow(...)`` alone (interleaved; the mean of the middle half of ``--runs``),
    with the steps in between (recorder only; rendered in memory) to show where the cost is.

The reports go to a fresh temporary folder (on the file system of ``$TMPDIR``), rewritten by every run,
as a CI job re-running a workflow does. Prints wall time and this process's CPU time, and on the last two
lines the ratios the target is stated in (reports add at most 5 % to a run's time). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples"), str(ROOT / "benchmarks")]

from bench_run import INPUTS, SPEC, sandbox_url  # noqa: E402
from stytch_sandbox import DEFAULT_PROJECT_ID, DEFAULT_SECRET  # noqa: E402

from arazzo_runner import load, run_workflow  # noqa: E402
from arazzo_runner.reports import FORMATS, Recorder, render, write_report  # noqa: E402

WORKFLOW = "recovery-codes-rotate"
CREDENTIALS = {"basicAuth": (DEFAULT_PROJECT_ID, DEFAULT_SECRET)}


def _middle_mean(values: list[float]) -> float:
    """The mean of the middle half (a median that clock ticks do not quantise)."""
    ordered = sorted(values)
    quarter = len(ordered) // 4
    return statistics.mean(ordered[quarter : len(ordered) - quarter] or ordered)


def bench_cli(url: str, folder: Path, processes: int) -> dict[str, list[float]]:
    command = [sys.executable, "-m", "arazzo_runner", "run", str(SPEC), "-w", WORKFLOW, "--server", url, "-q"]
    for name, value in INPUTS.items():
        command += ["-i", f"{name}={value}"]
    reports = [arg for fmt in FORMATS for arg in ("--report", f"{fmt}={folder / ('cli.' + fmt)}")]
    secret = f"{DEFAULT_PROJECT_ID}:{DEFAULT_SECRET}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARAZZO_CREDENTIAL_BASICAUTH": secret}
    variants = {"without --report": command, "with 4 --report": command + reports}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(processes + 2):  # two rounds of warm-up (page cache, .pyc files)
        for name, argv in variants.items():
            started = time.perf_counter()
            done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            took = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
            if round_ >= 2:
                times[name].append(took)
    return times


def bench_in_process(url: str, folder: Path, runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    doc = load(SPEC)

    def plain() -> None:
        result = run_workflow(doc, WORKFLOW, INPUTS, servers=url, credentials=CREDENTIALS)
        assert result.status == "succeeded", result.error

    def recorded() -> Recorder:
        recorder = Recorder()
        result = run_workflow(doc, WORKFLOW, INPUTS, servers=url, credentials=CREDENTIALS, on_event=recorder)
        assert result.status == "succeeded", result.error
        return recorder

    def rendered() -> None:
        recorder = recorded()
        for fmt in FORMATS:
            render(fmt, recorder)

    def written() -> None:
        recorder = recorded()
        for fmt in FORMATS:
            write_report(fmt, recorder, folder / f"report.{fmt}")

    variants: dict[str, Callable[[], object]] = {
        "plain": plain,
        "recorded": recorded,
        "rendered": rendered,
        "written": written,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(20):  # warm up every path and the shared client's connection
        for once in variants.values():
            once()
    for _ in range(runs):  # interleaved, so drift hits all alike
        for name, once in variants.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            once()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
    return times, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="in-process runs of each variant")
    parser.add_argument("--processes", type=int, default=15, help="command-line processes of each variant")
    parser.add_argument("--in-process", action="store_true", help="serve the sandbox from a thread of this process")
    args = parser.parse_args()
    with sandbox_url(args.in_process) as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        times, cpu = bench_in_process(url, folder, args.runs)
        cli = bench_cli(url, folder, args.processes) if args.processes > 0 else {}

    print(f"(b) in-process run_workflow(), {args.runs} runs each (middle-half mean; wall | CPU of this process):")
    base_wall, base_cpu = _middle_mean(times["plain"]), _middle_mean(cpu["plain"])
    for name, label in (
        ("plain", "run_workflow() alone"),
        ("recorded", "with a Recorder"),
        ("rendered", "+ 4 reports rendered"),
        ("written", "+ 4 reports written"),
    ):
        wall, used = _middle_mean(times[name]), _middle_mean(cpu[name])
        extra = "" if name == "plain" else f" ({(wall / base_wall - 1) * 100:+.1f} %)"
        extra_cpu = "" if name == "plain" else f" ({(used / base_cpu - 1) * 100:+.1f} %)"
        print(f"  {label:<22} {wall * 1000:8.3f} ms{extra:<11} {used * 1000:8.3f} ms{extra_cpu}")
    if cli:
        print(f"(a) arazzo-runner run as a process, best of {args.processes} (median in brackets):")
        for name, values in cli.items():
            print(f"  {name:<22} {min(values) * 1000:8.1f} ms  ({statistics.median(values) * 1000:.1f} ms)")
        without, with_reports = min(cli["without --report"]), min(cli["with 4 --report"])
        ratio = with_reports / without
        print(f"(a) command line, 4 --report vs none: {ratio:.3f}x ({(ratio - 1) * 100:+.1f} %)")
    ratio = _middle_mean(times["written"]) / base_wall
    print(f"(b) run_workflow + Recorder + 4 reports written vs alone: {ratio:.3f}x ({(ratio - 1) * 100:+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
