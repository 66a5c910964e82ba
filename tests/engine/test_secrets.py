"""Secrets stay secret: credentials go only where they belong, and no secret reaches a message.

Credentials, ``Authorization``, ``Cookie`` and inputs with ``format: password`` never appear in an
error, a step record, a warning or a repr (ARCHITECTURE.md, Invariants); one ``Redactor`` derives
every form a secret takes in text.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from arazzo_runner import NextAction, Runner, load, run_workflow
from arazzo_runner.cli.app import read_credentials
from arazzo_runner.engine.redact import MASK, Redactor
from arazzo_runner.engine.security import Credentials
from arazzo_runner.errors import InputError
from tests.security.wire import bearer_api, one_step_workflow, write
from tests.support.loopback import LoopbackServer, Reply


def _dump(result: Any) -> str:
    return json.dumps(result.to_dict(), default=str)


def _all_warnings(result: Any) -> list[str]:
    return [*result.warnings, *(w for step in result.steps for w in step.warnings)]


# -- 1. a credential goes only to the source it is meant for ---------------------------------------

_TWO_SOURCES = """
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: a, url: ./a.yaml, type: openapi}
  - {name: b, url: ./b.yaml, type: openapi}
workflows:
  - workflowId: main
    steps:
      - {stepId: sa, operationId: $sourceDescriptions.a.get_a, successCriteria: [{condition: $statusCode == 200}]}
      - {stepId: sb, operationId: $sourceDescriptions.b.get_b, successCriteria: [{condition: $statusCode == 200}]}
