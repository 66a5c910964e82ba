"""The mock itself: one request in, one response out, answered from the OpenAPI descriptions.

:class:`MockResponder` knows nothing of httpx or sockets (the in-process
transport and the ``arazzo-runner mock`` server both wrap it). For each request:

1. find the operation (:mod:`.router`): 404 if no path matches, 405 if only the method is wrong;
2. attribute the request to a step (see below) and pick the scenario entry, if any;
3. validate the request (:mod:`.validate`): 400 listing every problem, 401 for missing credentials;
4. choose the status: the scenario's, else the one the step's success criteria name
   (``$statusCode == 200``), else the first documented 2xx;
5. answer with the operation's example for that status, else a value generated from
   the response schema (:mod:`.generate`), echoing request values into same-named fields:
   the values of this request (path and query parameters, body fields at any depth, the
   outermost winning), then those of earlier requests of the run, so an ``email_address``
   sent when a member is created comes back when the member is read; an ``*_id`` the mock
   made up in an earlier response is reused for a field of that name (the ``user_id`` a
   create answered is the one a later search lists).

Step attribution: the transport sees requests, not steps. The steps that call
each operation are listed in document order: those of ``workflow`` and of the
workflows it reaches (nested steps, ``goto`` and ``dependsOn``) when it is
given, else every workflow of every Arazzo document loaded. The n-th request to
an operation is attributed to the n-th of those steps, and every later request
to the last one, except that a request repeating the previous request's
operation stays with that step when the step has a ``retry`` action (it is
being retried). With one step per operation (the common case) this is exact;
when several steps share an operation it is exact when they run in that order.
A step is named in a 400 message only when the attribution is unambiguous.
Per-run state (call counters) lives in the responder, which is created per run;
a lock keeps it consistent under the threaded HTTP server.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..openapi.index import OpenAPIDescription, Operation
from ..openapi.media import is_json
from ..plan.model import ArazzoDocument, Step, Workflow
from .generate import ValueGenerator, first_example
from .router import Router
from .scenario import Override, Scenario, load_scenario
from .validate import ValidationInput, validate_request

__all__ = ["MockExchange", "MockResponder", "MockResponse"]

_STATUS_CRITERION = re.compile(r"\$statusCode\s*==\s*([1-5]\d\d)\b")
_JSON = "application/json"


@dataclass(frozen=True)
class MockResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class MockExchange:
    """One request the mock answered: for tests and for the server's log."""

    method: str
    url: str
    operation_id: str | None
    step_id: str | None
    status: int
    problems: tuple[str, ...] = ()


@dataclass
class _Plan:
    steps: list[Step] = field(default_factory=list)
    calls: int = 0


