"""The mock, piece by piece, on a small fixture description (tests/mock/fixtures)."""

from __future__ import annotations

import json
import random
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from arazzo_runner import ArazzoError, load, run_workflow
from arazzo_runner.mock import MockResponder, MockTransport, generate_inputs
from arazzo_runner.mock.generate import ValueGenerator
from arazzo_runner.mock.regex import generate_matching

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPEC = FIXTURES / "petstore.arazzo.yaml"
KEY = {"apiKey": "test-key"}
BASE = "https://petstore.example.com/api/v1"


@pytest.fixture(scope="module")
def doc():
    return load(SPEC)


@pytest.fixture()
def responder(doc):
    return MockResponder.for_document(doc)


def call(responder, method, path, body=None, headers=None, base=BASE):
    hdrs = [("X-API-Key", "k"), *(headers or [])]
    content = b""
    if body is not None:
        content = json.dumps(body).encode()
        hdrs.append(("Content-Type", "application/json"))
    answer = responder.respond(method, base + path, hdrs, content)
    data = (
        json.loads(answer.body)
        if answer.body and dict(answer.headers).get("Content-Type", "").endswith("json")
        else answer.body
    )
    return answer.status, dict(answer.headers), data


def pet_schema(doc):
    description = next(iter(doc.documents.openapi.values()))
    return description, description.data["components"]["schemas"]["Pet"]


# -- responses ------------------------------------------------------------------
def test_generated_body_honours_the_schema(doc, responder):
    status, headers, body = call(responder, "GET", "/pets/12")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Mock-Operation"] == "getPetById"
    description, _ = pet_schema(doc)
    schema = description.resolve_deep(description.data["components"]["schemas"]["Pet"])
    # Pet.parent refers back to Pet: resolve_deep leaves that $ref (made absolute) instead of expanding it
    # 64 levels deep (issue 12), so the validator needs the description to follow it.
    registry: Registry[Any] = Registry().with_resource(
        description.url, Resource(contents=description.data, specification=DRAFT4)
    )
    OAS30Validator(schema, registry=registry).validate(body)
    assert body["status"] in ("available", "pending", "sold")
    assert len(body["tags"]) >= 2 and all(re.fullmatch(r"[a-z]{3}-\d{2}", t) for t in body["tags"])
    assert "person_id" in body["owner"]  # oneOf: the first variant
    uuid.UUID(body["owner"]["person_id"])
    assert "@" in body["owner"]["email"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])


def test_examples_come_first(responder):
    status, _, body = call(responder, "GET", "/pets/mine")
    assert status == 200 and body == {"pets": [{"id": 7, "name": "Rex"}, {"id": 8, "name": "Tom"}]}
    status, headers, text = call(responder, "GET", "/health", headers=[])
    assert status == 200 and text == b"ok" and headers["Content-Type"] == "text/plain"


def test_documented_headers_are_sent(responder):
    status, headers, body = call(responder, "GET", "/pets?limit=5")
    assert status == 200 and headers["X-Total-Count"].isdigit()
    assert isinstance(body["pets"], list) and body["pets"]


def test_request_values_are_echoed(responder):
    status, _, body = call(responder, "POST", "/pets", {"name": "Rex", "status": "sold", "tags": ["abc-12", "def-34"]})
    assert status == 201  # the first documented 2xx
    assert body["name"] == "Rex" and body["status"] == "sold" and body["tags"] != []
    # later responses of the run echo what earlier requests sent
    _, _, again = call(responder, "GET", "/pets/3")
    assert again["name"] == "Rex"


def test_same_seed_same_body_other_seed_other_body(doc):
    def body(seed):
        return call(MockResponder.for_document(doc, seed=seed), "GET", "/pets/1")[2]

    assert body(5) == body(5)
    assert body(5) != body(6)


def test_status_comes_from_the_steps_success_criteria(doc, responder):
    # deletePet documents only 204, and the step asks for 204; createPet asks for 201
    assert call(responder, "DELETE", "/pets/3")[0] == 204
    assert call(responder, "DELETE", "/pets/3")[2] == b""


# -- routing ----------------------------------------------------------------------
def test_any_host_and_the_server_base_path_are_accepted(responder):
    assert call(responder, "GET", "/pets/1", base="http://127.0.0.1:9999/api/v1")[0] == 200
    assert (
        call(responder, "GET", "/pets/1", base="http://localhost:1")[0] == 200
    )  # servers= override without the base path


def test_literal_paths_beat_templates(responder):
    assert call(responder, "GET", "/pets/mine")[1]["X-Mock-Operation"] == "listMyPets"