"""


@pytest.fixture()
def two_sources(tmp_path: Path) -> Path:
    bearer_api(tmp_path, "a", "a")
    bearer_api(tmp_path, "b", "b", required=False)
    return write(tmp_path, "arazzo.yaml", _TWO_SOURCES)


def _run_two_hosts(spec: Path, credentials: dict[str, Any]) -> tuple[Any, str | None, str | None]:
    with LoopbackServer() as host_a, LoopbackServer() as host_b:
        host_a.script("GET", "/a", Reply(body={}))
        host_b.script("GET", "/b", Reply(body={}))
        result = run_workflow(load(spec), "main", servers={"a": host_a.url, "b": host_b.url}, credentials=credentials)
        return result, host_a.requests[0].header("Authorization"), host_b.requests[0].header("Authorization")


def test_a_bare_credential_is_not_sent_to_another_source_defining_a_scheme_of_the_same_name(two_sources: Path) -> None:
    # Both sources define 'bearerAuth' (a requires it): a bare name could belong to either host, so it
    # goes to neither, and each step says which qualified name would send it there.
    result, auth_a, auth_b = _run_two_hosts(two_sources, {"bearerAuth": "A-ONLY-token"})
    assert result.status == "succeeded"
    assert (auth_a, auth_b) == (None, None)
    sa = next(s for s in result.steps if s.step_id == "sa")
    sb = next(s for s in result.steps if s.step_id == "sb")
    assert any("'a.bearerAuth'" in w for w in sa.warnings), sa.warnings
    assert any("'b.bearerAuth'" in w for w in sb.warnings), sb.warnings
    assert "A-ONLY-token" not in _dump(result)


def test_a_qualified_credential_goes_to_its_source_and_wins_over_the_bare_name(two_sources: Path) -> None:
    result, auth_a, auth_b = _run_two_hosts(two_sources, {"a.bearerAuth": "A-token", "b.bearerAuth": "B-token"})
    assert (auth_a, auth_b) == ("Bearer A-token", "Bearer B-token")
    assert not _all_warnings(result)
    # The qualified key wins over the bare one; the bare one is not sent where the name is shared.
    _, auth_a, auth_b = _run_two_hosts(two_sources, {"bearerAuth": "bare-token", "a.bearerAuth": "A-token"})
    assert (auth_a, auth_b) == ("Bearer A-token", None)


def test_a_bare_credential_still_applies_when_one_source_alone_defines_the_scheme(tmp_path: Path) -> None:
    bearer_api(tmp_path, "b", "b", required=False)
    spec = one_step_workflow(tmp_path, "b", "get_b", "sb")
    with LoopbackServer() as server:
        server.script("GET", "/b", Reply(body={}))
        result = run_workflow(load(spec), "main", servers=server.url, credentials={"bearerAuth": "tok-1234"})
        assert result.status == "succeeded"
        assert server.requests[0].header("Authorization") == "Bearer tok-1234"


def test_the_cli_accepts_source_qualified_credential_names(two_sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arazzo_runner.cli.app import UsageError

    monkeypatch.delenv("ARAZZO_CREDENTIAL_BEARERAUTH", raising=False)
    doc = load(two_sources)
    assert read_credentials(["b.bearerAuth=t1", "bearerAuth=t2"], doc) == {"b.bearerAuth": "t1", "bearerAuth": "t2"}
    with pytest.raises(UsageError, match="b.bearerAuth"):
        read_credentials(["c.bearerAuth=t1"], doc)


def test_one_credential_reader_strict_for_run_lenient_for_a_suite(
    two_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `run` refuses a scheme the document does not define; `test` and the pytest plugin pass one list to
    # every document of a suite, so there it belongs to another document. Both read JSON values and the
    # environment the same way (the suite's own copy of this reader used to pass JSON through as text).
    from arazzo_runner.cli.app import UsageError

    monkeypatch.setenv("ARAZZO_CREDENTIAL_BEARERAUTH", "from-env")
    doc = load(two_sources)
    items = ["b.bearerAuth=t1", "otherScheme=x", 'a.bearerAuth={"client_id": "id", "client_secret": "s"}']
    assert read_credentials(items, doc, strict=False) == {
        "bearerAuth": "from-env",
        "b.bearerAuth": "t1",
        "a.bearerAuth": {"client_id": "id", "client_secret": "s"},
    }
    with pytest.raises(UsageError, match="no security scheme 'otherScheme'"):
        read_credentials(items, doc)


# -- 2. every form of a secret is masked -------------------------------------------------------------


def test_the_redactor_masks_a_secret_its_url_encodings_and_a_basic_pair() -> None:
    redactor = Redactor(["a b&c/d+e", ("alice", "pass:word")])
    for form in (
        "a b&c/d+e",
        quote("a b&c/d+e", safe=""),
        quote_plus("a b&c/d+e"),
        "pass:word",
        base64.b64encode(b"alice:pass:word").decode(),
    ):
        assert redactor.mask(f"<{form}>") == f"<{MASK}>", form
    assert redactor.mask("alice") == "alice"  # the user name is not secret
    assert not redactor.unmaskable
    assert not Redactor(["abc"]).add("xyz") and Redactor(["abc"]).unmaskable


def test_a_basic_credential_given_as_user_colon_password_is_masked_in_every_form(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api.yaml",
        """
        openapi: 3.0.3
        info: {title: a, version: '1'}
        components: {securitySchemes: {basicAuth: {type: http, scheme: basic}}}
        security: [{basicAuth: []}]
        paths:
          /a: {get: {operationId: getA, responses: {'200': {description: ok}}}}
        """,
    )
    spec = one_step_workflow(tmp_path, "api", "getA")
    encoded = base64.b64encode(b"alice:secret-pass-123").decode()
    with LoopbackServer() as server:
        server.script(
            "GET",
            "/a",
            lambda req: Reply(status=401, body=f"bad password secret-pass-123 for {req.header('Authorization')}"),
        )
        result = run_workflow(
            load(spec), "main", servers=server.url, credentials={"basicAuth": "alice:secret-pass-123"}
        )
    assert result.status == "failed" and "401" in result.error.message
    text = _dump(result)
    assert "secret-pass-123" not in text and encoded not in text


def test_a_credential_too_short_to_mask_is_warned_about_once(tmp_path: Path) -> None:
    bearer_api(tmp_path, "b", "b", required=False)
    spec = one_step_workflow(tmp_path, "b", "get_b", "sb")
    with LoopbackServer() as server:
        server.script("GET", "/b", Reply(body={}))
        result = run_workflow(load(spec), "main", servers=server.url, credentials={"bearerAuth": "abc"})
    warned = [w for w in result.warnings if "shorter than 4" in w]
    assert len(warned) == 1 and "abc" not in warned[0]


# -- 3. password inputs of every workflow, at any depth ------------------------------------------------

_ECHO_API = """
openapi: 3.0.3
info: {title: echo, version: '1'}
paths:
  /echo:
    get:
      operationId: echo
      parameters: [{name: v, in: query, schema: {type: string}}]
      responses: {'200': {description: ok}}
