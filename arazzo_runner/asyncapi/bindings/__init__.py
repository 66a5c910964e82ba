"""Protocol bindings: one small interface, one module per protocol, chosen by a server's ``protocol``.

A binding is opened once per run and server (:meth:`Binding.connect`), or
kept across the runs of a ``Runner`` (engine/brokers.py), then publishes and
subscribes on channel addresses; each run releases its subscriptions
(:meth:`Binding.unsubscribe`) and the binding is closed at the end of the run
(or by ``Runner.close``). The client library of a binding is imported only when a run uses it.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

__all__ = [
    "BINDINGS",
    "Binding",
    "BrokerError",
    "Endpoint",
    "Received",
    "Subscription",
    "binding_for",
    "known_protocols",
]


class BrokerError(Exception):
    """A broker that cannot be reached, refuses the credentials, or fails a publish or subscribe."""


@dataclass(frozen=True)
class Received:
    """A message as it came from the broker: its address (topic, queue, path), headers and raw body."""

    address: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect. ``username``/``password`` come from the run's credentials only."""

    url: str
    username: str | None = None
    password: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "localhost"

    def port(self, default: int) -> int:
        return urlsplit(self.url).port or default


class Subscription:
    """Messages delivered on one address since it was subscribed, in arrival order, kept until taken."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.queue: asyncio.Queue[Received] = asyncio.Queue()


class Binding(Protocol):
    async def connect(self) -> None: ...

    async def publish(self, address: str, body: bytes, headers: dict[str, str], content_type: str) -> None: ...

    async def subscribe(self, address: str) -> Subscription: ...

    async def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to ``sub`` (a run that ends releases its subscriptions on a kept connection)."""

    @property
    def is_open(self) -> bool:
        """False once the connection is closed or dropped (a kept connection is then opened again)."""

    async def close(self) -> None: ...


def _mqtt(endpoint: Endpoint) -> Binding:
    from .mqtt import MqttBinding

    return MqttBinding(endpoint)


def _websocket(endpoint: Endpoint) -> Binding:
    from .websocket import WebSocketBinding

    return WebSocketBinding(endpoint)


def _amqp(endpoint: Endpoint) -> Binding:
    from .amqp import AmqpBinding

    return AmqpBinding(endpoint)


def _kafka(endpoint: Endpoint) -> Binding:
    from .kafka import KafkaBinding

    return KafkaBinding(endpoint)


BINDINGS: dict[str, Callable[[Endpoint], Binding]] = {
    "amqp": _amqp,
    "kafka": _kafka,
    "kafka-secure": _kafka,
    "mqtt": _mqtt,
    "ws": _websocket,
    "wss": _websocket,
}


def known_protocols() -> str:
    return ", ".join(sorted(BINDINGS))


_LIBRARIES = {
    "amqp": "aio_pika",
    "kafka": "aiokafka",
    "kafka-secure": "aiokafka",
    "mqtt": "aiomqtt",
    "ws": "websockets",
    "wss": "websockets",
}


def binding_for(protocol: str, endpoint: Endpoint) -> Binding:
    factory = BINDINGS.get(protocol.lower())
    if factory is None:
        raise BrokerError(f"no binding for protocol {protocol!r}; bindings: {known_protocols()}")
    library = _LIBRARIES.get(protocol.lower())
    if library is not None and importlib.util.find_spec(library) is None:
        raise BrokerError(f"the {protocol} binding needs the {library} package: pip install 'arazzo-runner[async]'")
    return factory(endpoint)


def broker_url_problem(url: object) -> str | None:
    """Why ``url`` cannot be an AsyncAPI source's server (``--server events=mqtt://host:port``), or None."""
    if not isinstance(url, str):
        return f"a broker URL must be a string, not {type(url).__name__}"
    try:
        split = urlsplit(url)
        split.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    if split.scheme.lower() not in BINDINGS or not split.hostname:
        return (
            f"{url!r} is not a broker URL with a host and the scheme of a binding "
            f"({known_protocols()}), e.g. mqtt://127.0.0.1:1883"
        )
    return None
