"""V11-03: ``upgrade`` rewrites 1.0 documents as 1.1, and the project's own 1.0 examples run the same upgraded.

The examples are the conformance cases (tests/conformance/cases): each 1.0
case is copied, every Arazzo document in it upgraded, and the case run again
against its real loopback server with the same expectations.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_runner import DocumentError, upgrade_text
from arazzo_runner.cli import main
from tests.conformance import test_conformance as conformance

CASES = conformance.CASES_DIR


def _is_10(path: Path) -> bool:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and str(data.get("arazzo", "")).startswith("1.0")


def _runnable_10_cases() -> list[Path]:
    found = []
    for case_dir in sorted(p for p in CASES.iterdir() if p.is_dir()):
        case = yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8"))
        spec = conformance._arazzo_path(case_dir)
        if "expect" in case and _is_10(spec):
            found.append(case_dir)
    return found


def _upgrade_folder(folder: Path) -> tuple[list[str], list[str]]:
    pinned: list[str] = []
    manual: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or path.name == "case.yaml" or not _is_10(path):
            continue
        result = upgrade_text(path.read_text(encoding="utf-8"), path.as_uri())
        path.write_text(result.text, encoding="utf-8")
        pinned += result.pinned
        manual += result.manual
    return pinned, manual


@pytest.mark.parametrize("case_dir", _runnable_10_cases(), ids=lambda p: p.name)
def test_upgraded_example_runs_with_the_same_result(case_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / case_dir.name
    shutil.copytree(case_dir, folder)
    pinned, manual = _upgrade_folder(folder)
    assert conformance._arazzo_path(folder).read_text(encoding="utf-8").startswith(("arazzo: 1.1.0", "{"))
    assert manual == [], f"{case_dir.name}: the upgrade left notes for a person: {manual}"
    case: dict[str, Any] = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    if pinned:
        # A pinned criterion no longer warns that it was read as Goessner JSONPath: that is the point.
        case["expect"].pop("load_warnings_contain", None)
        (folder / "case.yaml").write_text(yaml.safe_dump(case), encoding="utf-8")
    conformance.test_case(folder, lambda *_: None)


GOESSNER_10 = """arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: ./openapi.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: getItem
        parameters: [{name: id, in: path, value: $steps.b.outputs.v}]
        successCriteria:
          - context: $response.body   # a comment survives
            condition: $.items.length > 0
            type: jsonpath
      - stepId: b
        operationId: getItem
        parameters: [{name: id, in: path, value: x}]
        outputs: {v: $response.body#/v}
"""
OPENAPI = """openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
"""


def test_upgrade_pins_goessner_criteria_and_lists_what_needs_a_hand(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    result = upgrade_text(GOESSNER_10, (tmp_path / "w.arazzo.yaml").as_uri())
    assert result.from_version == "1.0.1" and result.changed
    assert result.text.startswith("arazzo: 1.1.0\n")
    assert "type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}" in result.text
    assert "# a comment survives" in result.text
    assert len(result.pinned) == 1 and "line 13" in result.pinned[0] and "RFC 9535" in result.pinned[0]
    # Step a reads step b's outputs before b runs: 1.1 refuses that without dependsOn (ARZ153).
    assert len(result.manual) == 1 and "comes later" in result.manual[0] and "ARZ153" in result.manual[0]


def test_upgrade_leaves_a_11_document_alone_and_refuses_other_versions(tmp_path: Path) -> None:
    text = GOESSNER_10.replace("1.0.1", "1.1.0")
    result = upgrade_text(text, (tmp_path / "w.yaml").as_uri())
    assert not result.changed and result.text == text
    with pytest.raises(DocumentError, match="not an Arazzo 1.0.x document"):
        upgrade_text(GOESSNER_10.replace("1.0.1", "2.0.0"), (tmp_path / "w.yaml").as_uri())


def test_upgrade_json_document(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    text = (
        '{"arazzo": "1.0.0", "info": {"title": "t", "version": "1"},\n'
        ' "sourceDescriptions": [{"name": "api", "url": "./openapi.yaml", "type": "openapi"}],\n'
        ' "workflows": [{"workflowId": "w", "steps": [{"stepId": "a", "operationId": "getItem",\n'
        '   "parameters": [{"name": "id", "in": "path", "value": "1"}],\n'
        '   "successCriteria": [{"context": "$response.body", "condition": "$.items.length > 0",\n'
        '     "type": "jsonpath"}]}]}]}\n'
    )
    result = upgrade_text(text, (tmp_path / "w.json").as_uri())
    assert result.text.startswith('{"arazzo": "1.1.0"')
    assert '"type": {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"}' in result.text
    assert result.manual == []


def test_upgrade_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "w.arazzo.yaml"
    spec.write_text(GOESSNER_10, encoding="utf-8")
    out = tmp_path / "w11.arazzo.yaml"
    assert main(["upgrade", str(spec), "-o", str(out)]) == 1  # upgraded, one thing needs a hand
    err = capsys.readouterr().err
    assert "upgraded from Arazzo 1.0.1 to 1.1.0" in err and "pinned:" in err and "needs a hand:" in err
    assert out.read_text(encoding="utf-8").startswith("arazzo: 1.1.0")
    fixed = GOESSNER_10.replace("value: $steps.b.outputs.v", "value: x")
    spec.write_text(fixed, encoding="utf-8")
    assert main(["upgrade", str(spec)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("arazzo: 1.1.0")
    assert main(["upgrade", str(tmp_path / "missing.yaml")]) == 2


def test_upgrade_removes_an_empty_success_criteria_line(tmp_path: Path) -> None:
    """1.0 reads `successCriteria: []` as absent (ARZ027); 1.1 refuses it, so the line goes."""
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    text = GOESSNER_10.replace("value: $steps.b.outputs.v", "value: x").replace(
        "        outputs: {v: $response.body#/v}\n",
        "        successCriteria: []\n        outputs: {v: $response.body#/v}\n",
    )
    result = upgrade_text(text, (tmp_path / "w.arazzo.yaml").as_uri())
    assert "successCriteria: []" not in result.text
    assert result.manual == []
    assert any("removed 'successCriteria: []'" in note for note in result.pinned)


def test_the_reference_workflow_upgraded_runs_the_same_against_the_sandbox(tmp_path: Path) -> None:
    """The project's own example (specs/stytch), upgraded to 1.1, against the local Stytch sandbox."""
    import sys

    from arazzo_runner import load, run_workflow

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "examples"))
    from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox

    shutil.copytree(root / "specs" / "stytch", tmp_path / "stytch")
    spec = tmp_path / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
    result = upgrade_text(spec.read_text(encoding="utf-8"), spec.as_uri())
    assert result.manual == [] and result.text.startswith("arazzo: 1.1.0")
    spec.write_text(result.text, encoding="utf-8")
    inputs = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}
    runs = []
    for document in (load(root / "specs" / "stytch" / "arazzo" / spec.name), load(spec)):
        with StytchSandbox() as sandbox:
            before = sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
            run = run_workflow(
                document,
                "recovery-codes-rotate",
                inputs,
                servers=sandbox.url,
                credentials={"basicAuth": (sandbox.project_id, sandbox.secret)},
            )
            after = sandbox.recovery_codes(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID)
        assert run.status == "succeeded", run.error
        assert run.outputs == {"currentRecoveryCodes": before, "newRecoveryCodes": after}
        runs.append([(s.step_id, s.status_code, s.method) for s in run.steps])
    assert runs[0] == runs[1]
    assert load(spec).arazzo_version == "1.1.0"