"""


def _echo_server(server: LoopbackServer) -> None:
    # Fails, echoing the raw query (percent-encoded) and the decoded value.
    server.script("GET", "/echo", lambda req: Reply(status=500, body=f"{req.raw_query} {req.query.get('v')}"))


def test_password_inputs_of_depended_on_and_child_workflows_are_masked(tmp_path: Path) -> None:
    write(tmp_path, "api.yaml", _ECHO_API)
    spec = write(
        tmp_path,
        "arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: t, version: '1'}
        sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
        workflows:
          - workflowId: login
            inputs:
              type: object
              properties: {password: {type: string, format: password}}
            steps:
              - stepId: send
                operationId: echo
                parameters: [{name: v, in: query, value: $inputs.password}]
                successCriteria: [{condition: $statusCode == 200}]
          - workflowId: viaDependsOn
            dependsOn: [login]
            steps: [{stepId: x, operationId: echo, parameters: [{name: v, in: query, value: ok}]}]
          - workflowId: viaStep
            inputs: {type: object, properties: {plain: {type: string}}}
            steps:
              - stepId: child
                workflowId: login
                parameters: [{name: password, value: $inputs.plain}]
        """,
    )
    doc = load(spec)
    with LoopbackServer() as server:
        _echo_server(server)
        first = run_workflow(
            doc, "viaDependsOn", servers=server.url, workflow_inputs={"login": {"password": "hunter2222 &x"}}
        )
        second = run_workflow(doc, "viaStep", {"plain": "sw0rdfish/+1"}, servers=server.url)
    assert first.status == "failed" and second.status == "failed"
    for text, secret in ((_dump(first), "hunter2222 &x"), (_dump(second), "sw0rdfish/+1")):
        for form in (secret, quote(secret, safe=""), quote_plus(secret)):
            assert form not in text, form


def test_nested_password_properties_are_masked_wherever_they_sit(tmp_path: Path) -> None:
    write(tmp_path, "api.yaml", _ECHO_API)
    spec = write(
        tmp_path,
        "arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: t, version: '1'}
        sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
        workflows:
          - workflowId: main
            inputs:
              type: object
              properties:
                account:
                  type: object
                  properties:
                    users:
                      type: array
                      items:
                        allOf:
                          - type: object
                            properties: {secret: {type: string, format: password, minLength: 12}}
            steps:
              - stepId: send
                operationId: echo
                parameters: [{name: v, in: query, value: $inputs.account.users.0.secret}]
                successCriteria: [{condition: $statusCode == 200}]
        """,
    )
    doc = load(spec)
    assert "secret" in doc.workflow("main").secret_inputs
    with LoopbackServer() as server:
        _echo_server(server)
        result = run_workflow(
            doc, "main", {"account": {"users": [{"secret": "deep-secret-value"}]}}, servers=server.url
        )
    assert result.status == "failed"
    assert "deep-secret-value" not in _dump(result)
    # An invalid nested password is not echoed by the input error either.
    with pytest.raises(InputError) as info:
        run_workflow(doc, "main", {"account": {"users": [{"secret": "short-pw"}]}}, servers="http://127.0.0.1:1")
    assert "short-pw" not in str(info.value) and "account/users/0/secret" in str(info.value)
    assert all("short-pw" not in p.message for p in info.value.problems)


def test_an_input_error_about_an_object_holding_a_password_does_not_echo_it(tmp_path: Path) -> None:
    write(tmp_path, "api.yaml", _ECHO_API)
    spec = write(
        tmp_path,
        "arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: t, version: '1'}
        sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
        workflows:
          - workflowId: main
            inputs:
              type: object
              properties:
                login:
                  type: object
                  properties: {pw: {type: string, format: password}}
                  oneOf: [{required: [user]}, {required: [token]}]
            steps: [{stepId: s, operationId: echo}]
        """,
    )
    with pytest.raises(InputError) as info:
        run_workflow(load(spec), "main", {"login": {"pw": "my-hidden-pw"}}, servers="http://127.0.0.1:1")
    assert "my-hidden-pw" not in str(info.value)


