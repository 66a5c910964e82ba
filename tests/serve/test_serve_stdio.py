"""``arazzo-runner serve`` over stdio, driven by the ``mcp`` SDK's own client (the server is a subprocess).

The reference workflow runs against the Stytch sandbox on 127.0.0.1; the fixture service
(tests/serve/fixtures) runs against a scripted loopback server. Everything the client
receives, and the server's log, is searched for every form of each credential.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox

from arazzo_runner import load
from tests.serve.session import (
    ROOT,
    SERVICE,
    STYTCH,
    Received,
    assert_no_secret,
    secret_forms,
    stdio_session,
)
from tests.support.loopback import LoopbackServer, Reply, refused_url

WF = "recovery-codes-rotate"
INPUTS = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}
API_KEY = "svc-key-5f3a9c0d1e7b"
PASSWORD = "hunter2-correct-horse"


@pytest.fixture()
def sandbox():
    with StytchSandbox() as sb:
        yield sb


def run(coro):
    return asyncio.run(coro)


def test_tools_are_the_workflows_with_their_input_schemas():
    # REQ: one tool per workflow; input schema = the workflow's inputs schema; fixed tools beside them.
    async def main():
        async with stdio_session(str(STYTCH), "--mock") as client:
            return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in run(main())}
    assert set(tools) == {WF, "arazzo_list_workflows", "arazzo_describe_workflow", "arazzo_check"}
    workflow = load(STYTCH).workflow(WF)
    assert tools[WF].input_schema == dict(workflow.inputs_schema)
    description = tools[WF].description
    assert description.startswith("Fetch a member's recovery codes, then rotate to a new set.")
    assert "- getRecoveryCodes: GET /v1/b2b/recovery_codes/{organization_id}/{member_id}" in description
    assert "- rotateRecoveryCodes: POST /v1/b2b/recovery_codes/rotate (api_b2b_recovery_codes_v1_Rotate)" in description


def test_reference_workflow_runs_against_the_api_and_returns_its_outputs(sandbox):
    before = sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
    received = Received()

    async def main():
        env = {"ARAZZO_CREDENTIAL_BASICAUTH": f"{sandbox.project_id}:{sandbox.secret}"}
        async with stdio_session(str(STYTCH), "--server", sandbox.url, env=env, received=received) as client:
            received.add(await client.list_tools())
            return received.add(await client.call_tool(WF, INPUTS, progress_callback=received.on_progress))

    result = run(main())
    assert result.is_error is False
    data = result.structured_content
    assert data["status"] == "succeeded"
    assert data["outputs"]["currentRecoveryCodes"] == before
    assert data["outputs"]["newRecoveryCodes"] == sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
    assert [step["stepId"] for step in data["steps"]] == ["getRecoveryCodes", "rotateRecoveryCodes"]
    assert json.loads(result.content[0].text) == data  # the same result as text, for clients without structure
    # Progress while it ran: started, each request and its answer, finished.
    messages = [message for _, message in received.progress]
    assert messages[0] == f"workflow {WF} started"
    get = f"GET /v1/b2b/recovery_codes/{DEFAULT_ORGANIZATION_ID}/{DEFAULT_MEMBER_ID}"
    assert messages[1:5] == [
        f"step getRecoveryCodes: {get}",
        f"step getRecoveryCodes: {get} -> 200",
        "step rotateRecoveryCodes: POST /v1/b2b/recovery_codes/rotate",
        "step rotateRecoveryCodes: POST /v1/b2b/recovery_codes/rotate -> 200",
    ]
    assert messages[-1] == f"workflow {WF} succeeded"
    assert len(sandbox.requests) == 2
    assert_no_secret(received.text(), secret_forms(sandbox.secret, user=sandbox.project_id))


def test_missing_input_is_a_tool_error_naming_each_problem_and_sends_nothing(sandbox):
    async def main():
        env = {"ARAZZO_CREDENTIAL_BASICAUTH": f"{sandbox.project_id}:{sandbox.secret}"}
        async with stdio_session(str(STYTCH), "--server", sandbox.url, env=env) as client:
            return await client.call_tool(WF, {"member_id": 7})

    result = run(main())
    assert result.is_error is True
    problems = result.structured_content["problems"]
    missing = {"pointer": "/organization_id", "rule": "required", "message": "input 'organization_id' is required"}
    assert missing in problems
    assert {"pointer": "/member_id", "rule": "type", "message": "7 is not of type 'string'"} in problems
    assert "no request was sent" in result.content[0].text
    assert sandbox.requests == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_mock_mode_runs_offline(mode):
    # The --server points at a port nobody listens on: only an answer from the mock can make it succeed.
    async def main():
        async with stdio_session(str(STYTCH), "--mock", "--server", refused_url(), mode=mode) as client:
            return await client.call_tool(WF, INPUTS)

    data = run(main()).structured_content
    assert data["status"] == "succeeded", data
    assert isinstance(data["outputs"]["newRecoveryCodes"], list)


def test_failed_run_is_a_normal_result_with_the_explanation(sandbox):
    async def main():
        env = {"ARAZZO_CREDENTIAL_BASICAUTH": f"{sandbox.project_id}:wrong-secret-123456"}
        async with stdio_session(str(STYTCH), "--server", sandbox.url, env=env) as client:
            return await client.call_tool(WF, INPUTS)

    result = run(main())
    assert result.is_error is False
    data = result.structured_content
    assert data["status"] == "failed"
    error = data["error"]
    assert error["stepId"] == "getRecoveryCodes"
    assert error["statusCode"] == 401
    assert error["criterion"] == "$statusCode == 200"
    assert "responseExcerpt" in error
    assert "wrong-secret-123456" not in result.model_dump_json()


def test_password_inputs_are_filled_by_the_server_and_never_shown():
    received = Received()
    with LoopbackServer() as api:
        # An API that echoes the password back: the result must still not show it.
        api.script("POST", "/login", Reply(body={"token": f"session-for-{PASSWORD}"}))

        async def main():
            env = {"ARAZZO_CREDENTIAL_APIKEY": API_KEY, "ARAZZO_SECRET_PASSWORD": PASSWORD}
            args = (str(SERVICE), "--server", api.url, "--secret-input", "password")
            async with stdio_session(*args, env=env, received=received) as client:
                tools = {tool.name: tool for tool in received.add(await client.list_tools()).tools}
                result = received.add(await client.call_tool("login", {"username": "ada"}))
                smuggled = received.add(await client.call_tool("login", {"username": "ada", "password": "x"}))
                return tools, result, smuggled

        tools, result, smuggled = run(main())
        sent = api.requests[0]
    schema = tools["login"].input_schema
    assert schema["properties"] == {"username": {"type": "string"}}
    assert schema["required"] == ["username"]
    assert result.structured_content["status"] == "succeeded"
    assert result.structured_content["outputs"]["token"] == "session-for-***"
    assert sent.json() == {"username": "ada", "password": PASSWORD}
    assert sent.header("X-Api-Key") == API_KEY
    assert smuggled.is_error is True  # a tool argument cannot replace what the operator set
    assert len(api.requests) == 1
    assert_no_secret(received.text(), secret_forms(PASSWORD, API_KEY))


def test_a_workflow_whose_secret_input_has_no_value_is_not_served():
    received = Received()

    async def main():
        async with stdio_session(str(SERVICE), "--mock", "--deny", "wait", received=received) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    # --mock makes up the secret input, so the workflow is served there; without --mock it is not.
    assert "login" in run(main())

    async def plain():
        env = {"ARAZZO_CREDENTIAL_APIKEY": API_KEY}
        async with stdio_session(str(SERVICE), "--allow", "login", "wait", env=env, received=received) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    names = run(plain())
    assert "login" not in names
    assert "wait" in names
    assert "recovery-codes-rotate" not in names  # not in --allow
    assert "workflow 'login' is not served: its secret input(s) password have no value" in received.text()


def test_cancelling_a_call_cancels_the_run():
    received = Received()
    with LoopbackServer() as api:
        api.script("GET", "/slow", Reply(status=200, delay=60))
        api.script("POST", "/login", Reply(body={"token": "t-1"}))

        async def main():
            env = {"ARAZZO_CREDENTIAL_APIKEY": API_KEY, "ARAZZO_SECRET_PASSWORD": PASSWORD}
            args = (str(SERVICE), "--server", api.url, "--secret-input", "password", "--max-concurrent-runs", "1")
            async with stdio_session(*args, env=env, received=received) as client:
                call = asyncio.ensure_future(client.call_tool("wait", {}))
                while not api.requests:  # the run is in flight, its request waiting at the API
                    await asyncio.sleep(0.02)
                call.cancel()  # the client gives up: the SDK tells the server the request is cancelled
                with pytest.raises(asyncio.CancelledError):
                    await call
                # Only one run may be in progress: this call is served only if the cancelled run ended.
                return await client.call_tool("login", {"username": "ada"})

        after = run(main())
    assert after.structured_content["status"] == "succeeded", after.structured_content
    assert "wait: cancelled" in received.text()


def test_a_document_that_does_not_load_stops_the_server_with_its_diagnostics():
    broken = ROOT / "tests" / "serve" / "fixtures" / "broken.arazzo.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "serve", str(broken)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "broken.arazzo.yaml:13:22: operationId 'noSuchOperation' is not defined in source 'service'" in done.stderr
    assert done.stdout == ""  # nothing on the protocol channel


def test_workflows_sharing_an_id_get_names_from_their_documents():
    async def main():
        async with stdio_session(str(STYTCH), str(SERVICE), "--mock") as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    names = run(main())
    assert "stytch-b2b-recovery-codes-rotate-workflow.recovery-codes-rotate" in names
    assert "service.recovery-codes-rotate" in names
    assert WF not in names
    assert {"login", "wait"} <= names
