"""Run the Stytch recovery-codes workflow against the local sandbox.

This is what ``make demo`` runs: it starts ``stytch_sandbox.StytchSandbox`` on
a free port, executes the ``recovery-codes-rotate`` workflow through the
library's public API, prints the codes before and after rotation, and exits
0 on success or 1 on failure. It works from any working directory.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent
REPOSITORY_ROOT = EXAMPLES_DIR.parent
# Let the demo run from a fresh checkout without installing the package.
for import_path in (REPOSITORY_ROOT, EXAMPLES_DIR):
    if str(import_path) not in sys.path:
        sys.path.insert(0, str(import_path))

from stytch_sandbox import (  # noqa: E402 - needs the sys.path setup above
    DEFAULT_MEMBER_ID,
    DEFAULT_ORGANIZATION_ID,
    StytchSandbox,
)

WORKFLOW_FILE = REPOSITORY_ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
WORKFLOW_ID = "recovery-codes-rotate"


def _print_codes(title: str, codes: Sequence[str]) -> None:
    print(f"{title} ({len(codes)}):")
    for code in codes:
        print(f"  {code}")


def main() -> int:
    try:
        from arazzo_runner import run_workflow
    except ImportError as error:
        print(f"Cannot import arazzo_runner.run_workflow: {error}", file=sys.stderr)
        return 1

    print("Arazzo runner demo: Stytch B2B recovery codes (get, then rotate)")
    print("=" * 64)
    with StytchSandbox() as sandbox:
        print(f"Sandbox:  {sandbox.url}")
        print(f"Workflow: {WORKFLOW_FILE.relative_to(REPOSITORY_ROOT)} ({WORKFLOW_ID})")
        print()
        try:
            result = run_workflow(
                str(WORKFLOW_FILE),
                WORKFLOW_ID,
                {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID},
                servers=sandbox.url,
                credentials={"basicAuth": (sandbox.project_id, sandbox.secret)},
            )
        except Exception as error:  # the demo reports any failure instead of a traceback
            print(f"Workflow could not run: {type(error).__name__}: {error}", file=sys.stderr)
            return 1

    if result.status != "succeeded":
        print(f"Workflow {result.status}: {result.error}", file=sys.stderr)
        return 1

    current = list(result.outputs.get("currentRecoveryCodes") or [])
    rotated = list(result.outputs.get("newRecoveryCodes") or [])
    _print_codes("Current recovery codes", current)
    print()
    _print_codes("New recovery codes", rotated)
    print()
    if not current or not rotated:
        print("FAILED: the workflow returned an empty code set.", file=sys.stderr)
        return 1
    if set(current) & set(rotated):
        print("FAILED: the rotated set shares codes with the old one.", file=sys.stderr)
        return 1
    print("OK: the two sets differ; every old code was retired.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
