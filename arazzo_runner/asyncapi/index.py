"""An AsyncAPI 2.6 or 3.0 document, read once into what async steps need.

Servers (URL, protocol, security), channels (address and messages),
operations (id, direction, channel, messages) and messages (content type,
payload and headers schemas, ``correlationId`` location). Local ``$ref``s
(``#/...``) are resolved here, at load; any other reference, and anything
missing or of the wrong shape, is a :class:`DocumentError` naming the file,
line and column.

Directions are kept as the Arazzo step ``action`` that uses the operation:
AsyncAPI 3.0 ``action`` as written; in 2.x a channel's ``publish`` operation
is what a client sends (``send``) and ``subscribe`` what it receives
(``receive``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import DocumentError
from ..sources.yamlsource import Positions, escape_pointer_token, parse_document, unescape_pointer_token

__all__ = ["AsyncAPIDescription", "Channel", "Message", "Operation", "Server", "load_asyncapi"]


@dataclass(frozen=True)
class Server:
    name: str
    url: str  # scheme://host[:port][/path], variables substituted by their defaults
    protocol: str
    security: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    name: str
    content_type: str
    payload: Any = None  # JSON Schema, or None
    headers: Any = None
    correlation_location: str | None = None  # e.g. "$message.header#/requestId"


@dataclass(frozen=True)
class Channel:
    key: str  # the key under channels
    address: str
    messages: tuple[Message, ...]
    servers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    operation_id: str
    action: str  # "send" or "receive", from the workflow's side (see the module docstring)
    channel: Channel
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class AsyncAPIDescription:
    url: str
    display: str
    version: str
    servers: dict[str, Server]
    channels: dict[str, Channel]
    operations: dict[str, Operation]
    positions: Positions = field(repr=False, compare=False)

    def channel_by_path(self, pointer: str) -> Channel | None:
        """The channel a ``channelPath`` fragment names: ``/channels/<key>`` (JSON pointer, escaped)."""
        parts = pointer.split("/")
        if len(parts) != 3 or parts[0] != "" or parts[1] != "channels":
            return None
        return self.channels.get(unescape_pointer_token(parts[2]))

    def servers_for(self, channel: Channel) -> list[Server]:
        names = channel.servers or tuple(self.servers)
        return [self.servers[n] for n in names if n in self.servers]


class _Reader:
    def __init__(self, data: Any, positions: Positions, display: str) -> None:
        self.data = data
        self.positions = positions
        self.display = display

    def fail(self, pointer: str, message: str) -> DocumentError:
        return DocumentError(f"AsyncAPI: {message}", self.positions.location(pointer))

    def deref(self, value: Any, pointer: str, depth: int = 0) -> tuple[Any, str]:
        """``value`` with a local ``$ref`` followed (to its target and the target's pointer)."""
        while isinstance(value, Mapping) and "$ref" in value:
            ref = value["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise self.fail(f"{pointer}/$ref", f"only local references (#/...) are supported, not {ref!r}")
            target: Any = self.data
            for token in ref[2:].split("/"):
                token = unescape_pointer_token(token)
                if isinstance(target, Mapping) and token in target:
                    target = target[token]
                elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                    target = target[int(token)]
                else:
                    raise self.fail(f"{pointer}/$ref", f"$ref {ref!r} points to nothing")
            value, pointer = target, ref[1:]
            depth += 1
            if depth > 32:
                raise self.fail(pointer, f"$ref {ref!r} loops")
        return value, pointer

    def resolve_all(self, value: Any, pointer: str, depth: int = 0) -> Any:
        """A schema with every local ``$ref`` replaced by its target (recursive schemas stop at 16 levels)."""
        value, pointer = self.deref(value, pointer)
        if depth > 16:
            return {}
        if isinstance(value, Mapping):
            return {k: self.resolve_all(v, f"{pointer}/{escape_pointer_token(k)}", depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve_all(v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(value)]
        return value

    def mapping(self, value: Any, pointer: str, what: str) -> Mapping[str, Any]:
        value, _ = self.deref(value, pointer)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(pointer, f"{what} must be an object")
        return value


def load_asyncapi(url: str, display: str, text: str) -> AsyncAPIDescription:
    """Read an AsyncAPI 2.x or 3.0 document; a :class:`DocumentError` when it cannot be used."""
    data, positions = parse_document(text, display)
    r = _Reader(data, positions, display)
    if not isinstance(data, Mapping) or not isinstance(data.get("asyncapi"), str):
        raise r.fail("", "not an AsyncAPI document: no 'asyncapi' version field")
    version = str(data["asyncapi"])
    major = version.split(".", maxsplit=1)[0]
    if major not in ("2", "3"):
        raise r.fail("/asyncapi", f"AsyncAPI {version} is not supported (2.x and 3.0 are)")
    default_type = data.get("defaultContentType") if isinstance(data.get("defaultContentType"), str) else None
    servers = _servers(r, data, major)
    if major == "3":
        channels, operations = _v3(r, data, default_type)
    else:
        channels, operations = _v2(r, data, default_type)
    return AsyncAPIDescription(url, display, version, servers, channels, operations, positions)


def _servers(r: _Reader, data: Mapping[str, Any], major: str) -> dict[str, Server]:
    out: dict[str, Server] = {}
    for name, raw in r.mapping(data.get("servers"), "/servers", "'servers'").items():
        pointer = f"/servers/{escape_pointer_token(name)}"
        server = r.mapping(raw, pointer, f"server {name!r}")
        protocol = server.get("protocol")
        if not isinstance(protocol, str):
            raise r.fail(pointer, f"server {name!r} has no 'protocol'")
        if major == "3":
            host = server.get("host")
            if not isinstance(host, str):
                raise r.fail(pointer, f"server {name!r} has no 'host'")
            path = server.get("pathname") if isinstance(server.get("pathname"), str) else ""
            address = f"{protocol}://{host}{path}"
        else:
            raw_url = server.get("url")
            if not isinstance(raw_url, str):
                raise r.fail(pointer, f"server {name!r} has no 'url'")
            address = raw_url if "://" in raw_url else f"{protocol}://{raw_url}"
        variables = r.mapping(server.get("variables"), f"{pointer}/variables", "'variables'")
        for var, spec in variables.items():
            spec = r.mapping(spec, f"{pointer}/variables/{var}", f"variable {var!r}")
            if "default" in spec:
                address = address.replace("{" + var + "}", str(spec["default"]))
        security: list[str] = []
        for i, entry in enumerate(server.get("security") or []):
            entry, _ = r.deref(entry, f"{pointer}/security/{i}")
            if isinstance(entry, Mapping):
                # 2.x: {schemeName: []}; 3.0: a Security Scheme Object, by reference to components
                ref = raw_entry_ref(server["security"][i])
                security.extend([ref] if ref else list(entry) if major == "2" else [])
        out[name] = Server(name, address, protocol.lower(), tuple(security))
    return out


def raw_entry_ref(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("$ref"), str):
        return str(value["$ref"]).rsplit("/", 1)[-1]
    return None


def _message(r: _Reader, raw: Any, pointer: str, key: str, default_type: str | None) -> Message:
    msg, at = r.deref(raw, pointer)
    if not isinstance(msg, Mapping):
        raise r.fail(pointer, f"message {key!r} must be an object")
    name = msg.get("name") if isinstance(msg.get("name"), str) else key
    content_type = msg.get("contentType") if isinstance(msg.get("contentType"), str) else None
    correlation = None
    if "correlationId" in msg:
        cid, _ = r.deref(msg["correlationId"], f"{at}/correlationId")
        if not isinstance(cid, Mapping) or not isinstance(cid.get("location"), str):
            raise r.fail(f"{at}/correlationId", f"message {name!r}: correlationId needs a 'location' expression")
        correlation = str(cid["location"])
    payload = r.resolve_all(msg["payload"], f"{at}/payload") if "payload" in msg else None
    if isinstance(payload, Mapping) and "schema" in payload and "schemaFormat" in payload:
        payload = payload["schema"]  # 3.0 Multi Format Schema Object
    headers = r.resolve_all(msg["headers"], f"{at}/headers") if "headers" in msg else None
    return Message(str(name), content_type or default_type or "application/json", payload, headers, correlation)


def _v3(
    r: _Reader, data: Mapping[str, Any], default_type: str | None
) -> tuple[dict[str, Channel], dict[str, Operation]]:
    channels: dict[str, Channel] = {}
    by_pointer: dict[str, Channel] = {}
    for key, raw in r.mapping(data.get("channels"), "/channels", "'channels'").items():
        pointer = f"/channels/{escape_pointer_token(key)}"
        ch = r.mapping(raw, pointer, f"channel {key!r}")
        address = ch.get("address") if isinstance(ch.get("address"), str) else key
        msgs = r.mapping(ch.get("messages"), f"{pointer}/messages", "'messages'")
        messages = tuple(
            _message(r, m, f"{pointer}/messages/{escape_pointer_token(k)}", k, default_type) for k, m in msgs.items()
        )
        names = tuple(raw_entry_ref(s) or "" for s in ch.get("servers") or [])
        channels[key] = by_pointer[pointer] = Channel(key, str(address), messages, tuple(n for n in names if n))
    operations: dict[str, Operation] = {}
    for op_id, raw in r.mapping(data.get("operations"), "/operations", "'operations'").items():
        pointer = f"/operations/{escape_pointer_token(op_id)}"
        op = r.mapping(raw, pointer, f"operation {op_id!r}")
        action = op.get("action")
        if action not in ("send", "receive"):
            raise r.fail(f"{pointer}/action", f"operation {op_id!r}: 'action' must be send or receive")
        ref = op.get("channel", {}).get("$ref") if isinstance(op.get("channel"), Mapping) else None
        channel = by_pointer.get(str(ref)[1:]) if isinstance(ref, str) else None
        if channel is None:
            raise r.fail(f"{pointer}/channel", f"operation {op_id!r}: 'channel' must be a $ref to one of the channels")
        chosen = channel.messages
        if op.get("messages"):
            wanted = {str(m.get("$ref", "")).rsplit("/", 1)[-1] for m in op["messages"] if isinstance(m, Mapping)}
            chosen = tuple(m for m in channel.messages if m.name in wanted) or channel.messages
        operations[op_id] = Operation(op_id, str(action), channel, chosen)
    return channels, operations


def _v2(
    r: _Reader, data: Mapping[str, Any], default_type: str | None
) -> tuple[dict[str, Channel], dict[str, Operation]]:
    channels: dict[str, Channel] = {}
    operations: dict[str, Operation] = {}
    for key, raw in r.mapping(data.get("channels"), "/channels", "'channels'").items():
        pointer = f"/channels/{escape_pointer_token(key)}"
        ch = r.mapping(raw, pointer, f"channel {key!r}")
        all_messages: list[Message] = []
        ops: list[tuple[str, str, tuple[Message, ...]]] = []
        for verb, action in (("publish", "send"), ("subscribe", "receive")):
            if verb not in ch:
                continue
            op = r.mapping(ch[verb], f"{pointer}/{verb}", f"{verb} operation")
            msg_raw, msg_at = r.deref(op.get("message"), f"{pointer}/{verb}/message")
            if isinstance(msg_raw, Mapping) and "oneOf" in msg_raw:
                found = tuple(
                    _message(r, m, f"{msg_at}/oneOf/{i}", f"{key}-{verb}-{i}", default_type)
                    for i, m in enumerate(msg_raw["oneOf"])
                )
            elif msg_raw is not None:
                found = (_message(r, op.get("message"), f"{pointer}/{verb}/message", f"{key}-{verb}", default_type),)
            else:
                found = ()
            all_messages.extend(found)
            if isinstance(op.get("operationId"), str):
                ops.append((str(op["operationId"]), action, found))
        servers = tuple(s for s in ch.get("servers") or [] if isinstance(s, str))
        channel = Channel(key, key, tuple(all_messages), servers)
        channels[key] = channel
        for op_id, action, found in ops:
            operations[op_id] = Operation(op_id, action, channel, found)
    return channels, operations
