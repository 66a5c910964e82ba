"""MQTT (3.1.1 and 5) through ``aiomqtt``: headers travel as MQTT 5 user properties.

A channel address with ``{parameters}`` is subscribed with ``+`` in their
place. One reader task per connection hands each message to every
subscription whose filter matches its topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from . import BrokerError, Endpoint, Received, Subscription

_PARAM = re.compile(r"\{[^}]*\}")


def topic_filter(address: str) -> str:
    return _PARAM.sub("+", address)


class MqttBinding:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._client: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._subs: list[tuple[str, Subscription]] = []

    async def connect(self) -> None:
        import aiomqtt
        from paho.mqtt.client import MQTTv5

        client = aiomqtt.Client(
            hostname=self.endpoint.host,
            port=self.endpoint.port(1883),
            username=self.endpoint.username,
            password=self.endpoint.password,
            protocol=aiomqtt.ProtocolVersion(MQTTv5),
            timeout=10,
        )
        try:
            await client.__aenter__()
        except aiomqtt.MqttError as exc:
            raise BrokerError(f"cannot connect: {exc}") from None
        except OSError as exc:
            raise BrokerError(f"cannot connect: {exc.strerror or exc}") from None
        self._client = client
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        import aiomqtt

        with contextlib.suppress(aiomqtt.MqttError, asyncio.CancelledError):
            async for message in self._client.messages:
                headers: dict[str, str] = {}
                props = message.properties
                for key, value in getattr(props, "UserProperty", None) or []:
                    headers[str(key)] = str(value)
                if props is not None and getattr(props, "ContentType", None):
                    headers.setdefault("content-type", str(props.ContentType))
                body = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
                topic = str(message.topic)
                for wanted, sub in self._subs:
                    if message.topic.matches(wanted):
                        sub.queue.put_nowait(Received(topic, body, dict(headers)))

    async def publish(self, address: str, body: bytes, headers: dict[str, str], content_type: str) -> None:
        import aiomqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.ContentType = content_type
        if headers:
            props.UserProperty = [(k, str(v)) for k, v in headers.items()]
        try:
            await self._client.publish(address, body, qos=1, properties=props)
        except aiomqtt.MqttError as exc:
            raise BrokerError(f"publish to {address!r} failed: {exc}") from None

    async def subscribe(self, address: str) -> Subscription:
        import aiomqtt

        wanted = topic_filter(address)
        sub = Subscription(address)
        self._subs.append((wanted, sub))
        try:
            await self._client.subscribe(wanted, qos=1)
        except aiomqtt.MqttError as exc:
            raise BrokerError(f"subscribe to {wanted!r} failed: {exc}") from None
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        import aiomqtt

        wanted = next((w for w, s in self._subs if s is sub), None)
        self._subs = [(w, s) for w, s in self._subs if s is not sub]
        if wanted is not None and self.is_open and all(w != wanted for w, _ in self._subs):
            with contextlib.suppress(aiomqtt.MqttError):
                await self._client.unsubscribe(wanted)

    @property
    def is_open(self) -> bool:
        """The reader ends when the connection does (closed, or dropped by the broker or the network)."""
        return self._client is not None and self._reader is not None and not self._reader.done()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.__aexit__(None, None, None)
            self._client = None
