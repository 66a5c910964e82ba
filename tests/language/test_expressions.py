"""Runtime expressions: parsing, printing, evaluation, JSON pointers, templates (checklist §17, DEC-14..DEC-17)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arazzo_runner.errors import ArazzoError, EvaluationError, ExpressionSyntaxError, UnresolvedExpression
from arazzo_runner.language.expressions import (
    CompiledValue,
    EvalContext,
    Expression,
    HttpView,
    JsonPointer,
    WorkflowRecord,
    compile_value,
    parse_expression,
    scan_expression,
    to_text,
    try_parse_expression,
)


def make_ctx(**overrides: Any) -> EvalContext:
    """A context where every expression source has something to read."""
    base: dict[str, Any] = {
        "inputs": {
            "token": "abc",
            "quantity": 3,
            "order": {"id": 9, "items": [1, 2]},
            "a.b": "exact",
            "a": {"b": "nested"},
            "flag": True,
            "n": None,
            "obj": {"a": 1},
            "host": "h.example",
            "scope": "read",
            "user": {"address": {"city": "Paris"}},
        },
        "steps": {
            "find": {"pets": [{"id": 11}, {"id": 12}]},
            "s": {"a.b": "dotted-key", "x": {"y": 5}},
            "create": {"id": 42},
            "login": {"token": "abc"},
        },
        "workflows": {"child": WorkflowRecord(inputs={"who": "me"}, outputs={"mapped": {"name": "Rex"}})},
        "source_descriptions": {"api": {"name": "api", "url": "https://srv.example/openapi.yaml", "type": "openapi"}},
        "components": {
            "parameters": {"my.org.page": {"name": "page", "in": "query", "value": 1}},
            "successActions": {"done": {"name": "done", "type": "end"}},
            "failureActions": {"retry": {"name": "retry", "type": "retry"}},
        },
        "url": "https://srv/pets?limit=2",
        "method": "GET",
        "status_code": 200,
        "request": HttpView(
            headers={"accept": "application/json", "x-tag": "a, b"},
            body={"a": 1},
            body_kind="json",
            query={"limit": 2},
            path={"petId": "7"},
        ),
        "response": HttpView(
            headers={"content-type": "application/json", "x-rate-limit": "5", "x-tag": "a, b"},
            body={"a/b": {"c~d": 1}, "~1": 2, "arr": [10, 20], "results": [], "status": "ok", "a": [{"b": 42}]},
            body_kind="json",
        ),
        "outputs": {"workflow_order_id": "o-1"},
    }
    base.update(overrides)
    return EvalContext(**base)


# -- parsing and printing -------------------------------------------------------------

VALID = [
    ("RTE-8-url", "$url", "url", None),
    ("RTE-9-method", "$method", "method", None),
    ("RTE-10-statusCode", "$statusCode", "statusCode", None),
    ("RTE-11-request-header", "$request.header.accept", "request.header", "accept"),
    ("RTE-12-request-query", "$request.query.limit", "request.query", "limit"),
    ("RTE-12-request-path", "$request.path.petId", "request.path", "petId"),
    ("RTE-13-request-body", "$request.body", "request.body", None),
    ("RTE-13-request-body-pointer", "$request.body#/a", "request.body", None),
    ("RTE-14-response-header", "$response.header.X-Rate-Limit", "response.header", "X-Rate-Limit"),
    ("RTE-15-response-body", "$response.body", "response.body", None),
    ("RTE-15-response-body-pointer", "$response.body#/a~1b/c~0d", "response.body", None),
    ("RTE-15-empty-pointer", "$response.body#", "response.body", None),
    ("RTE-17-inputs", "$inputs.token", "inputs", "token"),
    ("RTE-17-inputs-pointer", "$inputs.order#/items/0", "inputs", "order"),
    ("RTE-17-inputs-dotted", "$inputs.a.b", "inputs", "a.b"),
    ("RTE-17-inputs-unicode", "$inputs.café", "inputs", "café"),
    ("RTE-18-outputs", "$outputs.workflow_order_id", "outputs", "workflow_order_id"),
    ("RTE-19-steps", "$steps.find.outputs.pets", "steps", "pets"),
    ("RTE-19-steps-pointer", "$steps.find.outputs.pets#/0/id", "steps", "pets"),
    ("RTE-20-workflows-outputs", "$workflows.child.outputs.mapped#/name", "workflows", "mapped"),
    ("RTE-20-workflows-inputs", "$workflows.child.inputs.who", "workflows", "who"),
    ("RTE-21-sourceDescriptions-url", "$sourceDescriptions.api.url", "sourceDescriptions", "url"),
    ("RTE-21-DEC-37-dotted-operationId", "$sourceDescriptions.api.pets.list", "sourceDescriptions", "pets.list"),
    ("RTE-22-components-parameters", "$components.parameters.my.org.page", "components", "my.org.page"),
    ("RTE-22-components-successActions", "$components.successActions.done", "components", "done"),
    ("RTE-22-components-failureActions", "$components.failureActions.retry", "components", "retry"),
]


@pytest.mark.parametrize(("text", "root", "name"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_parse_print_round_trip(text: str, root: str, name: str | None) -> None:
    expression = parse_expression(text)
    assert isinstance(expression, Expression)
    assert str(expression) == text
    assert parse_expression(str(expression)) == expression
    assert expression.root == root
    assert expression.name == name


def test_static_analysis_attributes() -> None:
    step = parse_expression("$steps.find.outputs.pets#/0/id")
    assert (step.step_id, step.name, step.workflow_id) == ("find", "pets", None)
    assert step.pointer is not None and step.pointer.tokens == ("0", "id")
    workflow = parse_expression("$workflows.child.inputs.who")
    assert (workflow.workflow_id, workflow.scope, workflow.name, workflow.pointer) == ("child", "inputs", "who", None)
    component = parse_expression("$components.successActions.done")
    assert (component.scope, component.name) == ("successActions", "done")
    source = parse_expression("$sourceDescriptions.api.url")
    assert (source.scope, source.name) == ("api", "url")
    assert parse_expression("$response.body").pointer is None
    assert parse_expression("$response.body#").pointer == JsonPointer(())


INVALID = [
    ("RTE-16-empty-inputs-name", "$inputs.", 8),
    ("RTE-16-empty-outputs-name", "$outputs.", 9),
    ("RTE-16-empty-steps", "$steps.", 7),
    ("RTE-16-steps-no-output-name", "$steps.s.outputs.", 17),
    ("RTE-16-response-query", "$response.query.x", 10),
    ("RTE-16-response-path", "$response.path.x", 10),
    ("RTE-16-empty-header", "$request.header.", 16),
    ("DIFF-4-message", "$message.body", 1),
    ("DEC-48-components-inputs", "$components.inputs.x", 12),
    ("DEC-15-components-unknown-kind", "$components.schemas.x", 12),
    ("DEC-15-unknown-root", "$self", 1),
    ("DEC-15-bare-dollar", "$", 1),
    ("DEC-15-no-dollar", "inputs.x", 0),
    ("DEC-15-url-suffix", "$urlx", 1),
    ("DEC-15-url-trailing-text", "$url.x", 4),
    ("CRIT-14-body-dot-in-whole-string", "$response.body.items", 14),
    ("DEC-15-steps-not-outputs", "$steps.s.inputs.x", 8),
    ("DEC-15-workflows-bad-kind", "$workflows.w.steps.x", 13),
    ("DEC-15-request-bad-part", "$request.cookie.x", 9),
    ("DEC-15-space-in-name", "$inputs.my name", 10),
    ("RTE-23-pointer-without-slash", "$response.body#a", 15),
    ("RTE-23-bad-tilde-escape", "$response.body#/a~2", 17),
    ("DEC-15-steps-bad-id", "$steps.my step.outputs.x", 9),
]


@pytest.mark.parametrize(("text", "position"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_syntax_errors_name_position_and_expectation(text: str, position: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    error = info.value
    assert isinstance(error, ArazzoError)
    assert error.position == position, error.message
    assert error.text == text
    assert error.expected
    assert error.caret_lines()  # the caret points somewhere


def test_unknown_root_lists_the_roots() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("$self.x")
    assert "$url, $method, $statusCode" in info.value.message
    assert "$components." in str(info.value.expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("$inputs.x", True), ("Bearer $inputs.token", False), ("$inputs.", False), ("$inputs.x y", False), ("x", False)],
    ids=["DEC-16-whole", "RTE-7-not-at-start", "RTE-16-empty-name", "DEC-16-trailing-text", "DEC-16-literal"],
)
def test_try_parse_expression(text: str, expected: bool) -> None:
    assert (try_parse_expression(text) is not None) is expected


# -- where an expression ends (DEC-15) ---------------------------------------------------

SCAN = [
    ("DEC-15-operator-after-pointer", "$response.body#/a>5", "$response.body#/a", 17),
    ("DEC-15-space-ends", "$inputs.x == 1", "$inputs.x", 9),
    ("DEC-15-paren-ends", "$statusCode)", "$statusCode", 11),
    ("CRIT-14-body-ends-before-dot", "$response.body.items[1]", "$response.body", 14),
    ("DEC-15-dotted-name-greedy", "$inputs.a.b[0]", "$inputs.a.b", 11),
    ("DEC-15-header-before-ne", "$response.header.X-A!=5", "$response.header.X-A", 20),
    ("DEC-15-header-before-and", "$response.header.X-A&&true", "$response.header.X-A", 20),
    ("DEC-15-pointer-before-bracket", "$response.body#/items[0]", "$response.body#/items", 21),
    ("DEC-15-step-output-before-eq", "$steps.s.outputs.a==1", "$steps.s.outputs.a", 18),
]


@pytest.mark.parametrize(("text", "printed", "end"), [c[1:] for c in SCAN], ids=[c[0] for c in SCAN])
def test_scan_expression_in_condition(text: str, printed: str, end: int) -> None:
    expression, stop = scan_expression(text, 0)
    assert str(expression) == printed
    assert stop == end


def test_scan_expression_at_offset() -> None:
    expression, stop = scan_expression("a || $statusCode == 1", 5)
    assert str(expression) == "$statusCode" and stop == 16


# -- evaluation ----------------------------------------------------------------------------

EVALUATE = [
    ("RTE-8-T-44-url", "$url", "https://srv/pets?limit=2"),
    ("RTE-9-T-44-method", "$method", "GET"),
    ("RTE-10-statusCode-int", "$statusCode", 200),
    ("RTE-11-T-37-request-header-any-case", "$request.header.ACCEPT", "application/json"),
    ("RTE-12-request-query", "$request.query.limit", 2),
    ("RTE-12-request-path", "$request.path.petId", "7"),
    ("RTE-13-request-body", "$request.body", {"a": 1}),
    ("RTE-13-T-44-request-body-pointer", "$request.body#/a", 1),
    ("RTE-14-T-37-response-header-any-case", "$response.header.X-Rate-Limit", "5"),
    ("DEC-25-T-45-repeated-header-joined", "$response.header.X-Tag", "a, b"),
    ("RTE-15-response-body-pointer", "$response.body#/status", "ok"),
    ("RTE-23-empty-pointer-whole-body", "$response.body#", None),  # replaced below: whole body
    ("RTE-17-inputs", "$inputs.quantity", 3),
    ("RTE-4-inputs-keeps-object", "$inputs.order", {"id": 9, "items": [1, 2]}),
    ("RTE-17-inputs-pointer", "$inputs.order#/items/1", 2),
    ("DEC-15-T-43-exact-dotted-key-wins", "$inputs.a.b", "exact"),
    ("DEC-15-dotted-fallback-deep", "$inputs.user.address.city", "Paris"),
    ("RTE-18-outputs", "$outputs.workflow_order_id", "o-1"),
    ("RTE-19-T-42-steps-pointer", "$steps.find.outputs.pets#/0/id", 11),
    ("DEC-15-T-43-step-output-dotted-key", "$steps.s.outputs.a.b", "dotted-key"),
    ("DEC-15-T-43-step-output-fallback", "$steps.s.outputs.x.y", 5),
    ("RTE-20-T-42-workflows-outputs-pointer", "$workflows.child.outputs.mapped#/name", "Rex"),
    ("RTE-20-workflows-inputs", "$workflows.child.inputs.who", "me"),
    ("RTE-21-DEC-47-source-url", "$sourceDescriptions.api.url", "https://srv.example/openapi.yaml"),
    (
        "RTE-22-T-43-component-dotted-key",
        "$components.parameters.my.org.page",
        {"name": "page", "in": "query", "value": 1},
    ),
    ("RTE-22-successActions", "$components.successActions.done", {"name": "done", "type": "end"}),
    ("RTE-23-T-41-escapes", "$response.body#/a~1b/c~0d", 1),
    ("RTE-23-T-41-tilde-order", "$response.body#/~01", 2),
    ("RTE-23-array-index", "$response.body#/arr/1", 20),
    ("RTE-23-benchmark-shape", "$response.body#/a/0/b", 42),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in EVALUATE], ids=[c[0] for c in EVALUATE])
def test_evaluate(text: str, expected: Any) -> None:
    ctx = make_ctx()
    if text == "$response.body#":
        assert ctx.response is not None
        expected = ctx.response.body
    assert parse_expression(text).evaluate(ctx) == expected


def test_RTE_10_status_code_is_int() -> None:
    assert type(parse_expression("$statusCode").evaluate(make_ctx())) is int


UNRESOLVED = [
    ("RTE-24-missing-input", "$inputs.nope", {}, "no input 'nope'"),
    ("RTE-24-step-not-run", "$steps.later.outputs.x", {}, "step 'later' has not run"),
    ("RTE-24-missing-step-output", "$steps.find.outputs.nope", {}, "no output 'nope'"),
    ("RTE-24-workflow-not-run", "$workflows.other.outputs.x", {}, "has not run"),
    ("RTE-24-pointer-miss", "$response.body#/nope", {}, "key 'nope' not found"),
    (
        "RTE-23-out-of-range-empty-array",
        "$response.body#/results/0/user_id",
        {},
        "$response.body#/results/0/user_id: index 0 is out of range: /results is an empty array",
    ),
    ("RTE-23-T-41-leading-zero", "$response.body#/arr/01", {}, "'01' is not an array index"),
    ("RTE-23-T-41-dash-never-resolves", "$response.body#/arr/-", {}, "'-'"),
    ("RTE-23-into-scalar", "$response.body#/status/x", {}, "/status is a string"),
    ("DEC-02-no-response-status", "$statusCode", {"status_code": None}, "no response"),
    ("DEC-02-no-response-body", "$response.body", {"response": None}, "no response"),
    ("DEC-02-no-request", "$request.header.accept", {"request": None}, "no request"),
    ("RTE-14-missing-header", "$response.header.X-None", {}, "no header 'X-None'"),
    ("RTE-21-missing-source", "$sourceDescriptions.other.url", {}, "no source description 'other'"),
    ("RTE-22-missing-component", "$components.parameters.nope", {}, "no component parameters.nope"),
    ("RTE-12-missing-query", "$request.query.nope", {}, "no query parameter 'nope'"),
    (
        "DEC-24-pointer-into-empty-body",
        "$response.body#/a",
        {"response": HttpView(body=None, body_kind="empty")},
        "body is empty",
    ),
    ("RTE-8-no-url", "$url", {"url": None}, "no request"),
    ("RTE-9-no-method", "$method", {"method": None}, "no request"),
]


@pytest.mark.parametrize(("text", "overrides", "message"), [c[1:] for c in UNRESOLVED], ids=[c[0] for c in UNRESOLVED])
def test_unresolved(text: str, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(UnresolvedExpression) as info:
        parse_expression(text).evaluate(make_ctx(**overrides))
    assert message in info.value.message
    assert info.value.message.startswith(text)
    assert info.value.expression == text


def test_DEC_24_pointer_into_text_body_is_an_evaluation_error() -> None:
    ctx = make_ctx(response=HttpView(body="<r/>", body_kind="text"))
    with pytest.raises(EvaluationError) as info:
        parse_expression("$response.body#/a").evaluate(ctx)
    assert not isinstance(info.value, UnresolvedExpression)
    assert "not JSON" in info.value.message and "text" in info.value.message
    # The whole text body is still readable.
    assert parse_expression("$response.body").evaluate(ctx) == "<r/>"


def test_DEC_14_outputs_outside_scope_is_an_error() -> None:
    with pytest.raises(EvaluationError) as info:
        parse_expression("$outputs.x").evaluate(make_ctx(outputs=None))
    assert "only available" in info.value.message


# -- JSON Pointer (RTE-23, T-41) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", ()),
        ("/", ("",)),
        ("/a~1b/c~0d", ("a/b", "c~d")),
        ("/~01", ("~1",)),
        ("/a//b", ("a", "", "b")),
        ("/ä/ ", ("ä", " ")),
    ],
    ids=[
        "RTE-23-empty",
        "RTE-23-empty-key",
        "RTE-23-T-41-escapes",
        "RTE-23-T-41-order",
        "RTE-23-empty-token",
        "RTE-23-unicode-space",
    ],
)
def test_json_pointer_parse_and_print(text: str, tokens: tuple[str, ...]) -> None:
    pointer = JsonPointer.parse(text)
    assert pointer.tokens == tokens
    assert str(pointer) == text
    assert JsonPointer.parse(str(pointer)) == pointer


def test_json_pointer_resolve() -> None:
    document = {"a/b": {"c~d": 1}, "~1": 2, "": {"": 3}, "arr": [0, {"x": None}]}
    assert JsonPointer.parse("").resolve(document) is document
    assert JsonPointer.parse("/a~1b/c~0d").resolve(document) == 1
    assert JsonPointer.parse("/~01").resolve(document) == 2
    assert JsonPointer.parse("//").resolve(document) == 3
    assert JsonPointer.parse("/arr/1/x").resolve(document) is None
    assert JsonPointer.parse("/arr/0").resolve(document) == 0
    with pytest.raises(UnresolvedExpression, match="not an array index"):
        JsonPointer.parse("/arr/01").resolve(document)
    with pytest.raises(UnresolvedExpression, match="past the end"):
        JsonPointer.parse("/arr/-").resolve(document)
    with pytest.raises(UnresolvedExpression, match="out of range: /arr is an array of 2 items"):
        JsonPointer.parse("/arr/2").resolve(document)
    with pytest.raises(UnresolvedExpression, match="key 'zz' not found: the root is an object"):
        JsonPointer.parse("/zz").resolve(document)


def test_json_pointer_syntax_errors() -> None:
    with pytest.raises(ExpressionSyntaxError):
        JsonPointer.parse("a")
    with pytest.raises(ExpressionSyntaxError) as info:
        JsonPointer.parse("/a~")
    assert info.value.position == 2


# -- to_text (DEC-17, T-40) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("s", "s"),
        (3, "3"),
        (3.0, "3"),
        (0.5, "0.5"),
        (-2, "-2"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ({"a": 1}, '{"a":1}'),
        ([1, "é"], '[1,"é"]'),
        (b"raw", "raw"),
        (1e20, "1e+20"),
    ],
    ids=[
        "DEC-17-str",
        "DEC-17-int",
        "DEC-17-integral-float",
        "DEC-17-float",
        "DEC-17-negative",
        "DEC-17-true",
        "DEC-17-false",
        "DEC-17-null",
        "DEC-17-object-compact",
        "DEC-17-array-non-ascii",
        "DEC-24-bytes",
        "DEC-17-large-float",
    ],
)
def test_to_text(value: Any, text: str) -> None:
    assert to_text(value) == text


# -- compile_value (RTE-4, RTE-5, DEC-16, DEC-30, T-38..T-40) ----------------------------------------

COMPILE = [
    ("RTE-4-T-39-bare-keeps-type", {"quantity": "$inputs.quantity"}, {"quantity": 3}),
    ("RTE-4-T-39-whole-payload", "$inputs.order", {"id": 9, "items": [1, 2]}),
    ("RTE-5-T-39-json-template-string", '{"quantity": "{$inputs.quantity}"}', '{"quantity": "3"}'),
    ("RTE-5-T-39-unquoted-template", '{"quantity": {$inputs.quantity}}', '{"quantity": 3}'),
    (
        "RTE-5-T-38-url",
        "https://{$inputs.host}/api/{$steps.create.outputs.id}/status",
        "https://h.example/api/42/status",
    ),
    ("RTE-5-T-38-bearer", "Bearer {$steps.login.outputs.token}", "Bearer abc"),
    ("RTE-7-T-38-no-braces-is-literal", "Bearer $inputs.token", "Bearer $inputs.token"),
    (
        "DEC-16-ERR-4-T-38-form-string",
        "grant_type=authorization_code&code{$steps.login.outputs.token}&scope=$inputs.scope}",
        "grant_type=authorization_code&codeabc&scope=$inputs.scope}",
    ),
    ("DEC-17-T-40-to-text", "flag={$inputs.flag}&n={$inputs.n}&o={$inputs.obj}", 'flag=true&n=null&o={"a":1}'),
    ("DEC-16-brace-not-dollar", "{not an expression}", "{not an expression}"),
    ("DEC-16-unbalanced", "x {$inputs.token", "x {$inputs.token"),
    ("DEC-16-dollar-not-whole", "$inputs.token and more", "$inputs.token and more"),
    ("DEC-30-keys-not-evaluated", {"$inputs.token": "$inputs.token"}, {"$inputs.token": "abc"}),
    (
        "DEC-30-nested",
        {"a": [{"b": "$inputs.flag"}, 1, None, "{$inputs.quantity}"]},
        {"a": [{"b": True}, 1, None, "3"]},
    ),
    ("DEC-16-double-brace", "{{$inputs.quantity}}", "{3}"),
    ("RTE-5-several-parts", "{$inputs.quantity}{$inputs.quantity}", "33"),
    ("BODY-4-literals", [1, 2.5, True, None, "x"], [1, 2.5, True, None, "x"]),
]


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in COMPILE], ids=[c[0] for c in COMPILE])
def test_compile_value(value: Any, expected: Any) -> None:
    compiled = compile_value(value)
    assert isinstance(compiled, CompiledValue)
    result = compiled.evaluate(make_ctx())
    assert result == expected
    assert type(result) is type(expected)


def test_compiled_value_flags_and_expressions() -> None:
    literal = compile_value({"a": [1, "x"]})
    assert literal.is_literal and not literal.is_template_string and list(literal.expressions()) == []
    bare = compile_value("$inputs.token")
    assert not bare.is_literal and not bare.is_template_string
    template = compile_value("Bearer {$inputs.token}")
    assert not template.is_literal and template.is_template_string  # DEC-29 needs to know
    nested = compile_value({"a": "$inputs.x", "b": ["{$steps.s.outputs.y}", "lit"]})
    assert not nested.is_literal
    assert [str(e) for e in nested.expressions()] == ["$inputs.x", "$steps.s.outputs.y"]


def test_compiled_value_returns_fresh_containers() -> None:
    compiled = compile_value({"a": [1]})
    first = compiled.evaluate(make_ctx())
    first["a"].append(2)
    assert compiled.evaluate(make_ctx()) == {"a": [1]}


def test_DEC_16_invalid_embedded_expression_is_a_load_error() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_value("id={$inptus.x}")
    assert info.value.position == 5  # the bad root name, counted in the full string
    assert info.value.text == "id={$inptus.x}"


def test_DEC_16_strict_rejects_dollar_strings_that_do_not_parse() -> None:
    assert compile_value("$inputs.").evaluate(make_ctx()) == "$inputs."
    with pytest.raises(ExpressionSyntaxError):
        compile_value("$inputs.", strict=True)


def test_template_unresolved_part_raises() -> None:
    with pytest.raises(UnresolvedExpression):
        compile_value("x={$inputs.nope}").evaluate(make_ctx())


def test_T_39_template_string_in_json_body_stays_text() -> None:
    compiled = compile_value('{"quantity": "{$inputs.quantity}", "order": {$inputs.order}}')
    text = compiled.evaluate(make_ctx())
    assert json.loads(text) == {"quantity": "3", "order": {"id": 9, "items": [1, 2]}}


def test_components_value_is_a_copy_so_a_run_never_changes_the_document() -> None:
    components = {"parameters": {"page": {"name": "page", "in": "query", "value": 1}}}
    ctx = EvalContext(components=components)
    value = parse_expression("$components.parameters.page").evaluate(ctx)
    assert value == {"name": "page", "in": "query", "value": 1}
    value["value"] = 99
    assert components["parameters"]["page"]["value"] == 1
