"""--source URL=PATH / load(sources=...): read a description the document names by URL from a local copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import DocumentError, load
from arazzo_runner.cli.app import main

REMOTE = "http://127.0.0.1:1/specs/api.yaml"  # nothing listens there: fetching it would fail
OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: http://127.0.0.1:9}]
paths:
  /items:
    get:
      operationId: listItems
      responses: {'200': {description: ok}}
"""
ARAZZO = f"""\
arazzo: 1.0.1
info: {{title: remote source, version: '1'}}
sourceDescriptions: [{{name: api, url: '{REMOTE}', type: openapi}}]
workflows:
  - workflowId: w
    steps:
      - {{stepId: s, operationId: listItems}}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "api.yaml").write_text(OPENAPI)
    (tmp_path / "wf.yaml").write_text(ARAZZO)
    return tmp_path


def test_without_a_source_map_the_remote_url_is_fetched_and_fails(folder: Path) -> None:
    with pytest.raises(DocumentError, match="cannot fetch"):
        load(folder / "wf.yaml")


def test_the_local_copy_is_read_instead(folder: Path) -> None:
    doc = load(folder / "wf.yaml", sources={REMOTE: str(folder / "api.yaml")})
    assert doc.workflow("w").steps[0].operation.operation.label == "GET /items"


def test_a_missing_local_copy_is_reported_with_the_url_it_stands_for(folder: Path) -> None:
    with pytest.raises(DocumentError) as info:
        load(folder / "wf.yaml", sources={REMOTE: str(folder / "nope.yaml")})
    assert "nope.yaml" in str(info.value) and REMOTE in str(info.value)


def test_cli_list_and_check_take_source(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(folder / "wf.yaml"), "--source", f"{REMOTE}={folder / 'api.yaml'}"]) == 0
    assert "remote source" in capsys.readouterr().out
    assert main(["check", str(folder / "wf.yaml"), "--source", f"{REMOTE}={folder / 'api.yaml'}"]) == 0
    assert main(["list", str(folder / "wf.yaml"), "--source", "no-equals-sign"]) == 2


def test_a_source_that_matches_nothing_is_reported(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "run",
                str(folder / "wf.yaml"),
                "-w",
                "w",
                "--source",
                f"{REMOTE}={folder / 'api.yaml'}",
                "--source",
                f"http://127.0.0.1:1/other.yaml={folder / 'api.yaml'}",
                "--server",
                "http://127.0.0.1:1",
            ]
        )
        == 1
    )
    assert "--source 'http://127.0.0.1:1/other.yaml' names no source" in capsys.readouterr().err


def test_an_empty_credential_is_refused(folder: Path) -> None:
    from arazzo_runner import ArazzoError, run_workflow

    api = (
        (folder / "api.yaml")
        .read_text()
        .replace(
            "paths:",
            "components: {securitySchemes: {key: {type: apiKey, in: header, name: X-Key}}}\nsecurity: [{key: []}]\n"
            "paths:",
        )
    )
    (folder / "api.yaml").write_text(api)
    with pytest.raises(ArazzoError, match="credential 'key' is empty"):
        run_workflow(
            load(folder / "wf.yaml", sources={REMOTE: str(folder / "api.yaml")}),
            "w",
            servers="http://127.0.0.1:1",
            credentials={"key": ""},
        )
