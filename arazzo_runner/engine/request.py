"""Turning a compiled step and the run's context into the HTTP request to send.

Parameters are serialised the way the OpenAPI operation declares them
(DEC-27), undeclared ones are still sent (DEC-28); the body's content type is
chosen per DEC-29 and payload replacements applied per DEC-31.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import (
    ArazzoError,
    EvaluationError,
    RequestBuildError,
    UnresolvedExpression,
)
from ..language.expressions import EvalContext, to_text
from ..language.expressions.template import is_absent_optional_input
from ..openapi.media import is_json, is_xml, media_type
from ..plan.model import OperationTarget, Parameter, RequestBody, Step
from ..sources.pointer import pointer_tokens
from .querystring import querystring_piece, set_by_jsonpath
from .serialize import (
    serialize_cookie,
    serialize_header,
    serialize_path,
    serialize_query,
)

__all__ = [
    "PreparedRequest",
    "choose_content_type",
    "encode_multipart",
    "joined_url",
    "new_prepared",
    "prepare_request",
]


@dataclass
class PreparedRequest:
    """Everything needed to send a step's request, before authentication is applied."""

    method: str
    base_url: str
    path: str  # the path with parameters filled in, encoded
    query: list[str] = field(default_factory=list)  # encoded name=value pieces
    headers: list[tuple[str, Any]] = field(default_factory=list)  # values: str, or UTF-8 bytes if not ASCII
    cookies: list[tuple[str, str]] = field(default_factory=list)
    content: bytes | None = None
    content_type: str | None = None
    body_value: Any = None  # the body as evaluated (for $request.body)
    path_values: dict[str, Any] = field(default_factory=dict)
    query_values: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    security_headers: set[str] = field(default_factory=set)  # headers a security scheme added (credentials)
    credential_keys: set[str] = field(default_factory=set)  # the credentials applied to this request
    security_query: set[str] = field(default_factory=set)  # query pieces a security scheme added
    sent_content_type: str | None = None  # the Content-Type header sent (set when the request is built)

    @property
    def url(self) -> str:
        return joined_url(self.base_url, self.path, self.query)

    def __repr__(self) -> str:
        # Headers, query and body may carry credentials: only their shape is shown.
        names = ", ".join(k for k, _ in self.headers)
        size = len(self.content) if self.content is not None else 0
        return (
            f"PreparedRequest({self.method} {self.path}, query={len(self.query)} items, "
            f"headers=[{names}], body={size} bytes)"
        )

    def has_header(self, name: str) -> bool:
        lowered = name.lower()
        return any(k.lower() == lowered for k, _ in self.headers)


def joined_url(base_url: str, path: str, query: list[str]) -> str:
    """The URL text of a request: the server URL, the encoded path and the encoded query pieces."""
    url = base_url.rstrip("/") + path
    if query:
        url += "?" + "&".join(query)
    return url


# json.dumps(value, separators=(",", ":"), ensure_ascii=False), without making an encoder per body.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

_NO_CONTAINERS = {"content": None, "content_type": None, "body_value": None, "sent_content_type": None}


def new_prepared(method: str, base_url: str, path: str) -> PreparedRequest:
    """``PreparedRequest(method=..., base_url=..., path=...)`` filled in one go (one is made per step)."""
    prepared = object.__new__(PreparedRequest)
    prepared.__dict__.update(
        _NO_CONTAINERS,
        method=method,
        base_url=base_url,
        path=path,
        query=[],
        headers=[],
        cookies=[],
        path_values={},
        query_values={},
        warnings=[],
        security_headers=set(),
        credential_keys=set(),
        security_query=set(),
    )
    return prepared


def _evaluate(value: Any, ctx: EvalContext, what: str) -> Any:
    try:
        return value.evaluate(ctx)
    except EvaluationError as exc:
        raise RequestBuildError(f"{what}: {exc.message}") from None


def prepare_request(step: Step, target: OperationTarget, ctx: EvalContext, base_url: str) -> PreparedRequest:
    operation = target.operation
    prepared = new_prepared(operation.method.upper(), base_url, operation.path)
    path_values: dict[str, str] = {}
    for param in step.parameters:
        _apply_parameter(param, ctx, target, prepared, path_values)
    prepared.path = _fill_path(operation, path_values, prepared.warnings)
    _warn_missing_required(step, operation, prepared)
    if step.request_body is not None:
        _apply_body(step.request_body, ctx, target, prepared)
        if prepared.method in ("GET", "HEAD", "DELETE") and prepared.content is not None:
            prepared.warnings.append(
                f"{operation.label} is sent with a request body; "
                f"{prepared.method} requests should not carry one (DEC-32)"
            )
    if prepared.cookies:
        prepared.headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in prepared.cookies)))
    return prepared


