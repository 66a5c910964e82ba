"""Criterion Objects: types, contexts, regex, JSONPath (RFC 9535 and Goessner), XPath (§13, §14, DEC-20..DEC-23)."""

from __future__ import annotations

from typing import Any

import pytest

from arazzo_runner.errors import ArazzoError, DocumentError, ExpressionSyntaxError
from arazzo_runner.language.criteria import GOESSNER_VERSION, Criterion, CriterionResult, compile_criterion
from arazzo_runner.language.criteria.goessner import compile_goessner
from arazzo_runner.language.expressions import EvalContext, HttpView

GOESSNER = {"type": "jsonpath", "version": GOESSNER_VERSION}


def response(body: Any, kind: str = "json", status: int = 200, headers: dict[str, str] | None = None) -> EvalContext:
    return EvalContext(status_code=status, response=HttpView(headers=headers or {}, body=body, body_kind=kind))  # type: ignore[arg-type]


def run(condition: str, type_: Any, context: str | None, ctx: EvalContext, **kw: Any) -> CriterionResult:
    criterion = compile_criterion(condition, type_, context, **kw)
    result = criterion.evaluate(ctx)
    assert isinstance(result, CriterionResult)
    assert result.explanation
    return result


# -- simple ----------------------------------------------------------------------------------------


def test_CRIT_5_simple_is_default() -> None:
    criterion = compile_criterion("$statusCode == 200")
    assert (criterion.type, criterion.dialect, criterion.warnings) == ("simple", "simple", ())
    assert criterion.evaluate(response({})).passed
    failed = criterion.evaluate(response({}, status=401))
    assert not failed.passed
    assert failed.explanation == "$statusCode == 200 was false ($statusCode = 401)"


def test_T_23_STEP_15_list_is_an_and() -> None:
    criteria = [compile_criterion("$statusCode == 200"), compile_criterion("$response.body#/ok == true")]
    results = [c.evaluate(response({"ok": False})) for c in criteria]
    assert [r.passed for r in results] == [True, False]
    assert not all(r.passed for r in results)


def test_T_31_DEC_23_simple_without_context_warns() -> None:
    criterion = compile_criterion("$statusCode == 200", "simple")
    assert criterion.warnings and "DEC-23" in criterion.warnings[0]
    assert criterion.evaluate(response({})).passed
    with pytest.raises(DocumentError):
        compile_criterion("$statusCode == 200", "simple", strict=True)


def test_DEC_23_simple_with_context_is_ignored_with_warning() -> None:
    criterion = compile_criterion("$statusCode == 200", "simple", "$response.body")
    assert any("ignored" in w for w in criterion.warnings)
    assert list(map(str, criterion.expressions())) == ["$statusCode"]


@pytest.mark.parametrize(
    "kind", ["regex", "jsonpath", "xpath"], ids=["T-31-CRIT-4-regex", "CRIT-4-jsonpath", "CRIT-4-xpath"]
)
def test_T_31_CRIT_4_typed_without_context_is_a_load_error(kind: str) -> None:
    with pytest.raises(DocumentError, match="needs a context"):
        compile_criterion("^2", kind)


def test_CET_5_object_type_needs_context() -> None:
    with pytest.raises(DocumentError, match="needs a context"):
        compile_criterion("$.a", GOESSNER)


def test_T_36_DEC_49_braces() -> None:
    lenient = compile_criterion("{$statusCode == 401}")
    assert lenient.warnings
    assert lenient.evaluate(response({}, status=401)).passed
    with pytest.raises(ExpressionSyntaxError):
        compile_criterion("{$statusCode == 401}", strict=True)


def test_T_32_double_quotes_strict_and_lenient() -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_criterion('$response.body#/name == "x"', strict=True)
    criterion = compile_criterion('$response.body#/name == "x"')
    assert criterion.warnings


# -- types and versions (CRIT-5, CET-1..CET-4) ---------------------------------------------------------

BAD_TYPES = [
    ("CRIT-5-unknown-type", "xquery", "unknown criterion type"),
    ("CET-1-object-simple", {"type": "simple", "version": "x"}, "jsonpath or xpath"),
    ("CET-2-missing-version", {"type": "jsonpath"}, "needs a version"),
    (
        "CET-4-unsupported-jsonpath-version",
        {"type": "jsonpath", "version": "rfc9535"},
        "unsupported expression version",
    ),
    ("CET-4-unsupported-xpath-version", {"type": "xpath", "version": "xpath-31"}, "unsupported expression version"),
    ("CET-1-not-a-type", 5, "must be a string"),
]


