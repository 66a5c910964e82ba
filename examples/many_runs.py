"""Many runs of one workflow, the fast way, against the local Stytch sandbox (see docs/performance.md).

    python examples/many_runs.py

1. ``run_workflow`` in a plain loop: the calls share one kept client, so after the
   first call every run reuses its TCP connection.
2. ``arun_workflow`` a hundred times, 20 at a time, from asyncio.
3. A ``Runner`` used as a context manager: its client is closed when the block ends.

Prints how many runs succeeded; exits 1 if any failed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent
REPOSITORY_ROOT = EXAMPLES_DIR.parent
for import_path in (REPOSITORY_ROOT, EXAMPLES_DIR):
    if str(import_path) not in sys.path:
        sys.path.insert(0, str(import_path))

from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox  # noqa: E402

from arazzo_runner import Runner, arun_workflow, load, run_workflow  # noqa: E402

SPEC = REPOSITORY_ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
INPUTS = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}


def main() -> int:
    doc = load(SPEC)  # parse, resolve and compile once; every run below reuses it
    with StytchSandbox() as sandbox:
        settings = {"servers": sandbox.url, "credentials": {"basicAuth": (sandbox.project_id, sandbox.secret)}}

        # 1. The plain call, in a loop: no client to manage, one connection for all of them.
        plain = [run_workflow(doc, "recovery-codes-rotate", INPUTS, **settings).status for _ in range(50)]

        # 2. Many runs at once from asyncio.
        async def many() -> list[str]:
            limit = asyncio.Semaphore(20)

            async def one() -> str:
                async with limit:
                    return (await arun_workflow(doc, "recovery-codes-rotate", INPUTS, **settings)).status

            return await asyncio.gather(*(one() for _ in range(100)))

        concurrent = asyncio.run(many())

        # 3. A Runner keeps its settings and its client; the with-block closes the client.
        with Runner(**settings) as runner:
            kept = [runner.run(doc, "recovery-codes-rotate", INPUTS).status for _ in range(10)]

        statuses = plain + concurrent + kept
        print(f"{statuses.count('succeeded')} of {len(statuses)} runs succeeded")
        print(f"loop: {len(plain)} runs; asyncio: {len(concurrent)} runs; Runner: {len(kept)} runs")
    return 0 if statuses.count("succeeded") == len(statuses) else 1


if __name__ == "__main__":
    raise SystemExit(main())
