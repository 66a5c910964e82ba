"""Security from the OpenAPI schemes and requirements, with caller-supplied credentials by scheme name."""

from __future__ import annotations

import asyncio
import base64
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_runner import Runner, load
from arazzo_runner.engine.request import PreparedRequest
from arazzo_runner.engine.security import Credentials, TokenCache, apply_fixed_security, apply_security
from arazzo_runner.errors import ArazzoError, RequestBuildError
from arazzo_runner.openapi.index import load_openapi

SCHEMES = """
openapi: 3.0.3
info: {title: t, version: '1'}
components:
  securitySchemes:
    basic: {type: http, scheme: basic}
    bearer: {type: http, scheme: Bearer}
    digest: {type: http, scheme: Digest}
    hkey: {type: apiKey, in: header, name: X-Key}
    qkey: {type: apiKey, in: query, name: key}
    ckey: {type: apiKey, in: cookie, name: sid}
    cc:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: oauth/token, scopes: {a: a, b: b}}
    abs:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: 'https://auth.example.com/token', scopes: {}}
    code:
      type: oauth2
      flows:
        authorizationCode: {authorizationUrl: /auth, tokenUrl: /token, scopes: {}}
    oidc: {type: openIdConnect, openIdConnectUrl: https://id.example.com/.well-known/openid-configuration}
paths:
%s
"""


def _operation(security: str | None, *, global_security: str | None = None):
    sec = f"\n      security: {security}" if security is not None else ""
    paths = f"""
  /r:
    get:
      operationId: r{sec}
      responses: {{'200': {{description: ok}}}}
"""
    text = SCHEMES % paths
    if global_security is not None:
        text = text.replace("paths:", f"security: {global_security}\npaths:")
    description = load_openapi("https://specs.example.com/openapi.yaml", "openapi.yaml", textwrap.dedent(text))
    return description.operations_by_id["r"]


class _TokenServer:
    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.responses[min(len(self.requests), len(self.responses)) - 1]


def _apply(
    security: str | None,
    creds: dict[str, Any],
    *,
    prepared: PreparedRequest | None = None,
    tokens: TokenCache | None = None,
    transport: Any = None,
    global_security: str | None = None,
) -> PreparedRequest:
    operation = _operation(security, global_security=global_security)
    prepared = prepared or PreparedRequest(method="GET", base_url="https://api.example.com/v1", path="/r")

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport or httpx.MockTransport(_TokenServer())) as client:
            await apply_security(prepared, operation, Credentials(creds), tokens or TokenCache(), client)

    asyncio.run(go())
    return prepared


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_http_basic_from_a_pair_or_a_colon_string() -> None:
    assert _apply("[{basic: []}]", {"basic": ("u", "p:w")}).headers == [("Authorization", _basic("u", "p:w"))]
    assert _apply("[{basic: []}]", {"basic": "u:p"}).headers == [("Authorization", _basic("u", "p"))]


def test_http_bearer_and_other_http_schemes() -> None:
    assert _apply("[{bearer: []}]", {"bearer": "t"}).headers == [("Authorization", "Bearer t")]
    assert _apply("[{digest: []}]", {"digest": "x=1"}).headers == [("Authorization", "Digest x=1")]


def test_api_keys_in_header_query_and_cookie() -> None:
    assert _apply("[{hkey: []}]", {"hkey": "k"}).headers == [("X-Key", "k")]
    prepared = _apply("[{qkey: []}]", {"qkey": "a&b c"})
    assert prepared.query == ["key=a%26b%20c"]
    assert prepared.url == "https://api.example.com/v1/r?key=a%26b%20c"
    assert _apply("[{ckey: []}]", {"ckey": "s1"}).headers == [("Cookie", "sid=s1")]


def test_api_key_cookie_joins_existing_cookies_and_yields_to_an_explicit_one() -> None:
    prepared = PreparedRequest(method="GET", base_url="https://a", path="/r", headers=[("Cookie", "lang=en")])
    assert _apply("[{ckey: []}]", {"ckey": "s1"}, prepared=prepared).headers == [("Cookie", "lang=en; sid=s1")]
    prepared = PreparedRequest(method="GET", base_url="https://a", path="/r", headers=[("Cookie", "sid=mine")])
    assert _apply("[{ckey: []}]", {"ckey": "s1"}, prepared=prepared).headers == [("Cookie", "sid=mine")]


