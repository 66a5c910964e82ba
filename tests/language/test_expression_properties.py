"""Property tests for the expression, template and condition parsers (hypothesis).

* any string either parses or raises an ArazzoError, never another exception;
* parse -> print -> parse is the identity on generated valid expressions and conditions;
* JSON pointers round-trip through their text.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arazzo_runner.errors import ArazzoError
from arazzo_runner.language.criteria import compile_condition, compile_criterion
from arazzo_runner.language.criteria.goessner import compile_goessner
from arazzo_runner.language.expressions import (
    EvalContext,
    HttpView,
    JsonPointer,
    compile_value,
    parse_expression,
    try_parse_expression,
)

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text biased towards the characters the grammars care about.
GRAMMAR_ALPHABET = st.sampled_from(
    [
        *list("$#/~01{}[]().!=<>&|'\" abcxyz-_."),
        "$inputs.",
        "$steps.",
        ".outputs.",
        "$response.body",
        "$response.header.",
        "$request.query.",
        "$statusCode",
        "$workflows.",
        "$components.parameters.",
        "$sourceDescriptions.",
        "==",
        "&&",
        "||",
        "true",
        "null",
        "'",
        "é",
        "\n",
        "\t",
        "$url",
        "$method",
        "#/",
        "~1",
        "~0",
        "@",
        "[?",
        "..",
        "*",
    ]
)
grammar_text = st.lists(GRAMMAR_ALPHABET, max_size=25).map("".join)
any_text = st.one_of(st.text(max_size=60), grammar_text)


def _context() -> EvalContext:
    return EvalContext(
        inputs={"a": {"b": [1, 2]}, "x": "y"},
        steps={"s": {"o": {"p": 1}}},
        status_code=200,
        response=HttpView(headers={"x-a": "1"}, body={"a": [{"b": 1}]}, body_kind="json"),
    )


@SETTINGS
@given(any_text)
def test_parse_expression_only_raises_arazzo_errors(text: str) -> None:
    try:
        expression = parse_expression(text)
    except ArazzoError:
        assert try_parse_expression(text) is None
        return
    assert parse_expression(str(expression)) == expression
    with contextlib.suppress(ArazzoError):
        expression.evaluate(_context())


@SETTINGS
@given(any_text)
def test_compile_condition_only_raises_arazzo_errors(text: str) -> None:
    for strict in (False, True):
        try:
            condition = compile_condition(text, strict=strict)
        except ArazzoError:
            continue
        assert compile_condition(str(condition), strict=strict).node == condition.node
        assert condition.evaluate(_context()) in (True, False)
        assert condition.explain(_context())


@SETTINGS
@given(any_text)
def test_compile_value_only_raises_arazzo_errors(text: str) -> None:
    try:
        compiled = compile_value({"k": [text]})
    except ArazzoError:
        return
    with contextlib.suppress(ArazzoError):
        compiled.evaluate(_context())


@SETTINGS
@given(
    any_text,
    st.sampled_from(
        ["regex", "jsonpath", "xpath", {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"}]
    ),
)
def test_compile_criterion_only_raises_arazzo_errors(text: str, kind: Any) -> None:
    try:
        criterion = compile_criterion(text, kind, "$response.body")
    except ArazzoError:
        return
    result = criterion.evaluate(_context())
    assert result.passed in (True, False)


@SETTINGS
@given(any_text)
def test_goessner_only_raises_arazzo_errors(text: str) -> None:
    try:
        query = compile_goessner(text)
    except ArazzoError:
        return
    query.matches({"a": [{"b": 1}, "s"], "length": 2})


# -- generators of valid expressions ----------------------------------------------------------------

IDS = st.text(alphabet="abcXYZ09_-", min_size=1, max_size=8)
KEYS = st.text(alphabet="abcXYZ09_-.", min_size=1, max_size=10)
NAMES = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp", "Cf", "Co", "Cn"), blacklist_characters="#{}[]()<>=!&|'\""
    ),
    min_size=1,
    max_size=10,
)
TOKENS = st.text(alphabet="abcXYZ09-_.^`~+*%$", min_size=1, max_size=10)
# Pointer tokens that survive inside a condition (no spaces or operator characters).
SAFE_POINTER_TOKEN = st.text(alphabet="abc019_-~/.é", max_size=6)
POINTERS = st.lists(SAFE_POINTER_TOKEN, max_size=4).map(lambda tokens: JsonPointer(tuple(tokens)))
OPTIONAL_POINTER = st.one_of(st.none(), POINTERS).map(lambda p: "" if p is None else "#" + str(p))

expressions = st.one_of(
    st.sampled_from(["$url", "$method", "$statusCode", "$request.body", "$response.body"]),
    st.builds(lambda s, t: f"${s}.header.{t}", st.sampled_from(["request", "response"]), TOKENS),
    st.builds(lambda p, n: f"$request.{p}.{n}", st.sampled_from(["query", "path"]), NAMES),
    st.builds(lambda s, p: f"${s}.body{p}", st.sampled_from(["request", "response"]), OPTIONAL_POINTER),
    st.builds(lambda r, n, p: f"${r}.{n}{p}", st.sampled_from(["inputs", "outputs"]), NAMES, OPTIONAL_POINTER),
    st.builds(lambda i, k, p: f"$steps.{i}.outputs.{k}{p}", IDS, KEYS, OPTIONAL_POINTER),
    st.builds(lambda i, k, p: f"$workflows.{i}.outputs.{k}{p}", IDS, KEYS, OPTIONAL_POINTER),
    st.builds(lambda i, n, p: f"$workflows.{i}.inputs.{n}{p}", IDS, NAMES, OPTIONAL_POINTER),
    st.builds(lambda i, n: f"$sourceDescriptions.{i}.{n}", IDS, NAMES),
    st.builds(
        lambda c, k: f"$components.{c}.{k}", st.sampled_from(["parameters", "successActions", "failureActions"]), KEYS
    ),
)


@SETTINGS
@given(expressions)
def test_generated_expressions_round_trip(text: str) -> None:
    expression = parse_expression(text)
    assert parse_expression(str(expression)) == expression
    # Inside a template the same expression reads back the same.
    compiled = compile_value("pre {" + str(expression) + "} post")
    assert list(compiled.expressions()) == [expression]


@SETTINGS
@given(st.lists(st.text(max_size=8), max_size=6))
def test_json_pointer_round_trip(tokens: list[str]) -> None:
    pointer = JsonPointer(tuple(tokens))
    assert JsonPointer.parse(str(pointer)) == pointer
    assert JsonPointer.parse(str(pointer)).tokens == tuple(tokens)


# -- generators of valid conditions -----------------------------------------------------------------

literals = st.one_of(
    st.sampled_from(["true", "false", "null"]),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr).filter(lambda s: "inf" not in s),
    st.text(max_size=6).map(lambda s: "'" + s.replace("'", "''") + "'"),
)
PROPERTY = st.text(alphabet="abcxyz_09-", min_size=1, max_size=6)


def _postfix(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda b, parts: b + "".join(parts),
        base,
        st.lists(st.one_of(PROPERTY.map(lambda p: "." + p), st.integers(0, 9).map(lambda i: f"[{i}]")), max_size=2),
    )


def _operand_for_postfix(text: str) -> str:
    # ``.x`` after an expression that absorbs dots must be written on a group.
    return text if text in ("$url", "$method", "$statusCode", "$request.body", "$response.body") else f"({text})"


atoms = st.one_of(literals, expressions, _postfix(expressions.map(_operand_for_postfix)))


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "&&", "||"])
    return st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", children, ops, children),
        children.map(lambda c: f"!({c})"),
        children.map(lambda c: f"({c})"),
    )


conditions = st.recursive(atoms, _combine, max_leaves=8)


@SETTINGS
@given(conditions)
def test_generated_conditions_round_trip(text: str) -> None:
    condition = compile_condition(text)
    printed = str(condition)
    again = compile_condition(printed)
    assert again.node == condition.node
    assert str(again) == printed
    assert condition.evaluate(_context()) in (True, False)
