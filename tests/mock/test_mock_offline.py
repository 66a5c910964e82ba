"""Offline mode, as a user meets it: made-up credentials, made-up inputs a request accepts, no third-party
warnings on the terminal, and generated ids that stay the same across the steps of a run.

The fixture tests/mock/fixtures/typed-inputs.* is ours; the Jentic train fixture and the Stytch corpus live
beside the repository (../shared, third-party data that is not redistributed) and their tests skip without it.
"""

from __future__ import annotations

import json
import random
import re
import uuid
import warnings
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from arazzo_runner import load, run_workflow
from arazzo_runner.compile.loader import load_text
from arazzo_runner.mock import MockResponder, generate_inputs
from arazzo_runner.mock.generate import ValueGenerator
from arazzo_runner.plan.inputs import validate_inputs

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TYPED = FIXTURES / "typed-inputs.arazzo.yaml"
BUNDLED_STYTCH = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
SHARED = ROOT.parent / "shared" / "corpus"
TRAIN = SHARED / "jentic-arazzo-engine-fixtures" / "fixtures" / "train" / "train.arazzo.yaml"
STYTCH = SHARED / "stytch" / "arazzo"
# Credentials given by hand (long enough to be masked), for the tests that are not about credentials.
GIVEN = {"basicAuth": ("rail-user", "rail-password-1"), "apiKey": "rail-key-12345678", "OAuth2": "rail-token-12345678"}


@pytest.fixture(scope="module")
def typed():
    return load(TYPED)


def _uuid(text):
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


# -- 1. placeholder credentials -----------------------------------------------------------------
def test_placeholder_credentials_have_the_shape_of_each_scheme(typed):
    from arazzo_runner.mock import placeholder_credentials

    credentials, notes = placeholder_credentials(typed, {})
    assert credentials["basicAuth"] == ("mock-user", "mock-password")
    assert isinstance(credentials["apiKey"], str) and len(credentials["apiKey"]) >= 8
    assert isinstance(credentials["OAuth2"], str) and len(credentials["OAuth2"]) >= 8
    assert credentials["apiKey"].startswith("mock-token-") and credentials["OAuth2"].startswith("mock-token-")
    assert notes == [
        f"mock: credential {name!r} not given; made up placeholder values" for name in ("basicAuth", "apiKey", "OAuth2")
    ]


def test_given_credentials_are_kept_and_not_made_up(typed):
    from arazzo_runner.engine.security import Credentials
    from arazzo_runner.mock import placeholder_credentials

    credentials, notes = placeholder_credentials(typed, {"basicAuth": "me:secret-123", "rail.apiKey": "key-12345678"})
    assert credentials["basicAuth"] == "me:secret-123" and credentials["rail.apiKey"] == "key-12345678"
    assert "apiKey" not in credentials  # given as source.scheme
    assert notes == ["mock: credential 'OAuth2' not given; made up placeholder values"]
    # a Credentials object will do as well (what Runner holds)
    credentials, notes = placeholder_credentials(typed, Credentials(GIVEN))
    assert credentials == GIVEN and notes == []


def test_schemes_no_operation_applies_get_no_placeholder(tmp_path):
    from arazzo_runner.mock import placeholder_credentials

    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /ping:\n    get:\n      operationId: ping\n      responses: {'200': {description: ok}}\n"
        "components:\n  securitySchemes:\n    basicAuth: {type: http, scheme: basic}\n"
    )
    (tmp_path / "flow.arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]\n"
        "workflows:\n- workflowId: ping\n  steps:\n  - stepId: ping\n    operationId: ping\n"
    )
    assert placeholder_credentials(load(tmp_path / "flow.arazzo.yaml"), {}) == ({}, [])


def test_the_bundled_stytch_description_runs_offline_with_placeholder_credentials():
    from arazzo_runner.mock import placeholder_credentials

    doc = load(BUNDLED_STYTCH)
    inputs, _ = generate_inputs(doc.workflow("recovery-codes-rotate"), seed=0)
    without = run_workflow(doc, "recovery-codes-rotate", inputs, mock=True)
    assert without.status == "failed" and without.error.status_code == 401  # it applies basicAuth
    credentials, notes = placeholder_credentials(doc, {})
    assert notes == ["mock: credential 'basicAuth' not given; made up placeholder values"]
    result = run_workflow(doc, "recovery-codes-rotate", inputs, mock=True, credentials=credentials)
    assert result.status == "succeeded", result.error and result.error.message
    assert result.outputs["newRecoveryCodes"]
    assert not result.warnings and not any(step.warnings for step in result.steps)


