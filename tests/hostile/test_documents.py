"""Hostile documents and arguments end in a typed error naming the cause, within a time and memory bound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arazzo_runner import load
from arazzo_runner.errors import ArazzoError

from .support import run_bounded


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_as_a_spec_is_refused_without_reading_it() -> None:
    done = run_bounded(
        """
        from arazzo_runner import load
        from arazzo_runner.errors import ArazzoError
        try:
            load("/dev/zero")
        except ArazzoError as exc:
            print(type(exc).__name__, exc)
        """,
        seconds=20,
        memory_mib=300,
    )
    assert done.returncode == 0, done.stderr
    assert "/dev/zero is not a regular file" in done.stdout


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ArazzoError, match="is not a regular file"):
        load(fifo)


def test_node_count_is_checked_before_composing_an_arazzo_document(monkeypatch: pytest.MonkeyPatch) -> None:
    from arazzo_runner.sources import yamlsource

    monkeypatch.setattr(yamlsource, "MAX_NODES", 5000)
    text = "a:\n" + "".join(f"  - {i}\n" for i in range(20_000))
    with pytest.raises(ArazzoError, match="the document has more than 5000 nodes"):
        yamlsource.parse_document(text, "big.yaml")
    yamlsource.parse_document("a:\n" + "".join(f"  - {i}\n" for i in range(1000)), "small.yaml")


@pytest.mark.parametrize("flow", ["json", "yaml"])
def test_an_openapi_description_has_a_node_limit(monkeypatch: pytest.MonkeyPatch, flow: str) -> None:
    from arazzo_runner.sources import yamlsource

    monkeypatch.setattr(yamlsource, "MAX_OPENAPI_NODES", 5000)
    if flow == "json":
        text = '{"x": [' + ",".join('"a,b:c"' for _ in range(6000)) + "]}"
    else:
        text = "x:\n" + "".join("  - a\n" for _ in range(6000))
    with pytest.raises(ArazzoError, match="the description has more than 5000 nodes"):
        yamlsource.parse_fast(text, "openapi." + flow)
    # commas and colons inside strings are not nodes
    assert yamlsource.parse_fast('{"x": [' + ",".join('"a,b:c,d,e"' for _ in range(1500)) + "]}", "o.json")


BILLION_LAUGHS = """
from arazzo_runner import load_text
from arazzo_runner.errors import ArazzoError
lines = ["arazzo: 1.0.1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for level in range(1, 8):
    lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
try:
    load_text("\\n".join(lines) + "\\n")
except ArazzoError as exc:
    print(exc.message)
"""


def test_an_alias_bomb_is_refused_within_a_memory_bound() -> None:
    """Ten million nodes by aliases, in a child limited to 512 MiB of address space (the timing: benchmarks)."""
    done = run_bounded(BILLION_LAUGHS, seconds=120, memory_mib=512)
    assert done.returncode == 0, done.stderr
    assert "alias bomb" in done.stdout


def test_check_shows_the_line_of_a_huge_document_without_splitting_all_of_it(tmp_path: Path) -> None:
    """``check`` quotes the source line a diagnostic points at; it keeps that line, not millions of them."""
    spec = tmp_path / "huge.yaml"
    spec.write_text("arazzo: 1.0.1\nx-big:\n" + "  - 1\n" * 4_000_000)  # 24 MB, 4 million lines
    done = run_bounded(
        """
        import sys
        from arazzo_runner.cli.app import main
        print("exit", main(["check", sys.argv[1]]))
        """,
        seconds=120,
        args=[str(spec)],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the document has more than 1000000 nodes" in done.stdout
    assert " 1 | arazzo: 1.0.1" in done.stdout
    assert "exit 1" in done.stdout
    # Against the same interpreter splitting the text into its 4 million lines (some 250 MB of strings):
    # compared in the same environment, so the bound holds whatever the interpreter's own baseline is.
    reference = run_bounded(
        "import sys\nfrom pathlib import Path\nimport arazzo_runner.cli.app\n"
        "print(len(Path(sys.argv[1]).read_text().splitlines()))",
        seconds=60,
        args=[str(spec)],
    )
    assert reference.returncode == 0, reference.stderr[-2000:]
    assert done.peak_kib < reference.peak_kib - 100 * 1024, (done.peak_kib // 1024, reference.peak_kib // 1024)
    print(f"check of a 4-million-line document: peak RSS {done.peak_kib // 1024} MiB")
