"""The OpenAPI index: operations, parameters, $refs, servers (DEC-33) and security requirements."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from arazzo_runner import load, run_workflow
from arazzo_runner.errors import SourceError
from arazzo_runner.openapi.index import OpenAPIDescription, load_openapi
from tests.support.loopback import LoopbackServer, Reply


def _description(text: str, url: str = "https://specs.example.com/apis/pets/openapi.yaml") -> OpenAPIDescription:
    return load_openapi(url, "openapi.yaml", textwrap.dedent(text))


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


SERVERS = """
openapi: 3.0.3
info: {title: t, version: '1'}
servers:
  - url: https://{region}.api.example.com:{port}/{base}
    variables:
      region: {default: eu, enum: [eu, us]}
      port: {default: '8443'}
      base: {default: v1}
  - url: https://backup.example.com
paths:
  /doc:
    get: {operationId: docLevel, responses: {'200': {description: ok}}}
  /item:
    servers: [{url: 'https://item.example.com/base/'}]
    get: {operationId: itemLevel, responses: {'200': {description: ok}}}
    post:
      operationId: operationLevel
      servers: [{url: https://op.example.com/x}]
      responses: {'200': {description: ok}}
  /relative:
    get:
      operationId: relative
      servers: [{url: ../../v2}]
      responses: {'200': {description: ok}}
  /absolutePath:
    get:
      operationId: absolutePath
      servers: [{url: /root/api}]
      responses: {'200': {description: ok}}
"""


def test_server_precedence_operation_then_path_item_then_document_with_variable_defaults() -> None:
    d = _description(SERVERS)
    ops = d.operations_by_id
    assert d.base_url(ops["docLevel"]) == "https://eu.api.example.com:8443/v1"
    assert d.base_url(ops["itemLevel"]) == "https://item.example.com/base/"
    assert d.base_url(ops["operationLevel"]) == "https://op.example.com/x"


def test_relative_server_urls_resolve_against_the_description_url() -> None:
    d = _description(SERVERS)
    assert d.base_url(d.operations_by_id["relative"]) == "https://specs.example.com/v2"
    assert d.base_url(d.operations_by_id["absolutePath"]) == "https://specs.example.com/root/api"


def test_no_servers_means_the_description_host_and_a_file_description_has_none() -> None:
    text = """
    openapi: 3.1.0
    info: {title: t, version: '1'}
    paths:
      /a: {get: {operationId: a, responses: {'200': {description: ok}}}}
    """
    assert _description(text).base_url(_description(text).operations_by_id["a"]) == "https://specs.example.com"
    local = _description(text, url="file:///tmp/openapi.yaml")
    assert local.base_url(local.operations_by_id["a"]) is None
    relative = _description(text.replace("paths:", "servers: [{url: /v1}]\n    paths:"), url="file:///tmp/openapi.yaml")
    assert relative.base_url(relative.operations_by_id["a"]) is None


def test_swagger2_host_base_path_and_schemes() -> None:
    text = """
    swagger: '2.0'
    info: {title: t, version: '1'}
    host: api.example.com:8080
    basePath: /v2
    schemes: [http, https]
    paths:
      /a: {get: {operationId: a, responses: {'200': {description: ok}}}}
      /b: {get: {operationId: b, schemes: [https], responses: {'200': {description: ok}}}}
    """
    d = _description(text)
    assert d.is_swagger2
    assert d.base_url(d.operations_by_id["a"]) == "http://api.example.com:8080/v2"
    assert d.base_url(d.operations_by_id["b"]) == "https://api.example.com:8080/v2"


def test_swagger2_without_host_or_schemes_uses_the_description_location() -> None:
    text = """
    swagger: '2.0'
    info: {title: t, version: '1'}
    basePath: /
    paths:
      /a: {get: {operationId: a, responses: {'200': {description: ok}}}}
    """
    d = _description(text, url="http://docs.example.com/swagger.yaml")
    assert d.base_url(d.operations_by_id["a"]) == "http://docs.example.com"
    with_host = _description(text.replace("basePath: /", "host: h.example.com"), url="http://docs.example.com/s.yaml")
    assert with_host.base_url(with_host.operations_by_id["a"]) == "http://h.example.com"


def test_parameters_merge_path_item_and_operation_levels_and_follow_refs() -> None:
    d = _description(
        """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        components:
          parameters:
            Id: {name: id, in: path, required: true, style: label, schema: {type: string}}
            Trace: {$ref: '#/components/parameters/TraceReal'}
            TraceReal: {name: X-Trace, in: header, schema: {type: string}}
        paths:
          /things/{id}:
            parameters:
              - $ref: '#/components/parameters/Id'
              - {name: limit, in: query, style: form, explode: false, schema: {type: array}}
            get:
              operationId: get
              parameters:
                - {name: limit, in: query, style: pipeDelimited, schema: {type: array}}
                - $ref: '#/components/parameters/Trace'
                - {name: filter, in: query, allowReserved: true, content: {application/json: {}}}
              responses: {'200': {description: ok}}
        """
    )
    op = d.operations_by_id["get"]
    assert op.parameter("id", "path").style == "label"
    assert op.parameter("limit", "query").style == "pipeDelimited"  # operation level wins
    assert op.parameter("x-trace", "header").name == "X-Trace"  # header names ignore case
    assert op.parameter("x-trace", "query") is None
    assert op.parameter("Limit", "query") is None  # other names are case-sensitive
    assert op.parameter("filter", "query").content_type == "application/json"
    assert op.parameter("filter", "query").allow_reserved is True
    assert op.parameter("id", "path").required is True


def test_external_refs_resolve_relative_to_the_file_that_holds_them(tmp_path: Path) -> None:
    (tmp_path / "paths").mkdir()
    (tmp_path / "common").mkdir()
    _write(
        tmp_path / "openapi.yaml",
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /pets/{petId}:
            $ref: paths/pet.yaml
        """,
    )
    _write(
        tmp_path / "paths" / "pet.yaml",
        """
        parameters:
          - $ref: '../common/params.yaml#/PetId'
        put:
          operationId: updatePet
          parameters:
            - $ref: '#/localParams/Verbose'
          requestBody:
            $ref: '../common/bodies.yaml#/Pet'
          responses: {'200': {description: ok}}
        localParams:
          Verbose: {name: verbose, in: query, schema: {$ref: '#/schemas/Flag'}}
        schemas:
          Flag: {type: boolean}
        """,
    )
    _write(
        tmp_path / "common" / "params.yaml",
        """
        PetId: {name: petId, in: path, required: true, style: matrix, schema: {$ref: '#/Schemas/Id'}}
        Schemas:
          Id: {type: integer}
        """,
    )
    _write(
        tmp_path / "common" / "bodies.yaml",
        """
        Pet:
          content:
            application/merge-patch+json: {schema: {type: object}}
        """,
    )
    d = load_openapi((tmp_path / "openapi.yaml").as_uri(), "openapi.yaml")
    op = d.operations_by_id["updatePet"]
    assert op.parameter("petId", "path").style == "matrix"
    assert op.parameter("petId", "path").schema == {"type": "integer"}
    assert op.parameter("verbose", "query").schema == {"type": "boolean"}
    assert op.request_content_types() == ["application/merge-patch+json"]


def test_circular_refs_are_reported() -> None:
    d = _description(
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        components:
          parameters:
            A: {$ref: '#/components/parameters/B'}
            B: {$ref: '#/components/parameters/A'}
        paths: {}
        """
    )
    with pytest.raises(SourceError, match="circular"):
        d.resolve({"$ref": "#/components/parameters/A"})


def test_security_requirements_operation_overrides_document_and_empty_list_means_none() -> None:
    d = _description(
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        security: [{basic: []}]
        components:
          securitySchemes:
            basic: {type: http, scheme: basic}
            oauth: {$ref: '#/components/x-schemes/oauth'}
          x-schemes:
            oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {}}}}
        paths:
          /a: {get: {operationId: a, responses: {'200': {description: ok}}}}
          /b: {get: {operationId: b, security: [], responses: {'200': {description: ok}}}}
          /c: {get: {operationId: c, security: [{oauth: [read]}, {}], responses: {'200': {description: ok}}}}
        """
    )
    ops = d.operations_by_id
    assert ops["a"].security == ({"basic": ()},)
    assert ops["b"].security == ()
    assert ops["c"].security == ({"oauth": ("read",)}, {})
    assert d.security_schemes()["oauth"]["type"] == "oauth2"  # referenced schemes are resolved


def test_no_security_anywhere_is_none() -> None:
    d = _description(
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /a: {get: {operationId: a, responses: {'200': {description: ok}}}}
        """
    )
    assert d.operations_by_id["a"].security is None


# ---------------------------------------------------------------- end to end: which server a request goes to

ARAZZO = """
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: %s, type: openapi}
workflows:
  - workflowId: main
    steps:
      - stepId: s
        operationId: ping
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {url: $url}
    outputs: {url: $steps.s.outputs.url, source: $sourceDescriptions.api.url}
"""


def test_document_servers_with_variable_defaults_are_used_without_an_override(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        server.script("GET", "/api/v3/ping", [Reply(status=200, body={})])
        _write(
            tmp_path / "openapi.yaml",
            f"""
            openapi: 3.1.0
            info: {{title: t, version: '1'}}
            servers:
              - url: 'http://127.0.0.1:{{port}}/api/{{version}}'
                variables:
                  port: {{default: '{server.port}'}}
                  version: {{default: v3}}
            paths:
              /ping: {{get: {{operationId: ping, responses: {{'200': {{description: ok}}}}}}}}
            """,
        )
        _write(tmp_path / "arazzo.yaml", ARAZZO % "./openapi.yaml")
        result = run_workflow(load(tmp_path / "arazzo.yaml"), "main")
        assert result.status == "succeeded", result.error
        assert result.outputs["url"] == f"{server.url}/api/v3/ping"
        assert [r.path for r in server.requests] == ["/api/v3/ping"]


def test_relative_server_url_resolves_against_a_description_fetched_over_http(tmp_path: Path) -> None:
    openapi = """
    openapi: 3.0.3
    info: {title: t, version: '1'}
    servers: [{url: ../v2}]
    paths:
      /ping: {get: {operationId: ping, responses: {'200': {description: ok}}}}
    """
    with LoopbackServer() as server:
        server.script(
            "GET",
            "/specs/pets/openapi.yaml",
            [Reply(body=textwrap.dedent(openapi), headers={"Content-Type": "application/yaml"})],
        )
        server.script("GET", "/specs/v2/ping", [Reply(status=200, body={})])
        _write(tmp_path / "arazzo.yaml", ARAZZO % f"{server.url}/specs/pets/openapi.yaml")
        result = run_workflow(load(tmp_path / "arazzo.yaml"), "main")
        assert result.status == "succeeded", result.error
        assert result.outputs == {
            "url": f"{server.url}/specs/v2/ping",
            "source": f"{server.url}/specs/pets/openapi.yaml",
        }
        assert [r.path for r in server.requests] == ["/specs/pets/openapi.yaml", "/specs/v2/ping"]


def test_servers_override_per_source_keeps_the_base_path(tmp_path: Path) -> None:
    _write(
        tmp_path / "openapi.yaml",
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        servers: [{url: https://never.example.invalid}]
        paths:
          /ping: {get: {operationId: ping, responses: {'200': {description: ok}}}}
        """,
    )
    _write(tmp_path / "arazzo.yaml", ARAZZO % "./openapi.yaml")
    with LoopbackServer() as server:
        server.script("GET", "/base/ping", [Reply(status=200, body={})])
        result = run_workflow(load(tmp_path / "arazzo.yaml"), "main", servers={"api": server.url + "/base/"})
        assert result.status == "succeeded", result.error
        assert result.outputs["url"] == f"{server.url}/base/ping"


def test_swagger2_source_end_to_end(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        server.script("GET", "/v1/ping", [Reply(status=200, body={})])
        _write(
            tmp_path / "swagger.yaml",
            f"""
            swagger: '2.0'
            info: {{title: t, version: '1'}}
            host: 127.0.0.1:{server.port}
            basePath: /v1
            schemes: [http]
            paths:
              /ping: {{get: {{operationId: ping, responses: {{'200': {{description: ok}}}}}}}}
            """,
        )
        _write(tmp_path / "arazzo.yaml", ARAZZO % "./swagger.yaml")
        result = run_workflow(load(tmp_path / "arazzo.yaml"), "main")
        assert result.status == "succeeded", result.error
        assert result.outputs["url"] == f"{server.url}/v1/ping"


def test_a_file_description_without_servers_fails_the_step_with_advice(tmp_path: Path) -> None:
    _write(
        tmp_path / "openapi.yaml",
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /ping: {get: {operationId: ping, responses: {'200': {description: ok}}}}
        """,
    )
    _write(tmp_path / "arazzo.yaml", ARAZZO % "./openapi.yaml")
    result = run_workflow(load(tmp_path / "arazzo.yaml"), "main")
    assert result.status == "failed"
    assert "servers=" in result.error.message
