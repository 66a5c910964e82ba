"""Odd input never ends in a Python traceback: odd server responses, odd documents, bad arguments."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import load, run_workflow
from arazzo_runner.cli.app import main
from arazzo_runner.engine.views import parse_body
from arazzo_runner.errors import ArazzoError, DocumentError
from arazzo_runner.openapi.index import load_openapi, security_requirements
from arazzo_runner.sources.yamlsource import MAX_NODES, parse_document, parse_fast
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
%(servers)s
paths:
  /r:
    %(method)s:
      operationId: r
      responses: {'200': {description: ok}}
"""

ARAZZO = """\
arazzo: 1.0.0
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: r
        successCriteria: %(criteria)s
        outputs: %(outputs)s
    outputs: %(wf_outputs)s
"""


def _write(
    tmp_path: Path,
    *,
    server: str | None = None,
    servers_yaml: str | None = None,
    method: str = "get",
    criteria: str = "[{condition: $statusCode == 200}]",
    outputs: str = "{}",
    wf_outputs: str = "{}",
) -> Path:
    if servers_yaml is None:
        servers_yaml = f"servers: [{{url: '{server}'}}]" if server else ""
    (tmp_path / "openapi.yaml").write_text(OPENAPI % {"servers": servers_yaml, "method": method})
    spec = tmp_path / "arazzo.yaml"
    spec.write_text(ARAZZO % {"criteria": criteria, "outputs": outputs, "wf_outputs": wf_outputs})
    return spec


@pytest.fixture
def server() -> Any:
    with LoopbackServer() as srv:
        yield srv


# -- 1. odd server responses ------------------------------------------------------------------------


def test_unknown_charset_falls_back_to_utf8(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(200, {"Content-Type": "application/json; charset=bogus"}, '{"a": "é"}'))
    spec = _write(tmp_path, server=server.url, outputs="{a: $response.body#/a}")
    result = run_workflow(spec, "w")
    assert result.status == "succeeded", result.error
    assert result.steps[0].outputs == {"a": "é"}
    assert parse_body(b"hi", "text/plain; charset=bogus") == ("hi", "text")
    assert parse_body(b"hi", "text/plain; charset=rot13") == ("hi", "text")  # a codec, not a text encoding


