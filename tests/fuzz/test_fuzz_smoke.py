"""A short run of each fuzzer (``make fuzz`` runs them for a million inputs in all)."""

from __future__ import annotations

import pytest

from .fuzzers import FUZZERS


@pytest.mark.parametrize("name", sorted(FUZZERS))
def test_fuzzer_smoke(name: str) -> None:
    assert FUZZERS[name](150) > 0
