"""Credentials go only where they are meant to (issue cases 1, 2, 3, 5, 7), asserted on the wire.

Two hosts: one loopback server reached as ``127.0.0.1``, another as ``localhost``.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_runner import Runner, arun_workflow, load, run_workflow
from arazzo_runner.errors import ArazzoError
from tests.security.wire import bearer_api, every_output, localhost_url, wire_text, write
from tests.support.loopback import LoopbackServer, Reply


def _api(folder: Path, name: str, path: str, server: str = "http://127.0.0.1:9") -> None:
    bearer_api(folder, name, path, server=server)


# -- 1. a qualified name identifies exactly one source ----------------------------------------------


def _nested(tmp_path: Path, nested_server: str) -> Path:
    _api(tmp_path, "entry-api", "a")
    _api(tmp_path, "nested-api", "b", nested_server)
    write(
        tmp_path,
        "nested.arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: nested, version: '1'}
        sourceDescriptions: [{name: api, url: ./nested-api.yaml, type: openapi}]
        workflows:
          - workflowId: inner
            steps: [{stepId: b, operationId: get_b, successCriteria: [{condition: $statusCode == 200}]}]
        """,
    )
    return write(
        tmp_path,
        "entry.arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: entry, version: '1'}
        sourceDescriptions:
          - {name: api, url: ./entry-api.yaml, type: openapi}
          - {name: flows, url: ./nested.arazzo.yaml, type: arazzo}
        workflows:
          - workflowId: main
            steps:
              - stepId: a
                operationId: $sourceDescriptions.api.get_a
                successCriteria: [{condition: $statusCode == 200}]
              - {stepId: nested, workflowId: $sourceDescriptions.flows.inner}
        """,
    )


def test_a_source_name_used_by_two_documents_means_the_entry_documents_source_only(tmp_path: Path) -> None:
    # Case 1: `api.bearerAuth` used to go to both hosts, and servers={"api": …} re-pointed both.
    with LoopbackServer() as host_a, LoopbackServer() as host_b:
        host_a.script("GET", "/a", Reply(body={}))
        host_b.script("GET", "/b", Reply(body={}))
        spec = _nested(tmp_path, localhost_url(host_b))
        result = run_workflow(
            load(spec), "main", servers={"api": host_a.url}, credentials={"api.bearerAuth": "entry-token-1"}
        )
        assert result.status == "succeeded", result.error
        assert [r.path for r in host_a.requests] == ["/a"] and [r.path for r in host_b.requests] == ["/b"]
        assert host_a.requests[0].header("Authorization") == "Bearer entry-token-1"
        assert host_b.requests[0].header("Authorization") is None
        assert "entry-token-1" not in wire_text(host_b)


def test_the_nested_source_is_named_by_its_qualified_name(tmp_path: Path) -> None:
    with LoopbackServer() as host_a, LoopbackServer() as host_b:
        host_a.script("GET", "/a", Reply(body={}))
        host_b.script("GET", "/b", Reply(body={}))
        spec = _nested(tmp_path, "http://127.0.0.1:9")
        result = run_workflow(
            load(spec),
            "main",
            servers={"api": host_a.url, "flows.api": localhost_url(host_b)},
            credentials={"api.bearerAuth": "entry-token-2", "flows.api.bearerAuth": "nested-token-2"},
        )
        assert result.status == "succeeded", result.error
        assert host_a.requests[0].header("Authorization") == "Bearer entry-token-2"
        assert host_b.requests[0].header("Authorization") == "Bearer nested-token-2"


def test_a_bare_source_name_two_nested_documents_use_is_refused_with_the_names_to_use(tmp_path: Path) -> None:
    _api(tmp_path, "one-api", "a")
    _api(tmp_path, "two-api", "b")
    for name, api, op in (("one", "one-api", "get_a"), ("two", "two-api", "get_b")):
        write(
            tmp_path,
            f"{name}.arazzo.yaml",
            f"""
            arazzo: 1.0.1
            info: {{title: {name}, version: '1'}}
            sourceDescriptions: [{{name: api, url: ./{api}.yaml, type: openapi}}]
            workflows:
              - workflowId: w
                steps: [{{stepId: s, operationId: {op}}}]
            """,
        )
    spec = write(
        tmp_path,
        "entry.arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: entry, version: '1'}
        sourceDescriptions:
          - {name: one, url: ./one.arazzo.yaml, type: arazzo}
          - {name: two, url: ./two.arazzo.yaml, type: arazzo}
        workflows:
          - workflowId: main
            steps: [{stepId: s, workflowId: $sourceDescriptions.one.w}]
        """,
    )
    doc = load(spec)
    with pytest.raises(ArazzoError, match=r"'api'.*'one\.api', 'two\.api'"):
        run_workflow(doc, "main", credentials={"api.bearerAuth": "tok-amb1"})
    with pytest.raises(ArazzoError, match=r"servers\['api'\].*'one\.api', 'two\.api'"):
        run_workflow(doc, "main", servers={"api": "http://127.0.0.1:9"})