def test_explicit_parameters_win_over_schemes() -> None:
    prepared = PreparedRequest(
        method="GET", base_url="https://a", path="/r", headers=[("authorization", "Token mine")], query=["key=mine"]
    )
    _apply(
        "[{basic: [], qkey: [], cc: []}]",
        {"basic": ("u", "p"), "qkey": "theirs", "cc": {"client_id": "c", "client_secret": "s"}},
        prepared=prepared,
    )
    assert prepared.headers == [("authorization", "Token mine")]
    assert prepared.query == ["key=mine"]


def test_oauth2_and_openid_connect_with_a_supplied_token() -> None:
    assert _apply("[{code: []}]", {"code": "at"}).headers == [("Authorization", "Bearer at")]
    assert _apply("[{oidc: []}]", {"oidc": "it"}).headers == [("Authorization", "Bearer it")]
    assert _apply("[{code: []}]", {"code": {"access_token": "at2"}}).headers == [("Authorization", "Bearer at2")]


def test_alternatives_pick_the_first_fully_supplied_requirement() -> None:
    creds = {"hkey": "k", "basic": ("u", "p"), "qkey": "q"}
    prepared = _apply("[{bearer: [], hkey: []}, {basic: []}, {qkey: []}]", creds)
    assert prepared.headers == [("Authorization", _basic("u", "p"))]
    assert prepared.query == []


def test_empty_requirement_list_sends_nothing_and_anonymous_alternative_still_authenticates() -> None:
    assert _apply("[]", {"basic": ("u", "p")}, global_security="[{basic: []}]").headers == []
    assert _apply("[{}, {bearer: []}]", {"bearer": "t"}).headers == [("Authorization", "Bearer t")]
    assert _apply("[{}, {bearer: []}]", {}).headers == []


def test_document_level_security_applies_when_the_operation_has_none() -> None:
    assert _apply(None, {"hkey": "k"}, global_security="[{hkey: []}]").headers == [("X-Key", "k")]


def test_no_requirement_anywhere_applies_the_supplied_schemes() -> None:
    # The Stytch descriptions declare basicAuth and apply it nowhere.
    assert _apply(None, {"basic": ("u", "p"), "unknown": "x"}).headers == [("Authorization", _basic("u", "p"))]


def test_client_credentials_token_fetched_once_and_cached_until_expiry() -> None:
    now = [1000.0]
    tokens = TokenCache(clock=lambda: now[0])
    server = _TokenServer(
        httpx.Response(200, json={"access_token": "t1", "expires_in": 60}),
        httpx.Response(200, json={"access_token": "t2", "expires_in": 60}),
    )
    transport = httpx.MockTransport(server)
    creds = {"cc": {"client_id": "my id", "client_secret": "s:cret"}}
    first = _apply("[{cc: [a, b]}]", creds, tokens=tokens, transport=transport)
    second = _apply("[{cc: [a, b]}]", creds, tokens=tokens, transport=transport)
    assert first.headers == second.headers == [("Authorization", "Bearer t1")]
    assert len(server.requests) == 1 and tokens.fetches == 1
    token_request = server.requests[0]
    assert str(token_request.url) == "https://api.example.com/v1/oauth/token"  # relative to the server in use
    assert token_request.method == "POST"
    assert token_request.headers["authorization"] == "Basic " + base64.b64encode(b"my id:s:cret").decode()
    assert token_request.content == b"grant_type=client_credentials&scope=a+b"
    now[0] += 56  # within 5 s of expiry: refreshed early
    third = _apply("[{cc: [a, b]}]", creds, tokens=tokens, transport=transport)
    assert third.headers == [("Authorization", "Bearer t2")]
    assert len(server.requests) == 2


