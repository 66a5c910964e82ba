"""Seconds for mock runs of all 24 Stytch workflows (target: under 3 s together).

Loading the 24 documents (each re-reads its 1.0 or 1.46 MB OpenAPI description)
is reported apart: it is the loader's cost, paid once per document, not the mock's.
"Cold" is the first pass in a fresh process: it includes importing openapi-core
and building its spec object for both descriptions. "Warm" passes reuse the
loaded documents (the spec objects are cached per description).

Run: python benchmarks/bench_mock.py   (needs ../shared/corpus/stytch beside the repository)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from arazzo_runner import load, run_workflow  # noqa: E402
from arazzo_runner.mock import generate_inputs  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "stytch" / "arazzo"


def _runs(docs, scenario_second_step: bool = False) -> tuple[float, int, int]:
    started = time.perf_counter()
    succeeded = requests = 0
    for doc in docs:
        workflow = next(iter(doc.workflows.values()))
        inputs, _ = generate_inputs(workflow, seed=0)
        mock: dict = {"seed": 0}
        if scenario_second_step:
            mock["scenario"] = {workflow.steps[1].step_id: {"status": 500}}
        result = run_workflow(doc, workflow.workflow_id, inputs, mock=mock)
        succeeded += result.status == "succeeded"
        requests += len(result.steps)
    return time.perf_counter() - started, succeeded, requests


def main() -> int:
    files = sorted(CORPUS.glob("*.yml"))
    if not files:
        print(f"skipped: the Stytch corpus is not at {CORPUS}")
        return 0
    started = time.perf_counter()
    docs = [load(path) for path in files]
    load_seconds = time.perf_counter() - started
    print(f"load {len(docs)} documents:                   {load_seconds:6.3f} s  (loader, not mock)")

    cold, ok, requests = _runs(docs)
    print(f"mock runs, cold (1st pass, {requests} requests): {cold:6.3f} s  {ok}/{len(docs)} succeeded")
    warm = []
    for _ in range(5):
        seconds, ok, _ = _runs(docs)
        warm.append(seconds)
    print(f"mock runs, warm (median of 5):             {statistics.median(warm):6.3f} s  {ok}/{len(docs)} succeeded")
    seconds, ok, _ = _runs(docs, scenario_second_step=True)
    print(
        f"mock runs, 2nd step answers 500:           {seconds:6.3f} s  {len(docs) - ok}/{len(docs)} failed as expected"
    )
    verdict = "under" if cold < 3.0 else "OVER"
    print(
        f"all 24 mock runs together: {cold:.3f} s cold, {statistics.median(warm):.3f} s warm ({verdict} the 3 s target)"
    )
    return 0 if cold < 3.0 else 1


if __name__ == "__main__":
    sys.exit(main())