def test_json_nested_too_deeply_is_kept_as_text(server: LoopbackServer, tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    server.script("GET", "/r", Reply(200, {"Content-Type": "application/json"}, deep))
    spec = _write(
        tmp_path,
        server=server.url,
        criteria="[{condition: $statusCode == 200}, {context: $response.body, condition: '^\\[\\[\\[', type: regex}]",
        outputs="{kind: $response.body}",
    )
    result = run_workflow(spec, "w")
    assert result.status == "succeeded", result.error
    assert result.steps[0].outputs["kind"] == deep
    assert parse_body(deep.encode(), "application/json") == (deep, "text")


def test_204_with_json_content_type(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(204, {"Content-Type": "application/json"}))
    spec = _write(
        tmp_path, server=server.url, criteria="[{condition: $statusCode == 204}]", outputs="{body: $response.body}"
    )
    result = run_workflow(spec, "w")
    assert result.status == "succeeded", result.error
    assert result.steps[0].outputs.get("body") is None


def test_302_is_not_followed(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(302, {"Location": "/elsewhere"}))
    spec = _write(
        tmp_path,
        server=server.url,
        criteria="[{condition: $statusCode == 302}]",
        outputs="{where: $response.header.Location}",
    )
    result = run_workflow(spec, "w")
    assert result.status == "succeeded", result.error
    assert result.steps[0].outputs == {"where": "/elsewhere"}
    assert server.requests_to("GET", "/elsewhere") == []


def test_invalid_json_with_json_content_type_is_text(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(200, {"Content-Type": "application/json"}, "not json {"))
    spec = _write(
        tmp_path,
        server=server.url,
        criteria="[{condition: $statusCode == 200}, {condition: \"$response.body == 'not json {'\"}]",
    )
    result = run_workflow(spec, "w")
    assert result.status == "succeeded", result.error


def test_non_utf8_json(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(200, {"Content-Type": "application/json"}, b'{"a": "\xff"}'))
    spec = _write(tmp_path, server=server.url, outputs="{a: $response.body#/a}")
    result = run_workflow(spec, "w")
    assert result.status == "succeeded", result.error
    assert result.steps[0].outputs == {"a": "\ufffd"}
    assert parse_body('{"a": "é"}'.encode("latin-1"), "application/json; charset=latin-1") == ({"a": "é"}, "json")


def test_head_response(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("HEAD", "/r", Reply(200, {"Content-Type": "application/json"}, {"would": "be here"}))
    spec = _write(
        tmp_path,
        server=server.url,
        method="head",
        outputs="{type: $response.header.Content-Type, body: $response.body}",
    )
    result = run_workflow(spec, "w")
    assert result.status == "succeeded", result.error
    assert result.steps[0].outputs["type"] == "application/json"
    assert result.steps[0].outputs.get("body") is None


# -- 2. odd document shapes ------------------------------------------------------------------------


def test_recursive_yaml_alias_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="recursive YAML alias") as info:
        parse_document("arazzo: 1.0.0\na: &x [*x]\n", "doc.yaml")
    assert info.value.location is not None and info.value.location.line == 2
    spec = tmp_path / "arazzo.yaml"
    spec.write_text("arazzo: 1.0.0\nx: &x {y: *x}\n")
    with pytest.raises(DocumentError, match="recursive YAML alias"):
        load(spec)


def test_repeated_non_recursive_alias_is_fine() -> None:
    data, _ = parse_document("a: &x [1, 2]\nb: [*x, *x]\n", "doc.yaml")
    assert data == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


def test_billion_laughs_is_rejected() -> None:
    """Ten million nodes by aliases: refused at the node limit. How fast is measured in
    benchmarks/bench_hostile.py; the memory it may use is bounded in tests/hostile/test_documents.py."""
    assert MAX_NODES == 1_000_000
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        prev = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([prev] * 10)}]")
    with pytest.raises(DocumentError, match="alias bomb"):
        parse_document("\n".join(lines) + "\n", "bomb.yaml")


@pytest.mark.parametrize("depth", [900, 100_000])
def test_deeply_nested_arazzo_document_is_a_document_error(depth: int) -> None:
    # libyaml itself stops at 1000 levels; below that the builder must not hit the recursion limit.
    text = "a: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(DocumentError, match="nested too deeply|maximum nesting depth") as info:
        parse_document(text, "deep.yaml")
    assert info.value.location is not None and info.value.location.line == 1
    block = "a:\n" + "".join("  " * i + "- \n" for i in range(900))
    with pytest.raises(DocumentError, match="nested too deeply"):
        parse_document(block, "deep.yaml")


def test_openapi_json_nested_too_deeply() -> None:
    text = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(ArazzoError, match="nested too deeply") as info:
        parse_fast(text, "deep.json")
    assert "deep.json" in str(info.value)
    with pytest.raises(ArazzoError, match="nested too deeply"):
        parse_fast("a: " + "[" * 900 + "]" * 900 + "\n", "deep.yaml")


def test_security_scopes_must_be_lists_of_strings() -> None:
    assert security_requirements([{"basicAuth": 1}]) == ({"basicAuth": ()},)
    assert security_requirements([{"basicAuth": "read"}]) == ({"basicAuth": ()},)
    assert security_requirements([{"o": ["read", "write"]}, {"p": None}]) == ({"o": ("read", "write")}, {"p": ()})
    assert security_requirements([{"o": ["read", 3]}]) == ({"o": ()},)
    text = OPENAPI % {"servers": "security: [{basicAuth: 1}]", "method": "get"}
    description = load_openapi("https://x.example/openapi.yaml", "openapi.yaml", text)
    assert description.operations[0].security == ({"basicAuth": ()},)


