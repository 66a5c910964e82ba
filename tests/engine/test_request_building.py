"""Request building: parameter serialisation (DEC-27), bodies (DEC-29, DEC-30), replacements (DEC-31),
views (DEC-25/26).

The style tables are the OpenAPI 3.1 examples (`color` = "blue",
["blue", "black", "brown"], {"R": 100, "G": 200, "B": 150}). End-to-end
behaviour over real sockets is in the conformance cases 200-299; these
tests pin down the pieces and the edges a case cannot reach.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from arazzo_runner import load, run_workflow
from arazzo_runner.engine.request import set_at_pointer
from arazzo_runner.engine.serialize import (
    serialize_cookie,
    serialize_header,
    serialize_path,
    serialize_query,
)
from arazzo_runner.engine.views import request_view
from arazzo_runner.engine.xml_replace import replace_xml
from arazzo_runner.errors import RequestBuildError
from arazzo_runner.openapi.media import is_json as is_json_media_type
from arazzo_runner.openapi.media import is_xml as is_xml_media_type

PRIM = "blue"
ARR = ["blue", "black", "brown"]
OBJ = {"R": 100, "G": 200, "B": 150}


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("simple", False, PRIM, "blue"),
        ("simple", False, ARR, "blue,black,brown"),
        ("simple", False, OBJ, "R,100,G,200,B,150"),
        ("simple", True, ARR, "blue,black,brown"),
        ("simple", True, OBJ, "R=100,G=200,B=150"),
        ("label", False, PRIM, ".blue"),
        ("label", False, ARR, ".blue,black,brown"),
        ("label", False, OBJ, ".R,100,G,200,B,150"),
        ("label", True, ARR, ".blue.black.brown"),
        ("label", True, OBJ, ".R=100.G=200.B=150"),
        ("label", False, "", "."),
        ("matrix", False, PRIM, ";color=blue"),
        ("matrix", False, ARR, ";color=blue,black,brown"),
        ("matrix", False, OBJ, ";color=R,100,G,200,B,150"),
        ("matrix", True, ARR, ";color=blue;color=black;color=brown"),
        ("matrix", True, OBJ, ";R=100;G=200;B=150"),
        ("matrix", False, "", ";color"),
        (None, None, ARR, "blue,black,brown"),  # simple, explode false by default
    ],
)
def test_path_styles_match_the_openapi_table(
    style: str | None, explode: bool | None, value: Any, expected: str
) -> None:
    assert serialize_path("color", value, style, explode) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a b/c?d#e%", "a%20b%2Fc%3Fd%23e%25"),
        ("café", "caf%C3%A9"),
        (True, "true"),
        (None, "null"),
        (3, "3"),
        (3.0, "3"),
        (0.5, "0.5"),
        ("~-._", "~-._"),
        ("a;b=c,d", "a%3Bb%3Dc%2Cd"),
    ],
)
def test_path_values_are_one_encoded_segment_with_json_spellings(value: Any, expected: str) -> None:
    assert serialize_path("p", value, None, None) == expected


def test_path_style_not_allowed_in_a_path() -> None:
    with pytest.raises(RequestBuildError, match="form"):
        serialize_path("p", "x", "form", None)


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("form", True, PRIM, ["color=blue"]),
        ("form", True, ARR, ["color=blue", "color=black", "color=brown"]),
        ("form", True, OBJ, ["R=100", "G=200", "B=150"]),
        ("form", False, ARR, ["color=blue,black,brown"]),
        ("form", False, OBJ, ["color=R,100,G,200,B,150"]),
        ("form", True, "", ["color="]),
        ("spaceDelimited", False, ARR, ["color=blue%20black%20brown"]),
        ("spaceDelimited", False, OBJ, ["color=R%20100%20G%20200%20B%20150"]),
        ("pipeDelimited", False, ARR, ["color=blue|black|brown"]),
        ("pipeDelimited", False, OBJ, ["color=R|100|G|200|B|150"]),
        ("pipeDelimited", True, ARR, ["color=blue", "color=black", "color=brown"]),
        ("deepObject", True, OBJ, ["color%5BR%5D=100", "color%5BG%5D=200", "color%5BB%5D=150"]),
        (None, None, ARR, ["color=blue", "color=black", "color=brown"]),  # form, explode by default
    ],
)
def test_query_styles_match_the_openapi_table(
    style: str | None, explode: bool | None, value: Any, expected: list[str]
) -> None:
    assert serialize_query("color", value, style, explode) == expected


def test_query_encoding_and_allow_reserved() -> None:
    assert serialize_query("q", "x&y=z +", None, None) == ["q=x%26y%3Dz%20%2B"]
    assert serialize_query("q", "/a:b?c", None, None, allow_reserved=True) == ["q=/a:b?c"]
    assert serialize_query("q", "100% sure", None, None, allow_reserved=True) == ["q=100%25%20sure"]
    assert serialize_query("a b", False, None, None) == ["a%20b=false"]
    assert serialize_query("n", None, None, None) == ["n=null"]


def test_deep_object_needs_an_object() -> None:
    with pytest.raises(RequestBuildError, match="deepObject needs an object"):
        serialize_query("color", ARR, "deepObject", True)


def test_content_parameters_are_json() -> None:
    assert serialize_query("f", {"a": [1, None]}, None, None, content_type="application/json") == [
        "f=%7B%22a%22%3A%5B1%2Cnull%5D%7D"
    ]
    assert serialize_header("X", {"a": True}, None, "application/json") == '{"a":true}'
    assert serialize_path("p", [1], None, None, "application/json") == "%5B1%5D"


def test_header_simple_style() -> None:
    assert serialize_header("X", PRIM, None) == "blue"
    assert serialize_header("X", ARR, None) == "blue,black,brown"
    assert serialize_header("X", OBJ, False) == "R,100,G,200,B,150"
    assert serialize_header("X", OBJ, True) == "R=100,G=200,B=150"
    assert serialize_header("X", None, None) == "null"
    assert serialize_header("X", [True, 1.0], None) == "true,1"


def test_cookie_form_style() -> None:
    assert serialize_cookie("c", "a b", None) == [("c", "a%20b")]
    assert serialize_cookie("c", ARR, True) == [("c", "blue"), ("c", "black"), ("c", "brown")]
    assert serialize_cookie("c", ARR, False) == [("c", "blue,black,brown")]
    assert serialize_cookie("c", OBJ, True) == [("R", "100"), ("G", "200"), ("B", "150")]
    assert serialize_cookie("c", OBJ, False) == [("c", "R,100,G,200,B,150")]


def test_media_type_families() -> None:
    assert is_json_media_type("application/json; charset=utf-8")
    assert is_json_media_type("application/vnd.api+json")
    assert not is_json_media_type("text/json-ish")
    assert is_xml_media_type("application/soap+xml")
    assert is_xml_media_type("text/xml")
    assert not is_xml_media_type(None)


# ---------------------------------------------------------------- replacements


def test_json_pointer_replacements() -> None:
    doc = {"a": {"b": 1}, "arr": [], "x~y": {"p/q": 0}}
    doc = set_at_pointer(doc, "/a/b", 5)
    doc = set_at_pointer(doc, "/c", True)
    doc = set_at_pointer(doc, "/arr/-", 9)
    doc = set_at_pointer(doc, "/arr/1", 10)  # the index just past the end appends
    doc = set_at_pointer(doc, "/arr/0", 8)
    doc = set_at_pointer(doc, "/x~0y/p~1q", 1)
    assert doc == {"a": {"b": 5}, "arr": [8, 10], "x~y": {"p/q": 1}, "c": True}
    assert set_at_pointer({"a": 1}, "", [1]) == [1]


@pytest.mark.parametrize(
    ("pointer", "message"),
    [
        ("/missing/deep", "/missing does not exist"),
        ("/arr/5", "not a valid index"),
        ("/arr/01", "not a valid index"),
        ("/arr/x/y", "not an index"),
        ("/a/b/c", "the parent is int"),
        ("/a/b/c/d", "goes into a int"),
        ("a", "not a JSON Pointer"),
    ],
)
def test_json_pointer_replacement_errors(pointer: str, message: str) -> None:
    with pytest.raises(RequestBuildError, match=message):
        set_at_pointer({"a": {"b": 1}, "arr": [1]}, pointer, 0)


def test_xml_replacements() -> None:
    xml = '<?xml version="1.0"?><order id="1"><petId>0</petId><n><x>1</x></n></order>'
    out = replace_xml(xml, "/order/petId", 42)
    out = replace_xml(out, "/order/@id", "A&B")
    out = replace_xml(out, "/order/n", "<b>")
    assert out == '<?xml version="1.0" encoding="UTF-8"?><order id="A&amp;B"><petId>42</petId><n>&lt;b&gt;</n></order>'
    with pytest.raises(RequestBuildError, match="selects nothing"):
        replace_xml(xml, "/order/none", 1)
    with pytest.raises(RequestBuildError, match="not a valid XPath"):
        replace_xml(xml, "/order/[", 1)
    with pytest.raises(RequestBuildError, match="not well-formed"):
        replace_xml("<a>", "/a", 1)


def test_xml_entities_are_not_expanded() -> None:
    xml = '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a><b>&e;</b><c/></a>'
    out = replace_xml(xml, "/a/c", "x")
    assert "root:" not in out


# ---------------------------------------------------------------- views


def test_request_view_of_a_multipart_request_reads_the_body_that_is_then_sent() -> None:
    request = httpx.Request("POST", "https://h/u", data={"a": "1"}, files={"f": ("f.txt", b"hi", "text/plain")})
    view = request_view(request, {"a": "1"}, {}, {})
    assert view.body_kind == "text"
    assert 'name="a"\r\n\r\n1' in view.body
    assert view.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.content.decode() == view.body  # the very bytes that go out


def test_request_view_headers_are_lower_case_and_json_body_is_the_value() -> None:
    request = httpx.Request("PUT", "https://h/u?x=1", headers={"X-A": "1"}, content=b'{"a":1}')
    request.headers["Content-Type"] = "application/json"
    view = request_view(request, {"a": 1}, {"id": 1}, {"x": 1})
    assert view.headers["x-a"] == "1"
    assert view.body == {"a": 1} and view.body_kind == "json"
    assert view.path == {"id": 1} and view.query == {"x": 1}
    empty = request_view(httpx.Request("GET", "https://h/"), None, {}, {})
    assert empty.body is None and empty.body_kind == "empty"


# ---------------------------------------------------------------- through the engine, with a mock transport


def _run(tmp_path: Path, openapi: str, steps: str, inputs: dict[str, Any] | None = None, **kwargs: Any):
    (tmp_path / "openapi.yaml").write_text(textwrap.dedent(openapi).lstrip(), encoding="utf-8")
    (tmp_path / "arazzo.yaml").write_text(
        textwrap.dedent(
            """
            arazzo: 1.0.1
            info: {title: t, version: '1'}
            sourceDescriptions: [{name: api, url: ./openapi.yaml, type: openapi}]
            workflows:
              - workflowId: main
                steps:
            """
        ).lstrip()
        + textwrap.indent(textwrap.dedent(steps).strip(), "      ")
        + "\n",
        encoding="utf-8",
    )
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(request)
        return httpx.Response(200, json={})

    async def go():
        from arazzo_runner import arun_workflow

        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await arun_workflow(
                load(tmp_path / "arazzo.yaml"),
                "main",
                inputs or {},
                client=client,
                servers="https://api.test",
                **kwargs,
            )

    import asyncio

    return asyncio.run(go()), sent


OPENAPI = """
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /h:
    post:
      operationId: h
      parameters:
        - {name: X-Text, in: header, schema: {type: string}}
      responses: {'200': {description: ok}}
