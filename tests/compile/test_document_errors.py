"""Mistakes in a document or in the inputs are reported before any request, naming where and what was expected.

Each test here is a problem a user test found: a typo'd ``$inputs`` name that
``check`` called an error but ``run`` sent requests with (or silently left
out), unknown input names ignored, misleading warnings and messages after a
failure, JSON syntax errors worded as YAML, an OpenAPI file given as the
Arazzo document, workflow-id typos, and a warning placed on the wrong line.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import load, run_workflow
from arazzo_runner.checker import check
from arazzo_runner.cli.app import print_summary
from arazzo_runner.errors import DocumentError, InputError, WorkflowNotFound
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /members:
    post:
      operationId: createMember
      parameters:
        - {name: X-Trace, in: header, schema: {type: string}}
      requestBody:
        content: {application/json: {schema: {type: object}}}
      responses: {'201': {description: created}}
  /orders:
    get:
      operationId: listOrders
      responses: {'200': {description: ok}}
"""

MEMBER = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: signup
%(inputs)s
    steps:
      - stepId: createMember
        operationId: createMember
        parameters:
          - {name: X-Trace, in: header, value: %(trace)s}
        requestBody:
          payload:
            email: %(email)s
        successCriteria:
          - condition: $statusCode == 201
        outputs:
          memberId: $response.body#/id
      - stepId: listOrders
        operationId: listOrders
        outputs:
          count: $response.body#/count
    outputs:
      memberId: $steps.createMember.outputs.memberId
      count: $steps.listOrders.outputs.count
