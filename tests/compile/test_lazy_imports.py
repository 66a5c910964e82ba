"""Heavy dependencies load only where they are used: a plain workflow never imports them.

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["jsonschema", "openapi_core", "elementpath", "lxml", "regress", "jsonpath_rfc9535", "arazzo_runner.checker"]

OPENAPI = """\
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses: {'200': {description: ok}}
"""
ARAZZO = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: openapi.yaml, type: openapi}]
workflows:
  - workflowId: pets
    inputs: {type: object, properties: {kind: {type: string, description: which}}, required: [kind]}
    steps:
      - stepId: list
        operationId: listPets
        successCriteria:
          - condition: $statusCode == 200
CRITERION
"""
REGEX = """\
          - context: $statusCode
            condition: '^2'
            type: regex
"""


def _imported_after_load(tmp_path: Path, criterion: str = "", inputs_schema: str | None = None) -> list[str]:
    (tmp_path / "openapi.yaml").write_text(OPENAPI)
    text = ARAZZO.replace("CRITERION\n", criterion)
    if inputs_schema is not None:
        text = text.replace(
            "{type: object, properties: {kind: {type: string, description: which}}, required: [kind]}", inputs_schema
        )
    (tmp_path / "wf.yaml").write_text(text)
    script = (
        "import json, sys\n"
        "from arazzo_runner import load\n"
        f"load({str(tmp_path / 'wf.yaml')!r})\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=120,
    ).stdout
    return list(json.loads(out))


def test_a_plain_workflow_loads_without_the_heavy_dependencies(tmp_path: Path) -> None:
    assert _imported_after_load(tmp_path) == []


def test_a_regex_criterion_loads_its_engine_and_only_that(tmp_path: Path) -> None:
    assert _imported_after_load(tmp_path, REGEX) == ["regress"]


@pytest.mark.parametrize(
    ("schema", "needs_jsonschema"),
    [
        ("{type: object, properties: {n: {type: integer, minimum: 1}}}", True),  # a keyword beyond the plain subset
        ("{type: object, properties: {a: {type: string, title: A, deprecated: false}}, required: [a]}", False),
    ],
)
def test_jsonschema_loads_only_for_schemas_beyond_the_plain_subset(
    tmp_path: Path, schema: str, needs_jsonschema: bool
) -> None:
    assert ("jsonschema" in _imported_after_load(tmp_path, inputs_schema=schema)) is needs_jsonschema


@pytest.mark.parametrize("schema", ["{type: object, required: [a, a]}", "{type: object, properties: {a: {type: 7}}}"])
def test_a_schema_outside_the_plain_subset_is_checked_against_the_meta_schema(tmp_path: Path, schema: str) -> None:
    from arazzo_runner import DocumentError, load

    (tmp_path / "openapi.yaml").write_text(OPENAPI)
    plain = "{type: object, properties: {kind: {type: string, description: which}}, required: [kind]}"
    (tmp_path / "wf.yaml").write_text(ARAZZO.replace("CRITERION\n", "").replace(plain, schema))
    with pytest.raises(DocumentError, match="invalid inputs schema"):
        load(tmp_path / "wf.yaml")