@pytest.mark.parametrize(
    "components", ["components: 1", "components: {securitySchemes: 1}", "components: {securitySchemes: [a]}"]
)
def test_odd_components_mean_no_security_schemes(components: str) -> None:
    text = OPENAPI % {"servers": components, "method": "get"}
    description = load_openapi("https://x.example/openapi.yaml", "openapi.yaml", text)
    assert description.security_schemes() == {}


def test_components_not_a_mapping_does_not_crash_a_run(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(200, body={}))
    spec = _write(tmp_path, servers_yaml=f"servers: [{{url: '{server.url}'}}]\ncomponents: 1")
    assert run_workflow(spec, "w").status == "succeeded"


def test_check_with_a_list_as_workflow_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, server="http://127.0.0.1:1")
    spec = tmp_path / "arazzo.yaml"
    spec.write_text(spec.read_text().replace("workflowId: w", "workflowId: []"))
    code = main(["check", str(spec)])
    out = capsys.readouterr()
    assert code in (1, 2)
    assert "Traceback" not in out.out + out.err
    assert "workflowId" in out.out + out.err


# -- 3. bad CLI arguments and URLs -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "abc"])
def test_timeout_must_be_positive_and_finite(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _write(tmp_path, server="http://127.0.0.1:1")
    with pytest.raises(SystemExit) as info:
        main(["run", str(spec), "-w", "w", "--timeout", value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and value in err


@pytest.mark.parametrize("value", ["http://[::1", "notaurl", "ftp://x", "http://", "api=notaurl", "api=http://[::1"])
def test_bad_server_argument(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _write(tmp_path, server="http://127.0.0.1:1")
    assert main(["run", str(spec), "-w", "w", "--server", value]) == 2
    err = capsys.readouterr().err
    assert "--server" in err and repr(value.partition("=")[2] if value.startswith("api=") else value) in err
    assert "Traceback" not in err


def test_good_server_arguments(tmp_path: Path) -> None:
    from arazzo_runner.cli.app import read_servers

    document = load(_write(tmp_path, server="http://127.0.0.1:1"))
    assert read_servers(["https://h.example:8443/v1"], document) == "https://h.example:8443/v1"
    assert read_servers(["api=http://[::1]:80"], document) == {"api": "http://[::1]:80"}


def test_bad_server_url_in_document_fails_the_step(tmp_path: Path) -> None:
    spec = _write(tmp_path, server="http://[::1")
    result = run_workflow(spec, "w")
    assert result.status == "failed"
    assert result.error is not None and result.error.reason == "request_error"
    assert "http://[::1" in result.error.message


def test_bad_server_url_given_as_argument_is_refused_before_any_request(tmp_path: Path) -> None:
    from arazzo_runner import ArazzoError

    spec = _write(tmp_path, server="http://127.0.0.1:1")
    for servers, expected in (
        ("http://example.com:x", "not a valid URL"),
        ("localhost:1", "is not an http:// or https:// URL"),
        ("ftp://x", "is not an http:// or https:// URL"),
        ("http://", "is not an http:// or https:// URL"),
        ({"nosuch": "http://x"}, "names source 'nosuch'"),
    ):
        with pytest.raises(ArazzoError) as info:
            run_workflow(spec, "w", servers=servers)
        assert expected in str(info.value), servers
        with pytest.raises(ArazzoError):
            run_workflow(spec, "w", servers=servers, mock=True)


def test_a_basic_credential_of_the_wrong_shape_is_refused_before_any_request(tmp_path: Path) -> None:
    from arazzo_runner import ArazzoError
    from arazzo_runner.cli.app import main as cli_main

    spec = Path(__file__).resolve().parents[2] / "specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml"
    inputs = {"organization_id": "o", "member_id": "m"}
    with pytest.raises(ArazzoError) as info:
        run_workflow(
            spec, "recovery-codes-rotate", inputs, servers="http://127.0.0.1:1", credentials={"basicAuth": "x"}
        )
    assert "HTTP basic" in str(info.value) and "'username:password'" in str(info.value)
    code = cli_main(
        [
            "run",
            str(spec),
            "-w",
            "recovery-codes-rotate",
            "--inputs",
            json.dumps(inputs),
            "--server",
            "http://127.0.0.1:1",
            "--credential",
            "basicAuth=x",
        ]
    )
    assert code == 2


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_mock_port_out_of_range(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["mock", "openapi.yaml", "--port", port])
    assert info.value.code == 2
    assert "--port" in capsys.readouterr().err


# -- 4. server variables without a default -------------------------------------------------------------


def test_server_variable_without_default_fails_before_sending(tmp_path: Path) -> None:
    spec = _write(tmp_path, server="http://{host}:8765")
    result = run_workflow(spec, "w")
    assert result.status == "failed"
    assert result.error is not None and result.error.reason == "request_error"
    assert (
        "server URL 'http://{host}:8765' of source 'api' has variable 'host' without a default; pass servers="
        in result.error.message
    )
    assert result.steps[0].method is None  # nothing was sent


def test_server_variable_without_default_is_fine_with_the_mock(tmp_path: Path) -> None:
    spec = _write(tmp_path, server="http://{host}:8765")
    assert run_workflow(spec, "w", mock=True).status == "succeeded"


def test_server_variable_with_default_is_filled(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(200, body={}))
    servers = f"servers: [{{url: 'http://{{host}}:{server.port}', variables: {{host: {{default: 127.0.0.1}}}}}}]"
    spec = _write(tmp_path, servers_yaml=servers)
    assert run_workflow(spec, "w").status == "succeeded"


def test_server_variable_without_default_is_fine_with_servers_given(server: LoopbackServer, tmp_path: Path) -> None:
    server.script("GET", "/r", Reply(200, body={}))
    spec = _write(tmp_path, server="http://{host}:8765")
    assert run_workflow(spec, "w", servers={"api": server.url}).status == "succeeded"


# -- 5. Retry-After as an HTTP date ------------------------------------------------------------------


@pytest.fixture
def local_time_not_utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Local time five hours behind UTC, so reading a UTC date as local time shows."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available")
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("zone", ["-0000", "GMT", "+0000"])
def test_retry_after_date_is_utc(zone: str, server: LoopbackServer, tmp_path: Path, local_time_not_utc: None) -> None:
    now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    server.script(
        "GET",
        "/r",
        [
            Reply(503, {"Retry-After": f"Tue, 14 Nov 2023 22:13:30 {zone}"}),
            Reply(200, body={}),
        ],
    )
    spec = _write(tmp_path, server=server.url)
    text = spec.read_text().replace(
        "        outputs: {}\n",
        "        outputs: {}\n        onFailure: [{name: again, type: retry, retryLimit: 1}]\n",
    )
    spec.write_text(text)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = run_workflow(spec, "w", sleep=sleep, clock=lambda: now)
    assert result.status == "succeeded", result.error
    assert slept == [10.0]


# -- 6. --json prints valid JSON ------------------------------------------------------------------------


def test_json_output_with_nan_and_bytes(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script("GET", "/r", Reply(200, {"Content-Type": "application/json"}, '{"n": NaN, "i": -Infinity}'))
    spec = _write(
        tmp_path,
        server=server.url,
        outputs="{n: $response.body#/n, i: $response.body#/i, b: $response.body}",
        wf_outputs="{n: $steps.s.outputs.n}",
    )
    assert main(["run", str(spec), "-w", "w", "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert data["outputs"] == {"n": "NaN"}
    assert data["steps"][0]["outputs"]["i"] == "-Infinity"

    from arazzo_runner.cli.app import jsonable

    assert jsonable({"b": b"\x00\xff", "f": [math.inf], "t": (1, 2.5)}) == {
        "b": {"base64": "AP8="},
        "f": ["Infinity"],
        "t": [1, 2.5],
    }


def test_json_output_with_binary_body(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script("GET", "/r", Reply(200, {"Content-Type": "application/octet-stream"}, b"\x00\xff"))
    spec = _write(tmp_path, server=server.url, outputs="{b: $response.body}", wf_outputs="{b: $steps.s.outputs.b}")
    assert main(["run", str(spec), "-w", "w", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outputs"] == {"b": {"base64": "AP8="}}


# -- 7. a directory as SPEC -------------------------------------------------------------------------------


def test_directory_as_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", ".", "-w", "w"]) == 2
    err = capsys.readouterr().err
    assert "'.' is a directory; give the path of an Arazzo document (.yaml/.yml/.json)" in err


# -- 8. http(s) sources ------------------------------------------------------------------------------------


def test_url_credentials_are_not_echoed(server: LoopbackServer) -> None:
    from arazzo_runner.sources.fetch import read_url

    url = f"http://user:s3cret@127.0.0.1:{server.port}/missing.yaml"
    with pytest.raises(ArazzoError) as info:
        read_url(url)
    text = str(info.value)
    assert "s3cret" not in text and "user:" not in text
    assert "HTTP 404" in text and "/missing.yaml" in text


def test_url_credentials_are_not_echoed_on_connect_error() -> None:
    from arazzo_runner.sources.fetch import read_url
    from tests.support.loopback import refused_url

    url = refused_url().replace("http://", "http://user:s3cret@") + "/a.yaml"
    with pytest.raises(ArazzoError) as info:
        read_url(url)
    assert "s3cret" not in str(info.value)


def test_http_document_size_is_limited_while_streaming(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from arazzo_runner.sources import fetch

    monkeypatch.setattr(fetch, "MAX_DOCUMENT_BYTES", 1000)
    server.script("GET", "/big.yaml", Reply(200, {"Content-Type": "text/yaml"}, "x" * 5000))
    server.script("GET", "/ok.yaml", Reply(200, {"Content-Type": "text/yaml"}, "a: 1\n"))
    with pytest.raises(ArazzoError, match="larger than 1000 bytes"):
        fetch.read_url(f"{server.url}/big.yaml")
    assert fetch.read_url(f"{server.url}/ok.yaml") == "a: 1\n"


def test_endless_http_document_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunked body with no end: the read stops once it passes the limit instead of buffering it all."""
    import socket
    import threading

    from arazzo_runner.sources import fetch

    monkeypatch.setattr(fetch, "MAX_DOCUMENT_BYTES", 10_000)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    sent = [0]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(10)
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/yaml\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 1000
            try:
                while sent[0] < 50_000_000:  # gives up long before this if the client keeps reading
                    conn.sendall(b"3e8\r\n" + chunk + b"\r\n")
                    sent[0] += len(chunk)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(ArazzoError, match="larger than 10000 bytes"):
            fetch.read_url(f"http://127.0.0.1:{listener.getsockname()[1]}/endless.yaml")
        thread.join(timeout=20)
    finally:
        listener.close()
    assert not thread.is_alive()
    assert sent[0] < 50_000_000


def test_invalid_url_with_credentials_is_reported_masked() -> None:
    from arazzo_runner.sources.fetch import display_name, read_url

    assert display_name("https://u:s3cret@h.example:8/a?b=c") == "https://***@h.example:8/a?b=c"
    assert display_name("https://h.example/a@b") == "https://h.example/a@b"
    assert display_name("http://u:s3cret@[::1/x.yaml") == "http://***@[::1/x.yaml"
    with pytest.raises(ArazzoError, match="not a valid URL") as info:
        read_url("http://u:s3cret@[::1/x.yaml")
    assert "s3cret" not in str(info.value)