"""

SCHEMA = """\
    inputs:
      type: object
      required: [email_address]
      properties:
        email_address: {type: string}
        trace: {type: string}"""


def _write(
    tmp_path: Path, *, inputs: str = SCHEMA, email: str = "$inputs.email_address", trace: str = "$inputs.trace"
) -> Path:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "arazzo.yaml"
    spec.write_text(MEMBER % {"inputs": inputs, "email": email, "trace": trace}, encoding="utf-8")
    return spec


def _line_of(spec: Path, text: str) -> int:
    return next(i for i, line in enumerate(spec.read_text(encoding="utf-8").splitlines(), 1) if text in line)


@pytest.fixture
def server() -> Any:
    with LoopbackServer() as srv:
        yield srv


# -- 1a. an undeclared $inputs name is a load error (ARZ112), as check says ----------------------------------------


def test_undeclared_input_is_a_load_error_naming_the_input_the_inputs_and_a_suggestion(tmp_path: Path) -> None:
    spec = _write(tmp_path, email="$inputs.emial_address")
    with pytest.raises(DocumentError) as info:
        load(spec)
    error = info.value
    assert error.code == "ARZ112"
    assert "$inputs.emial_address: workflow 'signup' declares no input 'emial_address'" in error.message
    assert "did you mean 'email_address'?" in error.message
    assert "(inputs: email_address, trace)" in error.message
    assert error.location is not None and error.location.file.endswith("arazzo.yaml")
    assert error.location.line == _line_of(spec, "$inputs.emial_address")


def test_run_sends_nothing_for_an_undeclared_input(tmp_path: Path, server: LoopbackServer) -> None:
    spec = _write(tmp_path, trace="$inputs.tracee")  # an optional input, typo'd: used to be left out silently
    server.script("POST", "/members", Reply(201, body={"id": 1}))
    with pytest.raises(DocumentError, match="declares no input 'tracee'; did you mean 'trace'"):
        run_workflow(spec, "signup", {"email_address": "a@example.com"}, servers=server.url)
    assert server.requests == []


def test_check_reports_the_undeclared_input_once(tmp_path: Path) -> None:
    spec = _write(tmp_path, email="$inputs.emial_address")
    found = [d for d in check(spec) if d.code == "ARZ112"]
    assert len(found) == 1, [str(d) for d in found]
    assert found[0].severity == "error" and "did you mean 'email_address'?" in found[0].message
    text = spec.read_text(encoding="utf-8")
    line = _line_of(spec, "$inputs.emial_address")
    assert (found[0].line, found[0].column) == (line, text.splitlines()[line - 1].index("$inputs.emial_address") + 1)


@pytest.mark.parametrize(
    "extra",
    [
        "      additionalProperties: true",
        "      additionalProperties: {type: string}",
        "      patternProperties: {'^emial': {type: string}}",
    ],
)
def test_a_schema_that_admits_other_names_makes_no_error(tmp_path: Path, extra: str) -> None:
    spec = _write(tmp_path, inputs=SCHEMA + "\n" + extra, email="$inputs.emial_address")
    assert not [d for d in load(spec).diagnostics if d.code == "ARZ112"]


def test_a_pattern_that_does_not_match_still_makes_the_error(tmp_path: Path) -> None:
    spec = _write(
        tmp_path, inputs=SCHEMA + "\n      patternProperties: {'^x-': {type: string}}", email="$inputs.emial_address"
    )
    with pytest.raises(DocumentError, match="ARZ112|declares no input 'emial_address'"):
        load(spec)


def test_a_dotted_name_whose_first_segment_is_declared_is_fine(tmp_path: Path) -> None:
    inputs = SCHEMA + "\n        user: {type: object}"
    spec = _write(tmp_path, inputs=inputs, email="$inputs.user.email")
    assert not [d for d in load(spec).diagnostics if d.code == "ARZ112"]
    spec = _write(tmp_path, inputs=inputs, email="$inputs.usr.email")
    with pytest.raises(DocumentError, match="declares no input 'usr.email'"):
        load(spec)


def test_an_input_in_criteria_and_outputs_is_checked_too(tmp_path: Path) -> None:
    spec = _write(tmp_path)
    text = spec.read_text(encoding="utf-8").replace("count: $response.body#/count", "count: $inputs.cuont")
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load(spec)
    assert "declares no input 'cuont'" in info.value.message
    assert info.value.location is not None and info.value.location.pointer == "/workflows/0/steps/1/outputs/count"


def test_no_inputs_schema_is_a_warning(tmp_path: Path) -> None:
    spec = _write(tmp_path, inputs="")
    warnings = [d for d in load(spec).warnings if d.code == "ARZ112"]
    assert warnings and "has no inputs schema" in warnings[0].message
    assert {d.message.split(":")[0] for d in warnings} == {"$inputs.trace", "$inputs.email_address"}
    # check says the same as the loader: one warning per place, not an error beside it
    found = [d for d in check(spec) if d.code == "ARZ112"]
    assert sorted(d.severity for d in found) == ["warning", "warning"], [str(d) for d in found]


# -- 1b. only declared, not required inputs are left out when absent (DEC-18) --------------------------------------


def test_an_absent_optional_input_is_still_left_out(tmp_path: Path, server: LoopbackServer) -> None:
    spec = _write(tmp_path)
    server.script("POST", "/members", Reply(201, body={"id": 7}))
    server.script("GET", "/orders", Reply(200, body={"count": 0}))
    result = run_workflow(spec, "signup", {"email_address": "a@example.com"}, servers=server.url)
    assert result.status == "succeeded", result.to_dict()
    sent = server.requests_to("POST", "/members")[0]
    assert sent.header("X-Trace") is None and sent.json() == {"email": "a@example.com"}


def test_an_undeclared_input_admitted_by_the_schema_fails_the_step_instead_of_being_left_out(
    tmp_path: Path, server: LoopbackServer
) -> None:
    # additionalProperties lets 'nickname' through at load time, but it is not a declared optional input:
    # leaving it out would hide a typo, so the step fails before anything is sent.
    spec = _write(tmp_path, inputs=SCHEMA + "\n      additionalProperties: true", trace="$inputs.nickname")
    server.script("POST", "/members", Reply(201, body={"id": 7}))
    result = run_workflow(spec, "signup", {"email_address": "a@example.com"}, servers=server.url)
    assert result.status == "failed"
    assert result.error is not None and result.error.reason == "request_error"
    assert "nickname" in result.error.message
    assert server.requests == []


# -- 2. unknown input names given to the run ----------------------------------------------------------------------


def test_an_unknown_input_name_is_an_input_error_with_a_suggestion(tmp_path: Path, server: LoopbackServer) -> None:
    spec = _write(tmp_path)
    with pytest.raises(InputError) as info:
        run_workflow(
            spec, "signup", {"email_address": "a@example.com", "emial_address": "b@example.com"}, servers=server.url
        )
    assert "unknown input 'emial_address'; did you mean 'email_address'? (inputs: email_address, trace)" in str(
        info.value
    )
    assert server.requests == []


def test_unknown_names_are_accepted_when_the_schema_allows_more(tmp_path: Path, server: LoopbackServer) -> None:
    spec = _write(tmp_path, inputs=SCHEMA + "\n      additionalProperties: true")
    server.script("POST", "/members", Reply(201, body={"id": 7}))
    server.script("GET", "/orders", Reply(200, body={"count": 0}))
    result = run_workflow(spec, "signup", {"email_address": "a@example.com", "extra": 1}, servers=server.url)
    assert result.status == "succeeded", result.to_dict()


def test_names_a_dependency_declares_are_not_unknown(tmp_path: Path, server: LoopbackServer) -> None:
    # DEC-10: a dependsOn workflow receives the caller's inputs, so its input names are fine at the top level.
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "arazzo.yaml"
    spec.write_text(
        """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: orders
    inputs: {type: object, properties: {token: {type: string}}}
    steps:
      - {stepId: list, operationId: listOrders}
  - workflowId: main
    dependsOn: [orders]
    inputs: {type: object, properties: {email: {type: string}}}
    steps:
      - {stepId: again, operationId: listOrders}
