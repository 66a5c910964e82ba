"""Contract checks: every response against the OpenAPI operation that produced it.

Four named checks, each a :class:`~arazzo_runner.result.CheckResult` on the step:

* ``status-code``: the status is declared by the operation (exactly, as ``2XX``, or by ``default``);
* ``content-type``: the response's media type is declared for that status;
* ``schema``: a JSON body is valid against the schema declared for that status and media type;
* ``headers``: the response headers the operation marks ``required`` are present.

Validators are built once per operation, status and media type, with the description's own
documents as the ``$ref`` registry (nothing is copied or expanded), and cached on the checker.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from ..errors import ArazzoError
from ..openapi.index import Operation
from ..openapi.media import is_json, media_type
from ..result import CheckResult, CheckSeverity

__all__ = ["CHECK_NAMES", "ContractChecker", "parse_severities"]

CHECK_NAMES = ("status-code", "content-type", "schema", "headers")
SEVERITIES = ("error", "warn", "off")
MAX_SCHEMA_ERRORS = 3


def parse_severities(spec: str | Mapping[str, str] | None, default: CheckSeverity) -> dict[str, CheckSeverity]:
    """``"schema=warn,status-code=off"`` (or a mapping) over ``default`` for every check.

    ``all=SEVERITY`` (or a bare ``SEVERITY``) sets every check.
    Raises ``ValueError`` naming an unknown check or severity.
    """
    severities: dict[str, CheckSeverity] = dict.fromkeys(CHECK_NAMES, default)
    if spec is None:
        return severities
    items = spec.items() if isinstance(spec, Mapping) else (_pair(part) for part in spec.split(",") if part.strip())
    for name, severity in items:
        name, severity = name.strip(), severity.strip().lower()
        if name != "all" and name not in CHECK_NAMES:
            raise ValueError(f"unknown check {name!r}; the checks are {', '.join(CHECK_NAMES)} (or all)")
        if severity not in SEVERITIES:
            raise ValueError(f"check {name!r}: severity must be error, warn or off, not {severity!r}")
        for target in CHECK_NAMES if name == "all" else (name,):
            severities[target] = severity  # type: ignore[assignment]
    return severities


def _pair(text: str) -> tuple[str, str]:
    name, sep, severity = text.partition("=")
    if not sep and name.strip().lower() in SEVERITIES:
        return "all", name  # a bare severity sets every check
    if not sep:
        raise ValueError(f"expected NAME=SEVERITY, got {text.strip()!r}")
    return name, severity


@dataclass(frozen=True)
class _Declared:
    """What one operation declares for one response status key."""

    key: str | None  # "200", "2XX", "default"; None when the status is not declared
    media: Mapping[str, str]  # declared media type (lower case) -> pointer of its schema ("" for none)
    document: str  # URL of the document the response object lives in
    required_headers: tuple[str, ...]


class ContractChecker:
    """Checks responses against their operations, with a severity per check (``error``, ``warn``, ``off``)."""

    def __init__(self, severities: Mapping[str, CheckSeverity] | str | None = None) -> None:
        if isinstance(severities, str) or severities is None:
            self.severities = parse_severities(severities, "warn")
        else:
            self.severities = {**dict.fromkeys(CHECK_NAMES, "warn"), **severities}
        self._declared: dict[tuple[int, int], _Declared] = {}
        self._validators: dict[tuple[int, str], Any] = {}
        self._quick_checks: dict[tuple[int, str], Any] = {}
        self._lock = threading.Lock()

    def __call__(
        self, operation: Operation, status: int, headers: Mapping[str, str], body: Any, body_kind: str
    ) -> tuple[CheckResult, ...]:
        """The results of every check that is not ``off``, for one response (``headers`` lower-cased)."""
        declared = self._declared_for(operation, status)
        content_type = headers.get("content-type")
        media = media_type(content_type)
        results: list[CheckResult] = []
        sev = self.severities
        if sev["status-code"] != "off":
            results.append(self._status(operation, status, declared))
        schema_pointer = self._match_media(declared, media) if declared.key is not None else None
        if sev["content-type"] != "off":
            results.append(self._content_type(declared, media, body_kind, schema_pointer))
        if sev["schema"] != "off":
            results.append(self._schema(operation, declared, media, body, body_kind, schema_pointer))
        if sev["headers"] != "off":
            results.append(self._headers(declared, headers))
        return tuple(results)

    def check_message(
        self, message: Any, headers: Mapping[str, str], body: Any, body_kind: str
    ) -> tuple[CheckResult, ...]:
        """The checks of a message an AsyncAPI receive step took (``message``: its ``asyncapi.index.Message``),
        at the same severities (see :mod:`.messages`)."""
        from .messages import message_checks

        return message_checks(self.severities, message, headers, body, body_kind, _describe)

    # -- the checks ------------------------------------------------------
    def _status(self, operation: Operation, status: int, declared: _Declared) -> CheckResult:
        severity = self.severities["status-code"]
        if declared.key is None:
            listed = ", ".join(str(key) for key in (operation.data.get("responses") or {})) or "none"
            message = f"status {status} is not declared by {operation.label} (declared: {listed})"
            return CheckResult("status-code", "failed", severity, message)
        return CheckResult("status-code", "passed", severity, f"{status} matches {declared.key!r}")

    def _content_type(self, declared: _Declared, media: str, body_kind: str, schema_pointer: str | None) -> CheckResult:
        severity = self.severities["content-type"]
        if declared.key is None:
            return CheckResult("content-type", "skipped", severity, "the status is not declared")
        if body_kind == "empty" and not media:
            return CheckResult("content-type", "passed", severity, "no body")
        if schema_pointer is not None:
            return CheckResult("content-type", "passed", severity, f"{media} is declared")
        if not declared.media:
            return CheckResult(
                "content-type",
                "failed",
                severity,
                f"a {media or 'body'} body, but {declared.key!r} declares no content",
            )
        listed = ", ".join(declared.media)
        return CheckResult(
            "content-type",
            "failed",
            severity,
            f"{media or 'no Content-Type'} is not declared for {declared.key!r} (declared: {listed})",
        )

    def _schema(
        self,
        operation: Operation,
        declared: _Declared,
        media: str,
        body: Any,
        body_kind: str,
        schema_pointer: str | None,
    ) -> CheckResult:
        severity = self.severities["schema"]
        if declared.key is None:
            return CheckResult("schema", "skipped", severity, "the status is not declared")
        if schema_pointer is None:
            return CheckResult("schema", "skipped", severity, f"no media type declared for {media or 'the body'}")
        if not schema_pointer:
            return CheckResult("schema", "skipped", severity, f"no schema declared for {declared.key!r} {media}")
        if not is_json(media) or body_kind not in ("json", "empty"):
            reason = "the body is not valid JSON" if is_json(media) else f"{media} bodies are not checked"
            if is_json(media):
                return CheckResult("schema", "failed", severity, reason)
            return CheckResult("schema", "skipped", severity, reason)
        if body_kind == "empty":
            return CheckResult("schema", "failed", severity, f"no body, but {declared.key!r} {media} declares one")
        quick = self._quick(operation, declared.document, schema_pointer)
        if quick is not None and quick(body):
            return CheckResult("schema", "passed", severity, f"valid against {declared.key!r} {media}")
        validator = self._validator(operation, declared.document, schema_pointer)
        if validator is None:
            return CheckResult("schema", "skipped", severity, "the schema could not be read")
        errors = sorted(validator.iter_errors(body), key=lambda e: (list(e.absolute_path), e.validator))
        if not errors:
            return CheckResult("schema", "passed", severity, f"valid against {declared.key!r} {media}")
        shown = "; ".join(_describe(error) for error in errors[:MAX_SCHEMA_ERRORS])
        more = f" (+{len(errors) - MAX_SCHEMA_ERRORS} more)" if len(errors) > MAX_SCHEMA_ERRORS else ""
        return CheckResult("schema", "failed", severity, shown + more)

    def _headers(self, declared: _Declared, headers: Mapping[str, str]) -> CheckResult:
        severity = self.severities["headers"]
        if declared.key is None:
            return CheckResult("headers", "skipped", severity, "the status is not declared")
        if not declared.required_headers:
            return CheckResult("headers", "skipped", severity, "no required response headers are declared")
        missing = [name for name in declared.required_headers if name.lower() not in headers]
        if missing:
            return CheckResult("headers", "failed", severity, f"required header {', '.join(missing)} missing")
        return CheckResult("headers", "passed", severity, f"{', '.join(declared.required_headers)} present")

    # -- what the operation declares, read once ----------------------------
    def _declared_for(self, operation: Operation, status: int) -> _Declared:
        key = (id(operation), status)
        found = self._declared.get(key)
        if found is None:
            found = _read_declared(operation, status)
            with self._lock:
                self._declared[key] = found
        return found

    @staticmethod
    def _match_media(declared: _Declared, media: str) -> str | None:
        """The schema pointer for ``media`` (exact, ``type/*``, ``*/*``).

        ``""`` when the media type is declared without a schema, None when it is not declared.
        """
        if media in declared.media:
            return declared.media[media]
        wildcard = media.split("/", 1)[0] + "/*"
        for candidate in (wildcard, "*/*"):
            if candidate in declared.media:
                return declared.media[candidate]
        return None

    def _quick(self, operation: Operation, document: str, pointer: str) -> Any:
        """A quick "surely valid" closure for the schema, or None."""
        key = (id(operation.description), f"{document}#{pointer}")
        if key in self._quick_checks:
            return self._quick_checks[key]
        check = _quick_check(operation, document, pointer)
        with self._lock:
            self._quick_checks[key] = check
        return check

    def _validator(self, operation: Operation, document: str, pointer: str) -> Any:
        """The jsonschema validator that judges what the quick closure does not: made (and jsonschema and
        openapi-schema-validator imported) only when a body needs it."""
        key = (id(operation.description), f"{document}#{pointer}")
        if key in self._validators:
            return self._validators[key]
        validator = _build_validator(operation, document, pointer)
        with self._lock:
            self._validators[key] = validator
        return validator


def _read_declared(operation: Operation, status: int) -> _Declared:
    description = operation.description
    responses = operation.data.get("responses")
    if not isinstance(responses, Mapping):
        return _Declared(None, {}, operation.document_url, ())
    text = str(status)
    for candidate in (text, f"{text[0]}XX", f"{text[0]}xx", "default"):
        if candidate in responses:
            break
    else:
        return _Declared(None, {}, operation.document_url, ())
    document = operation.document_url or description.url
    pointer = f"{operation.pointer}/responses/{_escape(candidate)}"
    node = responses[candidate]
    seen = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        ref = node["$ref"]
        seen.add(ref)
        node = description.lookup_ref(ref, base=document)
        document, pointer = urldefrag(urljoin(document, ref))
    if not isinstance(node, Mapping):
        return _Declared(candidate, {}, document, ())
    media: dict[str, str] = {}
    if description.is_swagger2:
        schema = node.get("schema")
        for produced in operation.data.get("produces") or description.data.get("produces") or ["application/json"]:
            media[media_type(str(produced))] = f"{pointer}/schema" if schema is not None else ""
    else:
        content = node.get("content")
        if isinstance(content, Mapping):
            for name, entry in content.items():
                has_schema = isinstance(entry, Mapping) and entry.get("schema") is not None
                media[media_type(str(name))] = f"{pointer}/content/{_escape(str(name))}/schema" if has_schema else ""
    required: list[str] = []
    header_map = node.get("headers")
    if isinstance(header_map, Mapping) and not description.is_swagger2:
        for name, header in header_map.items():
            resolved = description.resolve(header, base=document)
            if (
                isinstance(resolved, Mapping)
                and resolved.get("required") is True
                and str(name).lower() != "content-type"
            ):
                required.append(str(name))
    return _Declared(candidate, media, document, tuple(required))


def _quick_check(operation: Operation, document: str, pointer: str) -> Any:
    from .fastschema import Unsupported, compile_schema

    description = operation.description
    try:
        schema = description.lookup_ref(f"#{pointer}", base=document)
        return compile_schema(
            schema,
            document,
            lambda ref, base: description.lookup_ref(ref, base=base),
            nullable_keyword=description.version.startswith("3.0"),
        )
    except (Unsupported, ArazzoError, KeyError, TypeError, ValueError, RecursionError):
        return None


def _build_validator(operation: Operation, document: str, pointer: str) -> Any:
    """A validator for the schema at ``document#pointer`` whose ``$ref``s resolve in the description's files."""
    from jsonschema.exceptions import SchemaError
    from openapi_schema_validator import OAS30Validator, OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4, DRAFT202012

    description = operation.description
    modern = description.version.startswith("3.1") or description.version.startswith("3.2")
    specification = DRAFT202012 if modern else DRAFT4

    def retrieve(uri: str) -> Resource[Any]:
        return Resource.from_contents(description.lookup_ref("#", base=uri), default_specification=specification)

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    validator_class = OAS31Validator if modern else OAS30Validator
    try:
        return validator_class({"$ref": f"{document}#{pointer}"}, registry=registry)
    except (SchemaError, ValueError, TypeError):
        return None


def _describe(error: Any) -> str:
    """``/id: expected integer, got string "seven"`` for a type error; the validator's words otherwise."""
    pointer = "".join(f"/{_escape(str(part))}" for part in error.absolute_path) or "/"
    if error.validator == "type":
        expected = error.validator_value
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return f"{pointer}: expected {expected_text}, got {_json_type(error.instance)} {_short(error.instance)}"
    if error.validator == "required":
        return f"{pointer}: {error.message} (schema rule 'required')"
    return f"{pointer}: {_short_message(error.message)} (schema rule {error.validator!r})"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_message(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
