"""check on real documents: the Stytch corpus, the spec's own examples (errata §24), the official schema fixtures.

These read ../shared relative to the repository root and are skipped with a
message when it is absent. Nothing from there is copied into the repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner.checker import Checker, check
from arazzo_runner.checker.report import Report
from arazzo_runner.checker.structure import check_structure
from arazzo_runner.sources.yamlsource import parse_document

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
STYTCH = SHARED / "corpus" / "stytch" / "arazzo"
SPEC = SHARED / "reference" / "arazzo-spec"
EXAMPLES = SPEC / "examples" / "1.0.0"
SCHEMA = SPEC / "schemas" / "v1.0" / "2025-10-15" / "schema.json"

needs_stytch = pytest.mark.skipif(not STYTCH.is_dir(), reason=f"Stytch corpus not found at {STYTCH}")
needs_spec = pytest.mark.skipif(not SPEC.is_dir(), reason=f"Arazzo spec reference not found at {SPEC}")

# The two examples that name their OpenAPI by absolute URL: read the copies beside them instead (offline).
OFFLINE_SOURCES = {
    "https://raw.githubusercontent.com/swagger-api/swagger-petstore/master/src/main/resources/openapi.yaml": str(
        EXAMPLES / "external" / "swagger-petstore-openapi.yaml"
    ),
    "https://raw.githubusercontent.com/OAI/Arazzo-Specification/main/examples/1.0.0/bnpl-openapi.yaml": str(
        EXAMPLES / "bnpl-openapi.yaml"
    ),
}


@needs_stytch
def test_every_stytch_file_checks_without_errors() -> None:
    files = sorted(STYTCH.glob("*.yml"))
    assert len(files) == 24
    checker = Checker()
    problems = []
    warnings = []
    for path in files:
        for d in checker.check(path).diagnostics:
            (problems if d.severity == "error" else warnings).append(str(d))
    assert problems == []
    # The only warnings are true findings: four Goessner-style JSONPath conditions ($.results.length > 0)
    # that are not RFC 9535 and do not declare their version (CRIT-6).
    assert len(warnings) == 4 and all("ARZ025" in w and ".length" in w for w in warnings), warnings
    # Both shared OpenAPI descriptions were loaded once each.
    assert len(checker.openapi_cache) == 2


@needs_stytch
def test_cli_checks_all_stytch_files_in_one_command() -> None:
    files = [str(p) for p in sorted(STYTCH.glob("*.yml"))]
    done = subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "check", "--format", "json", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["error"] == 0 and len(report["files"]) == 24


def _examples() -> dict[str, list[Any]]:
    checker = Checker(sources=OFFLINE_SOURCES)
    return {p.name: checker.check(p).diagnostics for p in sorted(EXAMPLES.glob("*arazzo*.yaml"))}


def _codes(found: dict[str, list[Any]], name: str) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for d in found[name]:
        result.setdefault(d.code, []).append(d)
    return result


@needs_spec
def test_errata_in_the_spec_examples_are_reported() -> None:
    found = _examples()
    login = _codes(found, "LoginAndRetrievePets.arazzo.yaml")
    # ERR-8: the operationPath stops at a Path Item (no /get); it also has an operationId (STEP-8).
    assert [(d.line, d.column) for d in login["ARZ013"]] == [(46, 20)] and "path item" in login["ARZ013"][0].message
    assert [(d.line, d.column) for d in login["ARZ101"]] == [(46, 20)]
    pets = _codes(found, "pet-coupons.arazzo.yaml")
    # ERR-8: $statusCode as successCriteria of workflowId steps (DEC-52) and $outputs inside them (DEC-14).
    assert [(d.line, d.column) for d in pets["ARZ105"]] == [(56, 24), (91, 24)]
    assert [(d.line, d.column) for d in pets["ARZ106"]] == [(58, 24), (93, 24)]
    # ERR-5: a Reusable Object value written as an integer.
    assert [(d.line, d.column) for d in pets["ARZ107"]] == [(77, 20), (79, 20)]
    # README: parameter names the operation does not declare, and the required petId never supplied.
    assert {d.message.split("parameter ")[1].split(";")[0] for d in pets["ARZ120"]} == {"'pet_tags'", "'pet_id'"}
    assert [d.line for d in pets["ARZ121"]] == [38]
    oauth = _codes(found, "oauth.arazzo.yaml")
    # ERR-6: $[?@.access_token != null] on an object body passes for {"error": "x"} (CRIT-17).
    assert [(d.line, d.column) for d in oauth["ARZ104"]] == [(65, 24), (105, 24)]
    assert [(d.line, d.column) for d in oauth["ARZ106"]] == [(51, 29)]
    bnpl = _codes(found, "bnpl-arazzo.yaml")
    # ERR-6: $[?count(@.products) > 0] tests the members of the body object, not the object.
    assert [(d.line, d.column) for d in bnpl["ARZ104"]] == [(123, 24), (130, 24)]
    # README: $steps.retrieveFinalizedPaymentPlan.finalizedPaymentPlan (no .outputs.) is not a runtime
    # expression; an output value MUST be one (STEP-22/WF-13), so it is an error (it was literal text, ARZ019).
    assert [(d.line, d.column) for d in bnpl["ARZ020"]] == [(260, 27)]
    # README: step outputs read that the step does not declare; a step reading its own output before it ran.
    assert {d.line for d in bnpl["ARZ018"]} == {229, 240}
    assert [(d.line, d.column) for d in bnpl["ARZ110"]] == [(231, 16)]
    fapi = _codes(found, "FAPI-PAR.arazzo.yaml")
    assert [d.line for d in fapi["ARZ011"]] == [102]  # operationId PAR is not in the OpenAPI description


ERRATA_DOCUMENTS = {
    # ERR-1: the source is petStoreDescription; the operationPath says petstoreDescription.
    "ERR-1": (
        "operationPath: '{$sourceDescriptions.petstoreDescription.url}#/paths/~1pets/get'",
        "ARZ013",
        "case-sensitive",
    ),
    # ERR-2: loginUser is the operationId; the stepId is loginStep.
    "ERR-2": (
        "operationId: listPets\n        parameters:\n          - name: limit\n            in: query\n"
        "            value: 1\n"
        "          - name: X-Session\n            in: header\n            value: $steps.loginUser.outputs.sessionToken",
        "ARZ017",
        "loginUser",
    ),
    # ERR-3: a condition wrapped in braces.
    "ERR-3": (
        "operationId: listPets\n        parameters:\n          - name: limit\n            in: query\n"
        "            value: 1\n"
        "        successCriteria:\n          - condition: '{$statusCode == 401}'",
        "ARZ025",
        "brace",
    ),
    # ERR-4: a form string with a field missing '=' and an expression missing '{'.
    "ERR-4": (
        "operationId: createPet\n        requestBody:\n          contentType: application/x-www-form-urlencoded\n"
        "          payload: 'grant_type=authorization_code&code{$inputs.code}&scope=$inputs.scope}'",
        "ARZ103 ARZ102",
        "",
    ),
}


@needs_spec
@pytest.mark.parametrize("erratum", sorted(ERRATA_DOCUMENTS))
def test_errata_from_the_spec_text_are_reported(tmp_path: Path, erratum: str) -> None:
    """ERR-1..ERR-4 live in the 1.0.1 prose, not in examples/1.0.0: small documents reproduce them."""
    step, codes, words = ERRATA_DOCUMENTS[erratum]
    fixtures = Path(__file__).resolve().parents[1] / "checker" / "fixtures"
    (tmp_path / "pets.openapi.yaml").write_text((fixtures / "pets.openapi.yaml").read_text(), encoding="utf-8")
    doc = (
        "arazzo: 1.0.1\ninfo:\n  title: errata\n  version: 1.0.1\nsourceDescriptions:\n"
        "  - name: petStoreDescription\n    url: pets.openapi.yaml\n    type: openapi\n"
        "workflows:\n  - workflowId: w\n    inputs:\n      type: object\n      properties:\n"
        "        code: {type: string}\n        scope: {type: string}\n"
        "    steps:\n      - stepId: loginStep\n        " + step + "\n"
    )
    (tmp_path / "doc.arazzo.yaml").write_text(doc, encoding="utf-8")
    found = check(tmp_path / "doc.arazzo.yaml")
    for code in codes.split():
        hits = [d for d in found if d.code == code]
        assert hits and all(d.line for d in hits), [str(d) for d in found]
        assert words.lower() in " ".join(d.message.lower() for d in hits)


# -- the official schema and its fixtures ------------------------------------------
# Where the schema and the prose disagree (checklist §21) our structure rules follow the prose;
# these documents are valid for us and invalid for the schema, or the other way round.
PROSE_WINS = {"reusable-extra-property": "SCH-6", "bad-source-name": "SCH-7 (a SHOULD: our ARZ006 is a warning)"}


def _schema_verdict(data: Any, schema_path: Path = SCHEMA) -> bool:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return not any(True for _ in validator.iter_errors(data))


def _structure_verdict(text: str, name: str) -> bool:
    data, positions = parse_document(text, name)
    report = Report(positions, text, strict=True)
    check_structure(data, report)
    return not [d for d in report.items if d.severity == "error"]


@needs_spec
@pytest.mark.parametrize(
    "path",
    sorted((SPEC / "tests" / "v1.0").glob("*/*.yaml")) if SPEC.is_dir() else [],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_structure_verdict_matches_official_fixtures(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = path.parent.name == "pass"
    data, _ = parse_document(text, path.name)
    assert _schema_verdict(data) is expected
    assert _structure_verdict(text, path.name) is expected


SMALL = """arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: op
"""
CROSS_CHECK = {
    "valid": (SMALL, True),
    "no-steps": (SMALL.replace("    steps:\n      - stepId: s\n        operationId: op\n", "    steps: []\n"), False),
    "two-targets": (SMALL + "        workflowId: w\n", False),
    "no-target": (SMALL.replace("        operationId: op\n", ""), False),
    "unknown-field": (SMALL + "        timeout: 3\n", False),
    "extension": (SMALL + "        x-timeout: 3\n", True),
    # 1.1.0 is read since Arazzo 1.1 support (by its own rules): a version no release has is the bad one now.
    "bad-version": (SMALL.replace("1.0.1", "1.2.0"), False),
    "bad-source-name": (SMALL.replace("name: api", "name: 'my api'"), True),
    "bad-in": (SMALL + "        parameters: [{name: a, in: body, value: 1}]\n", False),
    "missing-in": (SMALL + "        parameters: [{name: a, value: 1}]\n", False),
    "goto-without-target": (SMALL + "        onSuccess: [{name: g, type: goto}]\n", False),
    "retry-without-target": (SMALL + "        onFailure: [{name: r, type: retry}]\n", True),
    "negative-retry": (SMALL + "        onFailure: [{name: r, type: retry, retryLimit: -1}]\n", False),
    "output-not-string": (SMALL + "        outputs: {a: 1}\n", False),
    "criterion-bad-type": (
        SMALL + "        successCriteria: [{condition: x, context: $statusCode, type: glob}]\n",
        False,
    ),
    "cet-bad-version": (
        SMALL
        + "        successCriteria: [{condition: x, context: $statusCode, type: {type: xpath, version: xpath-31}}]\n",
        False,
    ),
    "reusable-extra-property": (SMALL + "        parameters: [{reference: $components.parameters.p, note: x}]\n", True),
    "duplicate-depends-on": (SMALL.replace("    steps:", "    dependsOn: [a, a]\n    steps:"), False),
    "component-key": (SMALL + "components:\n  parameters:\n    'a b': {name: a, in: query, value: 1}\n", False),
}


@needs_spec
@pytest.mark.parametrize("name", sorted(CROSS_CHECK))
def test_structure_verdict_agrees_with_the_official_schema(name: str) -> None:
    text, expected = CROSS_CHECK[name]
    data, _ = parse_document(text, name)
    assert _structure_verdict(text, name) is expected
    if name in PROSE_WINS:
        assert _schema_verdict(data) is not expected, (
            f"{name}: the schema was expected to disagree ({PROSE_WINS[name]})"
        )
    else:
        assert _schema_verdict(data) is expected


@needs_spec
def test_retry_without_target_follows_the_prose_not_the_2024_schema() -> None:
    """SCH-1: the 2024-08-01 schema requires retryAfter and a target on retry; the prose and 2025-10-15 do not."""
    text, expected = CROSS_CHECK["retry-without-target"]
    data, _ = parse_document(text, "retry")
    assert expected is True and _structure_verdict(text, "retry") is True
    assert _schema_verdict(data, SPEC / "schemas" / "v1.0" / "2024-08-01" / "schema.json") is False
