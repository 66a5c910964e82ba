"""V11-30: every official Arazzo 1.1 schema fixture gets the verdict its folder names from ``check``'s structure rules.

The fixtures live beside the repository (``../shared/reference/arazzo-spec/tests/v1.1``,
35 pass and 27 fail); they are read in place, never copied. Like the 1.0
fixtures (tests/corpus/test_check_corpus.py) they are judged by the structure
rules with ``strict`` on, since their source URLs are placeholders that are
not fetched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner.checker.report import Report
from arazzo_runner.checker.structure import check_structure
from arazzo_runner.sources.yamlsource import parse_document

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "reference" / "arazzo-spec" / "tests" / "v1.1"
needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"the official 1.1 schema fixtures are absent ({FIXTURES}); they sit beside the repo"
)


def _errors(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    data, positions = parse_document(text, path.name)
    report = Report(positions, text, strict=True)
    check_structure(data, report)
    return [f"{d.code} {d.message}" for d in report.items if d.severity == "error"]


@needs_fixtures
@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("*/*.yaml")) if FIXTURES.is_dir() else [], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_fixture_verdict(path: Path) -> None:
    errors = _errors(path)
    if path.parent.name == "pass":
        assert errors == []
    else:
        assert errors, f"{path.name} should be refused"


@needs_fixtures
def test_fixture_counts() -> None:
    """All 62 are there: a fixture that went missing would otherwise pass silently."""
    assert len(list((FIXTURES / "pass").glob("*.yaml"))) == 35
    assert len(list((FIXTURES / "fail").glob("*.yaml"))) == 27


# Why each fail fixture fails: the finding's code, so a fixture refused for the wrong reason is caught.
FAIL_REASONS = {
    "async-both-operationId-and-channelPath.arazzo.yaml": "ARZ008",
    "async-channelPath-without-action.arazzo.yaml": "ARZ154",
    "async-depends-on-duplicate-values.arazzo.yaml": "ARZ005",
    "async-depends-on-empty.arazzo.yaml": "ARZ002",
    "async-depends-on-invalid-reference.arazzo.yaml": "ARZ152",
    "channel-path-is-invalid-for-openapi.arazzo.yaml": "ARZ154",
    "invalid-arazzo-version.yaml": "ARZ001",
    "invalid-async-correlation-id-non-receive-action.arazzo.yaml": "ARZ154",
    "invalid-async-parameter-without-in.arazzo.yaml": "ARZ002",
    "invalid-async.arazzo.yaml": "ARZ154",
    "invalid-expression-type-object.arazzo.yaml": "ARZ151",
    "invalid-openapi-parameter-without-in.arazzo.yaml": "ARZ002",
    "invalid-openapi-success-criteria.arazzo.yaml": "ARZ002",
    "invalid-querystring-without-value.arazzo.yaml": "ARZ002",
    "invalid-selector-object.arazzo.yaml": "ARZ151",
    "invalid-self-fragment.arazzo.yaml": "ARZ156",
    "invalid-targetSelectorType.arazzo.yaml": "ARZ151",
    "invalid-workflow-step-with-operationId.arazzo.yaml": "ARZ008",
    "invalid-workflow-success-criteria.arazzo.yaml": "ARZ002",
    "not-an-object.yaml": "ARZ003",
    "openapi-both-operationId-and-operationPath.arazzo.yaml": "ARZ008",
    "openapi-duplicate-parameters.arazzo.yaml": "ARZ005",
    "openapi-missing-operation-target.arazzo.yaml": "ARZ008",
    "workflow-duplicate-parameters.arazzo.yaml": "ARZ005",
    "workflow-missing-workflowId.arazzo.yaml": "ARZ008",
    "workflow-step-with-action.arazzo.yaml": "ARZ154",
    "workflow-step-with-channelPath.arazzo.yaml": "ARZ154",
}


@needs_fixtures
@pytest.mark.parametrize("name", sorted(FAIL_REASONS))
def test_fail_fixture_reason(name: str) -> None:
    codes = {e.split(" ", 1)[0] for e in _errors(FIXTURES / "fail" / name)}
    assert FAIL_REASONS[name] in codes
