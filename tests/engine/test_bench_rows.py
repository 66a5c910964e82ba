"""``benchmarks/bench_paths.py --rows``: which rows a run measures (parsed only; nothing is timed here)."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _bench_paths() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # it imports its sibling stytch_bench, as it does when run as a script
    try:
        spec = importlib.util.spec_from_file_location("bench_paths_under_test", BENCHMARKS / "bench_paths.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_rows_option_names_the_rows_to_run() -> None:
    rows = _bench_paths()._rows
    assert rows("4") == frozenset({4})
    assert rows("1,4") == frozenset({1, 4})
    assert rows(" 2 , 3 ") == frozenset({2, 3})


@pytest.mark.parametrize("text", ["", "5", "0,1", "four", "1;2"])
def test_rows_option_refuses_what_is_not_a_row(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="rows are numbers 1 to 4"):
        _bench_paths()._rows(text)


def test_help_shows_the_rows_option() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_paths.py"), "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "--rows" in out.stdout and "rows to run, e.g. 4 or 1,4" in out.stdout
