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
