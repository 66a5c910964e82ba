"""Every diagnostic code: a small document that triggers it, at an asserted line and column, and one that does not.

Each case edits the clean fixture ``fixtures/pets.arazzo.yaml`` (which
checks with no finding at all) by one text replacement. The expected place is
where ``anchor`` is written in the edited document (its first occurrence after
``after``), so the assertion is on the exact line and column.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner.checker import CODES, check

FIXTURES = Path(__file__).parent / "fixtures"
CLEAN = (FIXTURES / "pets.arazzo.yaml").read_text(encoding="utf-8")

# (code, [(old, new), ...], anchor, after)
CASES: list[tuple[str, list[tuple[str, str]], str, str | None]] = [
    # 1.1.0 is read since Arazzo 1.1 support (docs/arazzo-1.1.md): 2.0.0 is the unsupported version now.
    ("ARZ001", [("arazzo: 1.0.1", "arazzo: 2.0.0")], "2.0.0", None),
    ("ARZ002", [("  title: Pets\n", "")], "version: 1.0.0", None),
    ("ARZ003", [("    type: openapi", "    type: graphql")], "graphql", None),
    # `timeout` is a 1.1 step field now (ARZ150 in a 1.0 document): an unknown field is one no version defines.
    ("ARZ004", [("      - stepId: create\n", "      - stepId: create\n        retries: 5\n")], "retries", None),
    ("ARZ005", [("      - stepId: get\n", "      - stepId: create\n")], "create\n        operationId: getPet", None),
    ("ARZ006", [("workflowId: pets", "workflowId: my pets")], "my pets", None),
    (
        "ARZ007",
        [("        name:\n          type: string\n", "        name:\n          type: strang\n")],
        "strang",
        None,
    ),
    (
        "ARZ008",
        [("        operationId: getPet\n", "        operationId: getPet\n        workflowId: pets\n")],
        "stepId: get",
        None,
    ),
    (
        "ARZ009",
        [("        operationId: getPet\n", "        workflowId: pets\n        requestBody:\n          payload: {}\n")],
        "payload: {}",
        None,
    ),
    ("ARZ010", [("url: pets.openapi.yaml", "url: nowhere.openapi.yaml")], "nowhere.openapi.yaml", None),
    ("ARZ011", [("operationId: getPet", "operationId: getPets")], "getPets", None),
    (
        "ARZ012",
        [
            (
                "    type: openapi\n",
                "    type: openapi\n  - name: copy\n    url: pets-copy.openapi.yaml\n    type: openapi\n",
            )
        ],
        "createPet",
        None,
    ),
    (
        "ARZ013",
        [("operationId: getPet", "operationPath: '{$sourceDescriptions.API.url}#/paths/~1pets~1{petId}/get'")],
        "'{$sourceDescriptions.API",
        None,
    ),
    ("ARZ014", [("    steps:\n", "    dependsOn:\n      - nothere\n    steps:\n")], "nothere", None),
    ("ARZ015", [("            type: end\n", "            type: goto\n            stepId: nope\n")], "nope", None),
    ("ARZ016", [("    steps:\n", "    dependsOn:\n      - pets\n    steps:\n")], "workflowId: pets", None),
    ("ARZ017", [("$steps.create.outputs.id", "$steps.creat.outputs.id")], "name: petId", None),
    ("ARZ018", [("$steps.create.outputs.id", "$steps.create.outputs.ident")], "name: petId", None),
    # A lookalike in a parameter value is literal text (ARZ019); in an output it is an error (ARZ020, below),
    # because an output value MUST be a runtime expression (STEP-22/WF-13).
    ("ARZ019", [("value: $steps.create.outputs.id", "value: $steps.create.id")], "$steps.create.id", None),
    ("ARZ020", [("'trace {$inputs.trace}'", "'trace {$input.trace}'")], "'trace", None),
    ("ARZ020", [("name: $steps.get.outputs.name", "name: $steps.get.name")], "$steps.get.name", None),
    ("ARZ021", [("condition: $statusCode == 200", "condition: $statusCode === 200")], "$statusCode ===", None),
    (
        "ARZ022",
        [
            (
                "          - name: petId\n            in: path\n            value: $steps.create.outputs.id\n",
                "          - reference: $components.parameters.missing\n",
            )
        ],
        "$components.parameters.missing",
        None,
    ),
    (
        "ARZ023",
        [
            (
                "        onSuccess:\n          - name: done\n            type: end\n            criteria:\n"
                "              - condition: $response.body#/name != null\n",
                "        onSuccess:\n          - reference: $components.successActions.done\n            value: 1\n",
            ),
            ("    outputs:\n      name: $steps", "    outputs:\n      name: $steps"),
            (
                "arazzo: 1.0.1\n",
                "arazzo: 1.0.1\ncomponents:\n  successActions:\n    done:\n      name: done\n      type: end\n",
            ),
        ],
        "1",
        "            value: 1",
    ),
    (
        "ARZ024",
        [("            type: end\n", "            type: end\n            stepId: create\n")],
        "name: done",
        None,
    ),
    (
        "ARZ025",
        [
            (
                "              - condition: $response.body#/name != null\n",
                "              - condition: $response.body#/name != null\n                type: simple\n",
            )
        ],
        "$response.body#/name != null\n                type: simple",
        None,
    ),  # at the condition, where --strict reports it
    (
        "ARZ026",
        [("operationId: getPet\n", "operationId: getPet\n        requestBody:\n          payload: {a: 1}\n")],
        "payload: {a: 1}",
        None,
    ),
    (
        "ARZ027",
        [
            ("          - condition: $statusCode == 200\n", ""),
            ("        successCriteria:\n        onSuccess", "        successCriteria: []\n        onSuccess"),
        ],
        "[]",
        None,
    ),
    ("ARZ100", [("  version: 1.0.0\n", "  version: 1.0.0\n  x-oai-note: 1\n")], "x-oai-note", None),
    (
        "ARZ101",
        [("operationId: getPet", "operationPath: '{$sourceDescriptions.api.url}#/paths/~1pets~1{petId}/get'")],
        "'{$sourceDescriptions.api",
        None,
    ),
    ("ARZ102", [("'trace {$inputs.trace}'", "'trace $inputs.trace'")], "$inputs.trace'", None),
    (
        "ARZ103",
        [
            (
                "          contentType: application/json\n          payload:\n            name: $inputs.name\n"
                "            age: 3\n",
                "          contentType: application/x-www-form-urlencoded\n"
                "          payload: 'name={$inputs.name}&age'\n",
            )
        ],
        "age'",
        None,
    ),
    (
        "ARZ104",
        [
            (
                "              - condition: $response.body#/name != null\n",
                "              - context: $response.body\n                condition: $[?@.name != null]\n"
                "                type: jsonpath\n",
            )
        ],
        "$[?@.name",
        None,
    ),
    (
        "ARZ105",
        [
            ("      - stepId: get\n        operationId: getPet\n", "      - stepId: get\n        workflowId: other\n"),
            (
                "    outputs:\n      name: $steps.get.outputs.name\n",
                "  - workflowId: other\n    steps:\n      - stepId: one\n        operationId: deletePet\n"
                "        parameters:\n          - name: petId\n            in: path\n            value: 1\n",
            ),
        ],
        "$response.body#/name != null",
        None,
    ),
    (
        "ARZ106",
        [
            ("      - stepId: get\n        operationId: getPet\n", "      - stepId: get\n        workflowId: other\n"),
            ("          name: $response.body#/name\n", "          name: $outputs.x\n"),
            (
                "    outputs:\n      name: $steps.get.outputs.name\n",
                "  - workflowId: other\n    steps:\n      - stepId: one\n        operationId: deletePet\n"
                "        parameters:\n          - name: petId\n            in: path\n            value: 1\n"
                "    outputs:\n      x: $statusCode\n",
            ),
        ],
        "$outputs.x",
        None,
    ),
    (
        "ARZ107",
        [
            (
                "          - name: petId\n            in: path\n            value: $steps.create.outputs.id\n",
                "          - reference: $components.parameters.pet\n            value: 7\n",
            ),
            (
                "arazzo: 1.0.1\n",
                "arazzo: 1.0.1\ncomponents:\n  parameters:\n    pet:\n      name: petId\n      in: path\n"
                "      value: 1\n",
            ),
        ],
        "7",
        "value: 7",
    ),
    (
        "ARZ110",
        [("value: $steps.create.outputs.id", "value: $steps.get.outputs.name")],
        "$steps.get.outputs.name",
        "in: path",
    ),
    (
        "ARZ111",
        [
            (
                "          - condition: $statusCode == 201\n",
                "          - condition: $statusCode == 201\n        onSuccess:\n          - name: stop\n"
                "            type: end\n",
            )
        ],
        "stepId: get",
        None,
    ),
    (
        "ARZ112",
        [("payload:\n            name: $inputs.name", "payload:\n            name: $inputs.nam")],
        "$inputs.nam",
        None,
    ),
    ("ARZ113", [("name: $steps.get.outputs.name", "name: $workflows.pets.outputs.nope")], "$workflows.pets", None),
    ("ARZ114", [("          name: $response.body#/name\n", "          name: $outputs.x\n")], "$outputs.x", None),
    (
        "ARZ115",
        [("name: $steps.get.outputs.name", "name: $response.body#/name")],
        "$response.body#/name",
        "  outputs:\n      name",
    ),
    (
        "ARZ116",
        [("'trace {$inputs.trace}'", "'trace {$components.parameters.nope}'")],
        "$components.parameters.nope",
        None,
    ),
    (
        "ARZ120",
        [
            (
                "          - name: X-Trace\n",
                "          - name: debug\n            in: query\n            value: true\n          - name: X-Trace\n",
            )
        ],
        "debug",
        None,
    ),
    (
        "ARZ121",
        [("          - name: petId\n            in: path\n            value: $steps.create.outputs.id\n", "")],
        "getPet",
        None,
    ),
    (
        "ARZ122",
        [("          - name: X-Trace\n            in: header\n", "          - name: X-Trace\n            in: query\n")],
        "query",
        "X-Trace",
    ),
    ("ARZ123", [("            age: 3", "            age: three")], "three", None),
    ("ARZ124", [("            age: 3", "            age: 3\n            colour: red")], "colour", None),
    ("ARZ126", [("            name: $inputs.name\n", "")], "age: 3", None),
    ("ARZ127", [("contentType: application/json", "contentType: text/plain")], "text/plain", None),
    (
        "ARZ128",
        [
            (
                "        requestBody:\n          contentType: application/json\n          payload:\n"
                "            name: $inputs.name\n            age: 3\n",
                "",
            )
        ],
        "createPet",
        None,
    ),
    (
        "ARZ129",
        [
            (
                "      - stepId: get\n        operationId: getPet\n",
                "      - stepId: get\n        operationId: touchPet\n        requestBody:\n          payload: {a: 1}\n",
            ),
            ("          - name: X-Trace\n            in: header\n            value: 'trace {$inputs.trace}'\n", ""),
            (
                "        successCriteria:\n          - condition: $statusCode == 200\n        onSuccess:\n"
                "          - name: done\n            type: end\n            criteria:\n              - condition: "
                "$response.body#/name != null\n        outputs:\n          name: $response.body#/name\n"
                "          tag: $response.body#/tags/0\n          email: $response.body#/owner/email\n"
                "          v: $response.body#/meta/anything/v\n",
                "",
            ),
            ("    outputs:\n      name: $steps.get.outputs.name\n", ""),
        ],
        "payload: {a: 1}",
        None,
    ),
    (
        "ARZ130",
        [("tag: $response.body#/tags/0", "tag: $response.body#/tags/first")],
        "$response.body#/tags/first",
        None,
    ),
    ("ARZ131", [("condition: $statusCode == 201", "condition: $statusCode < 300")], "$response.body#/id", None),
    ("ARZ132", [("v: $response.body#/meta/anything/v", "v: $request.query.verbose")], "$request.query.verbose", None),
    # -- Arazzo 1.1 -----------------------------------------------------------------------------
    ("ARZ150", [("      - stepId: create\n", "      - stepId: create\n        timeout: 5\n")], "timeout", None),
    (
        "ARZ151",
        [
            ("arazzo: 1.0.1", "arazzo: 1.1.0"),
            (
                "          id: $response.body#/id",
                "          id: {context: $response.body, selector: $.id, type: jmespath}",
            ),
        ],
        "jmespath",
        None,
    ),
    (
        "ARZ152",
        [
            ("arazzo: 1.0.1", "arazzo: 1.1.0"),
            ("      - stepId: get\n", "      - stepId: get\n        dependsOn: [nope]\n"),
        ],
        "nope",
        None,
    ),
    (
        "ARZ153",
        [("arazzo: 1.0.1", "arazzo: 1.1.0"), ("            age: 3", "            age: $steps.get.outputs.name")],
        "stepId: create",
        None,
    ),
    (
        "ARZ154",
        [
            ("arazzo: 1.0.1", "arazzo: 1.1.0"),
            ("        operationId: getPet\n", "        operationId: getPet\n        correlationId: c\n"),
        ],
        "c\n",
        "correlationId:",
    ),
    (
        "ARZ156",
        [("arazzo: 1.0.1", "arazzo: 1.1.0"), ("info:", "$self: https://example.com/a.yaml#x\ninfo:")],
        "https://example.com/a.yaml#x",
        None,
    ),
    (
        "ARZ157",
        [
            ("arazzo: 1.0.1", "arazzo: 1.1.0"),
            ("            type: end\n", "            type: end\n            parameters: [{name: a, value: 1}]\n"),
        ],
        "[{name: a",
        None,
    ),
    (
        "ARZ158",
        [
            ("arazzo: 1.0.1", "arazzo: 1.1.0"),
            ("      - stepId: create\n", "      - stepId: create\n        timeout: -5\n"),
        ],
        "-5",
        None,
    ),
    (
        "ARZ159",
        [
            ("arazzo: 1.0.1", "arazzo: 1.1.0"),
            ("        operationId: getPet\n", "        operationId: getPet\n        action: send\n"),
        ],
        "stepId: get",
        None,
    ),
]

NOT_TRIGGERED_BY_CLEAN = {code for code, *_ in CASES}


def _apply(edits: list[tuple[str, str]]) -> str:
    text = CLEAN
    for old, new in edits:
        assert old in text, f"fixture edit does not apply: {old!r}"
        text = text.replace(old, new, 1)
    return text


def _position(text: str, anchor: str, after: str | None) -> tuple[int, int]:
    start = text.index(after) if after else 0
    offset = text.index(anchor, start)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _check(tmp_path: Path, text: str) -> list:
    (tmp_path / "pets.openapi.yaml").write_text(
        (FIXTURES / "pets.openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "pets-copy.openapi.yaml").write_text(
        (FIXTURES / "pets-copy.openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    return check(path)


def test_clean_fixture_has_no_finding(tmp_path: Path) -> None:
    assert [str(d) for d in _check(tmp_path, CLEAN)] == []


@pytest.mark.parametrize("code,edits,anchor,after", CASES, ids=[c[0] for c in CASES])
def test_code_is_reported_at_its_place(
    tmp_path: Path, code: str, edits: list[tuple[str, str]], anchor: str, after: str | None
) -> None:
    text = _apply(edits)
    found = [d for d in _check(tmp_path, text) if d.code == code]
    assert found, f"{code} not reported; got: " + "\n".join(str(d) for d in _check(tmp_path, text))
    expected = _position(text, anchor, after)
    places = [(d.line, d.column) for d in found]
    assert expected in places, f"{code} at {places}, expected {expected}: {[str(d) for d in found]}"
    assert found[0].severity == CODES[code].severity or code in ("ARZ121",), found[0]


def test_every_code_has_a_case() -> None:
    covered = {c[0] for c in CASES}
    # ARZ125 (undeclared payload key) has its own test below: the clean schema forbids extra keys.
    # ARZ133 (credential header read) needs a security scheme, which the pets description has none of:
    # tests/security/test_security_credentials.py::test_check_warns_when_an_expression_reads_a_credential_header.
    missing = set(CODES) - covered - {"ARZ125", "ARZ133"}
    assert not missing, f"codes without a test case: {sorted(missing)}"


def test_undeclared_payload_key_is_a_warning_when_the_schema_allows_extras(tmp_path: Path) -> None:
    openapi = (
        (FIXTURES / "pets.openapi.yaml")
        .read_text(encoding="utf-8")
        .replace("      additionalProperties: false\n      required: [name]", "      required: [name]")
    )
    text = CLEAN.replace("            age: 3", "            age: 3\n            colour: red")
    (tmp_path / "pets.openapi.yaml").write_text(openapi, encoding="utf-8")
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    found = [d for d in check(path) if d.code in ("ARZ124", "ARZ125")]
    assert [(d.code, d.severity, d.line, d.column) for d in found] == [
        ("ARZ125", "warning", *_position(text, "colour", None))
    ]
    path.write_text(CLEAN, encoding="utf-8")
    assert [d for d in check(path) if d.code == "ARZ125"] == []


def test_header_and_cookie_requirements_are_warnings(tmp_path: Path) -> None:
    text = CLEAN.replace(
        "          - name: X-Trace\n            in: header\n            value: 'trace {$inputs.trace}'\n", ""
    )
    found = [d for d in _check(tmp_path, text) if d.code == "ARZ121"]
    assert [(d.severity, d.line, d.column) for d in found] == [("warning", *_position(text, "getPet", None))]


def test_near_misses_do_not_trigger(tmp_path: Path) -> None:
    # A dotted output name that falls back to a property (DEC-15), a loop that makes a later step's
    # output readable, and a failure action with its own status: none is a finding.
    text = CLEAN.replace(
        "        onSuccess:\n          - name: done\n            type: end\n            criteria:\n"
        "              - condition: $response.body#/name != null\n",
        "        onFailure:\n          - name: missing\n            type: end\n            criteria:\n"
        "              - condition: $statusCode == 404\n              - condition: $response.body#/message != null\n",
    )
    assert [str(d) for d in _check(tmp_path, text)] == []
    looped = CLEAN.replace("value: $steps.create.outputs.id", "value: $steps.create.outputs.id").replace(
        "          - condition: $statusCode == 201\n",
        "          - condition: $statusCode == 201\n        onSuccess:\n          - name: again\n"
        "            type: goto\n            stepId: get\n",
    )
    assert [str(d) for d in _check(tmp_path, looped)] == []
