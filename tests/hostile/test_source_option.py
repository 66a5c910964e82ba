"""--source matches the URL as the document writes it, resolved against the document."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import load
from arazzo_runner.cli.app import main

from .support import OPENAPI

ARAZZO = """\
arazzo: 1.0.0
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: ../openapi/x.yml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - {stepId: s, operationId: r}
"""


@pytest.fixture()
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "arazzo").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "arazzo" / "a.yaml").write_text(ARAZZO)
    (tmp_path / "local" / "x.yml").write_text(OPENAPI % {"server": "http://127.0.0.1:9"})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_url_as_written_matches(layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "arazzo/a.yaml", "--source", "../openapi/x.yml=local/x.yml"]) == 0
    captured = capsys.readouterr()
    assert "w" in captured.out and "warning" not in captured.err
    assert load("arazzo/a.yaml", sources={"../openapi/x.yml": "local/x.yml"}).workflow("w")


def test_an_absolute_file_url_still_matches(layout: Path) -> None:
    key = (layout / "openapi" / "x.yml").as_uri()
    assert main(["list", "arazzo/a.yaml", "--source", f"{key}=local/x.yml"]) == 0


def test_file_not_found_mentions_source(layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "arazzo/a.yaml"]) == 2
    assert "--source URL=PATH" in capsys.readouterr().err


def test_list_reports_a_key_that_matched_nothing(layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["list", "arazzo/a.yaml", "--source", "../openapi/x.yml=local/x.yml", "--source", "other.yml=local/x.yml"]
    assert main(argv) == 0
    assert "--source 'other.yml' names no source of arazzo/a.yaml" in capsys.readouterr().err


def test_check_matches_the_url_as_written(layout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "arazzo/a.yaml", "--source", "../openapi/x.yml=local/x.yml"]) == 0
    assert "0 errors" in capsys.readouterr().out
    assert main(["graph", "arazzo/a.yaml", "-w", "w", "--source", "../openapi/x.yml=local/x.yml"]) == 0
