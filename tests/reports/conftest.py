"""Every JSON report a test here leaves in its tmp_path is validated against the shipped schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reports.support import validate_json_report


@pytest.fixture(autouse=True)
def _validate_json_reports(tmp_path: Path) -> Iterator[None]:
    yield
    for path in tmp_path.rglob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and data.get("schema") == 1 and "steps" in data:
            validate_json_report(data)
