"""The rules behind the tools, checked in-process: names, schemas, descriptions, Mermaid, results, configuration,
and the fixed tools (list, describe, check) through the SDK's in-process client."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from arazzo_runner import Limits, load
from arazzo_runner.cli.app import main
from arazzo_runner.compile.loader import load_text
from arazzo_runner.engine.redact import Redactor
from arazzo_runner.result import Failure, WorkflowResult
from arazzo_runner.serve import ConfigError, ServeConfig, WorkflowServer
from arazzo_runner.serve.config import read_config_file, read_secret_inputs, secret_input_env_name
from arazzo_runner.serve.tools import (
    MAX_NAME_LENGTH,
    assign_names,
    input_problems,
    mermaid,
    result_payload,
    tool_input_schema,
)
from tests.serve.session import SERVICE, STYTCH
from tests.support.loopback import LoopbackServer, Reply

from mcp import Client  # isort: skip  (after the session module, which skips without the SDK)

SERVICE_OPENAPI = (SERVICE.parent / "service.openapi.yaml").as_uri()


def _doc(workflows: str, name: str = "flows.arazzo.yaml"):
    text = f"""arazzo: 1.0.1
info: {{title: t, version: '1'}}
sourceDescriptions:
  - {{name: service, url: '{SERVICE_OPENAPI}', type: openapi}}