class MockResponder:
    """Answers requests from the operations of ``descriptions``; ``document`` (optional) adds step knowledge."""

    def __init__(
        self,
        descriptions: Iterable[OpenAPIDescription],
        *,
        document: ArazzoDocument | None = None,
        workflow: str | None = None,
        seed: int = 0,
        scenario: str | os.PathLike[str] | Mapping[str, Any] | Scenario | None = None,
        validate: bool = True,
    ) -> None:
        self.descriptions = list(descriptions)
        self.seed = seed
        self.validate = validate
        self.router = Router(self.descriptions)
        self.log: list[MockExchange] = []
        self._resolved_responses: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._step_calls: dict[str, int] = {}
        self._op_calls: dict[str, int] = {}
        self._previous: tuple[tuple[str, str], Step | None] | None = None
        self._sent: dict[str, Any] = {}  # every value sent so far in this run, by field name
        self._made_up_ids: dict[str, str] = {}  # every *_id the mock generated so far in this run, by field name
        step_ids: list[str] = []
        if document is not None:
            for step in _document_steps(document, workflow):
                step_ids.append(step.step_id)
                if step.operation is not None:
                    self._plans.setdefault(_key(step.operation.operation), _Plan()).steps.append(step)
        operation_ids = [op.operation_id for d in self.descriptions for op in d.operations if op.operation_id]
        if isinstance(scenario, Scenario):
            self.scenario = scenario
        else:
            self.scenario = load_scenario(scenario, step_ids, operation_ids)

    @classmethod
    def for_document(cls, document: ArazzoDocument, **options: Any) -> MockResponder:
        return cls(document.documents.openapi.values(), document=document, **options)

    # -- one request ------------------------------------------------------------
    def respond(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> MockResponse:
        method = method.upper()
        try:
            urlsplit(url)
        except ValueError as exc:  # Host: [ and the like
            message = f"mock: {url[:80]!r} is not a URL ({exc})"
            return MockResponse(400, (("Content-Type", _JSON),), json.dumps(_error_body(400, message)).encode())
        for name, value in headers:
            if any(c in name or c in value for c in "\r\n\0"):  # no HTTP parser delivers these; answer in words
                message = f"mock: header {name[:40]!r} holds a line break or NUL, which HTTP does not allow"
                return self._answer(method, url, None, None, 400, _error_body(400, message))
        match, allowed = self.router.match(method, url)
        if match is None and method == "HEAD":  # HEAD is GET without the body, unless described on its own
            answer = self.respond("GET", url, headers, body)
            return answer if answer.status == 405 else MockResponse(answer.status, answer.headers, b"")
        if match is None:
            if allowed:
                message = f"mock: {method} is not an operation at {urlsplit(url).path}; allowed: {', '.join(allowed)}"
                return self._answer(
                    method, url, None, None, 405, _error_body(405, message), [("Allow", ", ".join(allowed))]
                )
            known = ", ".join(d.display for d in self.descriptions) or "(no descriptions)"
            message = f"mock: no operation of {known} matches {method} {urlsplit(url).path}"
            return self._answer(method, url, None, None, 404, _error_body(404, message))
        operation = match.operation
        split = urlsplit(url)
        with self._lock:
            step, override, call_index = self._attribute(operation)
        label = operation.operation_id or operation.label
        if self.validate:
            problems = validate_request(
                operation, ValidationInput(method, split.query, headers, body, match.path_params)
            )
            if problems:
                status = 401 if problems.unauthorized else 400
                who = f"step {step.step_id!r} " if step is not None and self._unambiguous(operation) else ""
                message = f"mock: invalid request {who}to {label}: " + "; ".join(problems.problems)
                payload = _error_body(status, message, problems.problems)
                return self._answer(method, url, operation, step, status, payload, problems=tuple(problems.problems))
        status = self._status(operation, step, override)
        sent = _echo_values(match.path_params, split.query, headers, body)
        with self._lock:
            echo = {**self._sent, **sent}  # this request's values win over earlier ones
            self._sent.update(sent)
        rng = random.Random(f"{self.seed}|{operation.description.url}|{operation.pointer}|{call_index}|{status}")
        generator = ValueGenerator(
            operation.description.resolve, rng, echo=echo, status_code=status, memory=self._made_up_ids
        )
        content_type: str | None = _JSON
        extra: list[tuple[str, str]] = []
        if override is not None and override.has_body:
            payload = override.body
        else:
            content_type, payload, extra = self._documented(operation, status, generator)
        response_headers = [*extra, *(override.headers if override else ())]
        response_headers += [("X-Mock-Note", note) for note in generator.notes]  # a capped value says so
        return self._answer(method, url, operation, step, status, payload, response_headers, content_type)

    def _attribute(self, operation: Operation) -> tuple[Step | None, Override | None, int]:
        key = _key(operation)
        plan = self._plans.get(key)
        step: Step | None = None
        previous = self._previous
        if previous is not None and previous[0] == key and previous[1] is not None and _retries(previous[1]):
            step = previous[1]
        elif plan is not None and plan.steps:
            step = plan.steps[min(plan.calls, len(plan.steps) - 1)]
            plan.calls += 1
        self._previous = (key, step)
        op_id = operation.operation_id or operation.label
        op_index = self._op_calls.get(op_id, 0)
        self._op_calls[op_id] = op_index + 1
        override: Override | None = None
        if step is not None and step.step_id in self.scenario.steps:
            index = self._step_calls.get(step.step_id, 0)
            self._step_calls[step.step_id] = index + 1
            entries = self.scenario.steps[step.step_id]
            override = entries[min(index, len(entries) - 1)]
        elif operation.operation_id is not None and operation.operation_id in self.scenario.operations:
            entries = self.scenario.operations[operation.operation_id]
            override = entries[min(op_index, len(entries) - 1)]
        return step, override, op_index

    def _unambiguous(self, operation: Operation) -> bool:
        plan = self._plans.get(_key(operation))
        return plan is not None and len({step.step_id for step in plan.steps}) == 1

    def _status(self, operation: Operation, step: Step | None, override: Override | None) -> int:
        if override is not None and override.status is not None:
            return override.status
        if step is not None:
            for spec in step.success_criteria:
                hit = _STATUS_CRITERION.search(spec.text)
                if hit:
                    return int(hit.group(1))
        responses = operation.data.get("responses")
        if isinstance(responses, Mapping):
            for code in responses:
                text = str(code)
                if text.startswith("2") and text.isdigit():
                    return int(text)
            for code in responses:
                if str(code).upper() == "2XX":
                    return 200
        return 200

    def _responses_of(self, operation: Operation) -> Any:
        """The operation's responses with every $ref resolved from the file it is written in (once)."""
        key = _key(operation)
        cached = self._resolved_responses.get(key)
        if cached is None:
            cached = operation.description.resolve_deep(
                operation.data.get("responses"), base=operation.document_url or None
            )
            self._resolved_responses[key] = cached
        return cached

    def _documented(
        self, operation: Operation, status: int, generator: ValueGenerator
    ) -> tuple[str | None, Any, list[tuple[str, str]]]:
        """(content type, body value, headers) of the response the description documents for ``status``."""
        description = operation.description
        responses = self._responses_of(operation)
        response: Any = None
        if isinstance(responses, Mapping):
            for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
                if key in responses:
                    response = description.resolve(responses[key])
                    break
        if not isinstance(response, Mapping):
            if 200 <= status < 300:
                return None, None, []
            return _JSON, _error_body(status, f"mock: status {status} (not documented by {operation.label})"), []
        headers: list[tuple[str, str]] = []
        declared = response.get("headers")
        if isinstance(declared, Mapping):
            for name, raw in declared.items():
                header = description.resolve(raw)
                if not isinstance(header, Mapping) or str(name).lower() == "content-type":
                    continue
                found, value = first_example(header, description.resolve)
                if not found:
                    value = generator.generate(header.get("schema") or {"type": "string"}, str(name))
                headers.append((str(name), value if isinstance(value, str) else json.dumps(value)))
        if description.is_swagger2:
            produces = operation.data.get("produces") or description.data.get("produces") or [_JSON]
            content: Any = {
                str(produces[0]): {
                    "schema": response.get("schema"),
                    **(
                        {"example": response["examples"][produces[0]]}
                        if isinstance(response.get("examples"), Mapping) and produces[0] in response["examples"]
                        else {}
                    ),
                }
            }
        else:
            content = response.get("content")
        if not isinstance(content, Mapping) or not content:
            return None, None, headers
        media_type = _pick_media_type(list(content))
        media = description.resolve(content[media_type])
        if not isinstance(media, Mapping):
            media = {}
        found, value = first_example(media, description.resolve)
        if found:
            value = generator.apply_echo(value)
        elif media.get("schema") is not None:
            value = generator.generate(media["schema"])
        else:
            value = None
        return media_type, value, headers

    def _answer(
        self,
        method: str,
        url: str,
        operation: Operation | None,
        step: Step | None,
        status: int,
        payload: Any,
        headers: list[tuple[str, str]] | None = None,
        content_type: str | None = _JSON,
        problems: tuple[str, ...] = (),
    ) -> MockResponse:
        out = list(headers or [])
        if operation is not None:
            out.append(("X-Mock-Operation", operation.operation_id or operation.label))
        body = _encode(payload, content_type)
        if body and content_type and not any(k.lower() == "content-type" for k, _ in out):
            out.append(("Content-Type", content_type))
        exchange = MockExchange(
            method, url, operation.operation_id if operation else None, step.step_id if step else None, status, problems
        )
        with self._lock:
            self.log.append(exchange)
        return MockResponse(status, tuple(out), body)


def _document_steps(document: ArazzoDocument, workflow_id: str | None) -> list[Step]:
    """The steps a run may execute, in document order (see the module docstring)."""
    if workflow_id is None:
        documents = [document, *(d for url, d in document.documents.arazzo.items() if url != document.url)]
        return [step for doc in documents for wf in doc.workflows.values() for step in wf.steps]
    steps: list[Step] = []
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[ArazzoDocument, Workflow]] = [(document, document.workflow(workflow_id))]
    while pending:
        doc, wf = pending.pop(0)
        if (doc.url, wf.workflow_id) in seen:
            continue
        seen.add((doc.url, wf.workflow_id))
        steps.extend(wf.steps)
        refs = [*wf.depends_on]
        for step in wf.steps:
            if step.workflow is not None:
                refs.append(step.workflow)
            refs.extend(a.workflow for a in (*step.on_success, *step.on_failure) if a.workflow is not None)
        for ref in refs:
            pending.append(doc.resolve_workflow(ref))
    return steps


