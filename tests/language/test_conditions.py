"""Simple conditions: lexing, parsing, printing, loose comparison, explanations
(CRIT-9..14, DEC-15, DEC-18, DEC-19, DEC-49)."""

from __future__ import annotations

from typing import Any

import pytest

from arazzo_runner.errors import ExpressionSyntaxError
from arazzo_runner.language.criteria import compile_condition
from arazzo_runner.language.criteria.condition_ast import (
    Comparison,
    ExpressionRef,
    Index,
    Literal,
    Logical,
    Member,
    Not,
)
from arazzo_runner.language.expressions import EvalContext, HttpView, parse_expression


def ctx(
    status: int | None = 200,
    body: Any = None,
    headers: dict[str, str] | None = None,
    inputs: dict[str, Any] | None = None,
    body_kind: str = "json",
) -> EvalContext:
    response = None if status is None else HttpView(headers=headers or {}, body=body, body_kind=body_kind)  # type: ignore[arg-type]
    return EvalContext(inputs=inputs or {}, status_code=status, response=response)


def holds(condition: str, context: EvalContext, *, strict: bool = False) -> bool:
    return compile_condition(condition, strict=strict).evaluate(context)


# -- the table: (id, condition, context, expected) -----------------------------------------------

BODY = {
    "ok": True,
    "name": "o'brien",
    "items": [{"id": 1}, {"id": 7}],
    "count": 0,
    "status": "Active",
    "redirectAuthToken": None,
    "n": "10",
    "tags": [],
    "text": "abc",
}

