"""What loading may touch (issue case 11): a downloaded document reads no local file, fetch redirects
stay on their origin, --offline / fetch=False fetches nothing, and link-local (cloud metadata)
addresses are refused before any connection. Every server here listens on loopback only; the
link-local cases are refused before a connection and a recording transport proves none was tried."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from arazzo_runner import load
from arazzo_runner.cli.app import main
from arazzo_runner.errors import ArazzoError
from arazzo_runner.openapi.index import clear_cache
from arazzo_runner.sources import policy
from tests.security.wire import localhost_url, write
from tests.support.loopback import LoopbackServer, Reply

_OPENAPI = """openapi: 3.0.3
info: {title: api, version: '1'}
paths:
  /ping:
    get:
      operationId: ping
      responses: {'200': {description: ok}}
"""


def _arazzo(source_url: str) -> str:
    return f"""arazzo: 1.0.1
info: {{title: remote, version: '1'}}
sourceDescriptions: [{{name: api, url: '{source_url}', type: openapi}}]
workflows:
  - workflowId: main
    steps: [{{stepId: ping, operationId: ping}}]
"""


def _yaml(text: str) -> Reply:
    return Reply(body=text, headers={"Content-Type": "application/yaml"})


def test_a_downloaded_document_cannot_read_a_local_file(tmp_path: Path) -> None:
    local = write(tmp_path, "private.yaml", _OPENAPI)
    with LoopbackServer() as server:
        server.script("GET", "/wf.yaml", _yaml(_arazzo(local.as_uri())))
        with pytest.raises(ArazzoError, match="names a local file .*fetched over the network"):
            load(f"{server.url}/wf.yaml")


def test_a_downloaded_description_cannot_ref_a_local_file(tmp_path: Path) -> None:
    local = write(tmp_path, "schemas.yaml", "Secret: {name: q, in: query, schema: {type: string}}\n")
    description = _OPENAPI.replace(
        "      responses:", f"      parameters: [{{$ref: '{local.as_uri()}#/Secret'}}]\n      responses:"
    )
    with LoopbackServer() as server:
        server.script("GET", "/wf.yaml", _yaml(_arazzo("./api.yaml")))
        server.script("GET", "/api.yaml", _yaml(description))
        with pytest.raises(ArazzoError, match="names a local file"):
            load(f"{server.url}/wf.yaml")


def test_a_local_document_may_still_name_local_files(tmp_path: Path) -> None:
    write(tmp_path, "api.yaml", _OPENAPI)
    spec = write(tmp_path, "wf.yaml", _arazzo("./api.yaml"))
    assert load(spec).workflow("main").steps[0].step_id == "ping"


def test_a_fetch_redirect_to_another_origin_is_refused_unless_allowed() -> None:
    with LoopbackServer() as server:
        other = localhost_url(server)  # the same socket by another host name: another origin
        server.script("GET", "/wf.yaml", Reply(status=302, headers={"Location": f"{other}/real.yaml"}))
        server.script("GET", "/real.yaml", _yaml(_arazzo("./api.yaml")))
        server.script("GET", "/api.yaml", _yaml(_OPENAPI))
        with pytest.raises(ArazzoError, match=r"redirects to another origin \(http://localhost:"):
            load(f"{server.url}/wf.yaml")
        assert [r.path for r in server.requests] == ["/wf.yaml"]  # the other origin was never asked
        doc = load(f"{server.url}/wf.yaml", fetch_redirects_to_other_hosts=True)
        assert doc.workflow("main").steps[0].step_id == "ping"


def test_a_fetch_redirect_on_the_same_origin_is_followed() -> None:
    with LoopbackServer() as server:
        server.script("GET", "/wf.yaml", Reply(status=301, headers={"Location": "/moved/wf.yaml"}))
        server.script("GET", "/moved/wf.yaml", _yaml(_arazzo("./api.yaml")))
        server.script("GET", "/api.yaml", _yaml(_OPENAPI))  # relative to the URL the document was asked by
        assert load(f"{server.url}/wf.yaml").workflow("main").steps[0].step_id == "ping"


def test_offline_fetches_nothing_and_says_how_to_give_a_local_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clear_cache()  # a description an earlier test fetched from a reused port would be served from memory
    with LoopbackServer() as server:
        server.script("GET", "/api.yaml", _yaml(_OPENAPI))
        remote = f"{server.url}/api.yaml"
        spec = write(tmp_path, "wf.yaml", _arazzo(remote))
        with pytest.raises(ArazzoError, match=rf"cannot fetch {remote}: fetching over the network is off"):
            load(spec, fetch=False)
        for command in (["list"], ["check"], ["run", "-w", "main"]):
            assert main([*command, str(spec), "--offline"]) != 0
            err = capsys.readouterr()
            assert f"--source {remote}=PATH" in err.err + err.out
        assert server.requests == []
        local = write(tmp_path, "api.yaml", _OPENAPI)
        assert main(["list", str(spec), "--offline", "--source", f"{remote}={local}"]) == 0
        assert server.requests == []


@pytest.fixture()
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection httpx tries, recorded and never made."""
    recorded: list[str] = []

    def refuse(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        recorded.append(str(request.url))
        raise httpx.ConnectError("the test transport sends nothing", request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    return recorded


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/wf.yaml", "http://[fe80::1]/wf.yaml", "http://[::ffff:169.254.1.1]/w"],
)
def test_a_link_local_address_is_refused_before_any_connection(url: str, attempts: list[str]) -> None:
    with pytest.raises(ArazzoError, match="link-local address"):
        load(url)
    assert attempts == []


def test_a_name_resolving_to_a_metadata_address_is_refused_before_any_connection(
    monkeypatch: pytest.MonkeyPatch, attempts: list[str]
) -> None:
    looked_up: list[tuple[str, int]] = []

    def stub(host: str, port: int) -> list[str]:
        looked_up.append((host, port))
        return ["169.254.169.254"]

    monkeypatch.setattr(policy, "resolve", stub)
    with pytest.raises(ArazzoError, match="metadata.internal.test is a link-local address"):
        load("http://metadata.internal.test/wf.yaml")
    assert looked_up == [("metadata.internal.test", 80)] and attempts == []
    # Allowed explicitly, the fetch is attempted (here: recorded and refused by the test transport).
    with policy.fetch_policy(policy.FetchPolicy(link_local=True)), pytest.raises(ArazzoError):
        load("http://metadata.internal.test/wf.yaml")
    assert attempts == ["http://metadata.internal.test/wf.yaml"]