# -- 2. a document cannot forward the caller's credential to another host --------------------------


def forwarding_case(tmp_path: Path, b_server: str) -> Path:
    _api(tmp_path, "a", "login")
    write(
        tmp_path,
        "b.yaml",
        f"""
        openapi: 3.0.3
        info: {{title: b, version: '1'}}
        servers: [{{url: '{b_server}'}}]
        paths:
          /ping:
            get:
              operationId: ping
              parameters: [{{name: v, in: query, schema: {{type: string}}}}]
              responses: {{'200': {{description: ok}}}}
        """,
    )
    return write(
        tmp_path,
        "arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: forward, version: '1'}
        sourceDescriptions:
          - {name: a, url: ./a.yaml, type: openapi}
          - {name: b, url: ./b.yaml, type: openapi}
        workflows:
          - workflowId: main
            steps:
              - stepId: one
                operationId: $sourceDescriptions.a.get_login
                outputs: {auth: $request.header.Authorization}
              - stepId: two
                operationId: $sourceDescriptions.b.ping
                parameters: [{name: v, in: query, value: $steps.one.outputs.auth}]
        """,
    )


def test_a_credential_read_back_is_not_sent_to_another_host(tmp_path: Path) -> None:
    with LoopbackServer() as host_a, LoopbackServer() as host_b:
        host_a.script("GET", "/login", Reply(body={}))
        host_b.script("GET", "/ping", Reply(body={}))
        spec = forwarding_case(tmp_path, localhost_url(host_b))
        result = run_workflow(load(spec), "main", servers={"a": host_a.url}, credentials={"bearerAuth": "fwd-tok-123"})
        assert host_a.requests[0].header("Authorization") == "Bearer fwd-tok-123"
        assert host_b.requests == []  # nothing arrived at the other host
    assert result.status == "failed"
    assert result.error is not None and result.error.step_id == "two"
    message = result.error.message
    assert "query parameter 'v' carries credential 'bearerAuth'" in message
    assert f"it is not sent to {localhost_url(host_b)}" in message
    assert "fwd-tok-123" not in every_output(result)


def test_the_same_host_may_receive_the_credential_back(tmp_path: Path) -> None:
    # The rule is about hosts: the host the credential is scoped to may see it in a parameter.
    with LoopbackServer() as host:
        host.script("GET", "/login", Reply(body={}))
        host.script("GET", "/ping", Reply(body={}))
        spec = forwarding_case(tmp_path, host.url)
        result = run_workflow(load(spec), "main", servers={"a": host.url}, credentials={"bearerAuth": "same-tok-123"})
        assert result.status == "succeeded", result.error
        assert host.requests_to("GET", "/ping")[0].query == {"v": ["Bearer same-tok-123"]}


# -- 3. cross-origin redirects strip every value that carries a secret ------------------------------

_REDIRECT_API = """
openapi: 3.0.3
info: {title: r, version: '1'}
paths:
  /start:
    get:
      operationId: start
      parameters:
        - {name: X-API-Key, in: header, schema: {type: string}}
        - {name: X-Trace, in: header, schema: {type: string}}
      responses: {'200': {description: ok}}
"""

_REDIRECT_FLOW = """
arazzo: 1.0.1
info: {title: redirect, version: '1'}
sourceDescriptions: [{name: r, url: ./r.yaml, type: openapi}]
workflows:
  - workflowId: main
    inputs:
      type: object
      properties: {key: {type: string, format: password}}
    steps:
      - stepId: start
        operationId: start
        parameters:
          - {name: X-API-Key, in: header, value: $inputs.key}
          - {name: X-Trace, in: header, value: trace-1}
        successCriteria: [{condition: $statusCode == 200}]
"""


@pytest.mark.parametrize("cross_origin", [True, False])
def test_a_password_input_in_a_header_is_not_forwarded_on_a_cross_origin_redirect(
    tmp_path: Path, cross_origin: bool
) -> None:
    write(tmp_path, "r.yaml", _REDIRECT_API)
    spec = write(tmp_path, "arazzo.yaml", _REDIRECT_FLOW)
    with LoopbackServer() as host_a, LoopbackServer() as host_b:
        target = (localhost_url(host_b) if cross_origin else host_a.url) + "/landing"
        host_a.script("GET", "/start", Reply(status=307, headers={"Location": target}))
        (host_b if cross_origin else host_a).script("GET", "/landing", Reply(body={}))
        result = run_workflow(load(spec), "main", {"key": "pw-key-98765"}, servers=host_a.url, follow_redirects=True)
        assert result.status == "succeeded", result.error
        landing = (host_b if cross_origin else host_a).requests_to("GET", "/landing")[0]
        assert landing.header("X-Trace") == "trace-1"  # ordinary headers still follow the redirect
        if cross_origin:
            assert landing.header("X-API-Key") is None
            assert "pw-key-98765" not in wire_text(host_b)
        else:
            assert landing.header("X-API-Key") == "pw-key-98765"


# -- 5. a misnamed credential is refused before any request -------------------------------------------


def test_a_misnamed_credential_is_refused_from_python_listing_the_schemes(tmp_path: Path) -> None:
    _api(tmp_path, "a", "login")
    spec = write(
        tmp_path,
        "arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: t, version: '1'}
        sourceDescriptions: [{name: a, url: ./a.yaml, type: openapi}]
        workflows:
          - workflowId: main
            steps: [{stepId: s, operationId: get_login}]
        """,
    )
    with LoopbackServer() as host:
        with pytest.raises(ArazzoError) as caught:
            run_workflow(load(spec), "main", servers=host.url, credentials={"bearer_auth": "tok-misnamed"})
        assert host.requests == []
    message = caught.value.message
    assert "credential 'bearer_auth' names no security scheme" in message
    assert "did you mean 'bearerAuth'?" in message and "the schemes are: bearerAuth" in message
    assert "tok-misnamed" not in str(caught.value)


