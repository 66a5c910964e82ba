"""AsyncAPI sources and steps (Arazzo 1.1): the AsyncAPI document read at load, each step bound to its operation.

A step names an AsyncAPI operation (``operationId``, bare or
``$sourceDescriptions.<name>.<id>``) or a channel (``channelPath``:
``$sourceDescriptions.<name>#/channels/<key>``) and an ``action``. What it
sends (``parameters`` ``in: header`` and ``requestBody.payload``), its
``correlationId``, ``successCriteria`` and ``outputs`` are compiled like any
step's; the server, channel and message come from the AsyncAPI document.
Errors name the place in the Arazzo file (ARZ154) or in the AsyncAPI file
(ARZ010).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..asyncapi.index import AsyncAPIDescription, Channel, Message, Operation, load_asyncapi
from ..asyncapi.plan import AsyncTarget
from ..errors import ArazzoError
from ..plan.model import Action, Step
from ..sources.fetch import display_name
from ..sources.pointer import escape_pointer_token
from .steps11 import depends_on, step_timeout

if TYPE_CHECKING:
    from .base import DocumentScope
    from .steps import StepCompiler

__all__ = ["async_step", "load_asyncapi_source"]


_CACHE: dict[int, dict[str, AsyncAPIDescription]] = {}


def load_asyncapi_source(documents: Any, name: str, url: str, pointer: str) -> None:
    """Read the AsyncAPI document of source ``name`` (once per load), or report why it cannot be used."""
    compiler = documents.scope
    context = compiler.context
    cache = context.document_set.__dict__.setdefault("asyncapi", {})
    description = cache.get(url)
    if description is None:
        if context.read is None:
            return
        try:
            description = load_asyncapi(url, display_name(url), context.read(url))
        except ArazzoError as exc:
            where = f" ({exc.location})" if getattr(exc, "location", None) else ""
            compiler.diag.error(
                "ARZ010", f"cannot load AsyncAPI source: {exc.message}{where}", compiler.loc(f"{pointer}/url")
            )
            return
        cache[url] = description
    compiler.asyncapi_sources[name] = description


def _find(
    compiler: DocumentScope, raw: Mapping[str, Any], pointer: str
) -> tuple[str, Operation | None, Channel] | None:
    sources: dict[str, AsyncAPIDescription] = compiler.asyncapi_sources
    if "channelPath" in raw:
        text = str(raw["channelPath"])
        head, _, fragment = text.partition("#")
        name = head[len("$sourceDescriptions.") :] if head.startswith("$sourceDescriptions.") else ""
        description = sources.get(name)
        if description is None:
            compiler.error(
                f"{pointer}/channelPath",
                f"channelPath {text!r} does not name an AsyncAPI source; AsyncAPI sources: "
                + (", ".join(sorted(sources)) or "none"),
                "ARZ154",
            )
            return None
        channel = description.channel_by_path(fragment)
        if channel is None:
            compiler.error(
                f"{pointer}/channelPath",
                f"{description.display} has no channel at {fragment!r}; channels: "
                + ", ".join(sorted(description.channels)),
                "ARZ154",
            )
            return None
        return name, None, channel
    text = str(raw.get("operationId"))
    if text.startswith("$sourceDescriptions."):
        name, _, op_id = text[len("$sourceDescriptions.") :].partition(".")
        candidates = [name] if name in sources else []
    else:
        op_id, candidates = text, [n for n, d in sources.items() if text in d.operations]
    for name in candidates:
        op = sources[name].operations.get(op_id)
        if op is not None:
            return name, op, op.channel
    known = sorted({o for d in sources.values() for o in d.operations})
    compiler.error(
        f"{pointer}/operationId", f"no AsyncAPI operation {text!r}; operations: {', '.join(known) or 'none'}", "ARZ154"
    )
    return None


def async_step(
    steps: StepCompiler,
    raw: Mapping[str, Any],
    pointer: str,
    index: int,
    step_id: str,
    wf_success: list[Action],
    wf_failure: list[Action],
) -> Step | None:
    from .steps import merge_actions

    compiler = steps.scope
    on_success = steps.actions(compiler.object_list(raw, "onSuccess", pointer), f"{pointer}/onSuccess", "success")
    on_failure = steps.actions(compiler.object_list(raw, "onFailure", pointer), f"{pointer}/onFailure", "failure")
    params = steps.parameters(compiler.object_list(raw, "parameters", pointer), f"{pointer}/parameters")
    criteria = steps._criteria(compiler.object_list(raw, "successCriteria", pointer), f"{pointer}/successCriteria")
    outputs = steps.outputs(raw.get("outputs"), f"{pointer}/outputs")
    body = steps._request_body(raw["requestBody"], f"{pointer}/requestBody") if "requestBody" in raw else None
    correlation = (
        compiler.compile_value(raw["correlationId"], f"{pointer}/correlationId") if "correlationId" in raw else None
    )
    found = _find(compiler, raw, pointer)
    if found is None:
        return None
    source, operation, channel = found
    action = (
        raw.get("action") if raw.get("action") in ("send", "receive") else (operation.action if operation else None)
    )
    if action is None:
        compiler.error(pointer, "an AsyncAPI step with 'channelPath' needs 'action' (send or receive)", "ARZ154")
        return None
    if operation is not None and "action" in raw and raw["action"] != operation.action:
        compiler.error(
            f"{pointer}/action",
            f"action {raw['action']!r} does not match AsyncAPI operation {operation.operation_id!r}, "
            f"which is a {operation.action} operation",
            "ARZ154",
        )
    messages = operation.messages if operation is not None else channel.messages
    if correlation is not None and messages and not any(m.correlation_location for m in messages):
        compiler.warning(
            f"{pointer}/correlationId",
            f"no message of channel {channel.address!r} declares a correlationId location; the payload's "
            "'correlationId' field is compared",
            "ARZ154",
        )
    if action == "send" and messages and isinstance(raw.get("requestBody"), Mapping):
        _check_payload(compiler, raw["requestBody"].get("payload"), messages[0], f"{pointer}/requestBody/payload")
    for i, param in enumerate(params):
        if param.location not in (None, "header"):
            compiler.error(
                f"{pointer}/parameters/{i}",
                f"parameter {param.name!r} of an AsyncAPI step must be in: header",
                "ARZ154",
            )
    target = AsyncTarget(
        source=source,
        action=str(action),
        channel=channel,
        operation_id=operation.operation_id if operation is not None else None,
        messages=messages,
        correlation_id=correlation,
        servers=tuple(compiler.asyncapi_sources[source].servers_for(channel)),
    )
    return Step(
        step_id=step_id,
        index=index,
        description=raw.get("description") if isinstance(raw.get("description"), str) else None,
        operation=None,
        workflow=None,
        parameters=tuple(params),
        request_body=body,
        success_criteria=tuple(criteria),
        on_success=tuple(merge_actions(on_success, wf_success)),
        on_failure=tuple(merge_actions(on_failure, wf_failure)),
        outputs=outputs,
        location=compiler.loc(pointer),
        timeout_ms=step_timeout(compiler, raw, pointer),
        depends_on=depends_on(compiler, raw, pointer),
        asyncapi_target=str(raw.get("channelPath") or raw.get("operationId")),
        asyncapi=target,
    )


def _is_literal(value: Any) -> bool:
    if isinstance(value, str):
        return "$" not in value
    if isinstance(value, Mapping):
        return all(_is_literal(v) for v in value.values())
    if isinstance(value, list):
        return all(_is_literal(v) for v in value)
    return True


def _check_payload(compiler: DocumentScope, payload: Any, message: Message, pointer: str) -> None:
    """A send step's payload against its message schema, where it is written out: unknown keys, literal types."""
    schema = message.payload
    if not isinstance(payload, Mapping) or not isinstance(schema, Mapping):
        return
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for key, value in payload.items():
        at = f"{pointer}/{escape_pointer_token(str(key))}"
        if key not in properties:
            if schema.get("additionalProperties") is False:
                known = ", ".join(sorted(properties))
                compiler.error(at, f"message {message.name!r} has no property {key!r}; properties: {known}", "ARZ154")
            continue
        if _is_literal(value):
            from jsonschema import Draft202012Validator  # only for an async send step's literal values

            errors = [e.message for e in Draft202012Validator(properties[key]).iter_errors(value)]
            if errors:
                compiler.error(at, f"message {message.name!r}, property {key!r}: {errors[0]}", "ARZ154")
    missing = [k for k in schema.get("required") or [] if isinstance(k, str) and k not in payload]
    if missing and "replacements" not in payload:
        compiler.warning(
            pointer, f"message {message.name!r} requires {', '.join(missing)}, not in the payload", "ARZ154"
        )
