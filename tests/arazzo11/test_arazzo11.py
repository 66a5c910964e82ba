"""Arazzo 1.1 at load time and in its small parts: versions, selectors, dependsOn, action parameters, OpenAPI 3.2.

Runs against real servers are in tests/conformance/cases/4xx-*; the checklist
(V11-nn) is docs/arazzo-1.1.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import DocumentError, load_text
from arazzo_runner.compile.loader import load_collecting
from arazzo_runner.compile.versions import base_uri, find_11_features
from arazzo_runner.engine.querystring import querystring_piece
from arazzo_runner.errors import EvaluationError, UnresolvedExpression
from arazzo_runner.language.expressions import EvalContext
from arazzo_runner.language.selectors import compile_selector
from arazzo_runner.openapi.index import load_openapi

OPENAPI = """openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
"""

DOC = """arazzo: {version}
info: {{title: t, version: '1'}}
sourceDescriptions: [{{name: api, url: ./openapi.yaml, type: openapi}}]
workflows:
  - workflowId: main
    steps:
      - stepId: a
        operationId: getItem
        parameters: [{{name: id, in: path, value: "1"}}]
{extra}"""


@pytest.fixture
def base(tmp_path: Path) -> str:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    return (tmp_path / "doc.arazzo.yaml").as_uri()


def _errors(text: str, url: str) -> list[str]:
    _, diagnostics, _ = load_collecting(text, url)
    return [f"{d.code} {d.pointer} {d.message}" for d in diagnostics if d.severity == "error"]


def test_both_versions_load_by_their_own_rules(base: str) -> None:
    """V11-01."""
    for version in ("1.0.0", "1.0.1", "1.1.0", "1.1.3"):
        document = load_text(DOC.format(version=version, extra=""), base_uri=base)
        assert document.arazzo_version == version
    with pytest.raises(DocumentError, match=r"reads 1\.0\.x and 1\.1\.x"):
        load_text(DOC.format(version="1.2.0", extra=""), base_uri=base)


ELEVEN_ONLY = {
    "        timeout: 5\n": "step 'timeout'",
    "        dependsOn: [a]\n": "step-level 'dependsOn'",
    "        outputs: {v: {context: $response.body, selector: $.v, type: jsonpath}}\n": "Selector Object as an output",
    "        onSuccess: [{name: g, type: goto, workflowId: main, parameters: [{name: x, value: 1}]}]\n": "'parameters'",
    (
        "        successCriteria:\n"
        "          - {context: $response.body, condition: $.a, type: {type: jsonpath, version: rfc9535}}\n"
    ): "expression version 'rfc9535'",
}


@pytest.mark.parametrize("extra", sorted(ELEVEN_ONLY), ids=lambda e: e.strip()[:20])
def test_a_11_feature_in_a_10_document_names_the_feature_and_the_fix(base: str, extra: str) -> None:
    """V11-02: one ARZ150 error per use, whatever else the document says."""
    errors = [e for e in _errors(DOC.format(version="1.0.1", extra=extra), base) if e.startswith("ARZ150")]
    assert len(errors) == 1, errors
    assert ELEVEN_ONLY[extra] in errors[0] and "set 'arazzo' to \"1.1.0\"" in errors[0]
    assert "ARZ150" not in " ".join(_errors(DOC.format(version="1.1.0", extra=extra), base))


def test_find_11_features_reaches_components_and_querystring() -> None:
    data = {
        "$self": "x",
        "sourceDescriptions": [{"name": "e", "url": "e.yaml", "type": "asyncapi"}],
        "workflows": [{"parameters": [{"name": "q", "in": "querystring", "value": "a=1"}], "steps": []}],
        "components": {"failureActions": {"f": {"name": "f", "type": "retry", "parameters": []}}},
    }
    assert [p for p, _ in find_11_features(data)] == [
        "/$self",
        "/sourceDescriptions/0/type",
        "/workflows/0/parameters/0/in",
        "/components/failureActions/f/parameters",
    ]


def test_self_base_uri_rules() -> None:
    """V11-04: absolute $self is the base; relative resolves against the retrieval URL; 1.0 ignores it."""
    here = "file:///work/flows/doc.yaml"
    assert base_uri({"arazzo": "1.1.0", "$self": "https://ex.com/a/b.yaml"}, here) == "https://ex.com/a/b.yaml"
    assert base_uri({"arazzo": "1.1.0", "$self": "sub/b.yaml"}, here) == "file:///work/flows/sub/b.yaml"
    assert base_uri({"arazzo": "1.1.0"}, here) == here
    assert base_uri({"arazzo": "1.0.1", "$self": "sub/b.yaml"}, here) == here
    assert base_uri({"arazzo": "1.1.0", "$self": "b.yaml#frag"}, here) == here  # refused, see below


def test_self_with_a_fragment_is_a_load_error(base: str) -> None:
    text = DOC.format(version="1.1.0", extra="").replace("info:", "$self: https://ex.com/d.yaml#/w\ninfo:")
    with pytest.raises(DocumentError, match="must not contain a fragment") as caught:
        load_text(text, base_uri=base)
    assert "line 2" in str(caught.value) or ":2:" in str(caught.value)


def test_selector_errors_point_at_the_field_with_a_caret(base: str) -> None:
    """V11-09/V11-10: compiled at load; the message has the caret and the pointer."""
    extra = "        outputs:\n          v: {context: $response.body, selector: '$.items[?@.n >]', type: jsonpath}\n"
    (message,) = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert message.startswith("ARZ151 /workflows/0/steps/0/outputs/v/selector invalid RFC 9535 JSONPath")
    assert "^" in message
    extra = (
        "        outputs:\n"
        "          v: {context: $response.body, selector: /a, type: {type: xpath, version: rfc9535}}\n"
    )
    (message,) = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert "ARZ151 /workflows/0/steps/0/outputs/v/type" in message and "xpath version must be" in message
    extra = "        outputs:\n          v: {expression: $response.body, selector: $.a}\n"
    (message,) = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert "unknown field 'expression' in a Selector Object" in message


def test_plain_jsonpath_is_rfc9535_only_in_11(base: str) -> None:
    """V11-12: 1.0 falls back to Goessner with a warning; 1.1 reads jsonpath as RFC 9535 and refuses it."""
    extra = "        successCriteria: [{context: $response.body, condition: $.items.length > 0, type: jsonpath}]\n"
    document = load_text(DOC.format(version="1.0.1", extra=extra), base_uri=base)
    assert any("Goessner" in d.message for d in document.warnings)
    errors = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert len(errors) == 1 and "RFC 9535" in errors[0]
    pinned = extra.replace("type: jsonpath", "type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}")
    assert _errors(DOC.format(version="1.1.0", extra=pinned), base) == []


def test_a_criterion_cannot_be_a_json_pointer(base: str) -> None:
    extra = (
        "        successCriteria:\n"
        "          - {context: $response.body, condition: /a, type: {type: jsonpointer, version: rfc6901}}\n"
    )
    (message,) = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert "cannot be a JSON Pointer" in message


def _ctx(**inputs: object) -> EvalContext:
    return EvalContext(inputs=inputs)


def test_what_a_selector_yields() -> None:
    """V11-11: one match is the value, several a list, none an unresolved expression naming the selector."""
    data = {"items": [{"n": 1}, {"n": 2}]}
    one = compile_selector("$inputs.d", "$.items[0].n", "jsonpath")
    assert one.evaluate(_ctx(d=data)) == 1
    many = compile_selector("$inputs.d", "$.items[*].n", {"type": "jsonpath", "version": "rfc9535"})
    assert many.evaluate(_ctx(d=data)) == [1, 2]
    pointer = compile_selector("$inputs.d", "/items/1", "jsonpointer")
    assert pointer.evaluate(_ctx(d=data)) == {"n": 2}
    none = compile_selector("$inputs.d", "$.missing", "jsonpath")
    with pytest.raises(UnresolvedExpression, match=r"jsonpath selector '\$\.missing' on \$inputs\.d selected nothing"):
        none.evaluate(_ctx(d=data))
    xml = compile_selector("$inputs.x", "count(/r/i)", {"type": "xpath", "version": "xpath-10"})
    assert xml.evaluate(_ctx(x="<r><i/><i/></r>")) == 2


def test_depends_on_entries_must_name_existing_steps(base: str) -> None:
    """V11-18: local, cross-workflow and malformed entries."""
    two = DOC.format(version="1.1.0", extra="        dependsOn: ['$workflows.other.steps.nope']\n") + (
        "  - workflowId: other\n    steps:\n      - stepId: b\n        operationId: getItem\n"
        "        parameters: [{name: id, in: path, value: '2'}]\n"
    )
    (message,) = _errors(two, base)
    assert "workflow 'other' has no step 'nope' (steps: b)" in message
    assert _errors(two.replace("steps.nope", "steps.b"), base) == []
    (message,) = _errors(DOC.format(version="1.1.0", extra="        dependsOn: [$steps.a]\n"), base)
    assert message.startswith("ARZ152") and "must be a stepId" in message
    (message,) = _errors(DOC.format(version="1.1.0", extra="        dependsOn: [zz]\n"), base)
    assert "names step 'zz', which is not a step of workflow 'main'" in message


def test_action_parameters_need_a_workflow_and_no_in(base: str) -> None:
    """V11-20."""
    extra = "        onSuccess: [{name: e, type: end, parameters: [{name: x, value: 1}]}]\n"
    (message,) = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert message.startswith("ARZ157") and "needs a 'workflowId'" in message
    extra = (
        "        onSuccess: [{name: g, type: goto, workflowId: main, parameters: [{name: x, in: query, value: 1}]}]\n"
    )
    messages = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert any("'in' must not be used" in m for m in messages)


def test_step_timeout_must_be_whole_milliseconds(base: str) -> None:
    """V11-15."""
    for bad in ("-1", "1.5", "'10'", "true"):
        (message,) = _errors(DOC.format(version="1.1.0", extra=f"        timeout: {bad}\n"), base)
        assert message.startswith("ARZ158")


def test_querystring_piece_formats() -> None:
    """V11-21."""
    assert querystring_piece("a=1&b=x y", None) == "a=1&b=x%20y"
    assert querystring_piece("?a=1", "application/x-www-form-urlencoded") == "a=1"
    assert querystring_piece({"a": 1, "b": "x&y"}, None) == "a=1&b=x%26y"
    assert querystring_piece({"a": [1]}, "application/json") == "%7B%22a%22%3A%5B1%5D%7D"
    assert querystring_piece('{"a":1}', "application/vnd.x+json; charset=utf-8") == "%7B%22a%22%3A1%7D"


def test_openapi_32_query_method_and_additional_operations() -> None:
    """V11-22: OpenAPI 3.2 path items: the query method and additionalOperations are operations too."""
    text = """openapi: 3.2.0