""",
        encoding="utf-8",
    )
    server.script("GET", "/orders", Reply(200, body={"count": 0}))
    assert run_workflow(spec, "main", {"email": "e", "token": "t"}, servers=server.url).status == "succeeded"
    with pytest.raises(InputError, match="unknown input 'tokn'; did you mean 'token'"):
        run_workflow(spec, "orders", {"tokn": "t"}, servers=server.url)


# -- 3. outputs of a failed run name the failed or skipped step ---------------------------------------------------


def test_outputs_of_a_failed_run_say_the_step_failed_or_did_not_run(tmp_path: Path, server: LoopbackServer) -> None:
    spec = _write(tmp_path)
    server.script("POST", "/members", Reply(500, body={"error": "down"}))
    result = run_workflow(spec, "signup", {"email_address": "a@example.com"}, servers=server.url)
    assert result.status == "failed"
    assert "workflow 'signup': output 'memberId' left out: step 'createMember' failed" in result.warnings
    assert "workflow 'signup': output 'count' left out: step 'listOrders' did not run" in result.warnings
    assert not any("has no output" in w for w in result.warnings), result.warnings


def test_other_reasons_for_a_missing_output_keep_their_words(tmp_path: Path, server: LoopbackServer) -> None:
    spec = _write(tmp_path)
    server.script("POST", "/members", Reply(201, body={"no_id": 1}))
    server.script("GET", "/orders", Reply(200, body={"count": 2}))
    result = run_workflow(spec, "signup", {"email_address": "a@example.com"}, servers=server.url)
    assert result.status == "succeeded"
    assert any(
        "output 'memberId' left out: $steps.createMember.outputs.memberId: step 'createMember' has no output" in w
        for w in result.warnings
    ), result.warnings


# -- 4. nested failures name their workflow; the summary groups a child's steps ------------------------------------

NESTED = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: child
    steps:
      - stepId: createMember
        operationId: createMember
        requestBody: {payload: {email: x}}
        successCriteria: [{condition: $statusCode == 201}]
  - workflowId: main
    steps:
      - stepId: createMember
        workflowId: child
"""


def test_a_nested_failure_names_each_workflow_that_stopped(tmp_path: Path, server: LoopbackServer) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "arazzo.yaml"
    spec.write_text(NESTED, encoding="utf-8")
    server.script("POST", "/members", Reply(500, body={"error": "down"}))
    result = run_workflow(spec, "main", servers=server.url)
    assert result.error is not None
    message = result.error.message
    assert "no failure action matched, so workflow 'child' stopped" in message
    assert message.endswith("no failure action matched, so workflow 'main' stopped"), message
    assert "so the workflow stopped" not in message

    out = io.StringIO()
    print_summary(result, out)
    lines = out.getvalue().splitlines()
    marker = lines.index("  workflow child:")
    assert lines[marker + 1].startswith("    1. createMember"), lines
    assert lines[marker + 2] == "         then: stop", lines
    assert lines[marker + 3].startswith("  2. createMember"), lines


