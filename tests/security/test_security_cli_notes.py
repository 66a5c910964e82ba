"""The command line says where ambient credentials go and which server a run uses (issue cases 4 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner.cli.app import main
from tests.security.wire import localhost_url, write
from tests.support.loopback import LoopbackServer, Reply

_OPENAPI = """
openapi: 3.0.3
info: {title: api, version: '1'}
servers: [{url: 'FIRST'}, {url: 'SECOND'}]
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
security: [{bearerAuth: []}]
paths:
  /ping:
    get:
      operationId: ping
      responses: {'200': {description: ok}}
"""

_ARAZZO = """
arazzo: 1.0.1
info: {title: notes, version: '1'}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: main
    steps: [{stepId: ping, operationId: ping, successCriteria: [{condition: $statusCode == 200}]}]
"""


def _spec(tmp_path: Path, first: str, second: str) -> Path:
    write(tmp_path, "api.yaml", _OPENAPI.replace("FIRST", first).replace("SECOND", second))
    return write(tmp_path, "arazzo.yaml", _ARAZZO)


def test_an_environment_credential_is_announced_with_its_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARAZZO_CREDENTIAL_BEARERAUTH", "ambient-token-4")
    monkeypatch.setenv("ARAZZO_CREDENTIAL_BEARER_AUTHS", "unused-token-4")
    with LoopbackServer() as server:
        server.script("GET", "/ping", Reply(body={}))
        spec = _spec(tmp_path, server.url, localhost_url(server))
        assert main(["run", str(spec), "-w", "main"]) == 0
        assert server.requests[0].header("Authorization") == "Bearer ambient-token-4"
    err = capsys.readouterr().err
    assert f"credential 'bearerAuth' from ARAZZO_CREDENTIAL_BEARERAUTH is sent to source api ({server.url})" in err
    assert "ARAZZO_CREDENTIAL_BEARER_AUTHS matches no security scheme" in err
    assert "did you mean ARAZZO_CREDENTIAL_BEARERAUTH?" in err
    assert "ambient-token-4" not in err and "unused-token-4" not in err


def test_the_server_used_is_named_once_when_the_description_lists_several(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ARAZZO_CREDENTIAL_BEARERAUTH", raising=False)
    with LoopbackServer() as server:
        server.script("GET", "/ping", Reply(body={}))
        spec = _spec(tmp_path, server.url, "https://production.invalid")
        assert main(["run", str(spec), "-w", "main", "--credential", "bearerAuth=given-token"]) == 0
        err = capsys.readouterr().err
        assert err.count("source 'api' lists 2 servers") == 1
        assert f"using {server.url} (choose with --server api=URL)" in err
        assert "from ARAZZO_CREDENTIAL" not in err  # given on the command line: nothing ambient
        # Chosen explicitly: nothing to say.
        assert main(["run", str(spec), "-w", "main", "--server", server.url, "--credential", "bearerAuth=t-123"]) == 0
        assert "lists 2 servers" not in capsys.readouterr().err