def test_unknown_path_is_404_and_wrong_method_405(responder):
    status, _, body = call(responder, "GET", "/owners")
    assert status == 404 and "GET /api/v1/owners" in body["message"]
    status, headers, body = call(responder, "PUT", "/pets/1")
    assert status == 405 and headers["Allow"] == "DELETE, GET"


# -- validation ----------------------------------------------------------------------
def test_invalid_requests_are_answered_400_saying_what_is_wrong(responder):
    status, _, body = call(responder, "POST", "/pets", {"name": 5, "tags": ["bad"]})
    assert status == 400
    problems = body["problems"]
    assert "request body at /name: 5 is not of type 'string'" in problems
    assert "request body: 'status' is a required property" in problems
    assert any(p.startswith("request body at /tags/0: 'bad' does not match") for p in problems)
    assert body["message"].startswith("mock: invalid request step 'createPet' to createPet: ")
    assert call(responder, "GET", "/pets?limit=500")[0] == 400
    assert "query parameter 'limit'" in call(responder, "GET", "/pets?limit=500")[2]["problems"][0]


def test_content_type_and_missing_body_are_checked(responder):
    answer = responder.respond("POST", BASE + "/pets", [("X-API-Key", "k"), ("Content-Type", "text/plain")], b"Rex")
    assert answer.status == 400
    assert "content type 'text/plain' is not accepted; expected application/json" in answer.body.decode()
    answer = responder.respond("POST", BASE + "/pets", [("X-API-Key", "k")], b"")
    assert answer.status == 400 and b"missing required request body" in answer.body


def test_missing_credentials_are_answered_401(responder):
    answer = responder.respond("GET", BASE + "/pets/1", [], b"")
    assert answer.status == 401
    assert b"missing credentials: GET /pets/{petId} needs one of: apiKey" in answer.body


def test_validation_can_be_switched_off(doc):
    responder = MockResponder.for_document(doc, validate=False)
    assert responder.respond("GET", BASE + "/pets/abc", [], b"").status == 200


# -- runs ----------------------------------------------------------------------------
def test_a_workflow_runs_offline(doc):
    result = run_workflow(doc, "adopt-pet", {"name": "Rex"}, mock=True, credentials=KEY)
    assert result.status == "succeeded", result.error
    assert [s.status_code for s in result.steps] == [201, 200, 204]
    assert result.outputs["name"] == "Rex"


def test_an_invalid_request_fails_the_run_naming_step_and_problem(doc):
    result = run_workflow(doc, "broken-lookup", {}, mock=True, credentials=KEY)
    assert result.status == "failed"
    assert result.error.step_id == "lookup" and result.error.status_code == 400
    assert "path parameter 'petId'" in result.error.message


def test_missing_credentials_fail_the_run_with_401(doc):
    result = run_workflow(doc, "adopt-pet", {"name": "Rex"}, mock=True)
    assert result.status == "failed" and result.error.status_code == 401
    assert "missing credentials" in result.error.message


# -- scenarios --------------------------------------------------------------------------
def test_a_sequence_drives_retries(doc):
    scenario = {"getPet": [{"status": 503, "headers": {"Retry-After": "0"}}, 503, {}]}
    result = run_workflow(doc, "adopt-pet", {"name": "Rex"}, mock={"scenario": scenario}, credentials=KEY)
    assert result.status == "succeeded"
    assert [(s.step_id, s.status_code) for s in result.steps] == [
        ("createPet", 201),
        ("getPet", 503),
        ("getPet", 503),
        ("getPet", 200),
        ("deletePet", 204),
    ]


def test_operation_overrides_with_body_and_headers(doc):
    scenario = {
        "operations": {"getPetById": {"status": 200, "headers": {"X-Extra": "1"}, "body": {"id": 99, "name": "Fixed"}}}
    }
    responder = MockResponder.for_document(doc, scenario=scenario)
    status, headers, body = call(responder, "GET", "/pets/1")
    assert (status, headers["X-Extra"], body) == (200, "1", {"id": 99, "name": "Fixed"})


def test_a_scenario_status_without_a_body_uses_the_documented_response(doc):
    responder = MockResponder.for_document(doc, scenario={"getPetById": 404})
    assert call(responder, "GET", "/pets/1")[1:] == (
        {"X-Mock-Operation": "getPetById", "Content-Type": "application/json"},
        {"message": "no such pet"},
    )
    responder = MockResponder.for_document(doc, scenario={"getPetById": 500})
    status, _, body = call(responder, "GET", "/pets/1")
    assert status == 500 and "not documented" in body["message"]


