"""A small API and workflow exercising every event kind: bodies, a retry, a nested workflow, OAuth2."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

PASSWORD = "hunter2-Secret/é+x"  # a password input: characters percent- and JSON-encoding change
CLIENT_SECRET = "cs-Very/Secret+Value"
ACCESS_TOKEN = "at-0123456789-access"

OPENAPI = """
openapi: 3.0.3
info: {title: items, version: '1'}
servers:
  - url: https://production.example.com
  - url: https://staging.example.com
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: /oauth/token, scopes: {}}
security: [{oauth: []}]
paths:
  /items:
    post:
      operationId: createItem
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses: {'201': {description: created}}
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'200': {description: ok}}
  /ping:
    get:
      operationId: ping
      responses: {'200': {description: ok}}
"""

ARAZZO = """
arazzo: 1.0.1
info: {title: items flow, version: '1'}
sourceDescriptions:
  - {name: items, url: ./items.yaml, type: openapi}
workflows:
  - workflowId: main
    inputs:
      type: object
      properties:
        name: {type: string}
        password: {type: string, format: password}
    steps:
      - stepId: create
        operationId: createItem
        requestBody:
          contentType: application/json
          payload: {name: $inputs.name, password: $inputs.password}
        successCriteria: [{condition: $statusCode == 201}]
        outputs:
          id: $response.body#/id
          missing: $response.body#/nope
      - stepId: poll
        operationId: getItem
        parameters: [{name: id, in: path, value: $steps.create.outputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - {name: again, type: retry, retryAfter: 0, retryLimit: 2, criteria: [{condition: $statusCode == 503}]}
      - stepId: nested
        workflowId: child
    outputs:
      id: $steps.create.outputs.id
  - workflowId: child
    steps:
      - stepId: ping
        operationId: ping
        successCriteria: [{condition: $statusCode == 200}]
"""


def write_documents(folder: Path) -> Path:
    (folder / "items.yaml").write_text(textwrap.dedent(OPENAPI), encoding="utf-8")
    path = folder / "flow.arazzo.yaml"
    path.write_text(textwrap.dedent(ARAZZO), encoding="utf-8")
    return path


def _echo_authorization(request: RecordedRequest) -> Reply:
    # A careless server: it echoes the credentials it was sent back in its body.
    return Reply(status=201, body={"id": 7, "saw": request.header("authorization"), "body": request.text()})


def _token(request: RecordedRequest) -> Reply:
    # Echoes the client's Basic credentials (base64 of client_id:client_secret) and the form it sent.
    return Reply(body={"access_token": ACCESS_TOKEN, "expires_in": 600, "saw": request.header("authorization")})


def _not_found_echoing(request: RecordedRequest) -> Reply:
    # The Authorization header lands where a 200-character failure excerpt cuts the body: only part of
    # the token would be left if masking came after cutting.
    return Reply(status=404, body={"error": "a" * 175 + str(request.header("authorization"))})


def script_items(server: LoopbackServer, *, poll_fails: bool = False) -> None:
    server.script("POST", "/oauth/token", _token)
    server.script("POST", "/items", _echo_authorization)
    if poll_fails:
        server.script("GET", "/items/7", _not_found_echoing)
    else:
        server.script("GET", "/items/7", [Reply(status=503, headers={"Retry-After": "0"}), Reply(body={"id": 7})])
    server.script("GET", "/ping", Reply(body={"pong": True}))


INPUTS = {"name": "widget", "password": PASSWORD}
CREDENTIALS = {"oauth": {"client_id": "client-1", "client_secret": CLIENT_SECRET}}
