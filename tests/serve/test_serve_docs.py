"""The examples of docs/mcp.md, executed: both client configurations, the configuration file and the
example session (whose printed output must match the page)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, DEFAULT_PROJECT_ID, DEFAULT_SECRET, StytchSandbox

from tests.serve.session import ROOT, Received, assert_no_secret, secret_forms

from mcp import Client  # isort: skip  (after the session module, which skips without the SDK)
from mcp.client.stdio import StdioServerParameters, stdio_client  # isort: skip

PAGE = ROOT / "docs" / "mcp.md"
WF = "recovery-codes-rotate"
SANDBOX_URL = "http://127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), flags=re.S | re.M)


def server_from_client_config(entry: dict, replace: dict[str, str]) -> StdioServerParameters:
    assert entry["command"] == "arazzo-runner"
    args = [replace.get(arg, arg) for arg in entry["args"]]
    env = {"PYTHONPATH": str(ROOT), **entry.get("env", {})}
    return StdioServerParameters(command=sys.executable, args=["-m", "arazzo_runner", *args], cwd=str(ROOT), env=env)


async def _session(server: StdioServerParameters, arguments: dict, received: Received):
    async with Client(stdio_client(server), message_handler=received.on_message) as client:
        tools = received.add(await client.list_tools()).tools
        return tools, received.add(await client.call_tool(WF, arguments))


def test_mock_client_configuration_serves_offline():
    entry = next(iter(json.loads(blocks("json")[0])["mcpServers"].values()))
    assert "--mock" in entry["args"]
    tools, result = asyncio.run(
        _session(server_from_client_config(entry, {}), {"organization_id": "o-1", "member_id": "m-1"}, Received())
    )
    assert tools[0].name == WF
    assert result.structured_content["status"] == "succeeded"


def test_real_api_client_configuration_runs_against_the_sandbox():
    entry = next(iter(json.loads(blocks("json")[1])["mcpServers"].values()))
    assert entry["env"]["ARAZZO_CREDENTIAL_BASICAUTH"] == f"{DEFAULT_PROJECT_ID}:{DEFAULT_SECRET}"
    received = Received()
    with StytchSandbox() as sandbox:
        server = server_from_client_config(entry, {SANDBOX_URL: sandbox.url})
        inputs = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}
        _, result = asyncio.run(_session(server, inputs, received))
        assert result.structured_content["status"] == "succeeded", result.structured_content
        assert len(sandbox.requests) == 2
    assert_no_secret(received.text(), secret_forms(DEFAULT_SECRET, user=DEFAULT_PROJECT_ID))


def test_configuration_file_fills_the_organization(tmp_path: Path):
    (text,) = blocks("yaml")
    assert yaml.safe_load(text)["inputs"] == {"organization_id": DEFAULT_ORGANIZATION_ID}
    received = Received()
    with StytchSandbox() as sandbox:
        config = tmp_path / "serve.yaml"
        config.write_text(text.replace(SANDBOX_URL, sandbox.url), encoding="utf-8")
        spec = "specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml"
        server = StdioServerParameters(
            command=sys.executable,
            args=["-m", "arazzo_runner", "serve", spec, "--config", str(config)],
            cwd=str(ROOT),
            env={"PYTHONPATH": str(ROOT)},
        )
        tools, result = asyncio.run(_session(server, {"member_id": DEFAULT_MEMBER_ID}, received))
        assert tools[0].input_schema["required"] == ["member_id"]
        assert list(tools[0].input_schema["properties"]) == ["member_id"]
        assert result.structured_content["status"] == "succeeded", result.structured_content
        assert sandbox.requests[0].path.startswith(f"/v1/b2b/recovery_codes/{DEFAULT_ORGANIZATION_ID}/")
    assert_no_secret(received.text(), secret_forms(DEFAULT_SECRET, user=DEFAULT_PROJECT_ID))


def test_example_session_prints_what_the_page_shows():
    code = blocks("python")[0]
    (expected,) = blocks("text")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def test_python_example_prints_what_the_page_says():
    code = blocks("python")[1]
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    page = PAGE.read_text(encoding="utf-8")
    assert f"prints `{done.stdout.strip()}`: the organization is the server's." in page
