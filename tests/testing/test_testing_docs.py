"""The README's "Testing APIs in CI" command, run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Testing APIs in CI") :]
    command = re.search(r"```sh\n(.*?)```", section, re.S).group(1).strip()  # type: ignore[union-attr]
    assert command.startswith("arazzo-runner test ")
    args = command.split()[1:]
    done = subprocess.run(
        [sys.executable, "-m", "arazzo_runner", *args],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "PASSED specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml::recovery-codes-rotate" in done.stdout
    )
    assert "1 passed, 0 failed, 0 errored" in done.stdout