# -- 5. JSON syntax errors are worded by the JSON parser ----------------------------------------------------------


def test_a_json_syntax_error_is_reported_as_json(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "arazzo.json"
    spec.write_text('{\n  "arazzo": "1.0.1",\n  "info": {"title": "t" "version": "1"}\n}\n', encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load(spec)
    assert info.value.message.startswith("invalid JSON: Expecting ',' delimiter"), info.value.message
    assert "YAML" not in info.value.message
    assert info.value.location is not None
    assert (info.value.location.line, info.value.location.column) == (3, 25)


def test_yaml_errors_stay_yaml_errors(tmp_path: Path) -> None:
    spec = tmp_path / "arazzo.yaml"
    spec.write_text("arazzo: 1.0.1\ninfo: [\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="invalid YAML"):
        load(spec)


def test_valid_json_still_loads(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    spec = tmp_path / "arazzo.json"
    spec.write_text(
        json.dumps(
            {
                "arazzo": "1.0.1",
                "info": {"title": "t", "version": "1"},
                "sourceDescriptions": [{"name": "api", "url": "openapi.yaml", "type": "openapi"}],
                "workflows": [{"workflowId": "w", "steps": [{"stepId": "s", "operationId": "listOrders"}]}],
            }
        ),
        encoding="utf-8",
    )
    assert list(load(spec).workflows) == ["w"]


# -- 6. an OpenAPI description given where an Arazzo document is expected ------------------------------------------


def test_an_openapi_file_is_recognised(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(OPENAPI, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load(spec)
    assert info.value.message == (
        "this is an OpenAPI description, not an Arazzo document; pass the Arazzo document that references it"
    )
    assert info.value.location is not None and info.value.location.line == 1


def test_a_swagger_file_is_recognised(tmp_path: Path) -> None:
    spec = tmp_path / "swagger.json"
    spec.write_text(
        json.dumps({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}), encoding="utf-8"
    )
    with pytest.raises(DocumentError) as info:
        load(spec)
    assert info.value.message.startswith("this is an OpenAPI description, not an Arazzo document")


# -- 7. workflow-id typos ---------------------------------------------------------------------------------------


def test_an_unknown_workflow_id_gets_a_suggestion(tmp_path: Path) -> None:
    spec = _write(tmp_path)
    with pytest.raises(WorkflowNotFound) as info:
        run_workflow(spec, "sigunp", {"email_address": "a@example.com"})
    assert "no workflow 'sigunp'" in str(info.value) and "did you mean 'signup'?" in str(info.value)
    with pytest.raises(WorkflowNotFound) as info:
        load(spec).workflow("zzz")
    assert "did you mean" not in str(info.value)


# -- 8. ARZ025 points at the condition ----------------------------------------------------------------------------


def test_the_goessner_fallback_warning_points_at_the_condition(tmp_path: Path) -> None:
    spec = _write(tmp_path)
    text = spec.read_text(encoding="utf-8").replace(
        "          - condition: $statusCode == 201\n",
        "          - context: $response.body\n            condition: $.items.length > 0\n            type: jsonpath\n",
    )
    spec.write_text(text, encoding="utf-8")
    warnings = [d for d in load(spec).warnings if d.code == "ARZ025"]
    assert warnings, [str(d) for d in load(spec).warnings]
    assert warnings[0].location is not None
    assert warnings[0].location.pointer == "/workflows/0/steps/0/successCriteria/0/condition"
    assert warnings[0].location.line == _line_of(spec, "condition: $.items.length > 0")
    with pytest.raises(DocumentError) as info:
        load(spec, strict=True)
    assert info.value.location is not None and info.value.location.line == warnings[0].location.line
