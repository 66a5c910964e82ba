"""Wrong types and non-finite numbers in documents: load, check and list give typed errors with pointers."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import load
from arazzo_runner.cli.main import main
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