def test_a_scenario_file(tmp_path, doc):
    path = tmp_path / "scenario.yaml"
    path.write_text("steps:\n  createPet:\n    status: 500\n", encoding="utf-8")
    result = run_workflow(doc, "adopt-pet", {"name": "Rex"}, mock={"scenario": str(path)}, credentials=KEY)
    assert result.status == "failed" and result.error.step_id == "createPet" and result.error.status_code == 500


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"nope": 500}, "'nope' is neither a stepId nor an operationId"),
        ({"steps": {"listPets": 500}}, "no stepId 'listPets'"),
        ({"createPet": {"status": 99}}, "status must be an HTTP status code"),
        ({"createPet": {"code": 500}}, "unknown field(s) code"),
        ({"createPet": []}, "an empty sequence"),
    ],
)
def test_bad_scenarios_are_refused_before_the_run(doc, scenario, message):
    with pytest.raises(ArazzoError) as info:
        MockResponder.for_document(doc, scenario=scenario)
    assert message in info.value.message


# -- made-up inputs ------------------------------------------------------------------------
def test_generate_inputs_makes_up_what_is_missing(doc):
    workflow = doc.workflow("adopt-pet")
    inputs, made_up = generate_inputs(workflow, seed=3, given={"name": "Rex"})
    assert inputs["name"] == "Rex" and made_up == ["contact", "age"]
    assert "@" in inputs["contact"] and 1 <= inputs["age"] <= 20
    assert generate_inputs(workflow, seed=3) == generate_inputs(workflow, seed=3)
    only_required, names = generate_inputs(workflow, seed=3, optional=False)
    assert names == ["name"] and set(only_required) == {"name"}


# -- the transport with a sync client --------------------------------------------------------
def test_the_transport_serves_sync_clients_too(doc):
    with httpx.Client(transport=MockTransport(MockResponder.for_document(doc))) as client:
        response = client.get(BASE + "/health")
    assert response.status_code == 200 and response.text == "ok"


# -- the generator ------------------------------------------------------------------------
def _gen(seed=0, **kwargs):
    return ValueGenerator(lambda node: node, random.Random(seed), **kwargs)


@pytest.mark.parametrize(
    ("schema", "check"),
    [
        ({"type": "string", "format": "uuid"}, uuid.UUID),
        ({"type": "string", "format": "date"}, lambda v: re.fullmatch(r"\d{4}-\d\d-\d\d", v)),
        ({"type": "string", "format": "ipv4"}, lambda v: v.startswith("192.0.2.")),
        ({"type": "string", "format": "uri"}, lambda v: v.startswith("https://")),
        ({"type": "string", "minLength": 30}, lambda v: len(v) >= 30),
        ({"type": "string", "maxLength": 2}, lambda v: len(v) <= 2),
        ({"type": "integer", "minimum": 5, "maximum": 5}, lambda v: v == 5),
        ({"type": "integer", "exclusiveMinimum": True, "minimum": 0, "maximum": 1}, lambda v: v == 1),
        ({"type": "number", "minimum": 0.5, "maximum": 0.75}, lambda v: 0.5 <= v <= 0.75),
        ({"type": "array", "minItems": 3, "items": {"type": "boolean"}}, lambda v: len(v) == 3),
        ({"type": "array", "maxItems": 0}, lambda v: v == []),
        ({"type": ["null", "integer"]}, lambda v: isinstance(v, int)),
        ({"type": "string", "nullable": True}, lambda v: isinstance(v, str)),
        ({"enum": [None, "b"]}, lambda v: v == "b"),
        ({"const": 3}, lambda v: v == 3),
        ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, lambda v: isinstance(v, int)),
        ({"type": "object", "required": ["a"], "properties": {}}, lambda v: "a" in v),
        ({"type": "string", "example": "given"}, lambda v: v == "given"),
    ],
)
def test_generated_values(schema, check):
    assert check(_gen().generate(schema))


def test_ids_agree_within_a_response_but_not_across_array_items():
    schema = {
        "type": "object",
        "properties": {
            "user_id": {"type": "string"},
            "user": {"type": "object", "properties": {"user_id": {"type": "string"}}},
            "friends": {
                "type": "array",
                "minItems": 2,
                "items": {"type": "object", "properties": {"user_id": {"type": "string"}}},
            },
        },
    }
    value = _gen().generate(schema)
    assert value["user_id"] == value["user"]["user_id"] and value["user_id"].startswith("user-test-")
    assert value["friends"][0]["user_id"] != value["friends"][1]["user_id"]


