"""Kafka through ``aiokafka`` (experimental: see docs/async-steps.md for why).

A channel address is a topic. A send produces to it and waits for the
broker's acknowledgement (headers as Kafka record headers, the content type
as a ``content-type`` header). A receive is a consumer of its own, with no
consumer group (so concurrent runs each see every record), positioned at the
end of each partition when it subscribes: records produced after that are
delivered, older ones are not. ``{parameters}`` in an address make a topic
pattern. ``kafka://`` connects in plain text, ``kafka-secure://`` over TLS;
credentials (from the run's, by security scheme) authenticate with SASL PLAIN.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from . import BrokerError, Endpoint, Received, Subscription

_PARAM = re.compile(r"\{[^}]*\}")
DEFAULT_PORT = 9092
TIMEOUT_MS = 10000


def topic_pattern(address: str) -> str | None:
    """A regular expression for an address with ``{parameters}``; None for a plain topic name."""
    if not _PARAM.search(address):
        return None
    parts = _PARAM.split(address)
    return "^" + "[^/]+".join(re.escape(part) for part in parts) + "$"


def client_options(endpoint: Endpoint) -> dict[str, Any]:
    """What the aiokafka clients are given for ``endpoint``: bootstrap server, TLS, SASL."""
    secure = endpoint.url.lower().startswith(("kafka-secure:", "kafkas:"))
    options: dict[str, Any] = {
        "bootstrap_servers": f"{endpoint.host}:{endpoint.port(DEFAULT_PORT)}",
        "request_timeout_ms": TIMEOUT_MS,
    }
    if endpoint.username:
        options["security_protocol"] = "SASL_SSL" if secure else "SASL_PLAINTEXT"
        options["sasl_mechanism"] = "PLAIN"
        options["sasl_plain_username"] = endpoint.username
        options["sasl_plain_password"] = endpoint.password or ""
    else:
        options["security_protocol"] = "SSL" if secure else "PLAINTEXT"
    return options


def record_headers(headers: dict[str, str], content_type: str) -> list[tuple[str, bytes]]:
    out = [(name, str(value).encode()) for name, value in headers.items()]
    if content_type and not any(name.lower() == "content-type" for name, _ in out):
        out.append(("content-type", content_type.encode()))
    return out


class KafkaBinding:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._producer: Any = None
        self._consumers: dict[int, tuple[Any, asyncio.Task[None]]] = {}  # id(subscription) -> consumer, reader

    def _options(self) -> dict[str, Any]:
        options = client_options(self.endpoint)
        if options["security_protocol"] in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context()
        return options

    async def connect(self) -> None:
        from aiokafka import AIOKafkaProducer
        from aiokafka.errors import KafkaError

        producer = AIOKafkaProducer(**self._options())
        try:
            await producer.start()
        except (KafkaError, OSError) as exc:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise BrokerError(f"cannot connect: {_reason(exc)}") from None
        self._producer = producer

    @property
    def is_open(self) -> bool:
        return self._producer is not None

    async def publish(self, address: str, body: bytes, headers: dict[str, str], content_type: str) -> None:
        from aiokafka.errors import KafkaError

        try:
            await self._producer.send_and_wait(address, body, headers=record_headers(headers, content_type))
        except (KafkaError, OSError) as exc:
            raise BrokerError(f"publish to {address!r} failed: {_reason(exc)}") from None

    async def subscribe(self, address: str) -> Subscription:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.errors import KafkaError

        sub = Subscription(address)
        consumer = AIOKafkaConsumer(
            **self._options(), group_id=None, enable_auto_commit=False, auto_offset_reset="latest"
        )
        pattern = topic_pattern(address)
        try:
            if pattern is None:
                consumer.subscribe([address])
            else:
                consumer.subscribe(pattern=pattern)
            await consumer.start()
            for partition in consumer.assignment():  # the end of each partition now: later records are ours
                await consumer.position(partition)
        except (KafkaError, OSError) as exc:
            with contextlib.suppress(Exception):
                await consumer.stop()
            raise BrokerError(f"subscribe to {address!r} failed: {_reason(exc)}") from None

        async def read() -> None:
            with contextlib.suppress(Exception):
                async for record in consumer:
                    found = {str(k): v.decode("utf-8", "replace") for k, v in (record.headers or ())}
                    sub.queue.put_nowait(Received(record.topic, bytes(record.value or b""), found))

        self._consumers[id(sub)] = (consumer, asyncio.get_running_loop().create_task(read()))
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        found = self._consumers.pop(id(sub), None)
        if found is not None:
            consumer, reader = found
            reader.cancel()
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def close(self) -> None:
        for consumer, reader in self._consumers.values():
            reader.cancel()
            with contextlib.suppress(Exception):
                await consumer.stop()
        self._consumers.clear()
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("\n", 1)[0]
