"""Every step of the Stytch corpus builds the request its OpenAPI operation describes.

The 24 workflows in ``../shared/corpus/stytch/arazzo/`` (60 steps) are replayed
against the loopback server with scripted 200 responses. Each response body
is built from the JSON pointers the step's outputs read, so every output
resolves to a known, distinctive value. For each step the test then checks
what the server received against an expectation computed independently of
the engine, straight from the raw OpenAPI and Arazzo data:

* the method and the path template of the operation (``paths`` walked by
  hand, not through the runner's index), with every path variable filled and
  percent-encoded as one segment;
* every query parameter the step gives, decoded;
* the JSON body: exactly the payload's keys, with the input or output values
  the payload's expressions name;
* HTTP basic credentials on every call (the corpus declares ``basicAuth`` but
  applies it nowhere; credentials supplied by scheme name apply everywhere).

Inputs: every property of each workflow's input schema is supplied, the
optional ones included. DEC-18 makes an unresolvable expression in a payload
an error, and that default is kept: 27 payload fields read optional inputs
(mostly ``session_duration_minutes``), so leaving them out would fail those
steps before sending, which ``test_missing_optional_input_fails_before_sending``
shows.

The corpus lives outside the repository and is never copied into it; the
tests skip when it is absent.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from arazzo_runner import load, run_workflow
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "stytch"
ARAZZO_DIR = CORPUS / "arazzo"
CREDENTIALS = {"basicAuth": ("project-test-1", "secret-test-1")}
EXPECTED_AUTH = "Basic " + base64.b64encode(b"project-test-1:secret-test-1").decode()

pytestmark = pytest.mark.skipif(
    not ARAZZO_DIR.is_dir(),
    reason=f"the Stytch corpus is not available at {CORPUS} (it lives in ../shared beside the repository)",
)

_STEP_OUTPUT = re.compile(r"^\$steps\.([A-Za-z0-9_\-]+)\.outputs\.([A-Za-z0-9_.\-]+)$")
_INPUT = re.compile(r"^\$inputs\.([A-Za-z0-9_.\-]+)$")
_POINTER = re.compile(r"^\$response\.body#(/.*)$")
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _corpus_files() -> list[Path]:
    return sorted(ARAZZO_DIR.glob("*.yml")) if ARAZZO_DIR.is_dir() else []


_RAW_CACHE: dict[Path, Any] = {}


def _raw(path: Path) -> Any:
    if path not in _RAW_CACHE:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        _RAW_CACHE[path] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return _RAW_CACHE[path]


def _operations(openapi_path: Path) -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path template), read from the raw description."""
    result: dict[str, tuple[str, str]] = {}
    for template, item in (_raw(openapi_path).get("paths") or {}).items():
        for method in _HTTP_METHODS:
            op = item.get(method) if isinstance(item, Mapping) else None
            if isinstance(op, Mapping) and isinstance(op.get("operationId"), str):
                result[op["operationId"]] = (method.upper(), template)
    return result


def _input_value(name: str, schema: Mapping[str, Any], index: int) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return 60 + index
    if kind == "number":
        return 1.5 + index
    if kind == "boolean":
        return True
    if "email" in name:
        return f"user+{index}@example.com"
    if "url" in name:
        return f"https://app.example.com/cb/{index}?next=/home"
    return f"in {name} {index}"


def _output_value(step_id: str, name: str) -> str:
    # A space, a slash and a non-ASCII letter: a path parameter made of it must be percent-encoded.
    return f"{step_id}.{name} x/ü"


def set_at_pointer(document: dict[str, Any], pointer: str, value: Any) -> None:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]
    node: Any = document
    for token, following in zip(tokens, [*tokens[1:], None], strict=False):
        container: Any = [] if following is not None and following.isdigit() else {}
        if isinstance(node, list):
            position = int(token)
            while len(node) <= position:
                node.append({} if not isinstance(container, list) else [])
            if following is None:
                node[position] = value
            else:
                if not isinstance(node[position], (dict, list)) or type(node[position]) is not type(container):
                    node[position] = container
                node = node[position]
        else:
            if following is None:
                node[token] = value
            else:
                if not isinstance(node.get(token), (dict, list)):
                    node[token] = container
                node = node[token]


