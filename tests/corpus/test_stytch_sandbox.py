"""The Stytch sandbox used by the demo, and the OpenAPI description it implements."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY_ROOT / "examples"))

from stytch_sandbox import (  # noqa: E402 - needs the sys.path setup above
    DEFAULT_MEMBER_ID,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET,
    StytchSandbox,
)

OPENAPI_FILE = REPOSITORY_ROOT / "specs" / "stytch" / "openapi" / "stytch-b2b-openapi.yml"
ARAZZO_FILE = REPOSITORY_ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
CODE_FORMAT = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}")
ROTATE = "/v1/b2b/recovery_codes/rotate"


def codes_path(organization_id: str = DEFAULT_ORGANIZATION_ID, member_id: str = DEFAULT_MEMBER_ID) -> str:
    return f"/v1/b2b/recovery_codes/{organization_id}/{member_id}"


ROTATE_BODY = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}


@pytest.fixture
def sandbox() -> Iterator[StytchSandbox]:
    with StytchSandbox() as running:
        yield running


@pytest.fixture
def client(sandbox: StytchSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, auth=(sandbox.project_id, sandbox.secret)) as http:
        yield http


@pytest.fixture
def anonymous(sandbox: StytchSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url) as http:
        yield http


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    with OPENAPI_FILE.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


def assert_codes_body(body: dict[str, Any]) -> None:
    assert set(body) == {"request_id", "member_id", "member", "organization", "recovery_codes", "status_code"}
    assert body["status_code"] == 200
    assert body["request_id"].startswith("request-id-test-")
    assert body["member_id"] == DEFAULT_MEMBER_ID
    assert body["member"]["member_id"] == DEFAULT_MEMBER_ID
    assert body["member"]["organization_id"] == DEFAULT_ORGANIZATION_ID
    assert body["organization"]["organization_id"] == DEFAULT_ORGANIZATION_ID
    codes = body["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(CODE_FORMAT.fullmatch(code) for code in codes)


def assert_stytch_error(response: httpx.Response, status: int, error_type: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status_code"] == status
    assert body["error_type"] == error_type
    assert body["request_id"].startswith("request-id-test-")
    assert body["error_message"]
    assert body["error_url"] == f"https://stytch.com/docs/api/errors/{status}"


def test_get_returns_current_codes(sandbox: StytchSandbox, client: httpx.Client) -> None:
    response = client.get(codes_path())

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert_codes_body(response.json())
    assert response.json()["recovery_codes"] == sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)


def test_get_is_stable_until_rotation(client: httpx.Client) -> None:
    first = client.get(codes_path()).json()
    second = client.get(codes_path()).json()

    assert first["recovery_codes"] == second["recovery_codes"]
    assert first["request_id"] != second["request_id"]


def test_rotate_replaces_the_codes(client: httpx.Client) -> None:
    before = client.get(codes_path()).json()["recovery_codes"]

    rotated = client.post(ROTATE, json=ROTATE_BODY)
    after = client.get(codes_path()).json()["recovery_codes"]

    assert rotated.status_code == 200
    assert_codes_body(rotated.json())
    new_codes = rotated.json()["recovery_codes"]
    assert not set(new_codes) & set(before)
    assert after == new_codes


def test_requests_are_recorded(sandbox: StytchSandbox, client: httpx.Client) -> None:
    client.post(ROTATE, json=ROTATE_BODY)

    (recorded,) = sandbox.requests
    assert recorded.method == "POST"
    assert recorded.path == ROTATE
    assert recorded.headers["authorization"].startswith("Basic ")
    assert recorded.headers["content-type"] == "application/json"
    assert httpx.Response(200, content=recorded.body).json() == ROTATE_BODY


def test_missing_credentials_are_rejected(anonymous: httpx.Client) -> None:
    assert_stytch_error(anonymous.get(codes_path()), 401, "unauthorized_credentials")
    assert_stytch_error(anonymous.post(ROTATE, json=ROTATE_BODY), 401, "unauthorized_credentials")


@pytest.mark.parametrize(
    "auth",
    [
        (DEFAULT_PROJECT_ID, "wrong-secret"),
        ("project-test-someone-else", DEFAULT_SECRET),
        (DEFAULT_PROJECT_ID, ""),
    ],
)
def test_wrong_credentials_are_rejected(sandbox: StytchSandbox, auth: tuple[str, str]) -> None:
    with httpx.Client(base_url=sandbox.url, auth=auth) as http:
        assert_stytch_error(http.get(codes_path()), 401, "unauthorized_credentials")


def test_non_basic_authorization_is_rejected(anonymous: httpx.Client) -> None:
    response = anonymous.get(codes_path(), headers={"Authorization": "Bearer abc"})

    assert_stytch_error(response, 401, "unauthorized_credentials")


def test_custom_credentials() -> None:
    with StytchSandbox(project_id="project-test-x", secret="s3cret") as sandbox:
        ok = httpx.get(sandbox.url + codes_path(), auth=("project-test-x", "s3cret"))
        default = httpx.get(sandbox.url + codes_path(), auth=(DEFAULT_PROJECT_ID, DEFAULT_SECRET))

    assert ok.status_code == 200
    assert default.status_code == 401


def test_unknown_member_and_organization(client: httpx.Client) -> None:
    assert_stytch_error(client.get(codes_path(member_id="member-test-nobody")), 404, "member_not_found")
    assert_stytch_error(client.get(codes_path(organization_id="organization-test-none")), 404, "organization_not_found")
    assert_stytch_error(
        client.post(ROTATE, json={**ROTATE_BODY, "member_id": "member-test-nobody"}), 404, "member_not_found"
    )


def test_added_member_is_served(sandbox: StytchSandbox, client: httpx.Client) -> None:
    member = sandbox.add_member("organization-test-other", "member-test-other", email="bob@example.com")

    response = client.get(codes_path("organization-test-other", "member-test-other"))

    assert response.status_code == 200
    assert response.json()["member"] == member
    assert response.json()["member"]["email_address"] == "bob@example.com"
    assert response.json()["organization"]["organization_id"] == "organization-test-other"


@pytest.mark.parametrize(
    ("content", "error_type"),
    [
        (b"{not json", "bad_request"),
        (b"", "bad_request"),
        (b"[]", "invalid_request"),
        (b'{"organization_id": "organization-test-07971b06-ac8b-4cdb-9c15-63b17e653931"}', "invalid_request"),
        (b'{"organization_id": "o", "member_id": 5}', "invalid_request"),
        (b'{"organization_id": "o", "member_id": "m", "extra": true}', "invalid_request"),
    ],
)
def test_bad_rotate_bodies(client: httpx.Client, content: bytes, error_type: str) -> None:
    response = client.post(ROTATE, content=content, headers={"Content-Type": "application/json"})

    assert_stytch_error(response, 400, error_type)


def test_unknown_route_and_wrong_method(client: httpx.Client) -> None:
    assert_stytch_error(client.get("/v1/b2b/nothing"), 404, "route_not_found")
    wrong_method = client.get(ROTATE)
    assert_stytch_error(wrong_method, 405, "method_not_allowed")
    assert wrong_method.headers["allow"] == "POST"
    assert_stytch_error(client.delete(codes_path()), 405, "method_not_allowed")


def test_stop_is_idempotent_and_releases_the_port() -> None:
    sandbox = StytchSandbox().start()
    url = sandbox.url
    sandbox.stop()
    sandbox.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(url + codes_path(), timeout=2)


def test_openapi_description_is_valid(openapi: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(openapi)


def test_openapi_declares_the_workflow_operations(openapi: dict[str, Any]) -> None:
    operation_ids = {
        operation["operationId"]
        for path_item in openapi["paths"].values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    get_operation = openapi["paths"]["/v1/b2b/recovery_codes/{organization_id}/{member_id}"]["get"]
    rotate_operation = openapi["paths"]["/v1/b2b/recovery_codes/rotate"]["post"]

    assert {"api_b2b_recovery_codes_v1_Get", "api_b2b_recovery_codes_v1_Rotate"} <= operation_ids
    assert get_operation["operationId"] == "api_b2b_recovery_codes_v1_Get"
    assert rotate_operation["operationId"] == "api_b2b_recovery_codes_v1_Rotate"
    assert openapi["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http",
        "scheme": "basic",
        "description": openapi["components"]["securitySchemes"]["basicAuth"]["description"],
    }
    assert openapi["security"] == [{"basicAuth": []}]
    assert [server["url"] for server in openapi["servers"]] == ["https://api.stytch.com", "https://test.stytch.com"]


def test_arazzo_workflow_uses_only_declared_operations(openapi: dict[str, Any]) -> None:
    with ARAZZO_FILE.open(encoding="utf-8") as handle:
        arazzo = yaml.safe_load(handle)
    declared = {
        operation["operationId"]
        for path_item in openapi["paths"].values()
        for operation in path_item.values()
        if isinstance(operation, dict)
    }

    used = {step["operationId"] for workflow in arazzo["workflows"] for step in workflow["steps"]}

    assert used <= declared


def test_sandbox_responses_match_the_openapi_schemas(openapi: dict[str, Any], client: httpx.Client) -> None:
    """Every sandbox response validates against the schema the description gives it."""
    import jsonschema

    def schema_for(ref_name: str) -> dict[str, Any]:
        # OpenAPI 3.0 schemas here use only JSON Schema keywords plus `example`,
        # so a draft-4-style validator with the components as definitions works.
        return {"$ref": f"#/components/schemas/{ref_name}", "components": openapi["components"]}

    success = schema_for("RecoveryCodesResponse")
    error = schema_for("Error")
    responses = [
        (client.get(codes_path()), success),
        (client.post(ROTATE, json=ROTATE_BODY), success),
        (client.get(codes_path(member_id="member-test-nobody")), error),
        (client.post(ROTATE, content=b"{"), error),
        (httpx.get(client.base_url.join(codes_path())), error),
    ]
    for response, schema in responses:
        jsonschema.validate(response.json(), schema, cls=jsonschema.Draft4Validator)


def test_request_example_in_openapi_matches_default_ids(openapi: dict[str, Any]) -> None:
    example = openapi["paths"][ROTATE]["post"]["requestBody"]["content"]["application/json"]["example"]

    assert example == ROTATE_BODY
