"""WebSocket through ``websockets``: a channel is a path under the server URL, one connection per path.

WebSocket frames have no headers: a send step's header parameters are not
transmitted, and a received message has none. Text frames are decoded as
UTF-8; binary frames are kept as bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from . import BrokerError, Endpoint, Received, Subscription


class WebSocketBinding:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._connections: dict[str, Any] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}  # one reader per connection, for all its subscriptions
        self._subs: dict[str, list[Subscription]] = {}

    def _url(self, address: str) -> str:
        return self.endpoint.url.rstrip("/") + "/" + address.lstrip("/")

    async def connect(self) -> None:
        """Connections are per channel path: opened by the first publish or subscribe on it."""

    @property
    def is_open(self) -> bool:
        """Always: a path whose connection was closed or dropped is connected again when next used."""
        return True

    async def _connection(self, address: str) -> Any:
        connection = self._connections.get(address)
        if connection is not None and connection.close_code is not None:  # closed or dropped: open another
            self._connections.pop(address, None)
            reader = self._readers.pop(address, None)
            if reader is not None:
                reader.cancel()
            connection = None
        if connection is None:
            from websockets.asyncio.client import connect
            from websockets.exceptions import InvalidHandshake, InvalidURI

            headers = {}
            if self.endpoint.username is not None:
                import base64

                pair = f"{self.endpoint.username}:{self.endpoint.password or ''}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            try:
                connection = await connect(self._url(address), additional_headers=headers, open_timeout=10)
            except (OSError, InvalidHandshake, InvalidURI, asyncio.TimeoutError) as exc:
                raise BrokerError(f"cannot connect: {exc}") from None
            self._connections[address] = connection
        return connection

    async def publish(self, address: str, body: bytes, headers: dict[str, str], content_type: str) -> None:
        from websockets.exceptions import ConnectionClosed

        connection = await self._connection(address)
        frame: str | bytes = body
        if content_type.startswith("text/") or "json" in content_type:
            frame = body.decode("utf-8", "replace")
        try:
            await connection.send(frame)
        except ConnectionClosed as exc:
            raise BrokerError(f"send on {address!r} failed: {exc}") from None

    async def subscribe(self, address: str) -> Subscription:
        connection = await self._connection(address)
        sub = Subscription(address)
        self._subs.setdefault(address, []).append(sub)
        if address not in self._readers:

            async def read() -> None:
                with contextlib.suppress(Exception):
                    async for frame in connection:
                        body = frame.encode() if isinstance(frame, str) else bytes(frame)
                        for each in self._subs.get(address, ()):
                            each.queue.put_nowait(Received(address, body, {}))

            self._readers[address] = asyncio.get_running_loop().create_task(read())
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.address, [])
        if sub in subs:
            subs.remove(sub)

    async def close(self) -> None:
        for task in self._readers.values():
            task.cancel()
        self._readers.clear()
        for connection in self._connections.values():
            with contextlib.suppress(Exception):
                await connection.close()
        self._connections.clear()
        self._subs.clear()