TABLE: list[tuple[str, str, EvalContext, bool]] = [
    # T-22: && || and parentheses
    (
        "T-22-201-ok",
        "($statusCode == 200 || $statusCode == 201) && $response.body#/ok == true",
        ctx(201, {"ok": True}),
        True,
    ),
    (
        "T-22-201-not-ok",
        "($statusCode == 200 || $statusCode == 201) && $response.body#/ok == true",
        ctx(201, {"ok": False}),
        False,
    ),
    (
        "T-22-404-ok",
        "($statusCode == 200 || $statusCode == 201) && $response.body#/ok == true",
        ctx(404, {"ok": True}),
        False,
    ),
    ("T-22-DEC-19-and-binds-tighter", "$statusCode == 404 || $statusCode == 200 && false", ctx(404), True),
    ("DEC-19-or-left-operand-false", "false || $statusCode == 200", ctx(200), True),
    # T-23: !
    ("T-23-not-5xx", "!($statusCode >= 500)", ctx(200), True),
    ("T-23-not-5xx-on-503", "!($statusCode >= 500)", ctx(503), False),
    ("DEC-19-not-binds-tighter-than-eq", "!$response.body#/ok == false", ctx(200, {"ok": True}), True),
    ("DEC-19-double-not", "!!$response.body#/ok", ctx(200, {"ok": True}), True),
    # T-32: strings and case
    ("T-32-CRIT-10-quote-escape", "$response.body#/name == 'O''Brien'", ctx(200, BODY), True),
    (
        "T-32-CRIT-12-header-case",
        "$response.header.Content-Type == 'APPLICATION/JSON'",
        ctx(200, headers={"content-type": "application/json"}),
        True,
    ),
    ("CRIT-12-abc", "'ABC' == 'abc'", ctx(), True),
    ("CRIT-12-DEC-19-ordering-casefold", "'apple' < 'BANANA'", ctx(), True),
    ("CRIT-12-casefold-sharp-s", "'STRASSE' == 'straße'", ctx(), True),
    ("CRIT-12-ne", "$response.body#/status != 'active'", ctx(200, BODY), False),
    # T-33: loose numbers and null
    ("T-33-string-number", "$statusCode == '200'", ctx(200), True),
    ("T-33-decimal", "$statusCode == 200.0", ctx(200), True),
    ("T-33-header-coerced", "$response.header.X-Count > 5", ctx(200, headers={"x-count": "10"}), True),
    ("T-33-DEC-18-missing-eq-null", "$response.body#/missing == null", ctx(200, BODY), True),
    ("T-33-DEC-18-missing-ne-null", "$response.body#/missing != null", ctx(200, BODY), False),
    ("T-33-DEC-19-null-lt-1", "null < 1", ctx(), False),
    ("DEC-19-null-ge-null", "null >= null", ctx(), False),
    ("DEC-19-null-eq-null", "null == null", ctx(), True),
    ("DEC-19-null-ne-zero", "null != 0", ctx(), True),
    ("DEC-19-null-not-false", "null == false", ctx(), False),
    ("DEC-19-bool-not-number", "true == 1", ctx(), False),
    ("DEC-19-bool-not-string", "true == 'true'", ctx(), False),
    ("DEC-19-mismatched-object-number", "$response.body == 1", ctx(200, BODY), False),
    ("DEC-19-non-numeric-string-vs-number", "'abc' < 5", ctx(), False),
    ("DEC-19-numeric-string-both-sides", "'10' > '9'", ctx(), False),  # string ordering, casefolded
    ("DEC-19-exponent", "1e3 == 1000", ctx(), True),
    ("DEC-19-negative", "-1 < 0", ctx(), True),
    ("DEC-19-lt", "1 < 2", ctx(), True),
    ("DEC-19-le", "2 <= 2", ctx(), True),
    ("DEC-19-gt", "3 > 2", ctx(), True),
    ("DEC-19-ge", "1 >= 2", ctx(), False),
    ("DEC-19-ne-number", "$statusCode != 200", ctx(200), False),
    ("DEC-19-array-equality", "$response.body#/tags == $response.body#/tags", ctx(200, BODY), True),
    # T-34: branching on null (bnpl)
    ("T-34-token-present", "$response.body#/redirectAuthToken != null", ctx(200, {"redirectAuthToken": "t"}), True),
    ("T-34-token-null", "$response.body#/redirectAuthToken == null", ctx(200, {"redirectAuthToken": None}), True),
    ("T-34-token-absent", "$response.body#/redirectAuthToken == null", ctx(200, {}), True),
    # T-35: index and property access
    ("T-35-CRIT-14-property-and-index", "$response.body.items[1].id == 7", ctx(200, BODY), True),
    ("T-35-pointer-form", "$response.body#/items/1/id == 7", ctx(200, BODY), True),
    ("T-35-DEC-18-index-out-of-range", "$response.body.items[5].id == null", ctx(200, BODY), True),
    ("CRIT-11-index-by-string", "$response.body['status'] == 'active'", ctx(200, BODY), True),
    ("CRIT-11-index-by-expression", "$response.body.items[$inputs.i].id == 7", ctx(200, BODY, inputs={"i": 1}), True),
    ("CRIT-11-length-extension", "$response.body.items.length == 2", ctx(200, BODY), True),
    ("DEC-15-dotted-input-then-index", "$inputs.a.b[0] == 'x'", ctx(inputs={"a": {"b": ["x"]}}), True),
    ("DEC-15-property-on-group", "($response.body#/items)[0].id == 1", ctx(200, BODY), True),
    # DEC-19: truthiness of a non-boolean whole result
    ("DEC-19-truthy-nonempty-string", "$response.body#/text", ctx(200, BODY), True),
    ("DEC-19-falsy-zero", "$response.body#/count", ctx(200, BODY), False),
    ("DEC-19-falsy-empty-array", "$response.body#/tags", ctx(200, BODY), False),
    ("DEC-19-truthy-array", "$response.body#/items", ctx(200, BODY), True),
    ("DEC-19-falsy-null", "null", ctx(), False),
    ("DEC-19-truthy-number", "5", ctx(), True),
    # DEC-18 / DEC-02: no response at all
    ("DEC-02-no-response-status", "$statusCode == 200", ctx(None), False),
    ("DEC-02-no-response-null", "$statusCode == null", ctx(None), True),
    # DEC-24: pointer into text body reads as null
    ("DEC-24-text-body-pointer-null", "$response.body#/a == null", ctx(200, "plain", body_kind="text"), True),
    # DEC-15: operators without spaces
    ("DEC-15-no-spaces", "$statusCode==200&&$response.body#/ok==true", ctx(200, {"ok": True}), True),
    ("DEC-15-pointer-then-gt", "$response.body#/n>5", ctx(200, BODY), True),
]


