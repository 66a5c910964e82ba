"""Fuzzers: every input either works or ends in an ``ArazzoError`` subclass, never another exception.

Each fuzzer is a function ``(examples) -> count`` that runs hypothesis for that many
examples and returns how many inputs it tried. ``test_fuzz_smoke.py`` runs each
briefly in the normal suite; ``python -m tests.fuzz`` (``make fuzz``) runs them long.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from arazzo_runner import load, load_text
from arazzo_runner.engine.request import prepare_request
from arazzo_runner.engine.transport import build_request
from arazzo_runner.errors import ArazzoError
from arazzo_runner.language.criteria import compile_condition, compile_criterion
from arazzo_runner.language.expressions import EvalContext, HttpView, compile_value, parse_expression

Fuzzer = Callable[[int], int]

OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'http://h.invalid'}]
paths:
  /r/{p}:
    post:
      operationId: r
      parameters:
        - {name: p, in: path, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: {}}}}
      responses: {'200': {description: ok}}
"""

BASE: dict[str, Any] = {
    "arazzo": "1.0.1",
    "info": {"title": "t", "version": "1"},
    "sourceDescriptions": [{"name": "api", "url": "openapi.yaml", "type": "openapi"}],
    "workflows": [
        {
            "workflowId": "w",
            "inputs": {"type": "object", "properties": {"v": {}}},
            "steps": [
                {
                    "stepId": "s",
                    "operationId": "r",
                    "parameters": [{"name": "p", "in": "path", "value": "$inputs.v"}],
                    "requestBody": {"payload": {"a": "$inputs.v"}},
                    "successCriteria": [{"condition": "$statusCode == 200"}],
                    "onFailure": [{"name": "again", "type": "retry", "retryAfter": 1, "retryLimit": 2}],
                    "outputs": {"o": "$response.body#/a"},
                }
            ],
            "outputs": {"o": "$steps.s.outputs.o"},
        }
    ],
    "components": {"parameters": {"k": {"name": "k", "in": "query", "value": 1}}},
}

_directory = tempfile.TemporaryDirectory(prefix="arazzo-fuzz-")
DIRECTORY = Path(_directory.name)
(DIRECTORY / "openapi.yaml").write_text(OPENAPI)
BASE_URI = (DIRECTORY / "arazzo.yaml").as_uri()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

GRAMMAR = st.sampled_from(
    [
        *"$#/~01{}[]().!=<>&|'\" abc-_.",
        "$inputs.",
        "$steps.",
        ".outputs.",
        "$response.body",
        "$response.header.",
        "$statusCode",
        "$components.parameters.",
        "==",
        "&&",
        "||",
        "true",
        "null",
        "[?",
        "..",
        "@",
        "*",
        "é",
        "\n",
    ]
)
expression_text = st.one_of(st.text(max_size=60), st.lists(GRAMMAR, max_size=25).map("".join))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


PATHS = _paths(BASE)[1:]


