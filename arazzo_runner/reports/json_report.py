"""The JSON report: our own format, versioned (``"schema": 1``), described by ``report.schema.json``."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from ..events import MessageEvent, MessageReceived, RequestSent, ResponseReceived
from .record import ExchangeRecord, Recorder, StepRecord

__all__ = ["SCHEMA_VERSION", "broker_message", "json_report", "report_schema", "to_json_text"]

SCHEMA_VERSION = 1


def report_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) every JSON report validates against, shipped with the package."""
    text = resources.files(__package__).joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def iso_time(wall: float) -> str:
    return datetime.fromtimestamp(wall, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def jsonable(value: Any) -> Any:
    """``value`` as strict JSON carries it (NaN and infinities as strings, bytes as base64)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # the common cases, without an ABC check
        return value
    if kind is dict:
        return {key if type(key) is str else str(key): jsonable(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [jsonable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _message(event: RequestSent | ResponseReceived) -> dict[str, Any]:
    return {
        "headers": [{"name": name, "value": value} for name, value in event.headers],
        "body": event.body,
        "bodySize": event.body_size,
        "bodyTruncated": event.body_truncated,
        "bodyBinary": event.body_binary,
    }


def _exchange(recorder: Recorder, exchange: ExchangeRecord) -> dict[str, Any]:
    request = exchange.request
    response = exchange.response
    entry: dict[str, Any] = {
        "tokenRequest": exchange.token,
        "startedMs": _ms(recorder.offset(request.time)),
        "request": {"method": request.method, "url": request.url, **_message(request)},
        "response": None,
    }
    if response is not None:
        entry["response"] = {
            "statusCode": response.status_code,
            "reason": response.reason,
            "elapsedMs": _ms(response.elapsed),
            **_message(response),
        }
    return entry


def broker_message(recorder: Recorder, event: MessageEvent) -> dict[str, Any]:
    """A message of an AsyncAPI step as the reports carry it (``messages`` of a step; HAR ``_messages``)."""
    received = isinstance(event, MessageReceived)
    return {
        "direction": "received" if received else "sent",
        "stepId": event.step_id,
        "source": event.source,
        "server": event.server,
        "protocol": event.protocol,
        "channel": event.channel,
        "contentType": event.content_type,
        "correlationId": event.correlation_id,
        "atMs": _ms(recorder.offset(event.time)),
        "waitedMs": _ms(event.elapsed) if isinstance(event, MessageReceived) else 0.0,
        "headers": [{"name": name, "value": value} for name, value in event.headers],
        "body": event.body,
        "bodySize": event.body_size,
        "bodyTruncated": event.body_truncated,
        "bodyBinary": event.body_binary,
    }


def _step(recorder: Recorder, step: StepRecord) -> dict[str, Any]:
    entry = _step_fields(recorder, step)
    if step.messages:  # AsyncAPI steps only: an HTTP step's entry is unchanged
        entry["messages"] = [broker_message(recorder, message) for message in step.messages]
    return entry


def _step_fields(recorder: Recorder, step: StepRecord) -> dict[str, Any]:
    started = step.started
    finished = step.finished
    return {
        "workflowId": started.workflow_id,
        "stepId": started.step_id,
        "path": list(started.path),
        "target": started.target,
        "attempt": started.attempt,
        "status": step.status,
        "statusCode": finished.status_code if finished else None,
        "method": finished.method if finished else None,
        "url": finished.url if finished else None,
        "startedMs": _ms(recorder.offset(started.time)),
        "durationMs": _ms(step.duration),
        "error": finished.error if finished else None,
        "failedCriterion": finished.failed_criterion if finished else None,
        "next": finished.next_action if finished else None,
        "exchanges": [_exchange(recorder, ex) for ex in step.exchanges],
        "criteria": [
            {"text": c.text, "type": c.type, "role": c.role, "passed": c.passed, "explanation": c.explanation}
            for c in step.criteria
        ],
        "actions": [{"action": a.action, "name": a.name, "target": a.target, "reason": a.reason} for a in step.actions],
        "retries": [{"delayMs": _ms(r.delay), "source": r.source, "action": r.action} for r in step.retries],
        "outputs": [
            {"name": o.name, "value": jsonable(o.value)}
            if o.left_out is None
            else {"name": o.name, "leftOut": o.left_out}
            for o in step.outputs
        ],
    }


def json_report(recorder: Recorder) -> dict[str, Any]:
    """The report as a JSON-ready dict (see docs/reports.md for every field)."""
    from .. import __version__

    started = recorder.started
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "arazzo-runner", "version": __version__},
        "document": recorder.document,
        "workflowId": recorder.workflow_id,
        "inputs": jsonable(started.inputs) if started is not None else {},
        "status": recorder.status,
        "stoppedBy": recorder.stop_reason,
        "startedAt": iso_time(started.wall_time) if started is not None else None,
        "durationMs": _ms(recorder.duration),
        "outputs": jsonable(recorder.outputs),
        "error": jsonable(recorder.error),
        "warnings": recorder.warnings,
        "servers": [{"source": s.source, "url": s.url, "origin": s.origin} for s in recorder.servers],
        "steps": [_step(recorder, step) for step in recorder.steps],
        "tokenRequests": [_exchange(recorder, ex) for ex in recorder.exchanges if ex.token],
    }


def to_json_text(recorder: Recorder) -> str:
    # Compact: the C encoder (indenting falls back to the pure-Python one, ~8x slower on a report).
    # The report is a tree built afresh, without cycles: the encoder need not look for them (a third faster).
    report = json_report(recorder)
    return json.dumps(report, ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False) + "\n"
