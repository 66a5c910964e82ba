"""Every example of the gallery: checked clean, run against the gallery sandbox (started and stopped here,
on 127.0.0.1) from Python and from the command line, and run offline with mock mode."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY_ROOT / "examples"))

from gallery_sandbox import INVENTORY_SIZE, GallerySandbox  # noqa: E402
from gallery_stytch import PASSWORD, PLAIN_EMAIL  # noqa: E402
from run_gallery import GALLERY, Example, cli_command, cli_environment, run_cli  # noqa: E402
from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID  # noqa: E402

from arazzo_runner import check, run_workflow  # noqa: E402

BY_FOLDER = {example.folder: example for example in GALLERY}


@pytest.fixture
def sandbox() -> Iterator[GallerySandbox]:
    with GallerySandbox() as running:
        yield running


def _run_sandbox(example: Example, sandbox: GallerySandbox, **changes: Any) -> Any:
    inputs = {**example.inputs, **changes}
    return run_workflow(
        str(example.spec),
        example.workflow,
        inputs,
        servers=sandbox.url,
        credentials=example.python_credentials(),
        sleep=_no_wait,
    )


_waits: list[float] = []


async def _no_wait(seconds: float) -> None:
    _waits.append(seconds)


def test_the_gallery_has_at_least_eight_complete_examples() -> None:
    assert len(GALLERY) >= 8
    for example in GALLERY:
        assert (example.directory / "README.md").is_file(), example.folder
        assert (example.directory / "openapi.yaml").is_file(), example.folder
        readme = (example.directory / "README.md").read_text()
        assert example.workflow in readme and "--mock" in readme and "run_workflow" in readme


@pytest.mark.parametrize("example", GALLERY, ids=lambda e: e.folder)
def test_example_checks_without_errors(example: Example) -> None:
    errors = [d for d in check(str(example.spec)) if d.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("example", GALLERY, ids=lambda e: e.folder)
def test_example_runs_against_the_sandbox(example: Example, sandbox: GallerySandbox) -> None:
    result = _run_sandbox(example, sandbox)
    assert result.status == example.expect, result.error
    EXPECTATIONS[example.folder](result, sandbox)


@pytest.mark.parametrize("example", GALLERY, ids=lambda e: e.folder)
def test_example_runs_offline_with_mock(example: Example) -> None:
    code, result, stderr = run_cli(example, mock=True)
    assert result.get("status") == example.expect, stderr
    assert code == (0 if example.expect == "succeeded" else 1)
    outputs = result["outputs"]
    for name in MOCK_OUTPUTS[example.folder]:
        assert outputs.get(name) not in (None, ""), (name, outputs)


def test_cli_runs_an_example_against_the_sandbox(sandbox: GallerySandbox) -> None:
    example = BY_FOLDER["oauth2-client-credentials"]
    code, result, stderr = run_cli(example, server=sandbox.url)
    assert code == 0, stderr
    assert result["outputs"]["status"] == "label_created"
    token_requests = [r for r in sandbox.requests if r.path == "/oauth/token"]
    assert len(token_requests) == 1  # fetched once, cached for the second step


def test_password_example_skips_the_mfa_branch_for_a_member_without_mfa(sandbox: GallerySandbox) -> None:
    result = _run_sandbox(BY_FOLDER["stytch-password-mfa"], sandbox, email_address=PLAIN_EMAIL)
    assert result.status == "succeeded"
    assert [s.step_id for s in result.steps] == ["authenticatePassword"]
    assert result.outputs["passwordWasEnough"] is True
    assert result.outputs["sessionToken"]
    assert "mfaSessionToken" not in result.outputs


def test_password_example_fails_with_a_wrong_passcode(sandbox: GallerySandbox) -> None:
    result = _run_sandbox(BY_FOLDER["stytch-password-mfa"], sandbox, otp_code="999999")
    assert result.status == "failed"
    assert result.error.step_id == "authenticatePasscode" and result.error.status_code == 401


# -- what each example must return against the sandbox -------------------------------------


def _magic_link(result: Any, sandbox: GallerySandbox) -> None:
    member_id = result.outputs["memberId"]
    assert result.outputs["memberCreated"] is True
    assert sandbox.stytch.members[member_id]["status"] == "active"
    assert result.outputs["memberSessionId"].startswith("member-session-test-")


def _org_invite(result: Any, sandbox: GallerySandbox) -> None:
    organization_id = result.outputs["organizationId"]
    assert sandbox.stytch.organizations[organization_id]["organization_name"] == "Acme Robotics"
    member = sandbox.stytch.members[result.outputs["invitedMemberId"]]
    assert (member["organization_id"], member["status"]) == (organization_id, "invited")
    assert result.outputs["invitedMemberStatus"] == "invited"


def _password_mfa(result: Any, sandbox: GallerySandbox) -> None:
    assert [s.step_id for s in result.steps] == ["authenticatePassword", "sendPasscode", "authenticatePasscode"]
    assert result.outputs["memberId"] == DEFAULT_MEMBER_ID
    assert result.outputs["passwordWasEnough"] is False
    assert len(result.outputs["mfaSessionToken"]) > 20
    assert PASSWORD not in repr(result)


def _paginated(result: Any, sandbox: GallerySandbox) -> None:
    pages = -(-INVENTORY_SIZE // 3)
    assert result.outputs == {
        "total": INVENTORY_SIZE,
        "firstSku": "SKU-001",
        "pagesRead": pages,
        "lastPageFirstSku": "SKU-007",
    }
    assert [s.step_id for s in result.steps] == ["firstPage"] + ["nextPage"] * (pages - 1)


def _retry(result: Any, sandbox: GallerySandbox) -> None:
    assert result.outputs == {"status": "ready", "rowCount": 42, "attempts": 3}
    assert [s.status_code for s in result.steps] == [429, 429, 200]
    assert _waits[-2:] == [1.0, 1.0]  # from Retry-After, not the fallback retryAfter: 2


def _oauth(result: Any, sandbox: GallerySandbox) -> None:
    assert result.outputs["status"] == "label_created"
    assert result.outputs["trackingNumber"].startswith("TRK")
    assert result.outputs["shipmentId"] in sandbox._shipments
    authorizations = {r.headers.get("authorization") for r in sandbox.requests if r.path.startswith("/v1/ship")}
    assert len(authorizations) == 1 and next(iter(authorizations)).startswith("Bearer at-")


def _nested(result: Any, sandbox: GallerySandbox) -> None:
    assert result.outputs["orderStatus"] == "placed"
    assert result.outputs["total"] == 2 * 1250
    assert result.outputs["customerId"] in sandbox._customers
    assert result.outputs["orderId"].startswith("ord-")


def _xml(result: Any, sandbox: GallerySandbox) -> None:
    assert result.outputs["totalCount"] == "3"
    assert 'status="on-shelf"' in result.outputs["availabilityXml"]


def _upload(result: Any, sandbox: GallerySandbox) -> None:
    stored = sandbox._files[result.outputs["fileId"]]
    assert stored["filename"] == "notes.txt" and stored["description"] == "minutes"
    assert result.outputs["size"] == len("Meeting notes: ship on Friday.")
    assert result.outputs["shareUrl"].startswith("https://files.example.test/s/")


def _failing(result: Any, sandbox: GallerySandbox) -> None:
    error = result.error
    assert (error.step_id, error.status_code) == ("transfer", 422)
    assert "$statusCode == 201" in error.message and "insufficient_funds" in error.message
    assert result.outputs == {"balanceBefore": 40}
    assert sandbox._accounts["acc-2002"] == 40


EXPECTATIONS = {
    "stytch-magic-link-login": _magic_link,
    "stytch-org-invite": _org_invite,
    "stytch-password-mfa": _password_mfa,
    "paginated-cursor": _paginated,
    "retry-rate-limit": _retry,
    "oauth2-client-credentials": _oauth,
    "nested-workflows": _nested,
    "xml-catalog": _xml,
    "file-upload": _upload,
    "failing-transfer": _failing,
}

MOCK_OUTPUTS = {
    "stytch-magic-link-login": ["memberId", "memberSessionId"],
    "stytch-org-invite": ["organizationId", "invitedMemberStatus"],
    "stytch-password-mfa": ["memberId", "mfaSessionToken"],
    "paginated-cursor": ["pagesRead", "lastPageFirstSku"],
    "retry-rate-limit": ["status", "rowCount"],
    "oauth2-client-credentials": ["shipmentId", "status"],
    "nested-workflows": ["customerId", "orderId", "total"],
    "xml-catalog": ["availabilityXml"],
    "file-upload": ["fileId", "shareUrl"],
    "failing-transfer": ["balanceBefore"],
}


def test_mock_runs_follow_the_scenarios() -> None:
    _, result, _ = run_cli(BY_FOLDER["paginated-cursor"], mock=True)
    assert result["outputs"]["pagesRead"] == 3 and result["outputs"]["lastPageFirstSku"] == "SKU-005"
    _, result, _ = run_cli(BY_FOLDER["retry-rate-limit"], mock=True)
    assert [s["statusCode"] for s in result["steps"]] == [429, 429, 200]
    _, result, _ = run_cli(BY_FOLDER["failing-transfer"], mock=True)
    assert result["error"]["statusCode"] == 422 and "insufficient_funds" in result["error"]["message"]


def test_the_sandbox_refuses_wrong_credentials(sandbox: GallerySandbox) -> None:
    example = BY_FOLDER["stytch-org-invite"]
    result = run_workflow(
        str(example.spec),
        example.workflow,
        example.inputs,
        servers=sandbox.url,
        credentials={"basicAuth": ("project-test-wrong", "secret-test-wrong")},
    )
    assert result.status == "failed" and result.error.status_code == 401
    assert DEFAULT_ORGANIZATION_ID in sandbox.stytch.organizations


def test_a_credential_that_is_not_a_json_object_is_refused() -> None:
    example = BY_FOLDER["oauth2-client-credentials"]
    done = subprocess.run(
        [*cli_command(example, mock=True), "--credential", "shippingOAuth={not json"],
        capture_output=True,
        text=True,
        env=cli_environment(example, mock=True),
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "must be a JSON object" in done.stderr and "Traceback" not in done.stderr