"""


def test_non_ascii_header_values_go_out_as_utf8(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path, OPENAPI, "- {stepId: s, operationId: h, parameters: [{name: X-Text, in: header, value: Zoë}]}"
    )
    assert result.status == "succeeded", result.error
    assert (b"X-Text", "Zoë".encode()) in sent[0].headers.raw


def test_header_values_with_line_breaks_fail_before_sending(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path,
        OPENAPI,
        '- {stepId: s, operationId: h, parameters: [{name: X-Text, in: header, value: "a\\r\\nEvil: 1"}]}',
    )
    assert result.status == "failed" and sent == []
    assert result.error.reason == "request_error"
    assert "line break" in result.error.message


def test_invalid_header_names_fail_before_sending(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path, OPENAPI, '- {stepId: s, operationId: h, parameters: [{name: "X Bad", in: header, value: a}]}'
    )
    assert result.status == "failed" and sent == []
    assert "not a valid HTTP header name" in result.error.message


def test_path_parameter_without_a_template_variable_warns(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path, OPENAPI, "- {stepId: s, operationId: h, parameters: [{name: nope, in: path, value: 1}]}"
    )
    assert result.status == "succeeded"
    assert sent[0].url.path == "/h"
    assert any("has no {nope}" in w for w in result.steps[0].warnings)


def test_json_body_is_compact_utf8_and_keeps_key_order(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path,
        OPENAPI,
        """
        - stepId: s
          operationId: h
          requestBody:
            payload: {z: "é", a: [1, 2.5, null], m: {k: true}}
        """,
    )
    assert result.status == "succeeded"
    assert sent[0].content == '{"z":"é","a":[1,2.5,null],"m":{"k":true}}'.encode()
    assert sent[0].headers["content-type"] == "application/json"
    assert sent[0].headers["content-length"] == str(len(sent[0].content))


def test_request_url_and_method_match_what_the_transport_received(tmp_path: Path) -> None:
    openapi = """
    openapi: 3.1.0
    info: {title: t, version: '1'}
    paths:
      /p/{id}:
        delete:
          operationId: d
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
            - {name: q, in: query, schema: {type: array}}
          responses: {'200': {description: ok}}
    """
    result, sent = _run(
        tmp_path,
        openapi,
        """
        - stepId: s
          operationId: d
          parameters: [{name: id, in: path, value: "a/b"}, {name: q, in: query, value: [1, "x y"]}]
          outputs: {url: $url, method: $method}
        """,
    )
    assert result.status == "succeeded"
    assert result.steps[0].outputs == {"url": str(sent[0].url), "method": "DELETE"}
    assert str(sent[0].url) == "https://api.test/p/a%2Fb?q=1&q=x%20y"


def test_multipart_request_body_is_readable_through_request_body(tmp_path: Path) -> None:
    openapi = """
    openapi: 3.1.0
    info: {title: t, version: '1'}
    paths:
      /u:
        post:
          operationId: u
          requestBody: {content: {multipart/form-data: {schema: {type: object}}}}
          responses: {'200': {description: ok}}
    """
    result, sent = _run(
        tmp_path,
        openapi,
        """
        - stepId: s
          operationId: u
          requestBody:
            payload: {a: x, f: {filename: f.json, contentType: application/json, content: {k: 1}}}
          outputs: {body: $request.body, ct: $request.header.content-type}
        """,
    )
    assert result.status == "succeeded", result.error
    outputs = result.steps[0].outputs
    assert outputs["body"] == sent[0].content.decode()
    assert 'filename="f.json"\r\nContent-Type: application/json\r\n\r\n{"k":1}\r\n' in outputs["body"]
    assert outputs["ct"] == sent[0].headers["content-type"]


def test_multipart_payload_must_be_an_object(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path,
        OPENAPI,
        "- {stepId: s, operationId: h, requestBody: {contentType: multipart/form-data, payload: [1, 2]}}",
    )
    assert result.status == "failed" and sent == []
    assert "multipart/form-data payload must be an object" in result.error.message


def test_replacement_on_a_plain_text_json_payload_is_an_error(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path,
        OPENAPI,
        """
        - stepId: s
          operationId: h
          requestBody:
            contentType: application/json
            payload: "not json"
            replacements: [{target: /a, value: 1}]
        """,
    )
    assert result.status == "failed" and sent == []
    assert "plain text" in result.error.message


def test_component_parameter_stays_unchanged_after_a_value_override(tmp_path: Path) -> None:
    openapi = OPENAPI
    (tmp_path / "openapi.yaml").write_text(textwrap.dedent(openapi).lstrip(), encoding="utf-8")
    (tmp_path / "arazzo.yaml").write_text(
        textwrap.dedent(
            """
            arazzo: 1.0.1
            info: {title: t, version: '1'}
            sourceDescriptions: [{name: api, url: ./openapi.yaml, type: openapi}]
            components:
              parameters:
                text: {name: X-Text, in: header, value: base}
            workflows:
              - workflowId: main
                steps:
                  - {stepId: a, operationId: h, parameters: [{reference: $components.parameters.text, value: over}]}
                  - {stepId: b, operationId: h, parameters: [{reference: $components.parameters.text}]}
            """
        ).lstrip(),
        encoding="utf-8",
    )
    doc = load(tmp_path / "arazzo.yaml")
    before = json.dumps(doc.components, sort_keys=True, default=str)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-text"])
        return httpx.Response(200)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    result = run_workflow(doc, "main", client=client, servers="https://api.test")
    assert result.status == "succeeded"
    assert seen == ["over", "base"]
    assert json.dumps(doc.components, sort_keys=True, default=str) == before


def test_multipart_with_only_text_fields_is_still_multipart(tmp_path: Path) -> None:
    result, sent = _run(
        tmp_path,
        OPENAPI,
        """
        - stepId: s
          operationId: h
          requestBody:
            contentType: multipart/form-data; boundary=XyZ
            payload: {a: "1", "we\\"ird": [true, null]}
        """,
    )
    assert result.status == "succeeded", result.error
    assert sent[0].headers["content-type"] == "multipart/form-data; boundary=XyZ"
    assert sent[0].content == (
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="we%22ird"\r\n\r\ntrue\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="we%22ird"\r\n\r\nnull\r\n'
        b"--XyZ--\r\n"
    )


def test_encode_multipart_file_parts() -> None:
    from arazzo_runner.engine.request import encode_multipart

    body = encode_multipart({"f": {"content": b"\x00\xff"}, "g": b"ab"}, "B")
    assert body == (
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\xff\r\n"
        b'--B\r\nContent-Disposition: form-data; name="g"; filename="g"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nab\r\n"
        b"--B--\r\n"
    )


def test_binary_data_inside_a_json_payload_is_a_clear_error(tmp_path: Path) -> None:
    openapi = OPENAPI.replace(
        "/h:", "/bin:\n    get:\n      operationId: bin\n      responses: {'200': {description: ok}}\n  /h:"
    )
    (tmp_path / "openapi.yaml").write_text(textwrap.dedent(openapi).lstrip(), encoding="utf-8")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/bin":
            return httpx.Response(200, content=b"\x00\x01", headers={"Content-Type": "application/octet-stream"})
        return httpx.Response(200)

    (tmp_path / "arazzo.yaml").write_text(
        textwrap.dedent(
            """
            arazzo: 1.0.1
            info: {title: t, version: '1'}
            sourceDescriptions: [{name: api, url: ./openapi.yaml, type: openapi}]
            workflows:
              - workflowId: main
                steps:
                  - {stepId: get, operationId: bin, outputs: {blob: $response.body}}
                  - stepId: put
                    operationId: h
                    requestBody: {contentType: application/json, payload: {b: $steps.get.outputs.blob}}
            """
        ).lstrip(),
        encoding="utf-8",
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    result = run_workflow(load(tmp_path / "arazzo.yaml"), "main", client=client, servers="https://api.test")
    assert result.status == "failed"
    assert result.error.reason == "request_error"
    assert "JSON cannot carry" in result.error.message


def test_required_parameters_without_a_value_warn(tmp_path: Path) -> None:
    openapi = """
    openapi: 3.1.0
    info: {title: t, version: '1'}
    components:
      securitySchemes:
        key: {type: apiKey, in: header, name: X-Key}
    paths:
      /r:
        get:
          operationId: r
          parameters:
            - {name: limit, in: query, required: true, schema: {type: integer}}
            - {name: X-Req, in: header, required: true, schema: {type: string}}
            - {name: X-Key, in: header, required: true, schema: {type: string}}
            - {name: opt, in: query, schema: {type: string}}
          responses: {'200': {description: ok}}
    """
    result, sent = _run(
        tmp_path, openapi, "- {stepId: s, operationId: r, parameters: [{name: x-req, in: header, value: a}]}"
    )
    assert result.status == "succeeded" and len(sent) == 1
    warnings = result.steps[0].warnings
    assert any("requires query parameter 'limit'" in w for w in warnings)
    assert not any("X-Req" in w or "X-Key" in w or "'opt'" in w for w in warnings)


def test_a_request_made_in_one_go_equals_one_made_by_the_dataclass() -> None:
    from arazzo_runner.engine.request import PreparedRequest, new_prepared

    made = new_prepared("POST", "https://api.example.com", "/items")
    assert made == PreparedRequest(method="POST", base_url="https://api.example.com", path="/items")
    assert vars(made).keys() == vars(PreparedRequest(method="GET", base_url="", path="")).keys()  # every field
    other = new_prepared("GET", "https://api.example.com", "/items")
    for name, value in vars(made).items():  # containers of its own: filling one request fills no other
        if isinstance(value, (list, dict, set)):
            assert value is not getattr(other, name)
