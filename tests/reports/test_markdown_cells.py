"""The Markdown summary keeps its table whatever a server sends: pipes, backticks, HTML, newlines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.reports import Recorder, markdown_summary
from arazzo_runner.reports.markdown import markdown_code, markdown_text
from tests.reports.fixtures import CREDENTIALS, INPUTS, script_items, write_documents
from tests.support.loopback import LoopbackServer, Reply

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

HOSTILE = "a | b `code` <img src=x onerror=alert(1)> &amp; \\| c\n| d | e |\n<script>alert(2)</script>"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _row_cells(row: str) -> list[str]:
    """The cells of a GFM table row: split at every pipe that no backslash escapes (a backslash escapes
    any following character, itself included), as GitHub's parser does."""
    cells, cell, chars = [], "", iter(row.strip()[1:-1])
    for char in chars:
        if char == "\\":
            cell += char + next(chars, "")
        elif char == "|":
            cells.append(cell)
            cell = ""
        else:
            cell += char
    return [*cells, cell]


def test_server_text_cannot_break_the_table_or_inject_html(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    server.script("GET", "/items/7", Reply(status=404, headers={"Content-Type": "text/plain"}, body=HOSTILE.encode()))
    recorder = Recorder()
    run_workflow(
        write_documents(tmp_path), "main", INPUTS, servers=server.url, credentials=CREDENTIALS, on_event=recorder
    )
    assert recorder.failure_line() is not None and "<script>" in recorder.failure_line()  # the text reaches the cell
    text = markdown_summary(recorder)
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 3, text  # header, rule, one row: no newline from the server started a row
    cells = _row_cells(rows[2])
    assert len(cells) == 5, cells
    failure = cells[4]
    assert not re.search(r"[<>]", failure), failure  # no tag, so no HTML
    assert re.search(r"&(?!amp;|lt;|gt;)", failure) is None, failure  # every & is an entity: "&amp;" stays text
    assert re.search(r"(?<!\\)`", failure) is None, failure  # no code span opens
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in failure
    assert "a \\| b \\`code\\` &lt;img" in failure and "&amp;amp;" in failure
    assert "\\\\\\| c \\| d \\| e \\|" in failure  # the server's backslash is kept, its pipe still escaped


@pytest.mark.parametrize(
    ("workflow_id", "shown"),
    [
        ("main", "`main`"),  # the usual id: a code span, as before
        ("a`b|c<d>", "<code>a\\`b\\|c&lt;d&gt;</code>"),
    ],
)
def test_names_are_code_whatever_they_hold(workflow_id: str, shown: str) -> None:
    assert markdown_code(workflow_id) == shown


def test_the_examples_in_the_docs_are_what_is_written() -> None:
    docs = " ".join((REPOSITORY_ROOT / "docs" / "reports.md").read_text(encoding="utf-8").split())
    message, written = re.search(r"a message `([^`]+)` is written `([^`]+)`", docs).groups()  # type: ignore[union-attr]
    assert markdown_text(message) == written
    name, shown = re.search(r"`([^`]+)` is written `(<code>[^`]+)`", docs).groups()  # type: ignore[union-attr]
    assert markdown_code(name) == shown