@pytest.mark.parametrize(("type_", "message"), [c[1:] for c in BAD_TYPES], ids=[c[0] for c in BAD_TYPES])
def test_bad_types(type_: Any, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        compile_criterion("$.a", type_, "$response.body")


def test_CET_6_extensions_allowed_unknown_fields_warn() -> None:
    criterion = compile_criterion("$.a", {**GOESSNER, "x-note": 1, "flavour": "x"}, "$response.body")
    assert criterion.version == GOESSNER_VERSION
    assert len(criterion.warnings) == 1 and "flavour" in criterion.warnings[0]


def test_bad_context_expression() -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_criterion("^2", "regex", "$response.query.x")


# -- regex (DEC-20) ----------------------------------------------------------------------------------

REGEX = [
    ("T-28-2xx-204", r"^2\d{2}$", "$statusCode", response({}, status=204), True),
    ("T-28-2xx-302", r"^2\d{2}$", "$statusCode", response({}, status=302), False),
    ("T-28-DEC-20-search-semantics", "20", "$statusCode", response({}, status=200), True),
    ("T-29-DEC-20-dollar-before-newline", "^abc$", "$response.body", response("abc\n", "text"), False),
    ("T-29-DEC-20-ascii-digits", r"^\d+$", "$response.body", response("١٢٣", "text"), False),
    ("DEC-20-ascii-digits-pass", r"^\d+$", "$response.body", response("123", "text"), True),
    ("DEC-20-case-sensitive", "^ok$", "$response.body#/s", response({"s": "OK"}), False),
    ("DEC-20-DEC-17-object-to-text", '"a":1', "$response.body", response({"a": 1}), True),
    ("DEC-20-DEC-18-null-context-fails", ".*", "$response.body#/n", response({"n": None}), False),
    ("DEC-20-DEC-18-missing-context-fails", ".*", "$response.body#/zz", response({}), False),
    (
        "DEC-20-header",
        "^application/json",
        "$response.header.Content-Type",
        response({}, headers={"content-type": "application/json; charset=utf-8"}),
        True,
    ),
    ("DEC-20-ecma-lookbehind", r"(?<=a)b", "$response.body", response("ab", "text"), True),
]


@pytest.mark.parametrize(("condition", "context", "ctx", "expected"), [c[1:] for c in REGEX], ids=[c[0] for c in REGEX])
def test_regex(condition: str, context: str, ctx: EvalContext, expected: bool) -> None:
    result = run(condition, "regex", context, ctx)
    assert result.passed is expected, result.explanation


def test_DEC_20_invalid_regex_is_a_load_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="ECMA-262"):
        compile_criterion("a(", "regex", "$statusCode")


def test_regex_missing_context_explains() -> None:
    result = run(".*", "regex", "$response.body#/zz", response({}))
    assert "could not be read" in result.explanation and "key 'zz' not found" in result.explanation


# -- JSONPath RFC 9535 (DEC-21) -------------------------------------------------------------------------

JSONPATH = [
    ("T-24-CRIT-17-count-filter-object-fails", "$[?count(@.pets) > 0]", response({"pets": [1]}), False),
    ("T-24-CRIT-17-count-filter-array-passes", "$[?count(@.pets) > 0]", response([{"pets": [1]}]), True),
    ("T-25-CRIT-17-ne-null-trap-passes", "$[?@.access_token != null]", response({"error": "x"}), True),
    ("T-25-plain-member-fails", "$.access_token", response({"error": "x"}), False),
    ("T-25-plain-member-passes", "$.access_token", response({"access_token": "t"}), True),
    ("T-26-empty-items-fails", "$.items[*]", response({"items": []}), False),
    ("T-26-falsy-node-still-passes", "$.items[*]", response({"items": [0]}), True),
    ("T-27-DEC-21-text-body-fails", "$.a", response("not json", "text"), False),
    ("DEC-21-text-body-that-is-json-passes", "$.a", response('{"a": 1}', "text"), True),
    ("DEC-21-binary-json-passes", "$.a", response(b'{"a": 1}', "binary"), True),
    ("DEC-21-empty-body-fails", "$", response(None, "empty"), False),
    ("DEC-21-null-member", "$.a", response({"a": None}), True),
]


