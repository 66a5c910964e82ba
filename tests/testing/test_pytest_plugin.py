"""The pytest plugin, driven by pytester: one item per workflow, outcomes, explanations, options, xdist."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from tests.support.apis import PetsAPI

SUITE = Path(__file__).parent / "fixtures" / "suite"
PLUGIN = ["-p", "arazzo_runner.testing.pytest_plugin"]


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # Load the plugin by module name, whether or not this environment registered its entry point.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name in ("pets.arazzo.yaml", "pets.openapi.yaml", "store.arazzo.yaml"):
        shutil.copy(SUITE / name, pytester.path / name)
    return pytester


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*PLUGIN, *args)


def test_one_item_per_workflow_with_path_ids(suite: pytest.Pytester) -> None:
    result = _pytest(suite, "--collect-only", "-q")
    lines = [line for line in result.outlines if "::" in line]
    assert sorted(lines) == [
        "pets.arazzo.yaml::get-pet",
        "pets.arazzo.yaml::list-pets",
        "store.arazzo.yaml::first-pet",
        "store.arazzo.yaml::read-pet",
    ]


def test_conforming_server_passes(suite: pytest.Pytester) -> None:
    with PetsAPI() as api:
        result = _pytest(suite, f"--arazzo-server={api.url}")
    result.assert_outcomes(passed=4)


def test_broken_server_fails_with_the_explanation_not_a_traceback(suite: pytest.Pytester) -> None:
    with PetsAPI(broken=True) as api:
        result = _pytest(suite, f"--arazzo-server={api.url}")
    result.assert_outcomes(failed=4)
    text = result.stdout.str()
    assert "contract check 'status-code' failed (status 418 is not declared by GET /pets/{pet_id}" in text
    assert "contract schema (error): /0/name: expected string, got integer 5" in text
    assert "steps:" in text and "Traceback" not in text and "pytest_plugin.py" not in text


def test_checks_option_and_ini(suite: pytest.Pytester) -> None:
    with PetsAPI(broken=True) as api:
        result = _pytest(suite, f"--arazzo-server={api.url}", "--arazzo-checks=schema=warn,status-code=warn")
        result.assert_outcomes(passed=4)
        suite.makeini(f"[pytest]\narazzo_server = {api.url}\narazzo_checks = all=warn\n")
        result = _pytest(suite)
        result.assert_outcomes(passed=4)


def test_mock_mode_needs_no_server(suite: pytest.Pytester) -> None:
    result = _pytest(suite, "--arazzo-mock", "-k", "pets")
    result.assert_outcomes(passed=2)


def test_inputs_file(suite: pytest.Pytester) -> None:
    suite.makefile(".yaml", inputs="read-pet:\n  pet_id: 12\n")
    with PetsAPI() as api:
        result = _pytest(suite, f"--arazzo-server={api.url}", "--arazzo-inputs=inputs.yaml", "-k", "read")
        requests = [request.target for request in api.requests]
    result.assert_outcomes(passed=1)
    assert requests == ["/pets/12"]


def test_a_document_that_does_not_load_is_a_collection_error(suite: pytest.Pytester) -> None:
    suite.makefile(".arazzo.yaml", broken="arazzo: 1.0.1\ninfo: {title: x, version: '1'}\nworkflows: []\n")
    result = _pytest(suite, "--arazzo-mock", "--continue-on-collection-errors")
    result.assert_outcomes(passed=4, errors=1)
    text = result.stdout.str()
    assert "ERROR collecting broken.arazzo.yaml" in text and "Traceback" not in text


def test_disabled_with_no_arazzo(suite: pytest.Pytester) -> None:
    result = _pytest(suite, "-p", "no:arazzo_runner.testing.pytest_plugin", "--arazzo-mock")
    assert result.ret != 0 or "no tests ran" in result.stdout.str()


def test_fixture_and_step_lookup_from_python(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_python="""
        def test_read_pet(arazzo_runner):
            result = arazzo_runner.run("store.arazzo.yaml", "read-pet", {"pet_id": 3})
            assert result.succeeded
            step = result.step("get")
            assert step.status_code == 200
            assert {c.name: c.outcome for c in step.checks}["schema"] == "passed"
        """
    )
    with PetsAPI() as api:
        result = _pytest(suite, f"--arazzo-server={api.url}", "test_python.py")
    result.assert_outcomes(passed=1)


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_under_xdist(suite: pytest.Pytester) -> None:
    with PetsAPI() as api:
        result = _pytest(suite, "-p", "xdist.plugin", "-n", "2", f"--arazzo-server={api.url}")
    result.assert_outcomes(passed=4)


def test_entry_point_is_declared() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["pytest11"] == {"arazzo": "arazzo_runner.testing.pytest_plugin"}