def _retries(step: Step) -> bool:
    return any(action.kind == "retry" for action in step.on_failure)


def _key(operation: Operation) -> tuple[str, str]:
    return (operation.description.url, operation.pointer)


def _pick_media_type(types: list[str]) -> str:
    for media in types:
        if is_json(media):
            return media
    for media in types:
        if "*" not in media:
            return media
    return _JSON


def _encode(payload: Any, content_type: str | None) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    if is_json(content_type or _JSON):
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _error_body(status: int, message: str, problems: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "status_code": status}
    if problems is not None:
        body["problems"] = problems
    return body


def _echo_values(
    path_params: Mapping[str, str], query: str, headers: list[tuple[str, str]], body: bytes
) -> dict[str, Any]:
    """Values a response should echo: body fields (outermost first), then query, then path parameters."""
    echo: dict[str, Any] = {}
    for name, value in path_params.items():
        echo[name] = value
    for name, value in parse_qsl(query, keep_blank_values=False):
        echo.setdefault(name, value)
    if body:
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "").lower()
        parsed: Any = None
        if "json" in content_type or not content_type:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        elif "x-www-form-urlencoded" in content_type:
            parsed = dict(parse_qsl(body.decode("utf-8", errors="replace")))
        level = [parsed] if isinstance(parsed, dict) else []
        found: dict[str, Any] = {}
        while level:  # breadth first: an outer field wins over a nested one of the same name
            next_level: list[Any] = []
            for node in level:
                for name, value in node.items():
                    if isinstance(value, dict):
                        next_level.append(value)
                    elif not isinstance(value, list) and value is not None:
                        found.setdefault(name, value)
            level = next_level
        echo.update(found)  # what the body sent wins over the URL
    return echo
