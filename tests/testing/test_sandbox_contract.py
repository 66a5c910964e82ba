"""The bundled Stytch sandbox keeps the contract of the descriptions it stands in for."""

from __future__ import annotations

from pathlib import Path

import pytest
from stytch_sandbox import (
    DEFAULT_MEMBER_ID,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET,
    StytchSandbox,
)

from arazzo_runner import run_workflow

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
CORPUS = ROOT.parent / "shared" / "corpus" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"


@pytest.mark.parametrize("spec", [BUNDLED, CORPUS], ids=["bundled description", "real Stytch description"])
def test_every_sandbox_response_passes_every_contract_check(spec: Path) -> None:
    if not spec.exists():
        pytest.skip(f"{spec} is absent: ../shared/corpus holds the real Stytch description")
    with StytchSandbox() as sandbox:
        result = run_workflow(
            spec,
            "recovery-codes-rotate",
            {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID},
            servers=sandbox.url,
            credentials={"basicAuth": (DEFAULT_PROJECT_ID, DEFAULT_SECRET)},
            checks="error",
        )
    assert result.succeeded, result.error
    outcomes = {(step.step_id, check.name): check.outcome for step in result.steps for check in step.checks}
    assert outcomes[("getRecoveryCodes", "schema")] == outcomes[("rotateRecoveryCodes", "schema")] == "passed"