def test_a_secret_straddling_the_excerpt_cut_is_masked_whole(tmp_path: Path) -> None:
    bearer_api(tmp_path, "b", "b")
    spec = one_step_workflow(tmp_path, "b", "get_b", "sb")
    token = "tok_SECRETVALUE_abcdefghijklmnop"
    with LoopbackServer() as server:
        server.script("GET", "/b", Reply(status=401, body="x" * 190 + " " + token))
        result = run_workflow(load(spec), "main", servers=server.url, credentials={"bearerAuth": token})
    assert result.error is not None and result.error.response_excerpt is not None
    assert "tok_SE" not in _dump(result)  # not even the part before the cut
    assert MASK in result.error.response_excerpt


def test_the_excerpt_is_masked_before_it_is_cut() -> None:
    import httpx

    from arazzo_runner.engine.redact import Redactor
    from arazzo_runner.engine.views import body_excerpt

    token = "tok_SECRETVALUE_abcdefghijklmnop"
    response = httpx.Response(401, content=("x" * 195 + " " + token).encode())
    # Masked first, the token becomes '***' and fits: no piece of it survives, and nothing is cut.
    assert body_excerpt(response, mask=Redactor([token]).mask) == "x" * 195 + " ***"
    # Cut first (no mask), the excerpt holds the token's first characters: what masking first prevents.
    assert body_excerpt(response).endswith(" tok_…")


# -- 4. every step record goes through the redactor ---------------------------------------------------


def test_the_retry_target_step_record_is_masked_and_complete(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api.yaml",
        """
        openapi: 3.0.3
        info: {title: a, version: '1'}
        components: {securitySchemes: {qkey: {type: apiKey, in: query, name: key}}}
        security: [{qkey: []}]
        paths:
          /pre: {get: {operationId: pre, responses: {'200': {description: ok}}}}
          /main: {get: {operationId: main, responses: {'200': {description: ok}}}}
        """,
    )
    spec = write(
        tmp_path,
        "arazzo.yaml",
        """
        arazzo: 1.0.1
        info: {title: t, version: '1'}
        sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
        workflows:
          - workflowId: main
            steps:
              - {stepId: pre, operationId: pre}
              - stepId: work
                operationId: main
                successCriteria: [{condition: $statusCode == 200}]
                onFailure: [{name: again, type: retry, stepId: pre, retryLimit: 1}]
        """,
    )
    with LoopbackServer() as server:
        server.script("GET", "/pre", Reply(status=503, body="no"))
        server.script("GET", "/main", [Reply(status=500), Reply(status=200)])
        result = run_workflow(
            load(spec), "main", servers=server.url, credentials={"qkey": "q-key/secret 1"}, sleep=_no_sleep
        )
    assert result.status == "succeeded"
    assert [s.step_id for s in result.steps] == ["pre", "work", "pre", "work"]
    retried_pre = result.steps[2]
    assert retried_pre.next_action == NextAction("back", "work")
    assert retried_pre.url is not None and MASK in retried_pre.url and retried_pre.duration > 0
    assert "q-key" not in _dump(result)


async def _no_sleep(delay: float) -> None:
    return None


# -- 5. concurrent runs sharing a Runner fetch one token -------------------------------------------------


