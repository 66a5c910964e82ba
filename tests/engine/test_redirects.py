"""DEC-35: redirects are not followed unless asked; when asked, the step sees the final response."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.cli.app import main
from tests.support.documents import arazzo_over_api, write_spec
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: http://127.0.0.1:9}]
paths:
  /old:
    get:
      operationId: getOld
      responses: {'200': {description: ok}, '302': {description: moved}}
"""
ARAZZO = arazzo_over_api(
    """\
  - workflowId: w
    steps:
      - stepId: get
        operationId: getOld
        outputs:
          status: $statusCode
          where: $response.header.Location
          name: $response.body#/name
    outputs:
      status: $steps.get.outputs.status
      name: $steps.get.outputs.name
"""
)


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, OPENAPI, ARAZZO)


@pytest.fixture()
def server():
    with LoopbackServer() as srv:
        srv.script("GET", "/old", [Reply(302, headers={"Location": "/new"})])
        srv.script("GET", "/new", [Reply(200, body={"name": "moved here"})])
        yield srv


def test_a_redirect_is_not_followed_by_default(spec: Path, server: LoopbackServer) -> None:
    result = run_workflow(spec, "w", servers=server.url)
    assert result.status == "succeeded"
    assert result.steps[0].outputs["status"] == 302 and result.steps[0].outputs["where"] == "/new"
    assert [r.path for r in server.requests] == ["/old"]


def test_a_redirect_is_followed_when_asked(spec: Path, server: LoopbackServer) -> None:
    result = run_workflow(spec, "w", servers=server.url, follow_redirects=True)
    assert result.outputs == {"status": 200, "name": "moved here"}
    assert [r.path for r in server.requests] == ["/old", "/new"]


def test_the_cli_follows_redirects_when_asked(
    spec: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(spec), "-w", "w", "--server", server.url, "--follow-redirects", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outputs"] == {"status": 200, "name": "moved here"}


APIKEY_OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: http://127.0.0.1:9}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-API-Key}
security: [{key: []}]
paths:
  /old:
    get:
      operationId: getOld
      responses: {'200': {description: ok}}
"""


@pytest.mark.parametrize("same_origin", [True, False])
def test_credentials_never_follow_a_redirect_to_another_origin(tmp_path: Path, same_origin: bool) -> None:
    (tmp_path / "openapi.yaml").write_text(APIKEY_OPENAPI)
    (tmp_path / "wf.yaml").write_text(ARAZZO)
    with LoopbackServer() as api, LoopbackServer() as elsewhere:
        target = f"{api.url}/new" if same_origin else f"{elsewhere.url}/collect"
        api.script("GET", "/old", [Reply(307, headers={"Location": target})])
        api.script("GET", "/new", [Reply(200, body={"name": "same origin"})])
        elsewhere.script("GET", "/collect", [Reply(200, body={"name": "other origin"})])
        result = run_workflow(
            tmp_path / "wf.yaml", "w", servers=api.url, follow_redirects=True, credentials={"key": "S3cr3tKeyValue"}
        )
        assert result.outputs["status"] == 200
        assert api.requests[0].header("X-API-Key") == "S3cr3tKeyValue"
        if same_origin:
            assert api.requests[1].header("X-API-Key") == "S3cr3tKeyValue"
        else:
            assert elsewhere.requests[0].header("X-API-Key") is None


def test_a_redirect_that_fails_the_criteria_says_how_to_follow_it(tmp_path: Path, server: LoopbackServer) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI)
    (tmp_path / "wf.yaml").write_text(
        ARAZZO.replace(
            "        outputs:\n          status: $statusCode",
            "        successCriteria: [{condition: $statusCode == 200}]\n"
            "        outputs:\n          status: $statusCode",
        )
    )
    result = run_workflow(tmp_path / "wf.yaml", "w", servers=server.url)
    assert result.status == "failed"
    assert "a redirect to /new, not followed" in result.error.message and "--follow-redirects" in result.error.message
