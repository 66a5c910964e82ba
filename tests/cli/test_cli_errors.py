"""How the command line reports invalid input: exit 2, a message on stderr, and JSON on stdout with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arazzo_runner.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"

TWO_ERRORS = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: %s, type: openapi}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: api_b2b_recovery_codes_v1_Rotate
        successCriteria:
          - condition: $statusCode = 200
      - stepId: t
        operationId: nope
"""


def test_json_mode_prints_an_error_object_for_invalid_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SPEC), "-w", "nope", "--json"]) == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["status"] == "error"
    assert "no workflow 'nope'" in data["error"]["message"]
    assert "no workflow 'nope'" in captured.err


def test_a_document_with_several_errors_points_to_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openapi = ROOT / "specs" / "stytch" / "openapi" / "stytch-b2b-openapi.yml"
    spec = tmp_path / "bad.yml"
    spec.write_text(TWO_ERRORS % openapi)
    assert main(["list", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "bad.yml:11:24" in err and "'=' alone is not an operator" in err
    assert f"run 'arazzo-runner check {spec}' for the full report" in err
    assert main(["run", str(spec), "-w", "w", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert [e["line"] for e in data["error"]["errors"]] == [11, 13]
    assert data["error"]["file"].endswith("bad.yml") and data["error"]["line"] == 11


def test_inputs_given_a_file_name_without_at_suggests_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.json").write_text('{"organization_id": "o", "member_id": "m"}')
    assert main(["run", str(SPEC), "-w", "recovery-codes-rotate", "--inputs", "in.json"]) == 2
    assert "--inputs @in.json" in capsys.readouterr().err


def test_an_untyped_input_given_as_json_text_is_read_as_json() -> None:
    from arazzo_runner.cli.app import coerce_input

    assert coerce_input("customer", '{"uri": "https://x.example/c/1"}', {"oneOf": [{"type": "object"}]}) == {
        "uri": "https://x.example/c/1"
    }
    assert coerce_input("name", "plain text", {}) == "plain text"


def test_a_required_credential_that_was_not_given_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARAZZO_CREDENTIAL_BASICAUTH", raising=False)
    code = main(
        [
            "run",
            str(SPEC),
            "-w",
            "recovery-codes-rotate",
            "-i",
            "organization_id=o",
            "-i",
            "member_id=m",
            "--server",
            "http://127.0.0.1:1",
        ]
    )
    assert code == 1
    assert "requires credentials for 'basicAuth', and none were given" in capsys.readouterr().out


def test_mock_mode_needs_no_server_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      operationId: ping\n"
        "      responses: {'200': {description: ok, content: {application/json: {example: {ok: true}}}}}\n"
    )
    (tmp_path / "wf.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions: [{name: api, url: api.yaml, type: "
        "openapi}]\n"
        "workflows:\n  - workflowId: w\n    steps:\n      - stepId: p\n        operationId: ping\n"
        "        successCriteria: [{condition: $statusCode == 200}]\n"
    )
    assert main(["run", str(tmp_path / "wf.yaml"), "-w", "w", "--mock"]) == 0
    assert main(["run", str(tmp_path / "wf.yaml"), "-w", "w"]) == 1
    assert "pass servers= (--server on the command line)" in capsys.readouterr().out
