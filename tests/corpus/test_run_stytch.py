"""The reference workflow end to end: Python API and CLI against the local Stytch sandbox on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox

from arazzo_runner import (
    ArazzoError,
    DocumentError,
    InputError,
    WorkflowFailed,
    WorkflowNotFound,
    arun_workflow,
    load,
    run_workflow,
)
from arazzo_runner.cli.app import credential_env_name, main
from tests.support.loopback import LoopbackServer, Reply, refused_url

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
WF = "recovery-codes-rotate"
INPUTS = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}


@pytest.fixture()
def sandbox():
    with StytchSandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def doc():
    return load(SPEC)


def creds(sb: StytchSandbox) -> dict:
    return {"basicAuth": (sb.project_id, sb.secret)}


def test_reference_workflow_runs_through_python_api(sandbox, doc):
    before = sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
    result = run_workflow(doc, WF, INPUTS, servers=sandbox.url, credentials=creds(sandbox))
    assert result.status == "succeeded", result.error
    assert result.error is None
    assert result.outputs["currentRecoveryCodes"] == before
    after = sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
    assert result.outputs["newRecoveryCodes"] == after
    assert set(before).isdisjoint(after)
    assert [s.step_id for s in result.steps] == ["getRecoveryCodes", "rotateRecoveryCodes"]
    assert [s.status_code for s in result.steps] == [200, 200]
    assert result.steps[0].outputs == {"currentRecoveryCodes": before}
    result.raise_for_status()


def test_requests_are_exactly_what_the_openapi_description_says(sandbox, doc):
    run_workflow(doc, WF, INPUTS, servers=sandbox.url, credentials=creds(sandbox)).raise_for_status()
    get, rotate = sandbox.requests
    expected_auth = "Basic " + base64.b64encode(f"{sandbox.project_id}:{sandbox.secret}".encode()).decode()
    assert get.method == "GET"
    assert get.path == f"/v1/b2b/recovery_codes/{DEFAULT_ORGANIZATION_ID}/{DEFAULT_MEMBER_ID}"
    assert get.body == b""
    assert get.headers["authorization"] == expected_auth
    assert rotate.method == "POST"
    assert rotate.path == "/v1/b2b/recovery_codes/rotate"
    assert rotate.headers["content-type"] == "application/json"
    assert json.loads(rotate.body) == INPUTS
    assert rotate.headers["authorization"] == expected_auth


def test_spec_path_is_accepted_as_well_as_a_loaded_document(sandbox):
    result = run_workflow(str(SPEC), WF, INPUTS, servers=sandbox.url, credentials=creds(sandbox))
    assert result.status == "succeeded"


def test_async_twin_with_caller_owned_client(sandbox, doc):
    async def go():
        async with httpx.AsyncClient() as client:
            result = await arun_workflow(
                doc,
                WF,
                INPUTS,
                servers={"stytchB2bApi": sandbox.url},
                credentials=creds(sandbox),
                client=client,
                timeout=5,
            )
            assert not client.is_closed  # the caller owns it
            return result

    result = asyncio.run(go())
    assert result.status == "succeeded"
    assert len(result.outputs["newRecoveryCodes"]) == 10


def test_wrong_credentials_fail_with_step_status_and_criterion(sandbox, doc):
    result = run_workflow(
        doc, WF, INPUTS, servers=sandbox.url, credentials={"basicAuth": ("project-test-x", "wrong-secret")}
    )
    assert result.status == "failed"
    err = result.error
    assert err.step_id == "getRecoveryCodes"
    assert err.status_code == 401
    assert err.criterion == "$statusCode == 200"
    assert err.reason == "unhandled_step_failure"
    assert "getRecoveryCodes" in err.message and "401" in err.message and "$statusCode == 200" in err.message
    assert "wrong-secret" not in err.message and "wrong-secret" not in repr(result)
    assert len(sandbox.requests) == 1  # the rotate step never ran
    with pytest.raises(WorkflowFailed) as info:
        result.raise_for_status()
    assert info.value.result is result


def test_missing_credentials_are_a_401_failure(sandbox, doc):
    result = run_workflow(doc, WF, INPUTS, servers=sandbox.url)
    assert result.status == "failed" and result.error.status_code == 401


def test_missing_required_input_raises_before_any_request(sandbox, doc):
    with pytest.raises(InputError) as info:
        run_workflow(doc, WF, {"organization_id": "o"}, servers=sandbox.url, credentials=creds(sandbox))
    assert "member_id" in str(info.value) and "required" in str(info.value)
    assert sandbox.requests == []


def test_wrongly_typed_input_names_input_and_rule(sandbox, doc):
    with pytest.raises(InputError) as info:
        run_workflow(doc, WF, {"organization_id": 5, "member_id": "m"}, servers=sandbox.url)
    assert "organization_id" in str(info.value) and "'type'" in str(info.value)
    assert sandbox.requests == []


def test_unknown_workflow_lists_the_existing_ones(doc):
    with pytest.raises(WorkflowNotFound) as info:
        run_workflow(doc, "nope", INPUTS)
    assert "recovery-codes-rotate" in str(info.value)


def test_connection_refused_is_a_failed_result_not_a_traceback(doc):
    result = run_workflow(doc, WF, INPUTS, servers=refused_url(), credentials={"basicAuth": ("u", "p")})
    assert result.status == "failed"
    assert result.error.reason == "transport_error"
    assert "could not connect" in result.error.message
    assert result.error.step_id == "getRecoveryCodes"


def test_timeout_is_a_failed_result(doc):
    with LoopbackServer() as server:
        server.script("GET", "/v1/b2b/recovery_codes/{org}/{member}", [Reply(200, body={}, delay=2)])
        result = run_workflow(doc, WF, INPUTS, servers=server.url, timeout=0.2)
    assert result.status == "failed"
    assert result.error.reason == "transport_error"
    assert "timed out" in result.error.message


# -- documents that are wrong ------------------------------------------------
def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_OPENAPI = (ROOT / "specs" / "stytch" / "openapi" / "stytch-b2b-openapi.yml").read_text()


def test_malformed_yaml_names_file_and_line(tmp_path):
    bad = write(tmp_path, "bad.yml", "arazzo: 1.0.1\ninfo:\n  title: x\n  version: '1'\nworkflows: [\n")
    with pytest.raises(DocumentError) as info:
        load(bad)
    text = str(info.value)
    assert "bad.yml:" in text and "invalid YAML" in text
    assert info.value.location.line is not None


def test_missing_source_file_names_the_file(tmp_path):
    spec = SPEC.read_text().replace("../openapi/stytch-b2b-openapi.yml", "missing.yml")
    path = write(tmp_path, "wf.yml", spec)
    with pytest.raises(DocumentError) as info:
        load(path)
    assert "missing.yml" in str(info.value) and "not found" in str(info.value)
    assert info.value.location.line == 16  # the url line of the source description


def test_unknown_operation_id_names_source_and_operation(tmp_path):
    write(tmp_path, "api.yml", GOOD_OPENAPI)
    spec = (
        SPEC.read_text()
        .replace("../openapi/stytch-b2b-openapi.yml", "api.yml")
        .replace("operationId: api_b2b_recovery_codes_v1_Rotate", "operationId: api_b2b_recovery_codes_v1_Rotat")
    )
    with pytest.raises(DocumentError) as info:
        load(write(tmp_path, "wf.yml", spec))
    text = str(info.value)
    assert "api_b2b_recovery_codes_v1_Rotat" in text and "stytchB2bApi" in text
    assert "did you mean api_b2b_recovery_codes_v1_Rotate" in text
    assert info.value.location.file.endswith("wf.yml") and info.value.location.line == 57
    assert info.value.location.pointer == "/workflows/0/steps/1/operationId"


# -- the command line ---------------------------------------------------------
def test_cli_run_json(sandbox, capsys, monkeypatch):
    monkeypatch.setenv(credential_env_name("basicAuth"), f"{sandbox.project_id}:{sandbox.secret}")
    code = main(
        [
            "run",
            str(SPEC),
            "-w",
            WF,
            "-i",
            f"organization_id={DEFAULT_ORGANIZATION_ID}",
            "-i",
            f"member_id={DEFAULT_MEMBER_ID}",
            "--server",
            sandbox.url,
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "succeeded"
    assert data["outputs"]["newRecoveryCodes"] == sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
    assert [s["stepId"] for s in data["steps"]] == ["getRecoveryCodes", "rotateRecoveryCodes"]
    assert sandbox.secret not in out


def test_cli_failure_exits_1_and_says_why(sandbox, capsys):
    code = main(
        [
            "run",
            str(SPEC),
            "-w",
            WF,
            "--inputs",
            json.dumps(INPUTS),
            "--server",
            sandbox.url,
            "--credential",
            "basicAuth=project-test-x:nope",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "failed" in out and "401" in out and "getRecoveryCodes" in out


def test_cli_invalid_input_exits_2(capsys):
    assert main(["run", str(SPEC), "-w", WF, "-i", "organization_id=o"]) == 2
    assert "member_id" in capsys.readouterr().err


def test_cli_unknown_workflow_exits_2(capsys):
    assert main(["run", str(SPEC), "-w", "nope"]) == 2
    assert "recovery-codes-rotate" in capsys.readouterr().err


def test_cli_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", str(SPEC)])
    assert info.value.code == 2


def test_cli_list(capsys):
    assert main(["list", str(SPEC)]) == 0
    out = capsys.readouterr().out
    assert "recovery-codes-rotate" in out and "organization_id: string (required)" in out
    assert "currentRecoveryCodes" in out


def test_cli_inputs_from_file_and_integer_coercion(tmp_path, capsys):
    from arazzo_runner.cli.app import coerce_input

    assert coerce_input("n", "42", {"type": "integer"}) == 42
    assert coerce_input("n", "42", {"type": "string"}) == "42"
    assert coerce_input("n", "true", {"type": "boolean"}) is True
    from arazzo_runner.cli.app import UsageError

    with pytest.raises(UsageError):
        coerce_input("n", "x", {"type": "integer"})


def test_console_script_entry_point_runs(sandbox):
    env_name = credential_env_name("basicAuth")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "arazzo_runner",
            "run",
            str(SPEC),
            "-w",
            WF,
            "--inputs",
            json.dumps(INPUTS),
            "--server",
            sandbox.url,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", env_name: f"{sandbox.project_id}:{sandbox.secret}"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "succeeded" in proc.stdout and "newRecoveryCodes" in proc.stdout


def test_errors_are_arazzo_errors():
    assert issubclass(InputError, ArazzoError) and issubclass(WorkflowFailed, ArazzoError)


def test_limits_request_timeout_wins_over_timeout_argument(doc):
    from arazzo_runner import Limits

    with LoopbackServer() as server:
        server.script("GET", "/v1/b2b/recovery_codes/{org}/{member}", [Reply(200, body={}, delay=2)])
        result = run_workflow(
            doc, WF, INPUTS, servers=server.url, timeout=30, limits=Limits(max_steps=10, request_timeout=0.2)
        )
        assert "timed out after 0.2s" in result.error.message
        # Limits without a request timeout: the timeout= argument applies.
        result = run_workflow(doc, WF, INPUTS, servers=server.url, timeout=0.2, limits=Limits(max_steps=10))
        assert "timed out after 0.2s" in result.error.message


def test_readme_offline_example_runs_with_made_up_inputs_and_credentials(capsys):
    # README: arazzo-runner run specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml \
    #   -w recovery-codes-rotate --mock
    assert main(["run", str(SPEC), "-w", WF, "--mock"]) == 0
    captured = capsys.readouterr()
    assert "succeeded" in captured.out
    assert "credential 'basicAuth' not given; made up placeholder values" in captured.err
    # From Python nothing is made up unasked; placeholder_credentials does it on request.
    from arazzo_runner.mock import placeholder_credentials

    assert run_workflow(SPEC, WF, INPUTS, mock=True).error.status_code == 401
    credentials, _ = placeholder_credentials(load(SPEC), {})
    result = run_workflow(SPEC, WF, INPUTS, mock=True, credentials=credentials)
    assert result.status == "succeeded", result.error
