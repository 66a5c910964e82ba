"""Wrong types and non-finite numbers in documents: load, check and list give typed errors with pointers."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import load
from arazzo_runner.cli.app import main
from arazzo_runner.errors import ArazzoError

from .support import write_spec

RETRY = """\
        onFailure:
          - {name: again, type: retry, retryAfter: %s, retryLimit: 2}
"""


def _with_retry(tmp_path: Path, value: str) -> Path:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    text = spec.read_text().replace("        outputs: {}\n", "        outputs: {}\n" + RETRY % value, 1)
    spec.write_text(text)
    return spec


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "-1"])
def test_retry_after_must_be_finite_and_not_negative(tmp_path: Path, value: str) -> None:
    spec = _with_retry(tmp_path, value)
    with pytest.raises(ArazzoError) as raised:
        load(spec)
    assert "'retryAfter' must be a number of seconds >= 0" in str(raised.value)
    assert "/workflows/0/steps/0/onFailure/0/retryAfter" in str(raised.value) or "line" in str(raised.value)


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_check_reports_a_non_finite_retry_after(tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _with_retry(tmp_path, value)
    assert main(["check", str(spec)]) != 0
    assert "'retryAfter' must be a number of seconds >= 0" in capsys.readouterr().out


COMPONENTS = """\
components:
  %s: %s
"""


@pytest.mark.parametrize("kind", ["failureActions", "successActions", "parameters"])
@pytest.mark.parametrize("shape", ["[a, b]", "oops"])
def test_a_component_group_that_is_not_an_object(
    tmp_path: Path, kind: str, shape: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    use = {
        "failureActions": "        onFailure: [{reference: $components.failureActions.x}]\n",
        "successActions": "        onSuccess: [{reference: $components.successActions.x}]\n",
        "parameters": "        parameters: [{reference: $components.parameters.x}]\n",
    }[kind]
    text = spec.read_text().replace("        outputs: {}\n", "        outputs: {}\n" + use, 1)
    spec.write_text(text + COMPONENTS % (kind, shape))
    with pytest.raises(ArazzoError) as raised:
        load(spec)
    assert f"'components.{kind}' must be an object" in str(raised.value)
    assert main(["check", str(spec)]) != 0
    assert main(["list", str(spec)]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out


def _with_inputs(tmp_path: Path, inputs: str, components: str = "") -> Path:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    text = spec.read_text().replace("  - workflowId: w\n", "  - workflowId: w\n    inputs: " + inputs + "\n", 1)
    spec.write_text(text + components)
    return spec


def test_an_external_ref_in_an_inputs_schema_is_reported_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "other.json").write_text('{"defs": {"n": {"type": "integer"}}}')
    spec = _with_inputs(tmp_path, "{type: object, properties: {n: {$ref: 'other.json#/defs/n'}}}")
    with pytest.raises(ArazzoError, match="points outside this document") as raised:
        load(spec)
    assert "/workflows/0/inputs/properties/n/$ref" in str(raised.value)
    assert main(["check", str(spec)]) == 1
    assert "points outside this document" in capsys.readouterr().out
    assert main(["run", str(spec), "-w", "w", "-i", "n=3", "--mock"]) == 2


def test_recursive_and_fanned_out_inputs_schemas_load_and_validate(tmp_path: Path) -> None:
    levels = "\n".join(
        f"    L{i}: {{type: object, properties: {{"
        + ", ".join(f"p{j}: {{$ref: '#/components/inputs/L{i + 1}'}}" for j in range(4))
        + "}}"
        for i in range(30)
    )
    components = (
        "components:\n  inputs:\n"
        "    Node: {type: object, properties: {name: {type: string}, next: {$ref: '#/components/inputs/Node'}}}\n"
        f"{levels}\n    L30: {{type: integer}}\n"
    )
    spec = _with_inputs(
        tmp_path,
        "{type: object, properties: {node: {$ref: '#/components/inputs/Node'}, fan: {$ref: '#/components/inputs/L0'}}}",
        components,
    )
    document = load(spec)  # 4**30 paths if inlined as a tree
    workflow = document.workflow("w")
    assert workflow.inputs_schema is not None
