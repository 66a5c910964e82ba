"""No form of a secret reaches an output (issue case 6): results, to_dict, reprs, CLI text and --json,
connection errors, and log records at every level, for a password in a server URL's userinfo, a
secret echoed escaped (JSON ``\\/``, HTML and XML entities), and an apiKey in a query string."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from arazzo_runner import Runner, load, run_workflow
from arazzo_runner.cli.app import main
from tests.security.wire import every_output, write
from tests.support.loopback import LoopbackServer, Reply, refused_url

_OPENAPI = """
openapi: 3.0.3
info: {title: m, version: '1'}
servers: [{url: SERVER}]
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: apiKey}
security: [{key: []}]
paths:
  /items:
    get:
      operationId: items
      responses: {'200': {description: ok}}
"""

_ARAZZO = """
arazzo: 1.0.1
info: {title: m, version: '1'}
sourceDescriptions: [{name: m, url: ./m.yaml, type: openapi}]
workflows:
  - workflowId: main
    steps:
      - {stepId: list, operationId: items, successCriteria: [{condition: $statusCode == 200}]}
"""

PASSWORD = "userinfo-pw-31"
KEY = "abc/def&key-77"  # a '/' and a '&', so escaped echoes differ from the raw value


def _spec(tmp_path: Path, server: str = "http://127.0.0.1:9") -> Path:
    write(tmp_path, "m.yaml", _OPENAPI.replace("SERVER", server))
    return write(tmp_path, "arazzo.yaml", _ARAZZO)


def _with_userinfo(url: str) -> str:
    return url.replace("http://", f"http://alice:{PASSWORD}@")


def test_a_password_in_a_server_url_is_masked_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path)
    with LoopbackServer() as server:
        server.script("GET", "/items", Reply(body={}))
        runner = Runner(servers=_with_userinfo(server.url), credentials={"key": "query-key-1"})
        result = runner.run(load(spec), "main")
        assert result.status == "succeeded", result.error
        assert server.requests[0].header("Authorization") is not None  # httpx sends userinfo as basic auth
        assert result.steps[0].url is not None and result.steps[0].url.startswith("http://alice:***@")
        assert PASSWORD not in every_output(result, runner)
        for flag in ([], ["--json"]):
            code = main(["run", str(spec), "-w", "main", "--server", _with_userinfo(server.url), *flag])
            captured = capsys.readouterr()
            assert code == 0, captured.err
            assert PASSWORD not in captured.out + captured.err


def test_a_password_in_a_server_url_is_masked_in_connection_errors(tmp_path: Path) -> None:
    spec = _spec(tmp_path, _with_userinfo(refused_url()))  # in the description this time
    result = run_workflow(load(spec), "main")
    assert result.status == "failed" and result.error is not None
    assert "could not connect" in result.error.message
    assert PASSWORD not in every_output(result)


@pytest.mark.parametrize(
    "echo",
    [
        '{"echo": "abc\\/def&key-77"}',  # JSON with escaped slashes
        "<p>abc/def&amp;key-77</p>",  # HTML entities
        "<v>abc&#47;def&#x26;key-77</v>",  # XML numeric entities
        '{"echo": "abc\\u002fdef\\u0026key-77"}',  # JSON \\u escapes
    ],
)
def test_a_secret_echoed_escaped_is_masked(tmp_path: Path, echo: str) -> None:
    spec = _spec(tmp_path)
    with LoopbackServer() as server:
        server.script("GET", "/items", Reply(status=400, body=echo, headers={"Content-Type": "text/plain"}))
        result = run_workflow(load(spec), "main", servers=server.url, credentials={"key": KEY})
    assert result.status == "failed" and result.error is not None
    assert result.error.response_excerpt is not None and "***" in result.error.response_excerpt
    dumped = every_output(result)
    for form in ("def&key-77", "def&amp;key-77", "def&#x26;key-77", "def\\u0026key-77", "abc\\/def"):
        assert form not in dumped


def test_log_records_at_every_level_carry_no_secret(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = _spec(tmp_path)
    with LoopbackServer() as server, caplog.at_level(logging.DEBUG):
        server.script("GET", "/items", Reply(body={}))
        result = run_workflow(
            load(spec), "main", servers=_with_userinfo(server.url), credentials={"key": "log-query-key-5"}
        )
        assert result.status == "succeeded", result.error
        assert server.requests[0].query == {"apiKey": ["log-query-key-5"]}  # sent on the wire as asked
    text = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    assert "HTTP Request: GET" in text  # httpx did log the request line
    assert "log-query-key-5" not in text and PASSWORD not in text


def test_a_short_userinfo_password_is_kept_out_of_urls_and_connection_errors(tmp_path: Path) -> None:
    # Too short for the redactor (it warns), but a URL is shown without its password anyway.
    spec = _spec(tmp_path, refused_url().replace("http://", "http://al:pw7@"))
    result = run_workflow(load(spec), "main")
    assert result.error is not None and "could not connect" in result.error.message
    assert "al:***@" in result.error.message and ":pw7@" not in every_output(result)