@pytest.mark.parametrize(("condition", "context", "expected"), [c[1:] for c in TABLE], ids=[c[0] for c in TABLE])
def test_condition_table(condition: str, context: EvalContext, expected: bool) -> None:
    compiled = compile_condition(condition)
    assert compiled.evaluate(context) is expected
    # Canonical text parses back to the same AST.
    reparsed = compile_condition(str(compiled))
    assert reparsed.node == compiled.node


# -- AST shape and precedence (DEC-19) --------------------------------------------------------------


def E(text: str) -> ExpressionRef:
    return ExpressionRef(parse_expression(text))


SHAPES = [
    ("DEC-19-and-over-or", "1 || 2 && 3", Logical("||", Literal(1), Logical("&&", Literal(2), Literal(3)))),
    ("DEC-19-left-assoc-or", "1 || 2 || 3", Logical("||", Logical("||", Literal(1), Literal(2)), Literal(3))),
    ("DEC-19-eq-over-and", "1 == 2 && 3", Logical("&&", Comparison("==", Literal(1), Literal(2)), Literal(3))),
    ("DEC-19-rel-over-eq", "1 < 2 == true", Comparison("==", Comparison("<", Literal(1), Literal(2)), Literal(True))),
    ("DEC-19-not-over-rel", "!1 < 2", Comparison("<", Not(Literal(1)), Literal(2))),
    ("DEC-19-postfix-over-not", "!$response.body.a", Not(Member(E("$response.body"), "a"))),
    ("DEC-19-parens", "(1 || 2) && 3", Logical("&&", Logical("||", Literal(1), Literal(2)), Literal(3))),
    (
        "CRIT-14-chain",
        "$response.body.items[1].id",
        Member(Index(Member(E("$response.body"), "items"), Literal(1)), "id"),
    ),
    ("CRIT-10-literals", "'it''s' != null", Comparison("!=", Literal("it's"), Literal(None))),
    (
        "DEC-19-left-assoc-eq",
        "1 == 1 == true",
        Comparison("==", Comparison("==", Literal(1), Literal(1)), Literal(True)),
    ),
]


@pytest.mark.parametrize(("condition", "node"), [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES])
def test_ast_shape(condition: str, node: Any) -> None:
    compiled = compile_condition(condition)
    assert compiled.node == node
    assert compile_condition(str(compiled)).node == node


PRINT = [
    ("DEC-19-print-minimal-parens", "((1 || 2)) && (3)", "(1 || 2) && 3"),
    ("DEC-19-print-right-assoc-needs-parens", "1 || (2 || 3)", "1 || (2 || 3)"),
    ("DEC-19-print-not-comparison", "!($statusCode == 200)", "!($statusCode == 200)"),
    ("DEC-19-print-double-quotes-become-single", '$inputs.x == "a\'b"', "$inputs.x == 'a''b'"),
    ("DEC-15-print-member-on-dotted-name", "($inputs.a).b", "($inputs.a).b"),
    ("DEC-15-print-member-on-pointer", "($response.body#/a).b", "($response.body#/a).b"),
    ("DEC-15-print-spaces", "$statusCode==200", "$statusCode == 200"),
    ("DEC-49-print-without-braces", "{$statusCode == 401}", "$statusCode == 401"),
]


@pytest.mark.parametrize(("condition", "printed"), [c[1:] for c in PRINT], ids=[c[0] for c in PRINT])
def test_printing(condition: str, printed: str) -> None:
    compiled = compile_condition(condition)
    assert str(compiled) == printed
    assert compile_condition(printed).node == compiled.node


def test_DEC_15_member_on_dotted_name_differs_from_dotted_name() -> None:
    grouped = compile_condition("($inputs.a).b == 1")
    dotted = compile_condition("$inputs.a.b == 1")
    assert grouped.node != dotted.node
    context = ctx(inputs={"a.b": 1, "a": {"b": 2}})
    assert dotted.evaluate(context) is True  # exact key 'a.b' wins
    assert grouped.evaluate(context) is False  # property b of input a