# -- 2. made-up inputs take the schema of what they feed ------------------------------------------
def test_weak_inputs_are_made_up_from_the_parameter_or_body_field_they_feed(typed):
    workflow = typed.workflow("book-trip")
    inputs, made_up = generate_inputs(workflow, seed=0)
    assert set(made_up) == set(workflow.input_names())
    assert _uuid(inputs["origin"])  # query parameter, format uuid
    assert inputs["bicycles"] in ("true", "false")  # boolean query parameter; the input is a string, so text
    datetime.fromisoformat(inputs["when"].replace("Z", "+00:00"))  # no type of its own: date-time parameter
    assert inputs["seat"] in ("first", "second")  # body field, an enum behind two $refs
    assert inputs["dog"] is True  # no type of its own: the boolean body field, as a boolean
    assert _uuid(inputs["trip"])  # body field, format uuid
    assert _uuid(inputs["bookingId"])  # path parameter declared by a $ref'd path-item parameter
    assert not _uuid(inputs["note"])  # the parameter says no more than the input: unchanged
    assert inputs["label"] == "mine"  # its own schema says enough: kept
    assert validate_inputs(workflow, inputs) == []  # and the inputs stay valid for the workflow
    assert generate_inputs(workflow, seed=0)[0] == inputs  # deterministic per seed
    assert generate_inputs(workflow, seed=1)[0]["origin"] != inputs["origin"]


def test_the_fixture_workflow_runs_offline_with_made_up_inputs(typed):
    inputs, _ = generate_inputs(typed.workflow("book-trip"), seed=0)
    result = run_workflow(typed, "book-trip", inputs, mock=True, credentials=GIVEN)
    assert result.status == "succeeded", result.error and result.error.message
    assert [s.status_code for s in result.steps] == [200, 201, 200]
    assert result.outputs["seat"] in ("first", "second")


def test_an_object_input_with_no_properties_sent_as_the_body_is_made_up_from_the_body_schema(typed):
    workflow = typed.workflow("book-with-body")
    inputs, _ = generate_inputs(workflow, seed=0)
    assert inputs["booking"]["seat_class"] in ("first", "second") and isinstance(inputs["booking"]["has_dog"], bool)
    result = run_workflow(typed, "book-with-body", inputs, mock=True, credentials=GIVEN)
    assert result.status == "succeeded", result.error and result.error.message


# Workflows of the train fixture that failed offline only because their made-up inputs ignored the schema
# of the parameters they feed (uuid path/query parameters, booleans, a date-time).
TRAIN_WORKFLOWS = ["bookings_read", "bookings_delete", "trips_list", "Find Trips"]


@pytest.mark.parametrize("workflow_id", TRAIN_WORKFLOWS)
def test_train_fixture_workflows_run_offline_with_made_up_inputs(workflow_id):
    if not TRAIN.is_file():
        pytest.skip(f"the Jentic fixtures are not at {TRAIN.parent} (shared data beside the repository)")
    # Only the workflow under test is loaded (read from the shared file at test time): other workflows
    # of the file reference inputs they do not declare, which is not what this test is about.
    raw = yaml.safe_load(TRAIN.read_text(encoding="utf-8"))
    raw["workflows"] = [w for w in raw["workflows"] if w["workflowId"] == workflow_id]
    # Its workflow outputs read '$steps.Find Trips_….outputs.…' (a stepId with spaces), which is not a runtime
    # expression and so a load error (STEP-22/WF-13); they are not what this test is about either.
    for workflow in raw["workflows"]:
        workflow.pop("outputs", None)
    doc = load_text(yaml.safe_dump(raw, sort_keys=False), base_uri=TRAIN.as_uri())
    inputs, _ = generate_inputs(doc.workflow(workflow_id), seed=0)
    result = run_workflow(doc, workflow_id, inputs, mock=True)
    assert result.status == "succeeded", result.error and result.error.message
    assert all(step.status_code == 200 for step in result.steps)


