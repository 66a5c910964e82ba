"""``arazzo-runner serve --http``: streamable HTTP on 127.0.0.1 (port picked at run time), an optional bearer
token, driven by the ``mcp`` SDK's own client."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox

from tests.serve.session import SERVICE, STYTCH, Received, assert_no_secret, http_server, secret_forms
from tests.support.loopback import LoopbackServer, Reply

from mcp import Client  # isort: skip  (after the session module, which skips without the SDK)
from mcp.client.streamable_http import streamable_http_client  # isort: skip
from mcp.shared._httpx_utils import create_mcp_http_client  # isort: skip

WF = "recovery-codes-rotate"
INPUTS = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}
TOKEN = "mcp-client-token-8d1c2b7e"
API_KEY = "svc-key-5f3a9c0d1e7b"


def client_for(url: str, token: str | None, received: Received) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    transport = streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))
    return Client(transport, message_handler=received.on_message)


def test_reference_workflow_over_http_with_a_bearer_token():
    received = Received()
    with StytchSandbox() as sandbox:
        before = sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
        env = {"ARAZZO_CREDENTIAL_BASICAUTH": f"{sandbox.project_id}:{sandbox.secret}", "MCP_TOKEN": TOKEN}
        args = (str(STYTCH), "--server", sandbox.url, "--token-env", "MCP_TOKEN")
        with http_server(*args, env=env, received=received) as url:
            assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
            # Without the token the HTTP layer refuses, before any MCP session exists.
            refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert refused.status_code == 401
            wrong = httpx.post(url, headers={"Authorization": "Bearer nope"}, json={})
            assert wrong.status_code == 401
            # DNS-rebinding protection: a page on another site cannot reach the local server through the browser.
            authorized = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json, text/event-stream"}
            rebound = httpx.post(url, headers={**authorized, "Host": "evil.example"}, json={})
            assert rebound.status_code == 421
            foreign = httpx.post(url, headers={**authorized, "Origin": "http://evil.example"}, json={})
            assert foreign.status_code == 403

            async def main():
                async with client_for(url, TOKEN, received) as client:
                    tools = received.add(await client.list_tools()).tools
                    result = received.add(await client.call_tool(WF, INPUTS, progress_callback=received.on_progress))
                    return tools, result

            tools, result = asyncio.run(main())
        assert sandbox.requests  # the run reached the API
        after = sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
    assert [tool.name for tool in tools] == [WF, "arazzo_list_workflows", "arazzo_describe_workflow", "arazzo_check"]
    data = result.structured_content
    assert data["status"] == "succeeded"
    assert data["outputs"] == {"currentRecoveryCodes": before, "newRecoveryCodes": after}
    assert received.progress, "progress notifications while the workflow ran"
    assert_no_secret(received.text(), secret_forms(sandbox.secret, TOKEN, user=sandbox.project_id))


def test_cancelling_a_call_over_http_cancels_the_run():
    received = Received()
    with LoopbackServer() as api:
        api.script("GET", "/slow", Reply(status=200, delay=60))
        api.script("GET", "/codes", Reply(body={"codes": ["a", "b"]}))
        env = {"ARAZZO_CREDENTIAL_APIKEY": API_KEY}
        args = (str(SERVICE), "--server", api.url, "--max-concurrent-runs", "1", "--deny", "login")
        with http_server(*args, env=env, received=received) as url:

            async def main():
                async with client_for(url, None, received) as client:
                    call = asyncio.ensure_future(client.call_tool("wait", {}))
                    while not api.requests:
                        await asyncio.sleep(0.02)
                    call.cancel()
                    with pytest.raises(asyncio.CancelledError):
                        await call
                    # The cancellation and this call travel as separate HTTP requests, so the server may see
                    # this one first and refuse it as busy (one run at a time); it must be served soon after.
                    for _ in range(100):
                        result = await client.call_tool("recovery-codes-rotate", {})
                        if not result.is_error:
                            return result
                        assert "runs are in progress" in result.content[0].text
                        await asyncio.sleep(0.05)
                    return result

            after = asyncio.run(main())
    assert after.structured_content["status"] == "succeeded", after.structured_content
    assert after.structured_content["outputs"] == {"codes": ["a", "b"]}
    assert "wait: cancelled" in received.text()
    assert_no_secret(received.text(), secret_forms(API_KEY))