# -- syntax errors ----------------------------------------------------------------------------------

ERRORS = [
    ("T-32-DEC-19-double-quotes-strict", '$response.body#/name == "x"', 24, True),
    ("DEC-49-T-36-braces-strict", "{$statusCode == 401}", 0, True),
    ("DEC-19-single-equals", "$statusCode = 200", 12, False),
    ("DEC-19-single-ampersand", "true & false", 5, False),
    ("DEC-19-single-pipe", "true | false", 5, False),
    ("DEC-19-unterminated-string", "$inputs.x == 'abc", 13, False),
    ("DEC-19-unknown-word", "$statusCode == OK", 15, False),
    ("DEC-19-missing-operand", "$statusCode ==", 14, False),
    ("DEC-19-missing-close-paren", "($statusCode == 200", 19, False),
    ("DEC-19-extra-close-paren", "$statusCode == 200)", 18, False),
    ("DEC-19-two-operands", "$statusCode 200", 12, False),
    ("DEC-19-empty", "   ", 0, False),
    ("DEC-19-leading-zero", "$statusCode == 0200", 16, False),
    ("DEC-19-trailing-dot-number", "1. == 1", 1, False),
    ("DEC-15-bad-expression-inside", "$inputs. == 1", 8, False),
    ("RTE-16-response-query-in-condition", "$response.query.x == 1", 10, False),
    ("DEC-19-dot-without-name", "$response.body. == 1", 15, False),
    ("DEC-19-unclosed-index", "$response.body.items[1 == 2", 27, False),
    ("DEC-19-unexpected-character", "$statusCode == 200 ; true", 19, False),
    ("DEC-49-braces-not-wrapping-dollar", "{true}", 0, False),
]


@pytest.mark.parametrize(("condition", "position", "strict"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_syntax_errors(condition: str, position: int, strict: bool) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_condition(condition, strict=strict)
    assert info.value.position == position, info.value.message
    assert info.value.text == condition
    assert info.value.expected


def test_DEC_19_double_quotes_lenient_warns() -> None:
    compiled = compile_condition('$response.body#/name == "x"')
    assert compiled.warnings and "single quotes" in compiled.warnings[0]
    assert compiled.evaluate(ctx(200, {"name": "X"})) is True


def test_DEC_49_T_36_braces_lenient_warns_and_passes() -> None:
    compiled = compile_condition("{$statusCode == 401}")
    assert any("DEC-49" in w for w in compiled.warnings)
    assert compiled.evaluate(ctx(401)) is True
    assert compiled.evaluate(ctx(200)) is False


def test_nesting_limit_is_a_syntax_error() -> None:
    for text in [
        "(" * 500 + "1" + ")" * 500,
        "!" * 5000 + "true",
        " && ".join(["true"] * 500),
        "$response.body" + "[0]" * 500,
    ]:
        with pytest.raises(ExpressionSyntaxError):
            compile_condition(text)


# -- explanations -------------------------------------------------------------------------------------


def test_explanation_shows_operand_values() -> None:
    compiled = compile_condition("$statusCode == 200")
    assert compiled.explain(ctx(401)) == "$statusCode == 200 was false ($statusCode = 401)"


def test_explanation_names_unresolved_operands() -> None:
    compiled = compile_condition("$response.body#/results/0/id == 5")
    text = compiled.explain(ctx(200, {"results": []}))
    assert "was false" in text
    assert "$response.body#/results/0/id = null" in text
    assert "index 0 is out of range: /results is an empty array" in text
    assert "read as null" in text


def test_explanation_non_boolean_result() -> None:
    text = compile_condition("$response.body#/count").explain(ctx(200, {"count": 0}))
    assert "counts as false" in text


def test_expressions_listed_for_static_checks() -> None:
    compiled = compile_condition("$statusCode == 200 && $steps.a.outputs.b[$inputs.i] != null")
    assert [str(e) for e in compiled.expressions()] == ["$statusCode", "$steps.a.outputs.b", "$inputs.i"]
