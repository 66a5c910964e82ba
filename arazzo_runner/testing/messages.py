"""Contract checks of a message an AsyncAPI receive step took, against the message its operation declares.

The same :class:`~arazzo_runner.result.CheckResult` and severities as for HTTP responses
(:mod:`.contract`), for the checks that apply to a message (there is no status code):

* ``content-type``: the message's content type (as it came, else the declared one) is the declared one;
* ``schema``: a JSON payload is valid against the message's ``payload`` schema;
* ``headers``: the message's headers are valid against its ``headers`` schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..asyncapi.index import Message
from ..openapi.media import is_json, media_type
from ..result import CheckResult, CheckSeverity

__all__ = ["message_checks"]

MAX_ERRORS = 3


def message_checks(
    severities: Mapping[str, CheckSeverity],
    message: Message,
    headers: Mapping[str, str],
    body: Any,
    body_kind: str,
    describe: Callable[[Any], str],
) -> tuple[CheckResult, ...]:
    """The results of every check that is not ``off``, for one received message (``headers`` as they came)."""
    results: list[CheckResult] = []
    lowered = {str(k).lower(): v for k, v in headers.items()}
    declared = media_type(message.content_type) if message.content_type else ""
    came = media_type(lowered["content-type"]) if lowered.get("content-type") else declared
    if severities.get("content-type", "off") != "off":
        severity = severities["content-type"]
        if not declared or came == declared:
            results.append(CheckResult("content-type", "passed", severity, f"{came or 'no content type'} as declared"))
        else:
            text = f"{came} is not the content type message {message.name!r} declares ({declared})"
            results.append(CheckResult("content-type", "failed", severity, text))
    if severities.get("schema", "off") != "off":
        results.append(_payload(severities["schema"], message, came or declared, body, body_kind, describe))
    if severities.get("headers", "off") != "off":
        severity = severities["headers"]
        if not isinstance(message.headers, Mapping):
            results.append(CheckResult("headers", "skipped", severity, f"message {message.name!r} declares no headers"))
        else:
            wanted = {str(k).lower() for k in (message.headers.get("properties") or {})}
            # The binding's own content-type header is checked above, not against the headers schema.
            given = {k: v for k, v in headers.items() if str(k).lower() != "content-type" or "content-type" in wanted}
            errors = _errors(given, message.headers, describe)
            if errors:
                results.append(CheckResult("headers", "failed", severity, errors))
            else:
                results.append(CheckResult("headers", "passed", severity, f"valid against {message.name!r} headers"))
    return tuple(results)


def _payload(
    severity: CheckSeverity, message: Message, media: str, body: Any, body_kind: str, describe: Callable[[Any], str]
) -> CheckResult:
    if not isinstance(message.payload, Mapping):
        return CheckResult("schema", "skipped", severity, f"message {message.name!r} declares no payload schema")
    if body_kind != "json":
        if is_json(media):
            return CheckResult("schema", "failed", severity, "the payload is not valid JSON")
        return CheckResult("schema", "skipped", severity, f"{media or 'non-JSON'} payloads are not checked")
    errors = _errors(body, message.payload, describe)
    if errors:
        return CheckResult("schema", "failed", severity, errors)
    return CheckResult("schema", "passed", severity, f"valid against message {message.name!r}")


def _errors(value: Any, schema: Mapping[str, Any], describe: Callable[[Any], str]) -> str:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        found = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    except SchemaError as exc:
        return f"the schema cannot be used: {exc.message}"
    shown = "; ".join(describe(error) for error in found[:MAX_ERRORS])
    more = f" (+{len(found) - MAX_ERRORS} more)" if len(found) > MAX_ERRORS else ""
    return shown + more if found else ""
