"""``check`` and the engine agree on multipart/form-data file parts (DEC-29).

The engine sends a field written as ``{filename, content, contentType}`` (or a
list of those) as a file part; the check used to compare that object with the
field's ``type: string, format: binary`` schema and report ARZ123. Each form
the engine accepts is checked clean here and then run against a loopback
server; real mistakes around file parts are still reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.checker import check
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = """\
openapi: 3.1.0
info: {title: Upload, version: 1.0.0}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /upload:
    post:
      operationId: upload
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [report]
              properties:
                note: {type: string}
                count: {type: integer}
                report: {type: string, format: binary}
                scans: {type: array, items: {type: string, format: binary}}
                logo: {type: string, contentMediaType: image/png}
      responses: {'200': {description: ok}}
"""

WORKFLOW = """\
arazzo: 1.0.1
info: {title: Upload, version: 1.0.0}
sourceDescriptions:
  - {name: api, url: upload.openapi.yaml, type: openapi}
workflows:
  - workflowId: upload
    inputs:
      type: object
      properties: {text: {type: string}}
    steps:
      - stepId: send
        operationId: upload
        requestBody:
          contentType: multipart/form-data
          payload:
PAYLOAD
        successCriteria:
          - condition: $statusCode == 200
"""

ACCEPTED = """\
            note: hi
            count: 2
            report: {filename: report.txt, content: $inputs.text, contentType: text/plain}
            scans:
              - {filename: a.txt, content: first}
              - {content: second}
            logo: {filename: logo.png}
"""


def _write(tmp_path: Path, payload: str) -> Path:
    (tmp_path / "upload.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    path = tmp_path / "upload.arazzo.yaml"
    path.write_text(WORKFLOW.replace("PAYLOAD\n", payload), encoding="utf-8")
    return path


def test_every_file_part_form_the_engine_sends_checks_clean(tmp_path: Path) -> None:
    spec = _write(tmp_path, ACCEPTED)
    assert check(spec) == []
    with LoopbackServer() as server:
        server.script("POST", "/upload", [Reply(status=200)])
        result = run_workflow(spec, "upload", {"text": "hello"}, servers=server.url)
        assert result.status == "succeeded", result.error
        body = server.requests[-1].text()
    assert 'name="report"; filename="report.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n' in body
    assert 'name="scans"; filename="a.txt"\r\nContent-Type: application/octet-stream\r\n\r\nfirst\r\n' in body
    assert 'name="scans"; filename="scans"\r\nContent-Type: application/octet-stream\r\n\r\nsecond\r\n' in body
    assert 'name="logo"; filename="logo.png"\r\n' in body


@pytest.mark.parametrize(
    ("payload", "code", "line_text", "message"),
    [
        # a file part for a field the schema wants as an integer
        (
            "            report: {content: x}\n            count: {filename: c.txt, content: x}\n",
            "ARZ123",
            "count: {filename",
            "body field /count is a file part (an object with content or filename), but the request schema "
            "of POST /upload wants integer",
        ),
        # a misspelt key inside a file part is not read by the engine
        (
            "            report: {content: x, filname: r.txt}\n",
            "ARZ125",
            "report: {content",
            "body field /report/filname is not read from a file part; a file part has filename, content, contentType",
        ),
        # an object without content or filename is not a file part: still an object where a string is wanted
        (
            "            report: {name: r.txt}\n",
            "ARZ123",
            "report: {name",
            "body field /report is an object, but the request schema of POST /upload wants string",
        ),
        # a nested object is never a file part
        (
            "            report: {content: x}\n            note: {inner: {content: x}}\n",
            "ARZ123",
            "note: {inner",
            "body field /note is an object, but the request schema of POST /upload wants string",
        ),
    ],
)
def test_mistakes_around_file_parts_are_still_reported(
    tmp_path: Path, payload: str, code: str, line_text: str, message: str
) -> None:
    spec = _write(tmp_path, payload)
    found = [(d.code, d.message, d.line) for d in check(spec)]
    lines = spec.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if line_text in text)
    assert found == [(code, message, line)]
