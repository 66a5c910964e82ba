"""AMQP 0-9-1 (RabbitMQ) through ``aio-pika``.

A channel address is a routing key on the broker's ``amq.topic`` exchange:
a send publishes with it (headers as AMQP message headers, the content type
as the message property); a receive binds a private, exclusive queue to it
(``{parameters}`` become ``*``), so concurrent runs each get their own copy.
The server URL's path is the virtual host, as in ``amqp://host:5672/vhost``.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from . import BrokerError, Endpoint, Received, Subscription

_PARAM = re.compile(r"\{[^}]*\}")
EXCHANGE = "amq.topic"


class AmqpBinding:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._connection: Any = None
        self._channel: Any = None
        self._exchange: Any = None
        self._queues: dict[int, tuple[Any, str]] = {}  # id(subscription) -> (its queue, consumer tag)

    async def connect(self) -> None:
        import aio_pika
        from aio_pika.exceptions import AMQPConnectionError, AMQPError

        vhost = unquote(urlsplit(self.endpoint.url).path.lstrip("/")) or "/"
        try:
            self._connection = await aio_pika.connect(
                host=self.endpoint.host,
                port=self.endpoint.port(5672),
                login=self.endpoint.username or "guest",
                password=self.endpoint.password or "guest",
                virtualhost=vhost,
                timeout=10,
            )
            self._channel = await self._connection.channel()
            self._exchange = await self._channel.get_exchange(EXCHANGE)
        except (AMQPConnectionError, AMQPError, OSError) as exc:
            raise BrokerError(f"cannot connect: {_reason(exc)}") from None

    async def publish(self, address: str, body: bytes, headers: dict[str, str], content_type: str) -> None:
        import aio_pika
        from aio_pika.exceptions import AMQPError

        message = aio_pika.Message(body, headers=dict(headers), content_type=content_type)
        try:
            await self._exchange.publish(message, routing_key=address)
        except AMQPError as exc:
            raise BrokerError(f"publish to {address!r} failed: {_reason(exc)}") from None

    async def subscribe(self, address: str) -> Subscription:
        from aio_pika.exceptions import AMQPError

        sub = Subscription(address)
        try:
            queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(self._exchange, routing_key=_PARAM.sub("*", address))
        except AMQPError as exc:
            raise BrokerError(f"subscribe to {address!r} failed: {_reason(exc)}") from None

        async def deliver(message: Any) -> None:
            async with message.process():
                headers = {str(k): _text(v) for k, v in (message.headers or {}).items()}
                if message.content_type:
                    headers.setdefault("content-type", message.content_type)
                sub.queue.put_nowait(Received(message.routing_key or address, bytes(message.body), headers))

        tag = await queue.consume(deliver)
        self._queues[id(sub)] = (queue, tag)
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        found = self._queues.pop(id(sub), None)
        if found is not None and self.is_open:
            queue, tag = found
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
                await queue.delete(if_unused=False, if_empty=False)

    @property
    def is_open(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None
        self._queues.clear()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("\n", 1)[0]