info: {title: t, version: '1'}
paths:
  /search:
    query: {operationId: searchQuery, responses: {'200': {description: ok}}}
    additionalOperations:
      COPY: {operationId: copyIt, responses: {'200': {description: ok}}}
    parameters:
      - {name: q, in: querystring, content: {application/json: {schema: {type: object}}}}
"""
    description = load_openapi("file:///x/openapi.yaml", "openapi.yaml", text)
    assert description.operations_by_id["searchQuery"].method == "query"
    copy = description.operations_by_id["copyIt"]
    assert copy.label == "COPY /search"
    (param,) = copy.parameters
    assert (param.location, param.content_type) == ("querystring", "application/json")


def test_11_expression_grammar_applies_to_11_documents_only(base: str) -> None:
    """V11-05..V11-07: $self, $message, and no braces in pointers, in 1.1; 1.0 keeps its grammar."""
    extra = "        outputs: {me: $self, m: $message.payload#/id, h: $message.header.requestId}\n"
    document = load_text(DOC.format(version="1.1.0", extra=extra), base_uri=base)
    step = document.workflows["main"].steps[0]
    me = dict(step.outputs)["me"]
    assert me.evaluate(EvalContext()) == base  # no $self field: the retrieval URL is the identity
    text = DOC.format(version="1.1.0", extra=extra).replace("info:", "$self: https://ex.com/flows/a.yaml\ninfo:")
    text = text.replace("url: ./openapi.yaml", "url: " + base.rsplit("/", 1)[0] + "/openapi.yaml")
    document = load_text(text, base_uri=base)
    assert dict(document.workflows["main"].steps[0].outputs)["me"].evaluate(EvalContext()) == (
        "https://ex.com/flows/a.yaml"
    )
    message = dict(step.outputs)["m"]
    with pytest.raises(EvaluationError, match="AsyncAPI steps are not executed yet"):
        message.evaluate(EvalContext())
    # In a 1.0 document neither is an expression, and an output must be one (STEP-22).
    errors = _errors(DOC.format(version="1.0.1", extra=extra), base)
    assert any("unknown runtime expression '$self'" in e for e in errors)
    assert any("$message expressions were removed" in e for e in errors)
    # A pointer with a brace: read as one in 1.0; in 1.1 it does not parse, and an output must be an expression.
    braces = "        outputs: {v: '$response.body#/a{b'}\n"
    assert _errors(DOC.format(version="1.0.1", extra=braces), base) == []
    (message_text,) = _errors(DOC.format(version="1.1.0", extra=braces), base)
    assert "'{' cannot appear in a JSON pointer in Arazzo 1.1" in message_text


def test_mock_mode_answers_openapi_32_querystring_operations() -> None:
    """V11-22: offline mode takes OpenAPI 3.2 operations too (their requests are answered, not validated)."""
    from arazzo_runner import load, run_workflow

    case = Path(__file__).resolve().parents[1] / "conformance" / "cases" / "403-querystring-form-and-json"
    result = run_workflow(load(case / "arazzo.yaml"), "main", {"category": "x", "limit": 3}, mock=True)
    assert result.status == "succeeded", result.error
    assert [s.method for s in result.steps] == ["GET", "QUERY"]
    assert result.steps[0].url.endswith("/search?category=x&limit=3&inStock=true")


def test_input_and_output_names_are_identifiers_in_11(base: str) -> None:
    """V11-06: `$inputs.<identifier>` in 1.1 ([A-Za-z0-9._-]+); 1.0 keeps its wider names (RTE-1)."""
    extra = "        outputs: {v: 'x{$inputs.café}'}\n"
    assert _errors(DOC.format(version="1.0.1", extra=extra), base) == []
    (message,) = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert "unexpected 'é' after the runtime expression '$inputs.caf'" in message and "^" in message
    ok = "        outputs: {v: 'x{$inputs.user.e-mail_2}'}\n"
    assert _errors(DOC.format(version="1.1.0", extra=ok), base) == []


def test_empty_success_criteria_is_an_error_in_11_only(base: str) -> None:
    """V11-23: a warning (read as absent) in 1.0, an error in 1.1."""
    extra = "        successCriteria: []\n"
    document = load_text(DOC.format(version="1.0.1", extra=extra), base_uri=base)
    assert [d.code for d in document.warnings] == ["ARZ027"]
    (message,) = _errors(DOC.format(version="1.1.0", extra=extra), base)
    assert message.startswith("ARZ002 /workflows/0/steps/0/successCriteria")


def test_a_payload_with_a_selector_member_is_a_literal_body(base: str) -> None:
    """DEC-V11-5: only parameter values, outputs and replacement values are read as Selector Objects."""
    extra = (
        "        requestBody:\n"
        "          contentType: application/json\n"
        "          payload: {context: page, selector: '#main', type: css}\n"
    )
    document = load_text(DOC.format(version="1.1.0", extra=extra), base_uri=base)
    body = document.workflows["main"].steps[0].request_body
    assert body is not None and body.payload is not None
    assert body.payload.evaluate(EvalContext()) == {"context": "page", "selector": "#main", "type": "css"}