class _Plan:
    """One workflow: its inputs, scripted responses, and what each step must send."""

    def __init__(self, arazzo_path: Path) -> None:
        self.path = arazzo_path
        raw = _raw(arazzo_path)
        (workflow,) = raw["workflows"]
        self.workflow_id: str = workflow["workflowId"]
        self.steps: list[Mapping[str, Any]] = workflow["steps"]
        (source,) = raw["sourceDescriptions"]
        self.operations = _operations((arazzo_path.parent / source["url"]).resolve())
        properties = (workflow.get("inputs") or {}).get("properties") or {}
        self.inputs = {name: _input_value(name, schema, i) for i, (name, schema) in enumerate(properties.items())}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.bodies: dict[str, dict[str, Any]] = {}
        for step in self.steps:
            body: dict[str, Any] = {"status_code": 200, "request_id": f"req-{step['stepId']}"}
            values: dict[str, Any] = {}
            for name, expression in (step.get("outputs") or {}).items():
                match = _POINTER.match(str(expression))
                if match:
                    value = _output_value(step["stepId"], name)
                    set_at_pointer(body, match.group(1), value)
                    values[name] = value
            self.bodies[step["stepId"]] = body
            for name, expression in (step.get("outputs") or {}).items():
                if expression == "$response.body":
                    values[name] = body
            self.outputs[step["stepId"]] = values

    def resolve(self, value: Any) -> Any:
        """The value a payload or parameter must carry, computed without the engine."""
        if isinstance(value, Mapping):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, str):
            match = _INPUT.match(value)
            if match:
                return self.inputs[match.group(1)]
            match = _STEP_OUTPUT.match(value)
            if match:
                return self.outputs[match.group(1)][match.group(2)]
            assert "{$" not in value and not value.startswith("$"), f"unexpected expression form {value!r}"
        return value

    def expected(self, step: Mapping[str, Any]) -> dict[str, Any]:
        method, template = self.operations[step["operationId"]]
        path = template
        query: dict[str, list[str]] = {}
        for param in step.get("parameters") or []:
            value = self.resolve(param["value"])
            if param["in"] == "path":
                path = path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
            elif param["in"] == "query":
                query[param["name"]] = [str(value)]
        body = step.get("requestBody")
        return {
            "method": method,
            "template": template,
            "path": path,
            "query": query,
            "json": self.resolve(body["payload"]) if body else None,
        }


def _script(server: LoopbackServer, plan: _Plan) -> None:
    server.reset()
    routes: dict[tuple[str, str], list[str]] = {}
    for step in plan.steps:
        method, template = plan.operations[step["operationId"]]
        routes.setdefault((method, template), []).append(step["stepId"])
    for (method, template), step_ids in routes.items():
        # A route called by two steps answers each in turn.
        server.script(method, template, [Reply(status=200, body=plan.bodies[s]) for s in step_ids])


@pytest.fixture(scope="module")
def server():
    with LoopbackServer() as srv:
        yield srv


def _check_request(plan: _Plan, step: Mapping[str, Any], got: RecordedRequest) -> None:
    want = plan.expected(step)
    where = f"{plan.path.name} step {step['stepId']!r} ({want['method']} {want['template']})"
    assert got.method == want["method"], where
    assert got.path == want["path"], f"{where}: path {got.path!r}, want {want['path']!r}"
    assert "{" not in got.path and "%7B" not in got.path, where
    assert got.query == want["query"], f"{where}: query {got.query}, want {want['query']}"
    assert got.header("Authorization") == EXPECTED_AUTH, where
    if want["json"] is None:
        assert got.body == b"", f"{where}: a body was invented: {got.body!r}"
        assert got.header("Content-Type") is None, where
    else:
        assert got.header("Content-Type") == "application/json", where
        body = got.json()
        assert list(body) == list(want["json"]), f"{where}: body keys {list(body)}, want {list(want['json'])}"
        assert body == want["json"], f"{where}: body {body}, want {want['json']}"


@pytest.mark.parametrize("arazzo_path", _corpus_files(), ids=lambda p: p.name.removesuffix("-workflow.yml"))
def test_every_step_sends_the_request_its_operation_describes(server: LoopbackServer, arazzo_path: Path) -> None:
    plan = _Plan(arazzo_path)
    _script(server, plan)
    result = run_workflow(load(arazzo_path), plan.workflow_id, plan.inputs, servers=server.url, credentials=CREDENTIALS)
    assert result.status == "succeeded", result.error
    executed = [s.step_id for s in result.steps]
    assert executed == [s["stepId"] for s in plan.steps], executed
    received = server.requests
    assert len(received) == len(plan.steps), [(r.method, r.target) for r in received]
    for step, got in zip(plan.steps, received, strict=False):
        _check_request(plan, step, got)
    for step, record in zip(plan.steps, result.steps, strict=False):
        assert dict(record.outputs) == plan.outputs[step["stepId"]], f"{arazzo_path.name} {step['stepId']}"


def test_the_corpus_has_24_workflows_and_60_steps() -> None:
    files = _corpus_files()
    assert len(files) == 24
    assert sum(len(_Plan(p).steps) for p in files) == 60


def test_missing_optional_input_is_left_out_of_the_payload(server: LoopbackServer) -> None:
    """A payload member whose value is exactly an optional input the run was not given is not sent."""
    path = ARAZZO_DIR / "stytch-b2b-password-auth-session-workflow.yml"
    plan = _Plan(path)
    _script(server, plan)
    raw_steps = plan.steps
    required = (_raw(path)["workflows"][0].get("inputs") or {}).get("required") or []
    first_payload = raw_steps[0]["requestBody"]["payload"]
    optional = [name for name in plan.inputs if name not in required and f"$inputs.{name}" in first_payload.values()]
    assert optional, "the first step of this workflow reads an optional input"
    inputs = {k: v for k, v in plan.inputs.items() if k != optional[0]}
    result = run_workflow(load(path), plan.workflow_id, inputs, servers=server.url, credentials=CREDENTIALS)
    assert result.status == "succeeded", result.error
    sent = server.requests[0].json()
    member = next(key for key, value in first_payload.items() if value == f"$inputs.{optional[0]}")
    assert member not in sent
    assert {k for k in first_payload if k != member} <= set(sent)
