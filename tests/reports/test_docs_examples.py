"""The examples in README.md, docs/events.md and docs/reports.md run, and show what the code does."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from arazzo_runner.cli.app import _build_parser, main

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY_ROOT / "examples"))

from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox  # noqa: E402


def _blocks(path: Path, language: str) -> list[str]:
    """The fenced code blocks of ``path`` whose info string is ``language`` ("" for plain fences)."""
    blocks: list[str] = []
    current: list[str] | None = None
    info = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if current is None:
                current, info = [], line[3:].strip()
            else:
                if info == language:
                    blocks.append("\n".join(current) + "\n")
                current = None
        elif current is not None:
            current.append(line)
    return blocks


@pytest.mark.parametrize(
    ("doc", "index"),
    [("docs/events.md", 0), ("docs/events.md", 1), ("docs/events.md", 2), ("docs/reports.md", 0)],
    ids=str,
)
def test_python_examples_run(doc: str, index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPOSITORY_ROOT)  # the examples name files relative to the repository
    blocks = _blocks(REPOSITORY_ROOT / doc, "python")
    assert len(blocks) == (3 if doc == "docs/events.md" else 1)
    exec(compile(blocks[index], f"{doc} example {index + 1}", "exec"), {"__name__": "__doc_example__"})


def _normalise(text: str, url: str = "http://127.0.0.1:8000") -> list[str]:
    text = text.replace(url, "URL").replace(DEFAULT_ORGANIZATION_ID, "organization-test-…")
    text = text.replace(DEFAULT_MEMBER_ID, "member-test-…")
    return [re.sub(r"\d+ ms", "N ms", line) for line in text.splitlines()]


def test_the_readme_v_sample_is_what_v_prints(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPOSITORY_ROOT / "README.md").read_text(encoding="utf-8")
    sample = next(block for block in _blocks(REPOSITORY_ROOT / "README.md", "") if "-v\n" in block)
    shown = [line for line in _normalise(sample) if line.startswith(("server:", "ok ", "workflow "))]
    assert len(shown) == 4 and "--report FORMAT=PATH" in readme
    with StytchSandbox() as sandbox:
        code = main(
            [
                "run", str(REPOSITORY_ROOT / "specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml"),
                "-w", "recovery-codes-rotate", "-i", f"organization_id={DEFAULT_ORGANIZATION_ID}",
                "-i", f"member_id={DEFAULT_MEMBER_ID}", "--server", sandbox.url,
                "--credential", f"basicAuth={sandbox.project_id}:{sandbox.secret}", "-v",
            ]
        )  # fmt: skip
        captured = capsys.readouterr()
        printed = _normalise(captured.err, sandbox.url) + _normalise(captured.out, sandbox.url)[:1]
    assert code == 0
    assert printed == shown


@pytest.mark.parametrize("doc", ["README.md", "docs/reports.md"])
def test_the_github_actions_snippets_upload_the_junit_report(doc: str) -> None:
    snippets = _blocks(REPOSITORY_ROOT / doc, "yaml")
    steps = [step for snippet in snippets for step in yaml.safe_load(snippet)]
    commands = [step["run"] for step in steps if "arazzo-runner run" in step.get("run", "")]
    assert commands
    parser = _build_parser()
    for command in commands:
        words = shlex.split(command.replace("\\\n", " "))
        args = parser.parse_args(words[1:])
        assert any(item.startswith("junit=") for item in args.report)
        junit = next(item.split("=", 1)[1] for item in args.report if item.startswith("junit="))
        uploads = [s for s in steps if "upload-artifact" in s.get("uses", "")]
        assert uploads and all(s.get("if") == "always()" for s in uploads)
        assert any(junit.startswith(s["with"]["path"]) for s in uploads)
