"""A request's httpx URL put together from the parsed server URL is the URL httpx parses from the string."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arazzo_runner.engine import urls
from arazzo_runner.engine.urls import request_url

ROOT = Path(__file__).resolve().parents[2]

BASES = [
    "http://127.0.0.1:9",
    "https://api.example.com/",
    "https://API.Example.COM:443/v1",
    "http://user:p%40ss@example.com:8080/base/path/",
    "http://[::1]:8000/x",
    "https://example.com/a%2Fb/",
    "http://example.com/%7Euser",
]


def _expected(base: str, path: str, query: list[str]) -> httpx.URL:
    text = base.rstrip("/") + path + ("?" + "&".join(query) if query else "")
    return httpx.URL(text)


def _same(built: httpx.URL | str, expected: httpx.URL) -> None:
    url = httpx.URL(built) if isinstance(built, str) else built
    assert url == expected
    assert str(url) == str(expected)
    assert (url.scheme, url.userinfo, url.host, url.port) == (
        expected.scheme,
        expected.userinfo,
        expected.host,
        expected.port,
    )
    assert (url.raw_path, url.query, url.fragment) == (expected.raw_path, expected.query, expected.fragment)


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v1/b2b/recovery_codes/organization-test-1/member-test-2", []),
        ("/items/a%20b/c%2F", ["q=1", "tags=a,b", "x=%C3%A9"]),
        ("/", ["empty="]),
        ("/a:b@c!$&'()*+,;=", ["k=v?w/x"]),
        ("/pets/%2E%2E/x", []),
    ],
)
def test_the_usual_request_is_built_from_its_parts(base: str, path: str, query: list[str]) -> None:
    built = request_url(base, path, query)
    assert isinstance(built, httpx.URL)  # not a string httpx parses again
    _same(built, _expected(base, path, query))


@pytest.mark.parametrize(
    ("base", "path", "query"),
    [
        ("http://example.com", "/a/../b", []),  # a dot segment: httpx removes it
        ("http://example.com", "/a/./b", []),
        ("http://example.com/x/..", "/b", []),
        ("http://example.com", "/caf\u00e9", []),  # not ASCII: httpx percent-encodes it
        ("http://example.com", "/a b", []),
        ("http://example.com", "/a{b}", []),
        ("http://example.com", "/a", ["q=a b"]),
        ("http://example.com", "/a", ["q=#frag"]),  # "#" starts a fragment when parsed
        ("http://example.com?x=1", "/a", []),  # a server URL with a query
        ("http://example.com", "relative", []),
        ("http://example.com", "/" + "a" * 70000, []),  # too long: httpx refuses it
    ],
)
def test_anything_else_is_left_to_httpx_to_parse(base: str, path: str, query: list[str]) -> None:
    built = request_url(base, path, query)
    assert isinstance(built, str)
    assert built == base.rstrip("/") + path + ("?" + "&".join(query) if query else "")


def test_a_server_url_httpx_refuses_is_handed_on_for_httpx_to_name() -> None:
    built = request_url("http://example.com:port", "/a", [])
    assert built == "http://example.com:port/a"
    with pytest.raises(httpx.InvalidURL):
        httpx.URL(built)


_PATH_CHARS = st.lists(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from(["%2F", "%41", "\u00e9", "/", "/..", "/."]),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(BASES),
    path=_PATH_CHARS.map(lambda text: "/" + text),
    query=st.lists(_PATH_CHARS, max_size=3),
)
def test_whichever_way_it_is_built_the_url_is_the_one_httpx_parses(base: str, path: str, query: list[str]) -> None:
    try:
        expected = _expected(base, path, query)
    except httpx.InvalidURL:
        assert isinstance(request_url(base, path, query), str)  # httpx refuses it when the request is built
        return
    _same(request_url(base, path, query), expected)


def test_an_httpx_that_keeps_urls_otherwise_gets_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    class Other:
        def __init__(self, url: str = "") -> None:
            self._uri_reference = ("parsed", url)

    monkeypatch.setattr(urls.httpx, "URL", Other)
    assert urls._supported() is False
    monkeypatch.setattr(urls, "_SUPPORTED", False)
    assert request_url("http://example.com", "/a", []) == "http://example.com/a"


def test_this_httpx_is_supported() -> None:
    assert urls._SUPPORTED is True


def test_a_run_sends_the_url_built_from_its_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from arazzo_runner import Runner, WorkflowResult
    from arazzo_runner.engine import transport

    built: list[httpx.URL | str] = []

    def spy(base_url: str, path: str, query: list[str]) -> httpx.URL | str:
        built.append(request_url(base_url, path, query))
        return built[-1]

    monkeypatch.setattr(transport, "request_url", spy)
    sent: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        return httpx.Response(200, json={"recovery_codes": ["a-b-c"], "status_code": 200, "request_id": "r"})

    spec = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"

    async def run() -> WorkflowResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            runner = Runner(
                servers="http://Example.COM:80/", credentials={"basicAuth": ("project-1", "secret-1")}, client=client
            )
            return await runner.arun(spec, "recovery-codes-rotate", {"organization_id": "org 1", "member_id": "m/2"})

    result = asyncio.run(run())
    assert result.status == "succeeded", result.error
    assert [type(url) for url in built] == [httpx.URL, httpx.URL]
    assert [str(url) for url in sent] == [
        "http://example.com/v1/b2b/recovery_codes/org%201/m%2F2",
        "http://example.com/v1/b2b/recovery_codes/rotate",
    ]
    assert [step.url for step in result.steps] == [str(url) for url in sent]