def test_tokens_are_cached_per_scope_set_and_token_url() -> None:
    tokens = TokenCache()
    server = _TokenServer(httpx.Response(200, json={"access_token": "t"}))
    transport = httpx.MockTransport(server)
    creds = {"cc": {"client_id": "c", "client_secret": "s"}, "abs": {"client_id": "c", "client_secret": "s"}}
    _apply("[{cc: [a]}]", creds, tokens=tokens, transport=transport)
    _apply("[{cc: [b]}]", creds, tokens=tokens, transport=transport)
    _apply("[{abs: []}]", creds, tokens=tokens, transport=transport)
    _apply("[{abs: []}]", creds, tokens=tokens, transport=transport)
    assert [str(r.url) for r in server.requests] == [
        "https://api.example.com/v1/oauth/token",
        "https://api.example.com/v1/oauth/token",
        "https://auth.example.com/token",
    ]


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(401, json={"error": "invalid_client", "echo": "s3cret-value"}), "answered 401"),
        (httpx.Response(200, text="not json"), "sent no access_token"),
        (httpx.Response(200, json={"token": "x"}), "sent no access_token"),
    ],
)
def test_token_endpoint_failures_name_the_endpoint_not_the_secret(response: httpx.Response, message: str) -> None:
    with pytest.raises(RequestBuildError) as info:
        _apply(
            "[{cc: []}]",
            {"cc": {"client_id": "c", "client_secret": "s3cret-value"}},
            transport=httpx.MockTransport(_TokenServer(response)),
        )
    assert message in info.value.message
    assert "https://api.example.com/v1/oauth/token" in info.value.message
    assert "s3cret-value" not in str(info.value)


def test_token_endpoint_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused s3cret-value", request=request)

    with pytest.raises(RequestBuildError) as info:
        _apply(
            "[{cc: []}]",
            {"cc": {"client_id": "c", "client_secret": "s3cret-value"}},
            transport=httpx.MockTransport(refuse),
        )
    assert "ConnectError" in info.value.message and "s3cret-value" not in str(info.value)


def test_client_credentials_need_a_client_credentials_flow() -> None:
    with pytest.raises(RequestBuildError, match="no clientCredentials flow"):
        _apply("[{code: []}]", {"code": {"client_id": "c", "client_secret": "s"}})


def test_wrongly_shaped_credentials_are_explained_without_their_value() -> None:
    with pytest.raises(ArazzoError) as info:
        _apply("[{basic: []}]", {"basic": "no-colon-secret"})
    assert "username, password" in str(info.value) and "no-colon-secret" not in str(info.value)
    with pytest.raises(ArazzoError) as info:
        _apply("[{bearer: []}]", {"bearer": ["tok-secret"]})
    assert "must be a string" in str(info.value) and "tok-secret" not in str(info.value)


def test_credentials_repr_and_runner_repr_hide_secrets() -> None:
    creds = Credentials(
        {"basic": ("user", "pass-word"), "cc": {"client_id": "cid", "client_secret": "csecret"}, "k": "apikey-1"}
    )
    assert repr(creds) == "Credentials(basic=***, cc=***, k=***)"
    runner = Runner(credentials={"k": "apikey-1"})
    assert "apikey-1" not in repr(runner)
    secrets = creds.secret_strings()
    assert "pass-word" in secrets and "csecret" in secrets and "apikey-1" in secrets
    assert base64.b64encode(b"user:pass-word").decode() in secrets
    assert "cid" not in secrets and "user" not in secrets


def test_a_runner_reuses_its_token_across_runs(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        textwrap.dedent(
            SCHEMES
            % """
  /r:
    get:
      operationId: r
      security: [{cc: []}]
      responses: {'200': {description: ok}}
"""
        ),
        encoding="utf-8",
    )
    (tmp_path / "arazzo.yaml").write_text(
        textwrap.dedent(
            """
            arazzo: 1.0.1
            info: {title: t, version: '1'}
            sourceDescriptions: [{name: api, url: ./openapi.yaml, type: openapi}]
            workflows:
              - workflowId: main
                steps: [{stepId: s, operationId: r, successCriteria: [{condition: $statusCode == 200}]}]
            """
        ),
        encoding="utf-8",
    )
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path} {request.headers.get('authorization', '')}")
        if request.url.path.endswith("/oauth/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(200, json={})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    runner = Runner(
        servers="https://api.test/", credentials={"cc": {"client_id": "c", "client_secret": "s"}}, client=client
    )
    doc = load(tmp_path / "arazzo.yaml")
    assert runner.run(doc, "main").status == "succeeded"
    assert runner.run(doc, "main").status == "succeeded"
    assert seen == [
        "POST /oauth/token " + _basic("c", "s"),
        "GET /r Bearer tok",
        "GET /r Bearer tok",
    ]


