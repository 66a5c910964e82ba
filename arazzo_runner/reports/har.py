"""The HAR 1.2 report: one entry per HTTP exchange in order, token requests included.

Bodies are included as the events carry them (masked, and cut at the event body limit, with a comment
saying so). A request still in flight when the run stopped has a response with status 0 and a comment.
Messages of AsyncAPI steps are not HTTP exchanges: they are in the custom field ``log._messages``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..events import Headers, ResponseReceived
from .json_report import broker_message, iso_time
from .record import ExchangeRecord, Recorder

__all__ = ["har_log"]


def _headers(headers: Headers) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def _header(headers: Headers, name: str) -> str:
    return next((value for key, value in headers if key.lower() == name), "")


def _ms(seconds: float) -> float:
    return round(max(seconds, 0.0) * 1000, 3)


def _phase(seconds: float) -> float:
    return round(seconds * 1000, 3) if seconds >= 0 else -1


def _timings(response: ResponseReceived) -> tuple[float, dict[str, float]]:
    """``time`` and ``timings`` of an entry: the measured phases (-1 where one did not happen), else the
    whole exchange as ``wait``. ``time`` is the sum of the phases that happened (``ssl`` is inside
    ``connect``, as HAR 1.2 counts it)."""
    phases = response.timings
    if phases is None:
        wait = _ms(response.elapsed)
        return wait, {"send": 0, "wait": wait, "receive": 0}
    blocked, connect, send, wait, receive = (
        _phase(phases.blocked),
        _phase(phases.connect),
        _phase(phases.send),
        _phase(phases.wait),
        _phase(phases.receive),
    )
    timings = {
        "blocked": blocked,
        "dns": _phase(phases.dns),
        "connect": connect,
        "ssl": _phase(phases.ssl),
        "send": send,
        "wait": wait,
        "receive": receive,
    }
    total = sum(value for value in (blocked, connect, send, wait, receive) if value > 0)
    return round(total, 3), timings


def _entry(recorder: Recorder, exchange: ExchangeRecord) -> dict[str, Any]:
    request, response = exchange.request, exchange.response
    query = [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(request.url).query, keep_blank_values=True)]
    har_request: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "httpVersion": request.http_version,
        "cookies": [],
        "headers": _headers(request.headers),
        "queryString": query,
        "headersSize": -1,
        "bodySize": request.body_size,
    }
    if request.body is not None:
        post: dict[str, Any] = {"mimeType": _header(request.headers, "content-type")}
        if request.body_binary:
            post["comment"] = request.body  # says the size: binary bodies are not included
        else:
            post["text"] = request.body
        har_request["postData"] = post
        if request.body_truncated:
            har_request["comment"] = "the body is cut at the report's body limit"
    entry: dict[str, Any] = {
        "startedDateTime": iso_time(recorder.wall(request.time)),
        "request": har_request,
        "cache": {},
    }
    if exchange.token:
        entry["comment"] = "OAuth2 token request"
    if response is not None:
        content: dict[str, Any] = {"size": response.body_size, "mimeType": _header(response.headers, "content-type")}
        if response.body is not None and response.body_binary:
            content["comment"] = response.body  # says the size: binary bodies are not included
        elif response.body is not None:
            content["text"] = response.body
        if response.body_truncated:
            content["comment"] = "the body is cut at the report's body limit"
        total, timings = _timings(response)
        entry["response"] = {
            "status": response.status_code,
            "statusText": response.reason,
            "httpVersion": response.http_version,
            "cookies": [],
            "headers": _headers(response.headers),
            "content": content,
            "redirectURL": _header(response.headers, "location"),
            "headersSize": -1,
            "bodySize": response.body_size,
        }
    else:
        end = exchange.ended or recorder.stopped_at or request.time
        total = _ms(end - request.time)
        timings = {"send": 0, "wait": total, "receive": 0}
        why = "the request failed" if exchange.ended is not None else "the run stopped while it was in flight"
        entry["response"] = {
            "status": 0,
            "statusText": "",
            "httpVersion": request.http_version,
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "comment": f"no response: {why}",
        }
    entry["time"] = total
    entry["timings"] = timings
    return entry


def har_log(recorder: Recorder) -> dict[str, Any]:
    from .. import __version__

    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": "arazzo-runner", "version": __version__},
        "entries": [_entry(recorder, exchange) for exchange in recorder.exchanges],
        "comment": f"workflow {recorder.workflow_id} of {recorder.document}: {recorder.status}",
    }
    if recorder.messages:  # HAR has no place for broker messages: a custom field (HAR 1.2 allows "_" names)
        log["_messages"] = [broker_message(recorder, message) for message in recorder.messages]
    return {"log": log}
