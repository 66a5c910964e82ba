"""``Expression.value_kind``: the one answer criteria and selectors share to "how was this value parsed?"."""

from __future__ import annotations

from arazzo_runner.language.criteria import compile_criterion
from arazzo_runner.language.expressions import EvalContext, HttpView, parse_expression


def _ctx() -> EvalContext:
    return EvalContext(
        status_code=200,
        request=HttpView(body="<a/>", body_kind="xml"),
        response=HttpView(body="plain words", body_kind="text"),
    )


def test_a_whole_body_has_its_body_kind_and_anything_else_is_json() -> None:
    ctx = _ctx()
    assert parse_expression("$request.body").value_kind(ctx) == "xml"
    assert parse_expression("$response.body").value_kind(ctx) == "text"
    assert parse_expression("$response.body#/a").value_kind(ctx) == "json"  # a pointer reads parsed JSON
    assert parse_expression("$response.header.x").value_kind(ctx) == "json"
    assert parse_expression("$statusCode").value_kind(ctx) == "json"
    assert parse_expression("$response.body").value_kind(EvalContext()) == "json"  # no response yet


def test_a_criterion_reads_the_body_by_its_kind() -> None:
    ctx = EvalContext(status_code=200, response=HttpView(body="<order><id>7</id></order>", body_kind="xml"))
    verdict = compile_criterion("/order/id", "xpath", "$response.body").evaluate(ctx)
    assert verdict.passed, verdict.explanation
