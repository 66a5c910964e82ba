"""Contract checks: each response against its OpenAPI operation (status-code, content-type, schema, headers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import ArazzoError, load, run_workflow
from arazzo_runner.testing import parse_severities
from tests.support.loopback import LoopbackServer, Reply

SPEC = Path(__file__).parent / "fixtures" / "suite" / "pets.arazzo.yaml"
PET = {"X-Request-Id": "r-1"}


@pytest.fixture(scope="module")
def document():  # type: ignore[no-untyped-def]
    return load(SPEC)


def _checks(result) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {c.name: (c.outcome, c.message) for c in result.steps[0].checks}


def _get_pet(document, reply: Reply, checks="warn"):  # type: ignore[no-untyped-def]
    with LoopbackServer() as server:
        server.script("GET", "/pets/{pet_id}", reply)
        return run_workflow(document, "get-pet", {"pet_id": "1"}, servers=server.url, checks=checks)


def test_a_conforming_response_passes_every_check(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(200, headers=PET, body={"id": 1, "name": "Rex", "tag": None}))
    assert result.succeeded
    assert _checks(result) == {
        "status-code": ("passed", "200 matches '200'"),
        "content-type": ("passed", "application/json is declared"),
        "schema": ("passed", "valid against '200' application/json"),
        "headers": ("passed", "X-Request-Id present"),
    }


def test_schema_message_names_the_pointer_the_rule_and_both_values(document) -> None:  # type: ignore[no-untyped-def]
    body = {"id": "seven", "name": "Rex", "parent": {"id": 2}}
    result = _get_pet(document, Reply(200, headers=PET, body=body))
    outcome, message = _checks(result)["schema"]
    assert outcome == "failed"
    assert '/id: expected integer, got string "seven"' in message
    assert "/parent: 'name' is a required property (schema rule 'required')" in message  # through a recursive $ref
    assert result.succeeded  # warn: reported, the run goes on


def test_severity_error_fails_the_step_like_a_criterion(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(200, headers=PET, body={"id": "seven", "name": "Rex"}), checks="error")
    assert not result.succeeded
    assert result.error is not None
    assert result.error.step_id == "get" and result.error.criterion == "contract:schema"
    assert "contract check 'schema' failed (/id: expected integer" in result.error.message
    assert result.steps[0].to_dict()["checks"][2]["outcome"] == "failed"


def test_undeclared_status_and_its_other_checks(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(418, body="teapot"))
    checks = _checks(result)
    assert checks["status-code"] == (
        "failed",
        "status 418 is not declared by GET /pets/{pet_id} (declared: 200, 404)",
    )
    assert checks["schema"] == ("skipped", "the status is not declared")


def test_a_referenced_response_object_is_followed(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(404, body={"title": 5}))
    checks = _checks(result)
    assert checks["status-code"][0] == "passed"
    assert checks["schema"] == ("failed", "/title: expected string, got integer 5")


def test_content_type_not_declared(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(200, headers={**PET, "Content-Type": "text/plain"}, body="Rex"))
    checks = _checks(result)
    assert checks["content-type"] == ("failed", "text/plain is not declared for '200' (declared: application/json)")
    assert checks["schema"] == ("skipped", "no media type declared for text/plain")


def test_missing_required_header(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(200, body={"id": 1, "name": "Rex"}))
    assert _checks(result)["headers"] == ("failed", "required header X-Request-Id missing")


def test_range_and_default_responses(document) -> None:  # type: ignore[no-untyped-def]
    with LoopbackServer() as server:
        server.script(
            "GET", "/pets", Reply(500, headers={"Content-Type": "application/problem+json"}, body={"title": 1})
        )
        result = run_workflow(document, "list-pets", {}, servers=server.url, checks="warn")
    checks = _checks(result)
    assert checks["status-code"] == ("passed", "500 matches 'default'")
    assert checks["schema"][0] == "failed" and "/title: expected string" in checks["schema"][1]
    assert checks["headers"] == ("skipped", "no required response headers are declared")


def test_invalid_json_under_a_json_media_type_fails_schema(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(200, headers={**PET, "Content-Type": "application/json"}, body=b"{not json"))
    assert _checks(result)["schema"] == ("failed", "the body is not valid JSON")


def test_off_checks_are_not_run(document) -> None:  # type: ignore[no-untyped-def]
    result = _get_pet(document, Reply(418), checks={"status-code": "off", "headers": "off"})
    assert set(_checks(result)) == {"content-type", "schema"}


def test_no_checks_by_default_from_python(document) -> None:  # type: ignore[no-untyped-def]
    with LoopbackServer() as server:
        server.script("GET", "/pets/{pet_id}", Reply(418))
        result = run_workflow(document, "get-pet", {"pet_id": "1"}, servers=server.url)
    assert result.steps[0].checks == ()


def test_failed_check_messages_are_masked(document) -> None:  # type: ignore[no-untyped-def]
    secret = "s3cr3t-token-value-123"
    result = _get_pet(document, Reply(200, headers=PET, body={"id": secret, "name": "Rex"}))
    assert secret in _checks(result)["schema"][1]  # not a credential: shown as received
    # A credential echoed back is masked in the check message like everywhere else.
    with LoopbackServer() as server:
        server.script("GET", "/pets", Reply(200, body=[{"id": secret, "name": "x"}]))
        masked = run_workflow(
            load(Path(__file__).parent / "fixtures" / "secured.arazzo.yaml"),
            "list",
            {},
            servers=server.url,
            credentials={"bearer": secret},
            checks="warn",
        )
    message = {c.name: c.message for c in masked.steps[0].checks}["schema"]
    assert secret not in message and "/0/id: expected integer" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("schema=warn,status-code=off", {"schema": "warn", "status-code": "off", "headers": "error"}),
        ("warn", {"schema": "warn", "status-code": "warn", "content-type": "warn", "headers": "warn"}),
        ("all=off,schema=error", {"schema": "error", "headers": "off"}),
    ],
)
def test_parse_severities(text: str, expected: dict[str, str]) -> None:
    parsed = parse_severities(text, "error")
    assert {name: parsed[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schemas=warn", "unknown check 'schemas'"),
        ("schema=fatal", "severity must be error, warn or off"),
        ("x", "NAME=SEVERITY"),
    ],
)
def test_parse_severities_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_severities(text, "error")


def test_bad_checks_setting_is_an_arazzo_error(document) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArazzoError, match="unknown check 'shema'"):
        run_workflow(document, "get-pet", {"pet_id": "1"}, servers="http://127.0.0.1:9", checks="shema=warn")