# -- 3. openapi-core's warnings stay inside ---------------------------------------------------------
def test_openapi_core_warnings_do_not_leak_and_ours_still_show(typed):
    inputs = {
        "origin": str(uuid.UUID(int=1)),
        "bicycles": "true",
        "when": "2024-05-01T10:00:00Z",
        "note": "n",
        "seat": "second",
        "passenger": "Ada",
        "dog": False,
        "trip": str(uuid.UUID(int=2)),
        "bookingId": str(uuid.UUID(int=3)),
        "label": "mine",
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_workflow(typed, "book-trip", inputs, mock=True, credentials=GIVEN)  # getBooking: oauth2
        assert result.status == "succeeded"
        assert [str(w.message) for w in caught] == []
        warnings.warn("ours", UserWarning, stacklevel=2)  # the filters were put back: a warning raised afterwards shows
    assert [str(w.message) for w in caught] == ["ours"]


# -- 4. ids the mock made up stay the same across the run ---------------------------------------------
def test_generated_ids_are_remembered_across_responses_but_not_request_ids():
    memory: dict[str, str] = {}
    schema = {
        "type": "object",
        "properties": {"user_id": {"type": "string"}, "request_id": {"type": "string"}, "id": {"type": "string"}},
    }
    listing = {
        "type": "object",
        "properties": {"results": {"type": "array", "minItems": 2, "items": schema}, "request_id": {"type": "string"}},
    }
    first = ValueGenerator(lambda n: n, random.Random(1), memory=memory).generate(schema)
    later = ValueGenerator(lambda n: n, random.Random(2), memory=memory).generate(listing)
    assert later["results"][0]["user_id"] == first["user_id"]  # the first item is the one made up before
    assert later["results"][1]["user_id"] != first["user_id"]  # array items stay distinct
    assert later["request_id"] != first["request_id"] and later["results"][0]["id"] != first["id"]
    # without memory (made-up inputs, the server's other uses), nothing is carried over
    again = ValueGenerator(lambda n: n, random.Random(2)).generate(listing)
    assert again["results"][0]["user_id"] != first["user_id"]


def test_an_id_made_up_by_one_response_comes_back_in_the_next(typed):
    responder = MockResponder.for_document(typed, workflow="book-trip")
    first = responder.respond(
        "GET", "https://rail.example.com/v1/trips?origin=" + str(uuid.uuid4()), [("Authorization", "Basic eDp5")], b""
    )
    trip_id = json.loads(first.body)["trips"][0]["trip_id"]
    booking = b'{"seat_class": "first", "passenger_name": "Ada", "has_dog": false}'
    second = responder.respond(
        "POST",
        "https://rail.example.com/v1/bookings",
        [("X-API-Key", "k"), ("Content-Type", "application/json")],
        booking,
    )
    assert second.status == 201 and json.loads(second.body)["trip_id"] == trip_id


def _stytch(name):
    path = STYTCH / name
    if not path.is_file():
        pytest.skip(f"the Stytch corpus is not at {STYTCH} (shared data beside the repository)")
    return load(path)


def test_the_user_created_is_the_user_searched_and_deleted():
    doc = _stytch("stytch-user-create-search-delete-workflow.yml")
    inputs, _ = generate_inputs(doc.workflow("user-create-search-delete"), seed=0)
    result = run_workflow(doc, "user-create-search-delete", inputs, mock=True)
    assert result.status == "succeeded", result.error
    created = result.outputs["createdUserId"]
    assert result.outputs["matchedUserId"] == created
    assert result.steps[-1].url.endswith("/" + created)
    # deterministic per seed, and another seed makes up another user
    assert run_workflow(doc, "user-create-search-delete", inputs, mock=True).outputs == result.outputs
    other = run_workflow(doc, "user-create-search-delete", inputs, mock={"seed": 3}).outputs
    assert other["createdUserId"] != created and other["matchedUserId"] == other["createdUserId"]


def test_the_member_authenticated_is_the_member_of_the_session():
    doc = _stytch("stytch-b2b-password-auth-session-workflow.yml")
    inputs, _ = generate_inputs(doc.workflow("password-auth-session"), seed=0)
    result = run_workflow(doc, "password-auth-session", inputs, mock=True)
    assert result.status == "succeeded", result.error
    authenticate, session = result.steps
    assert re.fullmatch(r"member-test-[0-9a-f-]{36}", authenticate.outputs["memberId"])
    assert session.outputs["memberId"] == authenticate.outputs["memberId"]
    assert result.outputs["memberId"] == authenticate.outputs["memberId"]
