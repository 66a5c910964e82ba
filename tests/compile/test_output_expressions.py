"""Step and workflow ``outputs`` values MUST be runtime expressions (STEP-22, WF-13); lookalike typos elsewhere warn.

An output written ``$respons.body#/id`` or ``$input.member_id`` used to load and
return its own text as the output's value. It is now a load error with a
caret, and ``check`` reports the same finding. The same typo in a parameter
value is literal text by the spec (DEC-16), so it is a warning (ARZ019) from
both ``load()`` and ``check``, an error with ``strict``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import check, load
from arazzo_runner.errors import DocumentError

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /members/{id}:
    get:
      operationId: getMember
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}
"""

DOC = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: member
    inputs:
      type: object
      properties:
        member_id: {type: string}
    steps:
      - stepId: get
        operationId: getMember
        parameters:
          - {name: id, in: path, value: %(param)s}
        outputs:
          id: %(step_output)s
    outputs:
      id: %(workflow_output)s
"""

GOOD = {
    "param": "$inputs.member_id",
    "step_output": "$response.body#/id",
    "workflow_output": "$steps.get.outputs.id",
}


def _write(tmp_path: Path, **changes: str) -> Path:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "member.arazzo.yaml"
    spec.write_text(DOC % {**GOOD, **changes}, encoding="utf-8")
    return spec


def test_the_well_formed_document_loads_without_findings(tmp_path: Path) -> None:
    spec = _write(tmp_path)
    assert load(spec).diagnostics == ()
    assert [d for d in check(spec) if d.severity == "error"] == []


# -- STEP-22: a step output that is not a runtime expression ---------------------------------------
def test_a_misspelt_step_output_is_a_load_error_with_a_caret(tmp_path: Path) -> None:
    spec = _write(tmp_path, step_output="$respons.body#/id")
    with pytest.raises(DocumentError) as info:
        load(spec)
    error = info.value
    assert error.code == "ARZ020"
    assert error.location is not None and error.location.line == 17
    assert error.location.pointer == "/workflows/0/steps/0/outputs/id"
    text = str(error)
    assert "output 'id' must be a runtime expression: unknown runtime expression '$respons'" in text
    assert "    $respons.body#/id\n     ^" in text


def test_check_reports_the_misspelt_step_output_where_load_does(tmp_path: Path) -> None:
    spec = _write(tmp_path, step_output="$respons.body#/id")
    found = [d for d in check(spec) if d.code == "ARZ020"]
    assert [(d.severity, d.line, d.pointer) for d in found] == [("error", 17, "/workflows/0/steps/0/outputs/id")]
    assert found[0].message.startswith("output 'id' must be a runtime expression")


# -- WF-13: the same for workflow outputs ------------------------------------------------------------
def test_a_workflow_output_with_a_singular_root_is_a_load_error(tmp_path: Path) -> None:
    spec = _write(tmp_path, workflow_output="$input.member_id")
    with pytest.raises(DocumentError, match=r"output 'id' must be a runtime expression") as info:
        load(spec)
    assert info.value.location is not None and info.value.location.pointer == "/workflows/0/outputs/id"
    assert [d.code for d in check(spec) if d.severity == "error"] == ["ARZ020"]


def test_plain_text_as_an_output_is_a_load_error(tmp_path: Path) -> None:
    spec = _write(tmp_path, workflow_output="member")
    with pytest.raises(DocumentError, match=r"not the literal text 'member'"):
        load(spec)


def test_a_number_as_an_output_gets_the_same_words_from_load_and_check(tmp_path: Path) -> None:
    spec = _write(tmp_path, workflow_output="42")
    with pytest.raises(DocumentError) as info:
        load(spec)
    expected = "output 'id' must be a runtime expression string, not a number"
    assert expected in str(info.value)
    found = [d for d in check(spec) if d.code == "ARZ003"]
    assert [d.message for d in found] == [expected]


def test_an_output_template_of_runtime_expressions_is_accepted(tmp_path: Path) -> None:
    spec = _write(tmp_path, workflow_output="'member {$steps.get.outputs.id}'")
    assert load(spec).diagnostics == ()


# -- DEC-16: a lookalike typo in a parameter value is literal text, so it is reported ---------------
@pytest.mark.parametrize("typo", ["$input.member_id", "$Inputs.member_id", "$step.get.outputs.id"])
def test_a_lookalike_typo_in_a_parameter_value_warns_from_load_and_check(tmp_path: Path, typo: str) -> None:
    spec = _write(tmp_path, param=typo)
    warnings = [d for d in load(spec).diagnostics if d.code == "ARZ019"]
    assert [(d.severity, d.location.pointer if d.location else None) for d in warnings] == [
        ("warning", "/workflows/0/steps/0/parameters/0/value")
    ]
    assert f"{typo!r} looks like a runtime expression but does not parse" in warnings[0].message
    assert [d.code for d in check(spec) if d.code == "ARZ019"] == ["ARZ019"]


def test_a_lookalike_typo_in_a_parameter_value_is_an_error_when_strict(tmp_path: Path) -> None:
    spec = _write(tmp_path, param="$input.member_id")
    with pytest.raises(DocumentError, match="ARZ019|looks like a runtime expression"):
        load(spec, strict=True)
