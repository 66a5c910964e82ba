"""Run the commands and Python snippets of the documentation, so the docs cannot go stale.

Marker convention. An HTML comment on the line before a fenced block marks it runnable (unmarked blocks are
only shown). The markers, and what the test does with the block that follows:

- ``<!-- test: mock -->`` before a ``sh``, ``console`` or ``python`` block: run it offline (the commands use
  ``--mock`` or need no API). Add ``exit=N`` to expect that exit code from the last command
  (``<!-- test: mock exit=1 -->`` for a workflow that fails on purpose); the default is 0.
- ``<!-- test: sandbox -->``: the same, with the local sandboxes running: the gallery sandbox stands in for
  ``http://127.0.0.1:8100`` and the Stytch recovery-codes sandbox for ``http://127.0.0.1:8000`` (the test
  starts both on free ports and rewrites those URLs).
- ``<!-- test: file PATH -->`` before any block: write the block's text to ``PATH`` in the page's working
  directory, for later blocks of the page to use.

Each page's blocks run in order, in one temporary working directory holding links to the repository's
``examples`` and ``specs`` folders. In shell blocks, ``\\``-continued lines are joined, comment lines are
skipped and so are lines ending in ``&`` (servers the test runs itself); in ``console`` blocks only lines
starting with ``$ `` are commands. ``arazzo-runner`` and ``python`` run this checkout with the test's
interpreter. Commands must pass (exit 0) except the last of an ``exit=N`` block.

A second test checks that the Mermaid graphs embedded in the gallery page (each after a
``<!-- graph: SPEC WORKFLOW_ID -->`` marker) are what ``arazzo-runner graph`` prints today.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY_ROOT / "examples"))

from gallery_sandbox import GallerySandbox  # noqa: E402
from stytch_sandbox import StytchSandbox  # noqa: E402

DOCS = REPOSITORY_ROOT / "docs"
# Pages whose marked blocks run: the site's pages, README.md (the sections marked in it) and the gallery's READMEs.
PAGES = [
    *sorted(DOCS.rglob("*.md")),
    REPOSITORY_ROOT / "README.md",
    *sorted((REPOSITORY_ROOT / "examples").glob("*/README.md")),
]
_MARKER = re.compile(
    r"<!--\s*test:\s*(?P<kind>mock|sandbox|file)(?P<args>[^>]*?)\s*-->\s*\n```(?P<lang>[\w-]*)\n"
    r"(?P<body>.*?)\n```",
    re.S,
)
_GRAPH = re.compile(r"<!--\s*graph:\s*(?P<spec>\S+)\s+(?P<workflow>\S+)\s*-->\s*\n```mermaid\n(?P<body>.*?)\n```", re.S)
GALLERY_SANDBOX_URL = "http://127.0.0.1:8100"
STYTCH_SANDBOX_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    kind: str
    args: str
    lang: str
    body: str

    @property
    def expected_exit(self) -> int:
        match = re.search(r"exit=(\d+)", self.args)
        return int(match[1]) if match else 0

    def __str__(self) -> str:
        return f"{self.page.relative_to(REPOSITORY_ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [
        Block(page, text.count("\n", 0, m.start()) + 1, m["kind"], m["args"].strip(), m["lang"], m["body"])
        for m in _MARKER.finditer(text)
    ]


def shell_commands(block: Block) -> list[str]:
    lines = block.body.splitlines()
    if block.lang == "console":
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    joined: list[str] = []
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#") and not command.endswith("&"):
            joined.append(command)
    return joined


def _localize(text: str, urls: dict[str, str]) -> str:
    for documented, real in urls.items():
        text = text.replace(documented, real)
    return text


def _program(command: str) -> str:
    python = f'"{sys.executable}"'
    command = re.sub(r"^arazzo-runner\b", f"{python} -m arazzo_runner", command)
    command = re.sub(r"(?<=[;&|]\s)arazzo-runner\b", f"{python} -m arazzo_runner", command)
    return re.sub(r"^python\b", python, command)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARAZZO_CREDENTIAL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY_ROOT), str(REPOSITORY_ROOT / "examples")])
    return env


def run_block(block: Block, workdir: Path, urls: dict[str, str]) -> None:
    if block.kind == "file":
        target = workdir / block.args
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.body + "\n", encoding="utf-8")
        return
    env = _environment()
    if block.lang == "python":
        done = subprocess.run(
            [sys.executable, "-c", _localize(block.body, urls)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == block.expected_exit, f"{block}: python snippet failed:\n{done.stderr[-3000:]}"
        return
    assert block.lang in ("sh", "console", "bash"), f"{block}: cannot run a {block.lang!r} block"
    commands = shell_commands(block)
    assert commands, f"{block}: a marked block with no command"
    for index, command in enumerate(commands):
        done = subprocess.run(
            ["bash", "-c", _program(_localize(command, urls))],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        expected = block.expected_exit if index == len(commands) - 1 else 0
        assert done.returncode == expected, (
            f"{block}: `{command}` exited {done.returncode}, expected {expected}\n"
            f"stdout: {done.stdout[-1500:]}\nstderr: {done.stderr[-1500:]}"
        )
        assert "Traceback" not in done.stderr, f"{block}: `{command}` crashed:\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def sandbox_urls() -> Iterator[dict[str, str]]:
    with GallerySandbox() as gallery, StytchSandbox() as stytch:
        yield {GALLERY_SANDBOX_URL: gallery.url, STYTCH_SANDBOX_URL: stytch.url}


PAGES_WITH_BLOCKS = [page for page in PAGES if blocks(page)]


def test_the_docs_have_runnable_blocks() -> None:
    names = {page.relative_to(REPOSITORY_ROOT).as_posix() for page in PAGES_WITH_BLOCKS}
    assert {"docs/tutorial.md", "docs/howto/stytch.md", "docs/howto/gallery.md", "README.md"} <= names
    assert len([name for name in names if name.startswith("examples/")]) >= 8
    kinds = {block.kind for page in PAGES_WITH_BLOCKS for block in blocks(page)}
    assert kinds == {"mock", "sandbox", "file"}


@pytest.mark.parametrize("page", PAGES_WITH_BLOCKS, ids=lambda p: p.relative_to(REPOSITORY_ROOT).as_posix())
def test_page_snippets_run(page: Path, tmp_path: Path, sandbox_urls: dict[str, str]) -> None:
    for folder in ("examples", "specs"):
        (tmp_path / folder).symlink_to(REPOSITORY_ROOT / folder, target_is_directory=True)
    for block in blocks(page):
        run_block(block, tmp_path, sandbox_urls if block.kind == "sandbox" else {})


def test_gallery_graphs_are_current() -> None:
    page = DOCS / "howto" / "gallery.md"
    graphs = list(_GRAPH.finditer(page.read_text(encoding="utf-8")))
    assert len(graphs) >= 8
    for match in graphs:
        done = subprocess.run(
            [sys.executable, "-m", "arazzo_runner", "graph", match["spec"], "-w", match["workflow"]],
            cwd=REPOSITORY_ROOT,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip() == match["body"].rstrip(), (
            f"the graph of {match['spec']} in docs/howto/gallery.md is out of date; paste in the output of "
            f"`arazzo-runner graph {match['spec']} -w {match['workflow']}`"
        )


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    if shutil.which("mkdocs") is None and not _importable("mkdocs"):
        pytest.skip("mkdocs is not installed: pip install -e '.[docs]' (make test installs it)")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "site" / "reference" / "python" / "index.html").is_file()
    api_page = (tmp_path / "site" / "reference" / "python" / "index.html").read_text(encoding="utf-8")
    assert "run_workflow" in api_page and "WorkflowResult" in api_page


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True
