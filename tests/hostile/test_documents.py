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