workflows:
{workflows}
"""
    return load_text(text, base_uri=(SERVICE.parent / name).as_uri())


def test_tool_names_are_valid_and_unique():
    first = _doc("  - {workflowId: 'get codes', steps: [{stepId: a, operationId: listCodes}]}\n", "one.arazzo.yaml")
    second = _doc("  - {workflowId: get_codes, steps: [{stepId: a, operationId: listCodes}]}\n", "two.yaml")
    reserved = _doc("  - {workflowId: arazzo_check, steps: [{stepId: a, operationId: listCodes}]}\n", "x.json")
    pairs = [(d, w) for d in (first, second, reserved) for w in d.workflows.values()]
    names = [name for name, _, _ in assign_names(pairs)]
    # 'get codes' becomes 'get_codes' (space is not allowed), which 'two' also has: both take their file's stem.
    assert names == ["one.get_codes", "two.get_codes", "x.arazzo_check"]


def test_a_name_still_taken_gets_a_number_and_names_stay_short():
    long_id = "w" * 200
    doc = _doc(f"  - {{workflowId: {long_id}, steps: [{{stepId: a, operationId: listCodes}}]}}\n")
    again = _doc(f"  - {{workflowId: {long_id}, steps: [{{stepId: a, operationId: listCodes}}]}}\n")
    pairs = [(document, workflow) for document in (doc, again) for workflow in document.workflows.values()]
    names = [name for name, _, _ in assign_names(pairs)]
    # Same id in two files of the same name: the stem does not tell them apart, a number does.
    assert names[0] == f"flows.{long_id}"[:MAX_NAME_LENGTH]
    assert names[1] == f"flows.{long_id}"[: MAX_NAME_LENGTH - 2] + "-2"


def test_input_schema_drops_server_filled_inputs_and_keeps_the_rest():
    workflow = load(SERVICE).workflow("login")
    assert workflow.secret_inputs == frozenset({"password"})
    schema = tool_input_schema(workflow, {"password"})
    assert schema == {"type": "object", "required": ["username"], "properties": {"username": {"type": "string"}}}
    everything = tool_input_schema(workflow, {"password", "username"})
    assert "required" not in everything
    assert everything["properties"] == {}
    assert workflow.inputs_schema["required"] == ["username", "password"]  # the plan itself is untouched


def test_input_problems_name_pointer_and_rule():
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "integer", "minimum": 1}, "b": {"type": "array", "items": {"type": "string"}}},
        "additionalProperties": False,
    }
    problems = input_problems(schema, {"a": 0, "b": ["x", 3], "c": 1})
    assert {"pointer": "/a", "rule": "minimum", "message": "0 is less than the minimum of 1"} in problems
    assert {"pointer": "/b/1", "rule": "type", "message": "3 is not of type 'string'"} in problems
    assert {"pointer": "/c", "rule": "additionalProperties", "message": "unknown input 'c'"} in problems
    assert input_problems(schema, {"a": 2}) == []


def test_mermaid_graph_shows_default_flow_and_actions():
    graph = mermaid(load(SERVICE).workflow("login"))
    assert graph.splitlines()[0] == "flowchart TD"
    assert "start --> s_signIn" in graph
    assert "s_signIn -->|success| finish" in graph
    assert 's_signIn -->|"failure: giveUp"| finish' in graph


def test_result_is_masked_and_explains_the_failure():
    failure = Failure(
        "unhandled_step_failure",
        "step 'signIn' failed: got 401",
        "login",
        step_id="signIn",
        status_code=401,
        criterion="$statusCode == 200",
        response_excerpt='{"echo": "pw-secret-9"}',
    )
    result = WorkflowResult("login", "failed", {"token": "tok pw-secret-9"}, error=failure)
    payload = result_payload(result, Redactor(["pw-secret-9"]))
    assert payload["status"] == "failed"
    assert payload["outputs"] == {"token": "tok ***"}
    assert payload["error"]["responseExcerpt"] == '{"echo": "***"}'
    assert payload["error"]["criterion"] == "$statusCode == 200"
    assert payload["error"]["stepId"] == "signIn"


def test_fixed_tools_list_describe_and_check():
    config = ServeConfig(specs=[str(SERVICE)], mock=True, inputs={"username": "ada"})

    async def main():
        async with Client(WorkflowServer(config).mcp_server()) as client:
            listed = await client.call_tool("arazzo_list_workflows", {})
            described = await client.call_tool("arazzo_describe_workflow", {"tool": "login"})
            unknown = await client.call_tool("arazzo_describe_workflow", {"tool": "nope"})
            checked = await client.call_tool("arazzo_check", {})
            run = await client.call_tool("login", {})
            return listed, described, unknown, checked, run

    listed, described, unknown, checked, run = asyncio.run(main())
    rows = {row["tool"]: row for row in listed.structured_content["workflows"]}
    assert rows["login"]["inputs"] == []
    assert rows["login"]["suppliedByServer"] == ["password", "username"]
    assert rows["recovery-codes-rotate"]["outputs"] == ["codes"]
    description = described.structured_content
    assert description["steps"][0]["operation"] == {
        "source": "service",
        "method": "POST",
        "path": "/login",
        "operationId": "login",
    }
    assert description["mermaid"].startswith("flowchart TD")
    assert unknown.is_error is True
    assert checked.structured_content["documents"][0]["errors"] == 0
    assert run.structured_content["status"] == "succeeded"  # mock: the password is made up, username configured


def test_configuration_file(tmp_path: Path):
    path = tmp_path / "serve.yaml"
    path.write_text(
        "servers: {service: 'http://127.0.0.1:9'}\n"
        "credentials: {basicAuth: {user: u, password: pw-from-file}}\n"
        "secret_inputs: {password: s3cret-pass}\n"
        "deny: [wait]\n"
        "max_steps: 5\n"
        "run_timeout: 2.5\n"
        "max_concurrent_runs: 2\n",
        encoding="utf-8",
    )
    config = ServeConfig()
    read_config_file(str(path), config)
    assert config.servers == ["service=http://127.0.0.1:9"]
    assert config.credentials == {"basicAuth": ("u", "pw-from-file")}
    assert config.limits.max_steps == 5 and config.limits.run_timeout == 2.5
    assert config.max_concurrent_runs == 2
    assert not config.exposes("wait")
    assert "pw-from-file" not in repr(config) and "s3cret-pass" not in repr(config)
    assert config.redactor().mask("x s3cret-pass pw-from-file") == "x *** ***"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("servres: x\n", "unknown setting 'servres'"),
        ("max_steps: -1\n", "'max_steps' must be a positive integer, not -1"),
        ("allow: wait\n", "'allow' must be a list of workflowIds"),
        ("credentials: [a]\n", "'credentials' must be a mapping of names to values"),
    ],
)
def test_configuration_file_mistakes_are_named(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_config_file(str(path), ServeConfig())
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_secret_inputs_come_from_the_environment_never_the_command_line():
    assert secret_input_env_name("api-pass") == "ARAZZO_SECRET_API_PASS"
    assert read_secret_inputs(["password"], {"ARAZZO_SECRET_PASSWORD": "pw"}) == {"password": "pw"}
    with pytest.raises(ConfigError, match="takes an input name, not a value"):
        read_secret_inputs(["password=hunter2"], {})
    with pytest.raises(ConfigError, match="set the environment variable ARAZZO_SECRET_PASSWORD"):
        read_secret_inputs(["password"], {})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--allow", "nope"], "no served document has a workflow 'nope'"),
        (["--credential", "bogus=x"], "credential 'bogus' names no security scheme"),
        (["--server", "nosource=http://127.0.0.1:1"], "no served document has a source named 'nosource'"),
        (["--token-env", "T"], "--token-env applies to --http only"),
        (["--http", "127.0.0.1:99999"], "port 99999 is out of range"),
    ],
)
def test_configuration_mistakes_stop_the_server_with_exit_2(args: list[str], message: str, capsys):
    assert main(["serve", str(STYTCH), *args]) == 2
    assert message in capsys.readouterr().err


def test_configured_inputs_are_read_by_their_schema_type():
    doc = _doc(
        "  - workflowId: paged\n"
        "    inputs: {type: object, required: [limit], properties: {limit: {type: integer}}}\n"
        "    steps: [{stepId: a, operationId: listCodes}]\n"
    )
    server = WorkflowServer(ServeConfig(specs=["x"], inputs={"limit": "25"}, mock=True), documents=[doc])
    assert server.tools["paged"].values == {"limit": 25}
    with pytest.raises(ConfigError, match="--input for workflow 'paged'"):
        WorkflowServer(ServeConfig(specs=["x"], inputs={"limit": "many"}, mock=True), documents=[doc])


def test_an_internal_error_tells_the_agent_nothing_and_the_log_everything_masked(monkeypatch):
    log = io.StringIO()
    config = ServeConfig(specs=[str(SERVICE)], mock=True, credentials={"apiKey": "key-abcdef-123"})
    server = WorkflowServer(config, log=log)

    async def broken(*args, **kwargs):
        raise RuntimeError("exploded near key-abcdef-123")

    monkeypatch.setattr(server, "_execute", broken)
    result = asyncio.run(server.call("wait", {}))
    assert result.is_error is True
    assert result.content[0].text == "internal error while running the workflow; the server log has the details"
    assert "wait: internal error (RuntimeError: exploded near ***)" in log.getvalue()
    assert "key-abcdef-123" not in log.getvalue()
    assert server.active_runs == 0


def test_max_response_bytes_is_the_engine_limit_of_every_run():
    # serve had a transport of its own capping raw bytes; the engine's Limits.max_response_bytes does that job
    # (decoded bytes, every client, --mock included), so the option sets it.
    limited = ServeConfig(specs=[str(SERVICE)], credentials={"apiKey": "key-abcdef-123"}, max_response_bytes=1000)
    limited.limits = Limits(max_steps=7)
    runners = WorkflowServer(limited, log=io.StringIO()).runners.values()
    assert [(runner.limits.max_steps, runner.limits.max_response_bytes) for runner in runners] == [(7, 1000)]
    default = ServeConfig(specs=[str(SERVICE)], credentials={"apiKey": "key-abcdef-123"})
    runners = WorkflowServer(default, log=io.StringIO()).runners.values()
    assert [runner.limits.max_response_bytes for runner in runners] == [Limits().max_response_bytes]


def test_a_run_whose_response_is_too_large_fails_with_the_reason():
    config = ServeConfig(specs=[str(SERVICE)], credentials={"apiKey": "key-abcdef-123"}, max_response_bytes=1000)
    with LoopbackServer() as api:
        api.script("GET", "/codes", Reply(body={"codes": ["c" * 100] * 50}))
        config.servers = [api.url]
        server = WorkflowServer(config, log=io.StringIO())
        result = asyncio.run(server.call("recovery-codes-rotate", {}))
    data = result.structured_content
    assert result.is_error is False
    assert data["status"] == "failed"
    assert data["error"]["stepId"] == "codes"
    # The engine's words since serve uses Limits.max_response_bytes (it had its own message before).
    assert "larger than max_response_bytes (1000 bytes, counted after decompression)" in data["error"]["message"]


def test_progress_names_the_step_of_each_request_from_the_engine_events():
    # Progress comes from the engine's events, which know the step: two steps calling the same operation
    # are each named (matching requests to steps by method and path could name neither).
    doc = _doc(
        "  - workflowId: main\n"
        "    steps:\n"
        "      - {stepId: first, operationId: listCodes}\n"
        "      - {stepId: again, operationId: listCodes}\n"
        "      - {stepId: nested, workflowId: other}\n"
        "  - workflowId: other\n"
        "    steps: [{stepId: pause, operationId: slow}]\n"
    )
    messages: list[tuple[float, str]] = []

    async def progress(done: float, message: str) -> None:
        messages.append((done, message))

    with LoopbackServer() as api:
        api.script("GET", "/codes", [Reply(body={"codes": []}), Reply(body={"codes": []})])
        api.script("GET", "/slow", Reply(status=200))
        config = ServeConfig(specs=[], credentials={"apiKey": "key-abcdef-123"}, servers=[api.url])
        server = WorkflowServer(config, documents=[doc], log=io.StringIO())
        result = asyncio.run(server.call("main", {}, progress))
    assert result.structured_content["status"] == "succeeded", result.structured_content
    assert messages == [
        (0, "workflow main started"),
        (0, "step first: GET /codes"),
        (1, "step first: GET /codes -> 200"),
        (1, "step again: GET /codes"),
        (2, "step again: GET /codes -> 200"),
        (2, "step pause: GET /slow"),
        (3, "step pause: GET /slow -> 200"),
        (4, "workflow main succeeded"),  # the step results: first, again, pause and nested
    ]


def test_a_mock_run_reports_progress_too():
    messages: list[str] = []

    async def progress(done: float, message: str) -> None:
        messages.append(message)

    config = ServeConfig(specs=[str(SERVICE)], mock=True)
    server = WorkflowServer(config, log=io.StringIO())
    result = asyncio.run(server.call("recovery-codes-rotate", {}, progress))
    assert result.structured_content["status"] == "succeeded", result.structured_content
    assert messages == [
        "workflow recovery-codes-rotate started",
        "step codes: GET /codes",
        "step codes: GET /codes -> 200",
        "workflow recovery-codes-rotate succeeded",
    ]


def test_per_call_run_timeout_fails_the_run_and_frees_the_slot():
    config = ServeConfig(
        specs=[str(SERVICE)],
        credentials={"apiKey": "key-abcdef-123"},
        limits=Limits(run_timeout=0.5),
        max_concurrent_runs=1,
    )
    with LoopbackServer() as api:
        api.script("GET", "/slow", Reply(status=200, delay=30))
        config.servers = [api.url]
        server = WorkflowServer(config, log=io.StringIO())
        result = asyncio.run(server.call("wait", {}))
    data = result.structured_content
    assert data["status"] == "failed"
    assert data["error"]["reason"] == "run_timeout", data["error"]
    assert server.active_runs == 0


def test_a_call_beyond_max_concurrent_runs_waits_briefly_then_is_refused():
    config = ServeConfig(specs=[str(SERVICE)], credentials={"apiKey": "key-abcdef-123"}, max_concurrent_runs=1)
    with LoopbackServer() as api:
        api.script("GET", "/slow", Reply(status=200, delay=30))
        api.script("GET", "/codes", Reply(body={"codes": []}))
        config.servers = [api.url]
        server = WorkflowServer(config, log=io.StringIO())
        server.slot_wait = 0.2

        async def main():
            first = asyncio.ensure_future(server.call("wait", {}))
            while not api.requests:
                await asyncio.sleep(0.02)
            refused = await server.call("recovery-codes-rotate", {})
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            return refused, await server.call("recovery-codes-rotate", {})

        refused, served = asyncio.run(main())
    assert refused.is_error is True
    assert "1 workflow runs are in progress, the most this server allows (max_concurrent_runs 1)" in (
        refused.content[0].text
    )
    assert served.structured_content["status"] == "succeeded"
    assert [r.path for r in api.requests] == ["/slow", "/codes"]