def _mutated(path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    document = json.loads(json.dumps(BASE))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return document


def _load(text: str) -> None:
    with contextlib.suppress(ArazzoError):
        load_text(text, base_uri=BASE_URI)


BATCH = 10  # inputs per hypothesis example: its bookkeeping per example is paid once for ten inputs
CHUNK = 5_000  # inputs per hypothesis run: each run starts afresh (bounded memory) and reports progress
PROGRESS: Callable[[int], None] | None = None  # told the running count after each run (``python -m tests.fuzz``)


def _run(examples: int, strategy: Any, body: Callable[..., None]) -> int:
    """Run ``body`` on ``examples`` inputs drawn from ``strategy``; the number of inputs it ran."""
    count = 0
    batch = max(1, min(BATCH, examples))

    def counted(cases: list[Any]) -> None:
        nonlocal count
        for case in cases:
            count += 1
            body(case)

    while count < examples:
        before = count
        runs = max(1, min(CHUNK, examples - count) // batch)
        test = given(st.lists(strategy, min_size=batch, max_size=batch))(counted)  # a fresh test per run
        settings(
            max_examples=runs,
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )(test)()
        if PROGRESS is not None:
            PROGRESS(count)
        if count == before:  # the strategy has nothing new to give
            break
    return count


def fuzz_load_fields(examples: int) -> int:
    """A valid document with one field replaced by a value of any type, or removed."""

    def body(case: tuple[tuple[Any, ...], Any, bool]) -> None:
        path, replacement, delete = case
        _load(json.dumps(_mutated(path, replacement, delete), allow_nan=True))

    return _run(examples, st.tuples(st.sampled_from(PATHS), json_values, st.booleans()), body)


def fuzz_load_text(examples: int) -> int:
    """The YAML text of a valid document with characters inserted, deleted or replaced."""
    import yaml

    base = yaml.safe_dump(BASE, sort_keys=False)
    edits = st.lists(
        st.tuples(
            st.integers(0, len(base)),
            st.integers(0, 4),
            st.text(max_size=6)
            | st.sampled_from(
                ["\n", ": ", "- ", "{", "[", "&a ", "*a", "!!", "'", '"', "#", "$ref: x", "9" * 5000, ".nan", "\ud800"]
            ),
        ),
        min_size=1,
        max_size=4,
    )

    def body(changes: list[tuple[int, int, str]]) -> None:
        text = base
        for at, cut, insert in changes:
            at = min(at, len(text))
            text = text[:at] + insert + text[at + cut :]
        _load(text)

    return _run(examples, edits, body)


def _context() -> EvalContext:
    return EvalContext(
        inputs={"a": {"b": [1, 2]}, "x": "y"},
        steps={"s": {"o": {"p": 1}}},
        status_code=200,
        response=HttpView(headers={"x-a": "1"}, body={"a": [{"b": 1}]}, body_kind="json"),
    )


def fuzz_expressions(examples: int) -> int:
    """Runtime expressions, templates and conditions: parsed, and evaluated when they parse."""

    def body(text: str) -> None:
        with contextlib.suppress(ArazzoError):
            parse_expression(text).evaluate(_context())
        with contextlib.suppress(ArazzoError):
            compile_value({"k": [text]}).evaluate(_context())
        for strict in (False, True):
            with contextlib.suppress(ArazzoError):
                compile_condition(text, strict=strict).evaluate(_context())

    return _run(examples, expression_text, body)


CRITERION_TYPES = st.sampled_from(
    [
        None,
        "simple",
        "regex",
        "jsonpath",
        "xpath",
        {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"},
        {"type": "xpath", "version": "xpath-10"},
    ]
)


def fuzz_criteria(examples: int) -> int:
    """Criteria of every type: compiled, then evaluated against a JSON and a text body."""

    def body(case: tuple[str, Any, Any]) -> None:
        condition, kind, body_value = case
        try:
            criterion = compile_criterion(condition, kind, "$response.body")
        except ArazzoError:
            return
        ctx = EvalContext(
            status_code=200,
            response=HttpView(headers={}, body=body_value, body_kind="text" if isinstance(body_value, str) else "json"),
        )
        with contextlib.suppress(ArazzoError):
            criterion.evaluate(ctx)

    return _run(examples, st.tuples(expression_text, CRITERION_TYPES, json_values), body)


STYLES = [
    ("path", "simple"),
    ("path", "label"),
    ("path", "matrix"),
    ("query", "form"),
    ("query", "spaceDelimited"),
    ("query", "pipeDelimited"),
    ("query", "deepObject"),
    ("header", "simple"),
    ("cookie", "form"),
]


def _request_document(location: str, style: str, explode: bool) -> Any:
    openapi = f"""\
openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /r/{{p}}:
    get:
      operationId: r
      parameters:
        - {{name: p, in: path, required: true, schema: {{type: string}}}}
        - {{name: v, in: {location}, style: {style}, explode: {str(explode).lower()}, schema: {{}}}}
      responses: {{'200': {{description: ok}}}}
"""
    name = f"openapi-{location}-{style}-{explode}.yaml"
    (DIRECTORY / name).write_text(openapi.replace("/r/{p}", "/r/{v}") if location == "path" else openapi)
    document = dict(BASE, sourceDescriptions=[{"name": "api", "url": name, "type": "openapi"}])
    step: dict[str, Any] = {
        "stepId": "s",
        "operationId": "r",
        "parameters": [{"name": "v", "in": location, "value": "$inputs.v"}],
    }
    if location != "path":
        step["parameters"].append({"name": "p", "in": "path", "value": "x"})
    document["workflows"] = [{"workflowId": "w", "steps": [step]}]
    return load_text(json.dumps(document), base_uri=BASE_URI)


def fuzz_requests(examples: int) -> int:
    """Every parameter location and style, with any JSON value: the request is built or refused in words."""
    documents = {
        (loc, style, explode): _request_document(loc, style, explode)
        for loc, style in STYLES
        for explode in (False, True)
    }
    client = httpx.AsyncClient()

    def body(case: tuple[tuple[str, str, bool], Any]) -> None:
        key, value = case
        step = documents[key].workflow("w").steps[0]
        assert step.operation is not None
        ctx = EvalContext(inputs={"v": value})
        try:
            prepared = prepare_request(step, step.operation, ctx, "http://h.invalid")
            build_request(client, prepared, 5.0)
        except ArazzoError:
            pass

    return _run(examples, st.tuples(st.sampled_from(sorted(documents)), json_values), body)


def fuzz_mock_requests(examples: int) -> int:
    """The mock's HTTP handling: any method, path, query, headers and body get an answer, never an exception."""
    from arazzo_runner.mock import MockResponder

    fixtures = Path(__file__).resolve().parents[1] / "mock" / "fixtures"
    responder = MockResponder.for_document(load(fixtures / "petstore.arazzo.yaml"))
    paths = st.sampled_from(["/api/v1/pets", "/api/v1/pets/1", "/api/v1/pets/mine", "/api/v1/health", "/", ""])
    text = st.text(max_size=30)
    request = st.tuples(
        st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"]) | text,
        st.tuples(paths, text, st.sampled_from(["", "?"]) | text).map("".join),
        st.lists(st.tuples(st.sampled_from(["Content-Type", "X-API-Key", "Accept"]) | text, text), max_size=4),
        json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=60),
    )

    def body(case: tuple[str, str, list[tuple[str, str]], bytes]) -> None:
        method, path, headers, payload = case
        with contextlib.suppress(ArazzoError):
            responder.respond(method, "http://127.0.0.1:9" + path, headers, payload)

    return _run(examples, request, body)


FUZZERS: dict[str, Fuzzer] = {
    "mock-requests": fuzz_mock_requests,
    "load-fields": fuzz_load_fields,
    "load-text": fuzz_load_text,
    "expressions": fuzz_expressions,
    "criteria": fuzz_criteria,
    "requests": fuzz_requests,
}