def test_concurrent_runs_sharing_a_runner_fetch_the_token_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api.yaml",
        """
        openapi: 3.0.3
        info: {title: a, version: '1'}
        components:
          securitySchemes:
            cc: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {}}}}
        security: [{cc: []}]
        paths:
          /r: {get: {operationId: r, responses: {'200': {description: ok}}}}
        """,
    )
    spec = one_step_workflow(tmp_path, "api", "r")
    doc = load(spec)
    with LoopbackServer() as server:
        server.script("POST", "/token", Reply(body={"access_token": "fetched-token-1", "expires_in": 3600}, delay=0.2))
        server.script("GET", "/r", Reply(body={}))
        runner = Runner(servers=server.url, credentials={"cc": {"client_id": "cid", "client_secret": "csecret"}})

        async def both() -> list[Any]:
            return list(await asyncio.gather(runner.arun(doc, "main"), runner.arun(doc, "main")))

        results = asyncio.run(both())
        assert [r.status for r in results] == ["succeeded", "succeeded"]
        assert len(server.requests_to("POST", "/token")) == 1
        assert [r.header("Authorization") for r in server.requests_to("GET", "/r")] == ["Bearer fetched-token-1"] * 2
        # Later runs on other event loops (each sync run starts one) still work with the lock table kept.
        assert runner.run(doc, "main").status == "succeeded"
        assert asyncio.run(both())[1].status == "succeeded"
        assert runner.tokens.fetches == 1


def test_credentials_list_raw_secrets_and_repr_hides_them() -> None:
    creds = Credentials({"basic": "alice:pw-secret", "b.tok": "tok-secret"})
    assert ("alice", "pw-secret") in creds.secrets() and "alice:pw-secret" in creds.secrets()
    strings = creds.secret_strings()
    assert "pw-secret" in strings and base64.b64encode(b"alice:pw-secret").decode() in strings
    assert "alice" not in strings
    assert "secret" not in repr(creds)


def test_the_token_lock_is_per_event_loop() -> None:
    import httpx

    from arazzo_runner.engine.security import TokenCache

    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)
        return httpx.Response(200, json={"access_token": "t-1234", "expires_in": 0})  # expired at once

    cache = TokenCache()
    creds = {"client_id": "c", "client_secret": "s"}

    async def contended() -> list[str]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(slow_token)) as client:
            return list(await asyncio.gather(*(cache.token(client, "https://a/token", creds, []) for _ in range(2))))

    # The same key contended on two event loops (two sync runs of one Runner): no "bound to a different loop".
    assert asyncio.run(contended()) == ["t-1234", "t-1234"]
    assert asyncio.run(contended()) == ["t-1234", "t-1234"]
    # Changed on purpose (token cache per process): a request waiting for a concurrent fetch takes its
    # result instead of fetching again, so each loop fetches once even though the token expires at once.
    assert cache.fetches == 2


def test_a_secret_cut_short_by_a_message_is_still_masked() -> None:
    from arazzo_runner.engine.redact import Redactor

    redactor = Redactor(["tok_SECRET_0123456789"])
    assert redactor.mask('body: {"token": "tok_SECRE…') == 'body: {"token": "***…'
    assert redactor.mask("short tok… stays") == "short tok… stays"  # under 4 characters: not a secret's beginning
    assert redactor.mask("a whole tok_SECRET_0123456789 and a cut tok_SEC…") == "a whole *** and a cut ***…"


def test_criteria_explanations_mark_cuts_the_redactor_understands() -> None:
    from arazzo_runner.engine.redact import Redactor
    from arazzo_runner.language.criteria import compile_criterion
    from arazzo_runner.language.expressions import EvalContext, HttpView

    secret = "sk_live_" + "x" * 200
    ctx = EvalContext(status_code=200, response=HttpView(body={"token": secret}, body_kind="json"))
    verdict = compile_criterion("$response.body#/token == 'nope'").evaluate(ctx)
    assert not verdict.passed and "…" in verdict.explanation
    masked = Redactor([secret]).mask(verdict.explanation)
    assert "sk_live_" not in masked