@pytest.mark.parametrize(("condition", "ctx", "expected"), [c[1:] for c in JSONPATH], ids=[c[0] for c in JSONPATH])
def test_jsonpath_rfc9535(condition: str, ctx: EvalContext, expected: bool) -> None:
    criterion = compile_criterion(condition, "jsonpath", "$response.body")
    assert criterion.dialect == "rfc9535" and criterion.warnings == ()
    result = criterion.evaluate(ctx)
    assert result.passed is expected, result.explanation


def test_T_27_text_body_diagnostic() -> None:
    result = run("$.a", "jsonpath", "$response.body", response("not json", "text"))
    assert "not JSON" in result.explanation


def test_CRIT_17_object_filter_hint() -> None:
    result = run("$[?count(@.pets) > 0]", "jsonpath", "$response.body", response({"pets": [1]}))
    assert "CRIT-17" in result.explanation


def test_DEC_21_invalid_query_load_error_with_position() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_criterion("$.a[", "jsonpath", "$response.body")
    assert info.value.text == "$.a[" and 0 <= info.value.position <= 4
    assert "RFC 9535" in info.value.message


def test_jsonpath_pointer_context() -> None:
    result = run("$[0]", "jsonpath", "$response.body#/items", response({"items": [1]}))
    assert result.passed


# -- Stytch: plain jsonpath written in Goessner style (real-world requirement) ----------------------------


@pytest.mark.parametrize(
    ("condition", "results", "expected"),
    [
        ("$.results.length > 0", [], False),
        ("$.results.length > 0", [{"user_id": "u"}], True),
        ("$.results.length == 0", [], True),
        ("$.results.length == 0", [{"user_id": "u"}], False),
        ("$.connected_apps.length > 0", None, False),
    ],
    ids=[
        "DEC-21-stytch-gt-empty",
        "DEC-21-stytch-gt-nonempty",
        "DEC-21-stytch-eq-empty",
        "DEC-21-stytch-eq-nonempty",
        "DEC-21-stytch-missing-member",
    ],
)
def test_stytch_plain_jsonpath_goessner_fallback(condition: str, results: Any, expected: bool) -> None:
    criterion = compile_criterion(condition, "jsonpath", "$response.body")
    assert criterion.dialect == GOESSNER_VERSION
    assert criterion.warnings and "Goessner" in criterion.warnings[0] and "CRIT-6" in criterion.warnings[0]
    body = {} if results is None else {"results": results}
    result = criterion.evaluate(response(body))
    assert result.passed is expected, result.explanation


def test_stytch_fallback_is_an_error_in_strict_mode() -> None:
    with pytest.raises(ExpressionSyntaxError, match="Goessner"):
        compile_criterion("$.results.length > 0", "jsonpath", "$response.body", strict=True)


def test_plain_jsonpath_invalid_in_both_dialects_reports_rfc_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="RFC 9535"):
        compile_criterion("$.results.length >", "jsonpath", "$response.body")


# -- Goessner dialect (CET-2) ------------------------------------------------------------------------------

