"""AsyncAPI steps over AMQP 0-9-1 (a real RabbitMQ node started here) and WebSocket (a real ``websockets`` server).

The same workflow as tests/asyncapi/test_mqtt_steps.py, with the broker URL's
scheme choosing the binding (``servers={"events": "amqp://..."}``).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import run_workflow
from tests.asyncapi.test_mqtt_steps import ARAZZO, ASYNCAPI, OPENAPI
from tests.support.brokers import rabbitmq
from tests.support.order_shop import order_shop, write_flow

aio_pika = pytest.importorskip("aio_pika", reason="the AMQP tests need aio-pika")
websockets_server = pytest.importorskip("websockets.asyncio.server", reason="the WebSocket tests need websockets")


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    return write_flow(tmp_path, ASYNCAPI, OPENAPI, ARAZZO).parent


@pytest.fixture(scope="module")
def amqp_broker() -> Iterator[str]:
    with rabbitmq() as url:
        yield url


def _amqp_publish_later(broker: str, routing_key: str, payload: dict[str, Any], delay: float) -> None:
    async def go() -> None:
        await asyncio.sleep(delay)
        connection = await aio_pika.connect(broker)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange("amq.topic")
            body = json.dumps(payload).encode()
            await exchange.publish(aio_pika.Message(body, content_type="application/json"), routing_key=routing_key)

    threading.Thread(target=lambda: asyncio.run(go())).start()


def test_http_step_then_amqp_receive_with_correlation(workflow_dir: Path, amqp_broker: str) -> None:
    def publish_later(payload: dict[str, Any], delay: float) -> None:
        _amqp_publish_later(amqp_broker, "shop/orders/confirmed", payload, delay)

    with order_shop(publish_later, "amqp") as shop:
        result = run_workflow(
            str(workflow_dir / "flow.arazzo.yaml"),
            "place-and-confirm",
            {"item": "jam"},
            servers={"shop": shop.url, "events": amqp_broker},
        )
    assert result.status == "succeeded", result.error
    assert result.outputs == {"orderId": "amqp-1-jam", "status": "confirmed"}


def test_amqp_receive_times_out_naming_channel_and_correlation(workflow_dir: Path, amqp_broker: str) -> None:
    result = run_workflow(
        str(workflow_dir / "flow.arazzo.yaml"), "wait-only", {"orderId": "amqp-404"}, servers={"events": amqp_broker}
    )
    assert result.status == "failed" and result.error is not None
    assert "'amqp-404'" in result.error.message and "'shop/orders/confirmed'" in result.error.message


def test_amqp_send_is_published_with_headers(workflow_dir: Path, amqp_broker: str) -> None:
    got: list[Any] = []
    ready = threading.Event()

    async def listen() -> None:
        connection = await aio_pika.connect(amqp_broker)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(exclusive=True)
            await queue.bind(await channel.get_exchange("amq.topic"), routing_key="shop/orders/placed")
            ready.set()
            async with queue.iterator() as messages:
                async for message in messages:
                    async with message.process():
                        got.append((json.loads(message.body), dict(message.headers)))
                        return

    listener = threading.Thread(target=lambda: asyncio.run(asyncio.wait_for(listen(), 20)))
    listener.start()
    assert ready.wait(20)
    result = run_workflow(
        str(workflow_dir / "flow.arazzo.yaml"),
        "announce",
        {"orderId": "ord-5", "quantity": 1},
        servers={"events": amqp_broker},
    )
    listener.join(20)
    assert result.status == "succeeded", result.error
    assert got == [({"orderId": "ord-5", "quantity": 1}, {"requestId": "req-1"})]


class _ConfirmingSocketServer:
    """A WebSocket server on 127.0.0.1: on /shop/orders/placed it answers each order on /shop/orders/confirmed."""

    def __init__(self) -> None:
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._listeners: set[Any] = set()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def handler(connection: Any) -> None:
            path = connection.request.path
            if path == "/shop/orders/confirmed":
                self._listeners.add(connection)
                try:
                    await connection.wait_closed()
                finally:
                    self._listeners.discard(connection)
                return
            async for frame in connection:
                order = json.loads(frame)
                reply = json.dumps({"orderId": order["orderId"], "status": "confirmed"})
                for listener in list(self._listeners):
                    await listener.send(reply)

        async def main() -> None:
            self._server = await websockets_server.serve(handler, "127.0.0.1", 0)
            port = next(iter(self._server.sockets)).getsockname()[1]
            self.url = f"ws://127.0.0.1:{port}"
            self._started.set()
            await self._server.serve_forever()

        try:
            self._loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass

    def __enter__(self) -> _ConfirmingSocketServer:
        self._thread.start()
        assert self._started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._thread.join(10)


WS_FLOW = """\
arazzo: 1.1.0
info: {title: ws, version: 1.0.0}
sourceDescriptions:
  - {name: events, url: ./events.asyncapi.yaml, type: asyncapi}
workflows:
  - workflowId: send-and-confirm
    inputs: {type: object, properties: {orderId: {type: string}}}
    steps:
      - stepId: send
        operationId: placeOrderEvent
        action: send
        requestBody:
          payload: {orderId: $inputs.orderId, quantity: 2}
      - stepId: confirmed
        operationId: onOrderConfirmed
        action: receive
        correlationId: $inputs.orderId
        timeout: 5000
        successCriteria:
          - context: $message.payload
            condition: $.status
            type: jsonpath
        outputs: {status: $message.payload#/status}
    outputs: {status: $steps.confirmed.outputs.status}
"""


def test_websocket_send_then_receive_the_reply(workflow_dir: Path) -> None:
    (workflow_dir / "ws.arazzo.yaml").write_text(WS_FLOW)
    with _ConfirmingSocketServer() as server:
        result = run_workflow(
            str(workflow_dir / "ws.arazzo.yaml"),
            "send-and-confirm",
            {"orderId": "ws-1"},
            servers={"events": server.url},
        )
    assert result.status == "succeeded", result.error
    assert result.outputs == {"status": "confirmed"}
    assert [s.method for s in result.steps] == ["SEND", "RECEIVE"]