def test_recursive_schemas_stop(doc):
    description, pet = pet_schema(doc)
    value = ValueGenerator(description.resolve, random.Random(0)).generate(pet)
    depth = 0
    while isinstance(value, dict) and "parent" in value:
        value, depth = value["parent"], depth + 1
    assert 1 <= depth <= 3


def test_echo_respects_types():
    gen = _gen(echo={"count": "not-a-number", "name": "Rex"})
    value = gen.generate({"type": "object", "properties": {"count": {"type": "integer"}, "name": {"type": "string"}}})
    assert isinstance(value["count"], int) and value["name"] == "Rex"


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[A-Z]{3}-\d{4}$",
        r"^\+[1-9]\d{6,14}$",
        r"^(foo|bar)+baz?$",
        r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
        r"^(ab)\1$",
        r"\w+",
    ],
)
def test_patterns(pattern):
    for seed in range(5):
        value = generate_matching(pattern, random.Random(seed))
        assert value is not None and re.search(pattern, value)


def test_unsupported_patterns_give_up_and_the_string_is_still_a_string():
    assert generate_matching(r"(?=a)b", random.Random(0)) is None
    assert isinstance(_gen().generate({"type": "string", "pattern": r"(?=a)b"}), str)


# Property: whatever the schema, the value generated for it is valid against it.
_leaf = st.one_of(
    st.just({"type": "boolean"}),
    st.builds(
        lambda lo, span: {"type": "integer", "minimum": lo, "maximum": lo + span},
        st.integers(-1000, 1000),
        st.integers(0, 50),
    ),
    st.builds(
        lambda lo, span: {"type": "number", "minimum": lo, "maximum": lo + span},
        st.integers(-10, 10),
        st.integers(1, 5),
    ),
    st.builds(
        lambda lo, extra: {"type": "string", "minLength": lo, "maxLength": lo + extra},
        st.integers(0, 40),
        st.integers(0, 10),
    ),
    st.sampled_from(["uuid", "date-time", "date", "email", "ipv4", "uri", "byte"]).map(
        lambda f: {"type": "string", "format": f}
    ),
    st.sampled_from([r"^[a-z]{2,5}$", r"^\d{3}-\d{2}$", r"^(x|yz)+$"]).map(lambda p: {"type": "string", "pattern": p}),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), min_size=1, max_size=4, unique=True).map(
        lambda e: {"enum": e}
    ),
    st.just({"type": "string", "nullable": True}),
)


def _all_of(parts):
    # each part names its own properties (p0_x, p1_x): an allOf of contradicting parts has no valid value
    renamed = [{f"p{i}_{k}": v for k, v in part.items()} for i, part in enumerate(parts)]
    return {"allOf": [{"type": "object", "properties": p, "required": sorted(p)[:1]} for p in renamed]}


def _compound(children):
    properties = st.dictionaries(st.from_regex(r"[a-z]{1,8}(_id)?", fullmatch=True), children, max_size=4)
    return st.one_of(
        properties.flatmap(
            lambda props: st.builds(
                lambda req: {"type": "object", "properties": props, "required": req},
                st.lists(st.sampled_from(sorted(props)), unique=True) if props else st.just([]),
            )
        ),
        st.builds(
            lambda items, lo, extra: {"type": "array", "items": items, "minItems": lo, "maxItems": lo + extra},
            children,
            st.integers(0, 3),
            st.integers(0, 2),
        ),
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"anyOf": parts}),
        st.lists(properties, min_size=1, max_size=3).map(_all_of),
    )


_schemas = st.recursive(_leaf, _compound, max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas, st.integers(0, 2**32))
def test_property_generated_values_validate(schema, seed):
    value = _gen(seed).generate(schema)
    OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER).validate(value)


def test_swagger2_is_answered_unvalidated_and_path_values_are_read_by_type():
    from arazzo_runner.openapi.index import OpenAPIDescription

    description = OpenAPIDescription(
        "file:///tmp/swagger.json",
        {
            "swagger": "2.0",
            "info": {"title": "t", "version": "1"},
            "host": "api.example.com",
            "basePath": "/v2",
            "paths": {
                "/pets/{id}": {
                    "get": {
                        "operationId": "getPet",
                        "parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"}],
                        "responses": {
                            "200": {
                                "description": "ok",
                                "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
                            }
                        },
                    }
                }
            },
        },
        "swagger.json",
    )
    answer = MockResponder([description]).respond("GET", "https://api.example.com/v2/pets/3", [], b"")
    assert answer.status == 200 and json.loads(answer.body) == {"id": 3}