def _apply_parameter(
    param: Parameter, ctx: EvalContext, target: OperationTarget, prepared: PreparedRequest, path_values: dict[str, str]
) -> None:
    location = param.location or "query"
    try:
        value = param.value.evaluate(ctx)
    except UnresolvedExpression as exc:
        if is_absent_optional_input(param.value, ctx):
            return  # its value is exactly an optional input the run was not given: not sent (DEC-18)
        raise RequestBuildError(f"parameter {param.name!r} ({location}): {exc.message}") from None
    except EvaluationError as exc:
        raise RequestBuildError(f"parameter {param.name!r} ({location}): {exc.message}") from None
    declared = target.operation.parameter(param.name, location)
    style = declared.style if declared else None
    explode = declared.explode if declared else None
    content_type = declared.content_type if declared else None
    if declared is None:
        prepared.warnings.append(
            f"parameter {param.name!r} (in: {location}) is not declared by {target.operation.label}; sent anyway"
        )
    if location == "path":
        path_values[param.name] = serialize_path(param.name, value, style, explode, content_type)
        prepared.path_values[param.name] = value
    elif location == "query":
        # DEC-27: null is spelled `null` like any other JSON value; it is not dropped.
        prepared.query.extend(
            serialize_query(
                param.name, value, style, explode, declared.allow_reserved if declared else False, content_type
            )
        )
        prepared.query_values[param.name] = value
    elif location == "querystring":  # Arazzo 1.1: the whole query string (V11-21)
        prepared.query.append(querystring_piece(value, content_type))
        prepared.query_values[param.name] = value
    elif location == "header":
        if param.name.lower() in _FRAMING_HEADERS:
            raise RequestBuildError(
                f"header parameter {param.name!r}: this header is set from the server URL and the body, not by a "
                "document (choose the host with servers= / --server)"
            )
        text = serialize_header(param.name, value, explode, content_type)
        prepared.headers = [(k, v) for k, v in prepared.headers if k.lower() != param.name.lower()]
        prepared.headers.append((_header_name(param.name), _header_value(param.name, text)))
    elif location == "cookie":
        prepared.cookies.extend(serialize_cookie(param.name, value, explode))


def _warn_missing_required(step: Step, operation: Any, prepared: PreparedRequest) -> None:
    """DEC-28: a required parameter without a value is a warning (path variables already failed)."""
    required = operation.unsupplied_required  # credentials may fill the others; security runs after this
    if not required:
        return
    given = {(p.location, p.name.lower() if p.location == "header" else p.name) for p in step.parameters}
    for declared in required:
        key = (declared.location, declared.name.lower() if declared.location == "header" else declared.name)
        if key not in given:
            prepared.warnings.append(
                f"{operation.label} requires {declared.location} parameter {declared.name!r}, and the step gives none"
            )


# Headers that say where a request goes or where it ends: a document setting them could reach
# another virtual host or smuggle a second request.
_FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _header_name(name: str) -> str:
    if not _TOKEN.match(name):
        raise RequestBuildError(f"header parameter {name!r}: not a valid HTTP header name")
    return name


def _header_value(name: str, text: str) -> Any:
    """The value as it goes on the wire: ASCII as is, other text as UTF-8 bytes (RFC 9110 obs-text)."""
    if any(c in text for c in "\r\n\0"):
        raise RequestBuildError(
            f"header parameter {name!r}: the value contains a line break or NUL, which HTTP does not allow"
        )
    if text.isascii():
        return text
    return text.encode("utf-8")


def _fill_path(operation: Any, values: Mapping[str, str], warnings: list[str] | None = None) -> str:
    pieces = operation.path_pieces  # the template split at load: text, variable, text, …
    variables = pieces[1::2]
    if warnings is not None:
        for name in values:
            if name not in variables:
                warnings.append(f"path parameter {name!r} has no {{{name}}} in {operation.label}; it was not sent")
    try:
        parts = list(pieces)
        for index in range(1, len(parts), 2):  # the variables, between the texts
            parts[index] = values[parts[index]]
        path = "".join(parts)
    except KeyError:
        missing = [m for m in variables if m not in values]
        names = ", ".join(repr(m) for m in missing)
        raise RequestBuildError(
            f"{operation.label}: no value for path parameter {names}; add it to the step's parameters with in: path"
        ) from None
    return _encode_dot_segments(path)