def _gallery() -> list[Any]:
    root = Path(__file__).resolve().parents[2]
    if not (root / "examples" / "run_gallery.py").is_file():
        return []
    import sys

    sys.path.insert(0, str(root / "examples"))
    from run_gallery import GALLERY

    return list(GALLERY)


@pytest.mark.parametrize("example", _gallery(), ids=lambda e: e.folder)
def test_gallery_example_upgraded_runs_the_same_against_its_sandbox(example: Any, tmp_path: Path) -> None:
    """Each example of the gallery (examples/), upgraded to 1.1, meets the same expectations as the original."""
    from gallery_sandbox import GallerySandbox

    from arazzo_runner import load, run_workflow
    from tests.examples.test_gallery import EXPECTATIONS, _no_wait

    folder = tmp_path / example.folder
    shutil.copytree(example.directory, folder)
    _, manual = _upgrade_folder(folder)
    assert manual == [], manual
    spec = folder / example.spec.name
    document = load(spec)
    assert document.arazzo_version == "1.1.0"
    with GallerySandbox() as sandbox:
        result = run_workflow(
            document,
            example.workflow,
            dict(example.inputs),
            servers=sandbox.url,
            credentials=example.python_credentials(),
            sleep=_no_wait,
        )
        assert result.status == example.expect, result.error
        EXPECTATIONS[example.folder](result, sandbox)