STORE = {
    "store": {
        "book": [
            {"title": "A", "price": 8.95, "category": "ref"},
            {"title": "B", "price": 12.99, "category": "fiction", "isbn": "1"},
            {"title": "C", "price": 22.99, "category": "fiction", "isbn": "2"},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "length": "own",
    "empty": [],
}

GOESSNER_SELECT = [
    ("CET-2-root", "$", [STORE]),
    ("CET-2-dot-name", "$.store.bicycle.color", ["red"]),
    ("CET-2-bracket-name", "$['store']['bicycle']['color']", ["red"]),
    ("CET-2-double-quoted-name", '$["store"].bicycle.price', [19.95]),
    ("CET-2-index", "$.store.book[0].title", ["A"]),
    ("CET-2-negative-index", "$.store.book[-1].title", ["C"]),
    ("CET-2-union", "$.store.book[0,2].title", ["A", "C"]),
    ("CET-2-wildcard-bracket", "$.store.book[*].title", ["A", "B", "C"]),
    ("CET-2-wildcard-dot", "$.store.bicycle.*", ["red", 19.95]),
    ("CET-2-descendant", "$..title", ["A", "B", "C"]),
    ("CET-2-descendant-price", "$.store..price", [8.95, 12.99, 22.99, 19.95]),
    ("CET-2-slice", "$.store.book[0:2].title", ["A", "B"]),
    ("CET-2-slice-open", "$.store.book[1:].title", ["B", "C"]),
    ("CET-2-slice-step", "$.store.book[::2].title", ["A", "C"]),
    ("CET-2-filter-lt", "$.store.book[?(@.price < 10)].title", ["A"]),
    ("CET-2-filter-and", "$.store.book[?(@.price > 10 && @.category == 'fiction')].title", ["B", "C"]),
    ("CET-2-filter-or", "$.store.book[?(@.price < 10 || @.price > 20)].title", ["A", "C"]),
    ("CET-2-filter-exists", "$.store.book[?(@.isbn)].title", ["B", "C"]),
    ("CET-2-filter-not", "$.store.book[?(!@.isbn)].title", ["A"]),
    ("CET-2-filter-root-ref", "$.store.book[?(@.price > $.store.bicycle.price)].title", ["C"]),
    ("CET-2-length-array", "$.store.book.length", [3]),
    ("CET-2-length-string", "$.store.bicycle.color.length", [3]),
    ("CET-2-own-length-wins", "$.length", ["own"]),
    ("CET-2-filter-length", "$.store[?(@.length == 3)]", [STORE["store"]["book"]]),  # type: ignore[index]
    ("CET-2-missing", "$.nope.x", []),
]


@pytest.mark.parametrize(("query", "expected"), [c[1:] for c in GOESSNER_SELECT], ids=[c[0] for c in GOESSNER_SELECT])
def test_goessner_select(query: str, expected: list[Any]) -> None:
    assert compile_goessner(query).select(STORE) == expected


GOESSNER_MATCH = [
    ("CET-2-nonempty-passes", "$.store.book[*]", True),
    ("CET-2-empty-fails", "$.empty[*]", False),
    ("CET-2-trailing-gt", "$.store.book.length > 2", True),
    ("CET-2-trailing-eq-string", "$.store.bicycle.color == 'red'", True),
    ("CET-2-trailing-case-sensitive", "$.store.bicycle.color == 'RED'", False),
    ("CET-2-trailing-any-node", "$..price > 20", True),
    ("CET-2-trailing-on-nothing", "$.nope.length == 0", False),
    ("CET-2-trailing-strict-eq", "$.empty.length === 0", True),
]


@pytest.mark.parametrize(("query", "expected"), [c[1:] for c in GOESSNER_MATCH], ids=[c[0] for c in GOESSNER_MATCH])
def test_goessner_declared(query: str, expected: bool) -> None:
    criterion = compile_criterion(query, GOESSNER, "$response.body")
    assert criterion.dialect == GOESSNER_VERSION and criterion.warnings == ()
    result = criterion.evaluate(response(STORE))
    assert result.passed is expected, result.explanation


@pytest.mark.parametrize(
    "query",
    ["store", "$.", "$[", "$[?(@.a ==)]", "$.a > ", "$.a > 1 2", "$[1:2:0]", "$['a"],
    ids=[
        "CET-2-no-root",
        "CET-2-empty-name",
        "CET-2-open-bracket",
        "CET-2-bad-filter",
        "CET-2-missing-literal",
        "CET-2-trailing-junk",
        "CET-2-zero-step",
        "CET-2-unterminated-string",
    ],
)
def test_goessner_syntax_errors(query: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_criterion(query, GOESSNER, "$response.body")


def test_goessner_on_text_body_fails() -> None:
    result = run("$.a", GOESSNER, "$response.body", response("nope", "text"))
    assert not result.passed and "not JSON" in result.explanation


# -- XPath (DEC-22) ----------------------------------------------------------------------------------------

XML = "<r><pets><pet/></pets></r>"

XPATH = [
    ("T-30-path-passes", "/r/pets/pet", "xpath", XML, "text", True),
    ("T-30-count-fails", "count(/r/pets/pet) > 1", "xpath", XML, "text", False),
    ("T-30-xpath-10-boolean", "boolean(/r/pets)", {"type": "xpath", "version": "xpath-10"}, XML, "text", True),
    ("T-30-DEC-22-json-body-fails", "/r", "xpath", {"r": 1}, "json", False),
    ("DEC-22-xpath-20", "count(/r/pets/pet) eq 1", {"type": "xpath", "version": "xpath-20"}, XML, "text", True),
    (
        "DEC-22-xpath-30",
        "let $n := count(//pet) return $n = 1",
        {"type": "xpath", "version": "xpath-30"},
        XML,
        "text",
        True,
    ),
    ("DEC-22-xpath-31-default-map", "map{'a': 1}?a = 1", "xpath", XML, "text", True),
    ("DEC-22-empty-sequence-fails", "/r/cats", "xpath", XML, "text", False),
    ("DEC-22-bytes-body", "/r/pets", "xpath", XML.encode(), "binary", True),
    ("DEC-22-not-well-formed", "/r", "xpath", "<r>", "text", False),
    ("DEC-22-empty-body", "/r", "xpath", None, "empty", False),
    (
        "DEC-22-no-entity-expansion",
        "/r = 'boom'",
        "xpath",
        '<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>',
        "text",
        False,
    ),
    ("DEC-22-runtime-type-error-fails", "(1, 2)", "xpath", XML, "text", False),
]


@pytest.mark.parametrize(
    ("condition", "type_", "body", "kind", "expected"), [c[1:] for c in XPATH], ids=[c[0] for c in XPATH]
)
def test_xpath(condition: str, type_: Any, body: Any, kind: str, expected: bool) -> None:
    result = run(condition, type_, "$response.body", response(body, kind))
    assert result.passed is expected, result.explanation


def test_T_30_json_body_explains() -> None:
    result = run("/r", "xpath", "$response.body", response({"r": 1}))
    assert "JSON" in result.explanation and "not XML" in result.explanation


@pytest.mark.parametrize(
    "version", [None, "xpath-30", "xpath-20", "xpath-10"], ids=["DEC-22-31", "DEC-22-30", "DEC-22-20", "DEC-22-10"]
)
def test_DEC_22_invalid_xpath_is_a_load_error(version: str | None) -> None:
    type_: Any = "xpath" if version is None else {"type": "xpath", "version": version}
    with pytest.raises(ExpressionSyntaxError, match="invalid XPath"):
        compile_criterion("/r/[", type_, "$response.body")


def test_dialects() -> None:
    assert compile_criterion("/r", "xpath", "$response.body").dialect == "xpath-31"
    assert compile_criterion("/r", {"type": "xpath", "version": "xpath-10"}, "$response.body").dialect == "xpath-10"
    assert compile_criterion("^a", "regex", "$statusCode").dialect == "ecma-262"


# -- general ---------------------------------------------------------------------------------------------


def test_criterion_is_frozen_and_lists_expressions() -> None:
    criterion = compile_criterion("$.a", "jsonpath", "$response.body#/x")
    assert isinstance(criterion, Criterion)
    assert [str(e) for e in criterion.expressions()] == ["$response.body#/x"]
    with pytest.raises(AttributeError):
        criterion.condition = "x"  # type: ignore[misc]
    assert (criterion.condition, criterion.type, criterion.context) == ("$.a", "jsonpath", "$response.body#/x")


def test_runtime_problems_never_raise() -> None:
    ctx = EvalContext()  # nothing at all: no response, no inputs
    for criterion in [
        compile_criterion("$statusCode == 200"),
        compile_criterion("^2", "regex", "$statusCode"),
        compile_criterion("$.a", "jsonpath", "$response.body"),
        compile_criterion("$.a > 1", GOESSNER, "$response.body"),
        compile_criterion("/r", "xpath", "$response.body"),
    ]:
        result = criterion.evaluate(ctx)
        assert result.passed is False and result.explanation


@pytest.mark.parametrize("condition", [5, None], ids=["CRIT-2-number", "CRIT-2-null"])
def test_CRIT_2_condition_must_be_a_string(condition: Any) -> None:
    with pytest.raises(ArazzoError):
        compile_criterion(condition)
