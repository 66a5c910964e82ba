"""Every Stytch workflow of the shared corpus, offline: mock=True with made-up inputs.

The corpus lives beside the repository (../shared/corpus/stytch, third-party
data that is not redistributed); without it these tests skip, saying so.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from arazzo_runner import ArazzoDocument, load, run_workflow
from arazzo_runner.mock import generate_inputs

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "stytch" / "arazzo"
FILES = sorted(p.name for p in CORPUS.glob("*.yml")) if CORPUS.is_dir() else []
ABSENT = f"the Stytch corpus is not at {CORPUS} (it is shared data beside the repository, not part of it)"

# The two workflows that branch on their first response: the mock answers every array
# with one item, so both take the goto branch and run every step.
BRANCHING = {
    "revoke-connected-app": ("listConnectedApps", "connected_apps"),
    "user-create-search-delete": ("searchUser", "results"),
}

_DOCS: dict[str, ArazzoDocument] = {}


def _doc(name: str) -> ArazzoDocument:
    if not FILES:
        pytest.skip(ABSENT)
    if name not in _DOCS:
        _DOCS[name] = load(CORPUS / name)
    return _DOCS[name]


def _only_workflow(doc: ArazzoDocument):
    assert len(doc.workflows) == 1
    return next(iter(doc.workflows.values()))


params = pytest.mark.parametrize("name", FILES or [pytest.param("absent", marks=pytest.mark.skip(reason=ABSENT))])


def test_the_corpus_has_24_workflows():
    if not FILES:
        pytest.skip(ABSENT)
    assert len(FILES) == 24


@params
def test_each_workflow_succeeds_offline_with_made_up_inputs(name):
    doc = _doc(name)
    workflow = _only_workflow(doc)
    inputs, made_up = generate_inputs(workflow, seed=0)
    assert set(made_up) == set(workflow.input_names())  # nothing was given: every input is made up
    result = run_workflow(doc, workflow.workflow_id, inputs, mock=True)
    assert result.status == "succeeded", result.error and result.error.message
    # every step ran once, in order, and answered the status its criteria ask for
    assert [s.step_id for s in result.steps] == [s.step_id for s in workflow.steps]
    assert all(s.status_code == 200 for s in result.steps)
    assert not any(s.warnings for s in result.steps)
    # every workflow output resolved: the generated responses have the fields the workflow reads
    assert set(result.outputs) == {name for name, _ in workflow.outputs}, result.warnings
    if workflow.workflow_id in BRANCHING:
        step_id, _ = BRANCHING[workflow.workflow_id]
        first = next(s for s in result.steps if s.step_id == step_id)
        assert first.next_action is not None and first.next_action.kind == "goto"


@params
def test_each_workflow_fails_at_its_second_step_when_that_step_answers_500(name):
    doc = _doc(name)
    workflow = _only_workflow(doc)
    inputs, _ = generate_inputs(workflow, seed=0)
    second = workflow.steps[1].step_id
    result = run_workflow(doc, workflow.workflow_id, inputs, mock={"scenario": {second: {"status": 500}}})
    assert result.status == "failed"
    assert result.error.step_id == second
    assert result.error.status_code == 500
    assert f"step {second!r}" in result.error.message
    assert [s.step_id for s in result.steps] == [workflow.steps[0].step_id, second]


@pytest.mark.parametrize("workflow_id", sorted(BRANCHING))
def test_an_empty_list_takes_the_end_branch_and_still_succeeds(workflow_id):
    """The workflows' own logic: with no match the workflow ends after its first branching step, successfully."""
    name = next((f for f in FILES if workflow_id in f), None)
    if name is None:
        pytest.skip(ABSENT)
    doc = _doc(name)
    workflow = _only_workflow(doc)
    step_id, field = BRANCHING[workflow_id]
    inputs, _ = generate_inputs(workflow, seed=0)
    scenario = {step_id: {"status": 200, "body": {field: [], "status_code": 200, "request_id": "r-1"}}}
    result = run_workflow(doc, workflow_id, inputs, mock={"scenario": scenario})
    assert result.status == "succeeded", result.error
    assert result.steps[-1].step_id == step_id
    assert result.steps[-1].next_action is not None and result.steps[-1].next_action.kind == "end"


def test_chained_steps_see_coherent_data():
    doc = _doc("stytch-b2b-org-create-member-workflow.yml")
    inputs = {"organization_name": "Acme", "email_address": "ada@acme.test", "name": "Ada"}
    result = run_workflow(doc, "org-create-member", inputs, mock=True)
    assert result.status == "succeeded"
    _create_org, create_member, get_member = result.steps
    org_id = result.outputs["organizationId"]
    assert f"/organizations/{org_id}/members" in create_member.url  # the id the mock made up is used ...
    assert get_member.outputs["memberEmail"] == "ada@acme.test"  # ... and what was sent comes back later


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    doc = _doc("stytch-b2b-org-create-member-workflow.yml")
    inputs = {"organization_name": "Acme", "email_address": "ada@acme.test", "name": "Ada"}
    first = run_workflow(doc, "org-create-member", inputs, mock={"seed": 1})
    again = run_workflow(doc, "org-create-member", inputs, mock={"seed": 1})
    other = run_workflow(doc, "org-create-member", inputs, mock={"seed": 2})
    assert first.outputs == again.outputs
    assert first.outputs["organizationId"] != other.outputs["organizationId"]


def test_a_mock_run_opens_no_socket(monkeypatch):
    doc = _doc("stytch-b2b-recovery-codes-rotate-workflow.yml")

    def refuse(*args, **kwargs):
        raise AssertionError("a mock run tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    result = run_workflow(doc, "recovery-codes-rotate", {"organization_id": "org-1", "member_id": "mem-1"}, mock=True)
    assert result.status == "succeeded"
    assert result.outputs["newRecoveryCodes"]
