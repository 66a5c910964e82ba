"""Requests go to the resource the document names: no dot segment, cookie key, part header or Host
header lets a value reach another resource (issue cases 9 and 10). Asserted on the wire."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import load, run_workflow
from tests.security.wire import write
from tests.support.loopback import LoopbackServer, Reply

_OPENAPI = """
openapi: 3.0.3
info: {title: orgs, version: '1'}
paths:
  /orgs/{org}/members/{member}:
    delete:
      operationId: removeMember
      parameters:
        - {name: org, in: path, required: true, schema: {type: string}}
        - {name: member, in: path, required: true, schema: {type: string}, style: STYLE}
      responses: {'204': {description: gone}}
  /upload:
    post:
      operationId: upload
      parameters:
        - {name: session, in: cookie, schema: {type: object}, explode: true}
        - {name: Host, in: header, schema: {type: string}}
      requestBody:
        content:
          multipart/form-data: {schema: {type: object}}
      responses: {'200': {description: ok}}
"""

_ARAZZO = """
arazzo: 1.0.1
info: {title: requests, version: '1'}
sourceDescriptions: [{name: orgs, url: ./orgs.yaml, type: openapi}]
workflows:
  - workflowId: remove
    inputs: {type: object, properties: {member: {}}}
    steps:
      - stepId: remove
        operationId: removeMember
        parameters:
          - {name: org, in: path, value: acme}
          - {name: member, in: path, value: $inputs.member}
  - workflowId: cookies
    inputs: {type: object, properties: {session: {}}}
    steps:
      - stepId: up
        operationId: upload
        parameters: [{name: session, in: cookie, value: $inputs.session}]
  - workflowId: host
    steps:
      - stepId: up
        operationId: upload
        parameters: [{name: Host, in: header, value: internal.example}]
  - workflowId: multipart
    inputs: {type: object, properties: {type: {type: string}}}
    steps:
      - stepId: up
        operationId: upload
        requestBody:
          contentType: multipart/form-data
          payload: {file: {filename: a.txt, content: hello, contentType: $inputs.type}}
"""


def _spec(tmp_path: Path, style: str = "simple") -> Path:
    write(tmp_path, "orgs.yaml", _OPENAPI.replace("STYLE", style))
    return write(tmp_path, "arazzo.yaml", _ARAZZO)


@pytest.mark.parametrize(
    ("style", "member", "target"),
    [
        ("simple", "..", "/orgs/acme/members/%2E%2E"),
        ("simple", ".", "/orgs/acme/members/%2E"),
        ("simple", "../admin", "/orgs/acme/members/..%2Fadmin"),
        ("simple", ["..", "x"], "/orgs/acme/members/..,x"),  # a list is one segment: nothing to normalise
        ("label", "", "/orgs/acme/members/%2E"),  # label style of "" is "." alone
        ("matrix", "..", "/orgs/acme/members/;member=.."),
    ],
)
def test_dot_segments_in_path_parameters_reach_the_named_resource(
    tmp_path: Path, style: str, member: object, target: str
) -> None:
    # Case 9: `member=".."` used to send DELETE /orgs/acme, and "." DELETE /orgs/acme/members.
    spec = _spec(tmp_path, style)
    with LoopbackServer() as server:
        server.script("DELETE", "/orgs/acme/members/{member}", Reply(status=204))
        run_workflow(load(spec), "remove", {"member": member}, servers=server.url)
        assert [r.target for r in server.requests] == [target]


def test_cookie_object_keys_cannot_add_cookies(tmp_path: Path) -> None:
    # Case 10: {"x=1; admin": "true"} used to send `Cookie: x=1; admin=true`.
    spec = _spec(tmp_path)
    with LoopbackServer() as server:
        server.script("POST", "/upload", Reply(body={}))
        run_workflow(load(spec), "cookies", {"session": {"x=1; admin": "true", "id": "7"}}, servers=server.url)
        assert server.requests[0].header("Cookie") == "x%3D1%3B%20admin=true; id=7"


def test_a_host_header_parameter_is_refused_before_sending(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    with LoopbackServer() as server:
        server.script("POST", "/upload", Reply(body={}))
        result = run_workflow(load(spec), "host", servers=server.url)
        assert server.requests == []
    assert result.status == "failed"
    assert result.error is not None and "header parameter 'Host'" in result.error.message
    assert "servers=" in result.error.message


def test_a_line_break_in_a_multipart_content_type_cannot_add_part_headers(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    with LoopbackServer() as server:
        server.script("POST", "/upload", Reply(body={}))
        result = run_workflow(load(spec), "multipart", {"type": "text/plain\r\nX-Injected: yes"}, servers=server.url)
        assert server.requests == []
    assert result.error is not None and "multipart field 'file'" in result.error.message
    assert "line break" in result.error.message


def test_an_ordinary_multipart_content_type_is_sent(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    with LoopbackServer() as server:
        server.script("POST", "/upload", Reply(body={}))
        result = run_workflow(load(spec), "multipart", {"type": "text/plain"}, servers=server.url)
        assert result.status == "succeeded", result.error
        assert b"Content-Type: text/plain\r\n\r\nhello" in server.requests[0].body
