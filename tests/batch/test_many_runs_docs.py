"""The README's "Many runs" command and the docs' merge script, executed as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _block(text: str, after: str, language: str = "sh") -> str:
    start = text.index(after)
    match = re.search(rf"```{language}\n(.*?)```", text[start:], re.S)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Paths in the docs are relative to the repository; the command runs from a scratch folder.
    command = re.sub(r"(?<![\w/])(specs|examples)/", lambda m: f"{ROOT}/{m.group(1)}/", command)
    shim = cwd / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "arazzo-runner").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m arazzo_runner "$@"\n')
    (shim / "arazzo-runner").chmod(0o755)
    if not (shim / "python").exists():
        (shim / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_readme_many_runs_example(tmp_path: Path) -> None:
    command = _block((ROOT / "README.md").read_text(), "## Many runs")
    done = _shell(command, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert sorted(line["row"] for line in lines) == [0, 1, 2]
    assert all(line["status"] == "succeeded" and line["outputs"]["newRecoveryCodes"] for line in lines)
    assert "3 rows: 3 succeeded, 0 failed, 0 invalid" in done.stderr


def test_docs_merge_script_checks_shard_outputs(tmp_path: Path) -> None:
    docs = (ROOT / "docs" / "many-runs.md").read_text()
    merge = _block(docs, "Merge the parts")
    spec = ROOT / "specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml"
    rows = ROOT / "examples/many/members.csv"
    for shard in range(2):
        command = [sys.executable, "-m", "arazzo_runner", "run", str(spec), "-w", "recovery-codes-rotate", "--mock"]
        command += ["--each", str(rows), "--shard", f"{shard}/2", "--output", str(tmp_path / f"part-{shard}.jsonl")]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
    done = _shell(merge, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "{'succeeded': 3, 'failed': 0, 'invalid': 0}" in done.stdout
    (tmp_path / "part-1.jsonl").unlink()
    assert _shell(merge, tmp_path).returncode != 0  # a missing row is caught
