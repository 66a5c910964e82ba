"""``load()`` and ``check`` read one rule table (``arazzo_runner.plan.rules``): the same mistake, the same finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import DocumentError, check, load
from arazzo_runner.plan.rules import FIELDS, missing_field_message, unknown_field_message, wrong_type_message

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /ping: {get: {operationId: ping, responses: {'200': {description: ok}}}}
"""

DOC = """\
arazzo: 1.0.1
info: {title: t, version: '1'%(info)s}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: ping
    steps:
      - stepId: ping
        operationId: ping
        %(step)s
"""


def _findings(tmp_path: Path, info: str = "", step: str = "") -> tuple[list[tuple[str, str, str]], set[tuple]]:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "doc.arazzo.yaml"
    spec.write_text(DOC % {"info": info, "step": step}, encoding="utf-8")
    try:
        loaded = list(load(spec).diagnostics)
    except DocumentError as exc:
        loaded = list(exc.diagnostics)
    from_load = [(d.code, d.message, d.pointer or "") for d in loaded]
    from_check = {(d.code, d.message, d.pointer or "") for d in check(spec)}
    return from_load, from_check


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("summary: nope", ("ARZ004", unknown_field_message("summary", "step"), "/workflows/0/steps/0/summary")),
        ("description: 5", ("ARZ003", wrong_type_message("description", "a string", 5), "")),
    ],
    ids=["unknown-field", "wrong-type"],
)
def test_a_step_mistake_gets_the_same_code_and_words_from_load_and_check(
    tmp_path: Path, step: str, expected: tuple[str, str, str]
) -> None:
    from_load, from_check = _findings(tmp_path, step=step)
    code, message, _ = expected
    assert [(c, m) for c, m, _ in from_load if c == code] == [(code, message)]
    assert [(c, m) for c, m, _ in from_check if c == code] == [(code, message)]


def test_a_missing_required_field_is_worded_once(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "doc.arazzo.yaml"
    spec.write_text((DOC % {"info": "", "step": ""}).replace(", version: '1'", ""), encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load(spec)
    expected = missing_field_message("info", "version")
    assert [d.message for d in info.value.diagnostics if d.code == "ARZ002"] == [expected]
    assert [d.message for d in check(spec) if d.code == "ARZ002"] == [expected]


def test_every_object_kind_has_a_name_for_messages() -> None:
    for kind in FIELDS:
        assert unknown_field_message("x", kind).startswith("unknown field 'x' in ")
