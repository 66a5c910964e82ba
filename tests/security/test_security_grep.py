"""Every output form, grepped for every form of every test secret, finds nothing ("Done when").

A server echoes the whole request back (headers, query, body), escaped several ways, and fails the
step, so the secrets reach excerpts, outputs and messages if anything lets them through. The forms
grepped: raw, percent-encoded, '+'-encoded, base64 of HTTP basic, JSON-escaped and HTML-escaped.
Outputs: the result's repr and to_dict, the Runner's repr, the CLI's text and --json (stdout and
stderr), and every log record at DEBUG.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from arazzo_runner import Runner, load
from arazzo_runner.cli.app import main
from tests.security.wire import every_output, write
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

BASIC = ("alice", "basic/pass&word-1")
KEY = "api key/with+plus-2"
PASSWORD = "input pass/word#3"
USERINFO = "userinfo-secret-4"

_OPENAPI = """
openapi: 3.0.3
info: {title: echo, version: '1'}
components:
  securitySchemes:
    basicAuth: {type: http, scheme: basic}
    key: {type: apiKey, in: query, name: apiKey}
security: [{basicAuth: [], key: []}]
paths:
  /echo:
    post:
      operationId: echo
      parameters: [{name: X-Pass, in: header, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {'200': {description: ok}}
"""

_ARAZZO = """
arazzo: 1.0.1
info: {title: echo, version: '1'}
sourceDescriptions: [{name: echo, url: ./echo.yaml, type: openapi}]
workflows:
  - workflowId: main
    inputs:
      type: object
      properties: {pass: {type: string, format: password}}
    steps:
      - stepId: echo
        operationId: echo
        parameters: [{name: X-Pass, in: header, value: $inputs.pass}]
        requestBody: {payload: {pass: $inputs.pass}}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {everything: $response.body, auth: $request.header.Authorization}
    outputs: {pass: $inputs.pass, echoed: $steps.echo.outputs.everything}
"""


def _echo(request: RecordedRequest) -> Reply:
    dump = json.dumps({"headers": request.headers, "target": request.target, "body": request.text()})
    text = f"{dump}\n{html.escape(dump)}\n{dump.replace('/', chr(92) + '/')}"
    return Reply(status=500, body=text, headers={"Content-Type": "text/plain"})


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], html.escape(secret)}


def test_no_output_form_carries_any_form_of_any_secret(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(tmp_path, "echo.yaml", _OPENAPI)
    spec = write(tmp_path, "arazzo.yaml", _ARAZZO)
    forbidden = set().union(*(_forms(s) for s in (BASIC[1], KEY, PASSWORD, USERINFO)))
    forbidden.add(base64.b64encode(f"{BASIC[0]}:{BASIC[1]}".encode()).decode())
    with LoopbackServer() as server, caplog.at_level(logging.DEBUG):
        server.script("POST", "/echo", _echo)
        server_url = server.url.replace("http://", f"http://bob:{USERINFO}@")
        runner = Runner(servers=server_url, credentials={"basicAuth": BASIC, "key": KEY})
        result = runner.run(load(spec), "main", {"pass": PASSWORD})
        assert result.status == "failed" and result.error is not None
        assert server.requests[0].header("X-Pass") == PASSWORD  # the secrets did go on the wire
        outputs = [every_output(result, runner)]
        monkeypatch.setenv("ARAZZO_CREDENTIAL_KEY", KEY)
        cli = ["run", str(spec), "-w", "main", "--server", server_url, "-i", f"pass={PASSWORD}"]
        cli += ["--credential", f"basicAuth={BASIC[0]}:{BASIC[1]}"]
        for flag in ([], ["--json"]):
            assert main([*cli, *flag]) == 1
            captured = capsys.readouterr()
            outputs += [captured.out, captured.err]
    outputs.append(caplog.text)
    outputs.extend(f"{record.msg} {record.args}" for record in caplog.records)
    text = "\n".join(outputs)
    assert "***" in text
    leaked = sorted(form for form in forbidden if form in text)
    assert leaked == []