def test_prepared_request_repr_shows_no_header_or_query_values() -> None:
    prepared = _apply("[{basic: [], qkey: []}]", {"basic": ("u", "pw-secret"), "qkey": "qk-secret"})
    text = repr(prepared)
    assert "Authorization" in text and "GET /r" in text
    assert "pw-secret" not in text and "qk-secret" not in text and _basic("u", "pw-secret")[6:] not in text


def test_schemes_chosen_once_per_operation_still_apply_and_warn_on_every_request() -> None:
    """The choice of schemes is kept per operation and source for a Credentials object: each request still
    gets its headers and warnings, and another operation or source is worked out for itself."""
    creds = Credentials({"hkey": "k-123456", "api.bearer": "t-abcdef"})
    needs_key = _operation("[{hkey: []}]")
    needs_basic = _operation("[{basic: []}]")
    needs_bearer = _operation("[{bearer: []}]")

    async def send(operation: Any, source: str | None = None) -> PreparedRequest:
        prepared = PreparedRequest(method="GET", base_url="https://api.example.com/v1", path="/r")
        async with httpx.AsyncClient(transport=httpx.MockTransport(_TokenServer())) as client:
            await apply_security(prepared, operation, creds, TokenCache(), client, source=source)
        return prepared

    async def scenario() -> list[tuple[list[tuple[str, Any]], int]]:
        prepared = [
            await send(needs_key),
            await send(needs_basic),
            await send(needs_key),
            await send(needs_basic),
            await send(needs_bearer, "api"),
            await send(needs_bearer, "other"),
            await send(needs_bearer, "api"),
        ]
        return [(p.headers, len(p.warnings)) for p in prepared]

    key, nothing, bearer = [("X-Key", "k-123456")], [], [("Authorization", "Bearer t-abcdef")]
    assert asyncio.run(scenario()) == [
        (key, 0),
        (nothing, 1),
        (key, 0),
        (nothing, 1),
        (bearer, 0),
        (nothing, 1),
        (bearer, 0),
    ]


@pytest.mark.parametrize(
    ("security", "creds", "fixed"),
    [
        ("[{basic: []}]", {"basic": ("user", "pass-word")}, True),
        ("[{bearer: []}, {hkey: []}]", {"hkey": "key-value-1"}, True),
        ("[{basic: [], hkey: []}]", {"basic": "user:pass-word", "hkey": "key-value-1"}, True),
        ("[{qkey: []}]", {"qkey": "key-value-1"}, False),
        ("[{ckey: []}]", {"ckey": "key-value-1"}, False),
        ("[{cc: [a]}]", {"cc": {"client_id": "c", "client_secret": "s3cret-x"}}, False),
        ("[{bearer: []}]", {"bearer": ["not", "a", "string"]}, False),  # the error is raised by apply_security
        ("[{basic: []}]", {}, True),  # no credentials: only the warning
    ],
)
def test_headers_known_in_advance_are_applied_without_a_coroutine(
    security: str, creds: dict[str, Any], fixed: bool
) -> None:
    operation = _operation(security)
    prepared = PreparedRequest(method="GET", base_url="https://api.example.com/v1", path="/r")
    done = apply_fixed_security(prepared, operation, Credentials(creds))
    assert done is fixed
    if not done:  # nothing applied: apply_security does all of it
        assert (prepared.headers, prepared.warnings, prepared.credential_keys) == ([], [], set())
        return
    awaited = PreparedRequest(method="GET", base_url="https://api.example.com/v1", path="/r")
    _apply(security, creds, prepared=awaited)
    assert prepared.headers == awaited.headers
    assert bool(prepared.headers) == bool(creds)
    assert (prepared.warnings, prepared.credential_keys, prepared.security_headers) == (
        awaited.warnings,
        awaited.credential_keys,
        awaited.security_headers,
    )