def _encode_dot_segments(path: str) -> str:
    """A segment that is exactly ``.`` or ``..`` would be normalised away by the URL parser (and by servers),
    sending the request to another resource: ``/orgs/acme/members/..`` is ``/orgs/acme``. Such segments
    are percent-encoded (``%2E``), so the server sees a value, not a step up the path."""
    if "/." not in path and not path.startswith("."):
        return path  # a dot segment starts the path or follows a slash
    segments = path.split("/")
    if not any(segment in (".", "..") for segment in segments):
        return path
    return "/".join("%2E" * len(segment) if segment in (".", "..") else segment for segment in segments)


def choose_content_type(body: RequestBody, target: OperationTarget, value: Any) -> str | None:
    """DEC-29: the step's contentType, else the operation's (application/json preferred), else by value."""
    if body.content_type:
        return body.content_type
    # Wildcard ranges (`*/*`, `application/*`) name no concrete type to send.
    declared = [m for m in target.operation.request_content_types() if "*" not in m]
    if len(declared) == 1:
        return declared[0]
    if declared:
        for media in declared:
            if media_type(media) == "application/json":
                return media
        return declared[0]
    if isinstance(value, (bytes, bytearray)):
        return "application/octet-stream"
    if isinstance(value, str):
        return "text/plain"
    return "application/json"  # objects, arrays, numbers, booleans, null


def _apply_body(body: RequestBody, ctx: EvalContext, target: OperationTarget, prepared: PreparedRequest) -> None:
    if body.payload is None:
        return  # no payload, no body: nothing is invented, not even a Content-Type
    value = _evaluate(body.payload, ctx, "requestBody payload")
    content_type = choose_content_type(body, target, value)
    written_as_string = body.payload.is_template_string or (body.payload.is_literal and isinstance(value, str))
    if body.replacements:
        value = _apply_replacements(value, body, ctx, content_type)
        written_as_string = isinstance(value, str)
    media = media_type(content_type)
    prepared.content_type = content_type
    prepared.body_value = value
    if is_json(media):
        if isinstance(value, str) and written_as_string:
            prepared.content = value.encode("utf-8")  # a JSON template written as text is sent as written
            try:
                prepared.body_value = json.loads(value)
            except ValueError:
                prepared.body_value = value
        else:
            try:
                prepared.content = _COMPACT_JSON.encode(value).encode("utf-8")
            except (TypeError, ValueError):
                raise RequestBuildError(
                    f"the {media} payload holds a value JSON cannot carry (binary data?); send it as "
                    "multipart/form-data or application/octet-stream instead"
                ) from None
    elif media == "application/x-www-form-urlencoded":
        if isinstance(value, Mapping):
            pairs: list[tuple[str, str]] = []
            for key, item in value.items():
                if isinstance(item, list):
                    pairs.extend((str(key), to_text(v)) for v in item)
                else:
                    pairs.append((str(key), to_text(item)))
            prepared.content = urlencode(pairs, quote_via=quote).encode("ascii")
        else:
            prepared.content = to_text(value).encode("utf-8")
    elif media == "multipart/form-data":
        if not isinstance(value, Mapping):
            raise RequestBuildError("a multipart/form-data payload must be an object of fields")
        boundary = _boundary(content_type)
        prepared.content = encode_multipart(value, boundary)
        if "boundary=" not in (content_type or "").lower():
            prepared.content_type = f"{content_type}; boundary={boundary}"
    elif isinstance(value, bytes):
        prepared.content = value
    else:
        prepared.content = to_text(value).encode("utf-8")


def _boundary(content_type: str | None) -> str:
    for piece in (content_type or "").split(";")[1:]:
        key, _, val = piece.strip().partition("=")
        if key.lower() == "boundary" and val:
            return val.strip('"')
    return "arazzo-" + os.urandom(12).hex()