# -- 7. one OAuth2 token per endpoint, client and scopes for the process ---------------------------


def _oauth(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "o.yaml",
        """
        openapi: 3.0.3
        info: {title: o, version: '1'}
        components:
          securitySchemes:
            cc:
              type: oauth2
              flows: {clientCredentials: {tokenUrl: /token, scopes: {}}}
        security: [{cc: []}]
        paths:
          /r:
            get:
              operationId: r
              responses: {'200': {description: ok}}
        """,
    )
    return write(
        tmp_path,
        "arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: t, version: '1'}
        sourceDescriptions: [{name: o, url: ./o.yaml, type: openapi}]
        workflows:
          - workflowId: main
            steps: [{stepId: s, operationId: r, successCriteria: [{condition: $statusCode == 200}]}]
        """,
    )


_CLIENT = {"cc": {"client_id": "cid", "client_secret": "client-secret-7"}}


def test_two_hundred_calls_sharing_one_client_fetch_one_token(tmp_path: Path) -> None:
    doc = load(_oauth(tmp_path))
    with LoopbackServer() as server:
        server.script("POST", "/token", Reply(body={"access_token": "shared-token-200", "expires_in": 3600}, delay=0.1))
        server.script("GET", "/r", Reply(body={}))

        async def many() -> list[Any]:
            async with httpx.AsyncClient() as client:
                calls = [
                    arun_workflow(doc, "main", servers=server.url, credentials=_CLIENT, client=client)
                    for _ in range(200)
                ]
                return list(await asyncio.gather(*calls))

        results = asyncio.run(many())
        assert {r.status for r in results} == {"succeeded"}
        assert len(server.requests_to("POST", "/token")) == 1
        assert {r.header("Authorization") for r in server.requests_to("GET", "/r")} == {"Bearer shared-token-200"}


def test_twenty_threads_sharing_one_runner_fetch_one_token(tmp_path: Path) -> None:
    doc = load(_oauth(tmp_path))
    with LoopbackServer() as server:
        server.script("POST", "/token", Reply(body={"access_token": "thread-token-20", "expires_in": 3600}, delay=0.1))
        server.script("GET", "/r", Reply(body={}))
        runner = Runner(servers=server.url, credentials=_CLIENT)
        statuses: list[str] = []
        barrier = threading.Barrier(20)

        def one() -> None:
            barrier.wait()
            statuses.append(runner.run(doc, "main").status)

        threads = [threading.Thread(target=one) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == ["succeeded"] * 20
        assert len(server.requests_to("POST", "/token")) == 1


def test_a_caller_with_another_client_secret_fetches_its_own_token(tmp_path: Path) -> None:
    doc = load(_oauth(tmp_path))
    with LoopbackServer() as server:
        server.script("POST", "/token", Reply(body={"access_token": "token-by-secret", "expires_in": 3600}))
        server.script("GET", "/r", Reply(body={}))
        run_workflow(doc, "main", servers=server.url, credentials=_CLIENT)
        other = {"cc": {"client_id": "cid", "client_secret": "another-secret"}}
        run_workflow(doc, "main", servers=server.url, credentials=other)
        assert len(server.requests_to("POST", "/token")) == 2  # a token is never handed to another secret


def test_check_warns_when_an_expression_reads_a_credential_header(tmp_path: Path) -> None:
    from arazzo_runner.checker import check

    spec = forwarding_case(tmp_path, "http://127.0.0.1:9")
    found = [d for d in check(spec) if d.code == "ARZ133"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert "$request.header.Authorization reads the credential step 'one' sends" in found[0].message
    assert found[0].location is not None and found[0].location.line == 12  # the outputs line
    assert found[0].location.pointer == "/workflows/0/steps/0/outputs/auth"


def test_the_command_line_takes_qualified_names_for_nested_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from arazzo_runner.cli.app import main

    monkeypatch.delenv("ARAZZO_CREDENTIAL_BEARERAUTH", raising=False)
    with LoopbackServer() as host_a, LoopbackServer() as host_b:
        host_a.script("GET", "/a", Reply(body={}))
        host_b.script("GET", "/b", Reply(body={}))
        spec = _nested(tmp_path, "http://127.0.0.1:9")
        argv = ["run", str(spec), "-w", "main", "--server", f"api={host_a.url}"]
        argv += ["--server", f"flows.api={localhost_url(host_b)}", "--credential", "flows.api.bearerAuth=cli-nested-1"]
        assert main(argv) == 0, capsys.readouterr().err
        assert host_a.requests[0].header("Authorization") is None
        assert host_b.requests[0].header("Authorization") == "Bearer cli-nested-1"
