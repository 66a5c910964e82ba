"""check's output formats and exit codes: compiler-style text, JSON, SARIF 2.1.0; 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arazzo_runner.cli.app import main

FIXTURES = Path(__file__).parent / "fixtures"


def _broken(tmp_path: Path) -> Path:
    (tmp_path / "pets.openapi.yaml").write_text((FIXTURES / "pets.openapi.yaml").read_text(), encoding="utf-8")
    text = (
        (FIXTURES / "pets.arazzo.yaml")
        .read_text()
        .replace("tag: $response.body#/tags/0", "tag: $response.body#/tagz/0")
    )
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_document_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "pets.arazzo.yaml")]) == 0
    assert capsys.readouterr().out.strip() == "0 errors, 0 warnings in 1 file"


def test_text_is_compiler_style_with_source_line_and_caret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _broken(tmp_path)
    assert main(["check", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    head = next(i for i, line in enumerate(lines) if "error[ARZ130]" in line)
    assert lines[head].startswith(
        f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}:48:16: error[ARZ130]: "
    )
    assert lines[head + 1] == " 48 |           tag: $response.body#/tagz/0"
    assert lines[head + 2] == "    |                ^"
    assert lines[head + 3].strip() == "= at /workflows/0/steps/1/outputs/tag"
    assert lines[-1] == "1 error, 0 warnings in 1 file"


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", str(_broken(tmp_path))]) == 1
    report = json.loads(capsys.readouterr().out)
    [d] = report["diagnostics"]
    assert (d["code"], d["severity"], d["line"], d["column"], d["pointer"]) == (
        "ARZ130",
        "error",
        48,
        16,
        "/workflows/0/steps/1/outputs/tag",
    )
    assert d["rule"] == "response-pointer" and report["summary"]["error"] == 1


def test_sarif_format_is_valid_2_1_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "sarif", str(_broken(tmp_path))]) == 1
    log = json.loads(capsys.readouterr().out)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    [result] = run["results"]
    assert result["ruleId"] == "ARZ130" and result["level"] == "error"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "ARZ130"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (48, 16)
    sarif_schema = Path(__file__).parent / "fixtures" / "sarif-2.1.0-subset.schema.json"
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(log, json.loads(sarif_schema.read_text()))


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "pets.arazzo.yaml"), str(tmp_path / "missing.yaml")]) == 2
    assert "error[ARZ010]: file not found" in capsys.readouterr().out


def test_yaml_syntax_error_is_an_error_with_a_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("arazzo: 1.0.1\ninfo: [\n", encoding="utf-8")
    assert main(["check", str(path)]) == 1
    assert "error[ARZ010]: invalid YAML" in capsys.readouterr().out


def test_strict_turns_unknown_fields_into_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pets.openapi.yaml").write_text((FIXTURES / "pets.openapi.yaml").read_text(), encoding="utf-8")
    text = (
        (FIXTURES / "pets.arazzo.yaml")
        .read_text()
        .replace("      - stepId: create\n", "      - stepId: create\n        retries: 5\n")
    )
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert main(["check", "--strict", str(path)]) == 1
    assert "error[ARZ004]" in capsys.readouterr().out


def test_python_api_is_exported() -> None:
    from arazzo_runner.checker import check

    assert check(FIXTURES / "pets.arazzo.yaml") == []