def _quote_disposition(text: str) -> str:
    # As browsers do (HTML form submission): escape the quote and line breaks in names.
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(fields: Mapping[str, Any], boundary: str) -> bytes:
    """RFC 7578 ``multipart/form-data``: one part per field, one per list item.

    A field whose value is an object with ``content`` (and optionally
    ``filename`` and ``contentType``) is a file part; raw bytes are a file
    part named after the field; anything else is a text part (DEC-17 text).
    """
    out = bytearray()
    for key, item in fields.items():
        items = item if isinstance(item, list) else [item]
        for entry in items:
            name = _quote_disposition(str(key))
            out += f"--{boundary}\r\n".encode("ascii")
            if isinstance(entry, Mapping) and ("content" in entry or "filename" in entry):
                filename = _quote_disposition(str(entry.get("filename", key)))
                part_type = str(entry.get("contentType", "application/octet-stream"))
                if any(c in part_type for c in "\r\n\0"):
                    raise RequestBuildError(
                        f"multipart field {str(key)!r}: its contentType contains a line break or NUL, which would "
                        "add headers to the part"
                    )
                raw = entry.get("content", "")
                data = raw if isinstance(raw, (bytes, bytearray)) else to_text(raw).encode("utf-8")
                out += f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
                out += f"Content-Type: {part_type}\r\n\r\n".encode()
                out += bytes(data)
            elif isinstance(entry, (bytes, bytearray)):
                out += f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\n'.encode()
                out += b"Content-Type: application/octet-stream\r\n\r\n"
                out += bytes(entry)
            else:
                out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                out += to_text(entry).encode("utf-8")
            out += b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return bytes(out)


def _apply_replacements(value: Any, body: RequestBody, ctx: EvalContext, content_type: str | None) -> Any:
    """DEC-31: after evaluation, in list order; JSON Pointer for JSON, XPath for XML."""
    if is_xml(content_type) or (isinstance(value, str) and value.lstrip().startswith("<")):
        from .xml_replace import replace_xml

        text = to_text(value)
        for rep in body.replacements:
            if rep.target_type in ("jsonpath", "jsonpointer"):
                raise RequestBuildError(
                    f"replacement target {rep.target!r} is {rep.target_type}, but the payload is XML"
                )
            new = _evaluate(rep.value, ctx, f"replacement {rep.target!r}")
            text = replace_xml(text, rep.target, new)
        return text
    was_string = isinstance(value, str)
    document = value
    if was_string:
        try:
            document = json.loads(value)
        except ValueError:
            raise RequestBuildError(
                "payload replacements need a JSON or XML payload; this payload is plain text"
            ) from None
    document = copy.deepcopy(document)
    for rep in body.replacements:
        new = _evaluate(rep.value, ctx, f"replacement {rep.target!r}")
        if rep.target_type == "xpath":
            raise RequestBuildError(f"replacement target {rep.target!r} is an XPath, but the payload is JSON")
        if rep.target_type == "jsonpath":
            document = set_by_jsonpath(document, rep.target, rep.query, new)  # V11-13
        else:
            document = set_at_pointer(document, rep.target, new)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False) if was_string else document


def set_at_pointer(document: Any, pointer: str, new: Any) -> Any:
    if pointer == "":
        return new
    if not pointer.startswith("/"):
        raise RequestBuildError(f"replacement target {pointer!r} is not a JSON Pointer (it must start with '/')")
    tokens = pointer_tokens(pointer)
    parent = document
    for depth, token in enumerate(tokens[:-1]):
        parent = _child(parent, token, pointer, tokens[: depth + 1])
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = new
    elif isinstance(parent, list):
        if last == "-":
            parent.append(new)
        elif last.isdigit() and (last == "0" or not last.startswith("0")) and int(last) <= len(parent):
            if int(last) == len(parent):
                parent.append(new)
            else:
                parent[int(last)] = new
        else:
            raise RequestBuildError(
                f"replacement target {pointer!r}: {last!r} is not a valid index of an array of {len(parent)}"
            )
    else:
        raise RequestBuildError(
            f"replacement target {pointer!r}: the parent is {type(parent).__name__}, not an object or array"
        )
    return document


def _child(node: Any, token: str, pointer: str, walked: list[str]) -> Any:
    where = "/" + "/".join(walked)
    if isinstance(node, dict):
        if token not in node:
            raise RequestBuildError(f"replacement target {pointer!r}: {where} does not exist in the payload")
        return node[token]
    if isinstance(node, list):
        if token.isdigit() and int(token) < len(node):
            return node[int(token)]
        raise RequestBuildError(f"replacement target {pointer!r}: {where} is not an index of the array")
    raise RequestBuildError(f"replacement target {pointer!r}: {where} goes into a {type(node).__name__}")


# Kept for type checkers: errors raised above are ArazzoErrors.
_ = ArazzoError
