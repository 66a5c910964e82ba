"""AsyncAPI steps against a real Mosquitto broker on 127.0.0.1 (V11-19, REQ async steps).

The shop is a loopback HTTP server whose POST /orders publishes the order's
confirmation on MQTT a little later, as a real service would; the workflow
must already be subscribed when it does (subscribe-before-trigger).
"""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from arazzo_runner import load, run_workflow
from tests.support.brokers import mosquitto
from tests.support.loopback import LoopbackServer
from tests.support.order_shop import in_threads, order_shop, write_flow

paho_publish = pytest.importorskip("paho.mqtt.publish", reason="the MQTT tests need paho-mqtt (installed with aiomqtt)")

ASYNCAPI = """\
asyncapi: 3.0.0
info: {title: Order events, version: 1.0.0}
servers:
  broker: {host: "127.0.0.1:1", protocol: mqtt}
channels:
  confirmed:
    address: shop/orders/confirmed
    messages:
      orderConfirmed: {$ref: '#/components/messages/orderConfirmed'}
  placed:
    address: shop/orders/placed
    messages:
      orderPlaced: {$ref: '#/components/messages/orderPlaced'}
operations:
  onOrderConfirmed:
    action: receive
    channel: {$ref: '#/channels/confirmed'}
  placeOrderEvent:
    action: send
    channel: {$ref: '#/channels/placed'}
components:
  messages:
    orderConfirmed:
      contentType: application/json
      correlationId: {location: '$message.payload#/orderId'}
      payload:
        type: object
        required: [orderId, status]
        properties:
          orderId: {type: string}
          status: {type: string, enum: [confirmed, rejected]}
    orderPlaced:
      contentType: application/json
      headers:
        type: object
        properties: {requestId: {type: string}}
      payload:
        type: object
        required: [orderId, quantity]
        properties:
          orderId: {type: string}
          quantity: {type: integer, minimum: 1}
"""

OPENAPI = """\
openapi: 3.1.0
info: {title: Shop, version: 1.0.0}
servers: [{url: "http://127.0.0.1:1"}]
paths:
  /orders:
    post:
      operationId: placeOrder
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        '201':
          description: placed
          content:
            application/json:
              schema:
                type: object
                required: [orderId]
                properties: {orderId: {type: string}}
"""

ARAZZO = """\
arazzo: 1.1.0
info: {title: Order and confirmation, version: 1.0.0}
sourceDescriptions:
  - {name: shop, url: ./shop.openapi.yaml, type: openapi}
  - {name: events, url: ./events.asyncapi.yaml, type: asyncapi}
workflows:
  - workflowId: place-and-confirm
    inputs:
      type: object
      properties: {item: {type: string}, timeout: {type: integer}}
    steps:
      - stepId: place
        operationId: placeOrder
        requestBody:
          contentType: application/json
          payload: {item: $inputs.item}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {orderId: $response.body#/orderId}
      - stepId: confirmed
        operationId: onOrderConfirmed
        action: receive
        correlationId: $steps.place.outputs.orderId
        timeout: 3000
        successCriteria:
          - condition: $message.payload#/status == 'confirmed'
        onFailure:
          - {name: give-up, type: end}
        outputs:
          status: $message.payload#/status
          orderId: $message.payload#/orderId
    outputs:
      orderId: $steps.confirmed.outputs.orderId
      status: $steps.confirmed.outputs.status
  - workflowId: announce
    inputs:
      type: object
      properties: {orderId: {type: string}, quantity: {}}
    steps:
      - stepId: send
        operationId: placeOrderEvent
        action: send
        parameters:
          - {name: requestId, in: header, value: req-1}
        requestBody:
          payload: {orderId: $inputs.orderId, quantity: $inputs.quantity}
        outputs:
          requestId: $message.header.requestId
  - workflowId: wait-only
    inputs:
      type: object
      properties: {orderId: {type: string}}
    steps:
      - stepId: confirmed
        operationId: onOrderConfirmed
        action: receive
        correlationId: $inputs.orderId
        timeout: 300
"""


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    return write_flow(tmp_path, ASYNCAPI, OPENAPI, ARAZZO).parent


@pytest.fixture
def broker() -> Iterator[str]:
    with mosquitto() as url:
        yield url


def _publish_later(broker: str, topic: str, payload: dict[str, Any], delay: float = 0.2) -> None:
    parts = urlsplit(broker)

    def go() -> None:
        paho_publish.single(topic, json.dumps(payload), qos=1, hostname=parts.hostname, port=parts.port)

    threading.Timer(delay, go).start()


def _shop(broker: str, status: str = "confirmed") -> LoopbackServer:
    """POST /orders answers 201 with a new order id, then publishes its confirmation (after another's)."""
    return order_shop(
        lambda payload, delay: _publish_later(broker, "shop/orders/confirmed", payload, delay), "ord", status
    )


def test_http_step_then_mqtt_receive_with_correlation(workflow_dir: Path, broker: str) -> None:
    with _shop(broker) as shop:
        result = run_workflow(
            str(workflow_dir / "flow.arazzo.yaml"),
            "place-and-confirm",
            {"item": "tea"},
            servers={"shop": shop.url, "events": broker},
        )
    assert result.status == "succeeded", result.error
    assert result.outputs["status"] == "confirmed"
    assert result.outputs["orderId"].endswith("-tea")
    receive = result.steps[-1]
    assert receive.method == "RECEIVE"
    assert receive.url == "events:shop/orders/confirmed"


def test_success_criteria_over_the_message_payload_fail_the_step(workflow_dir: Path, broker: str) -> None:
    with _shop(broker, status="rejected") as shop:
        result = run_workflow(
            str(workflow_dir / "flow.arazzo.yaml"),
            "place-and-confirm",
            {"item": "tea"},
            servers={"shop": shop.url, "events": broker},
        )
    assert result.status == "failed"
    assert result.error is not None
    assert "$message.payload#/status == 'confirmed'" in result.error.message
    assert str(result.steps[-1].next_action) == "end (give-up)"


def test_two_concurrent_runs_do_not_steal_each_others_messages(workflow_dir: Path, broker: str) -> None:
    results: dict[str, Any] = {}
    with _shop(broker) as shop:

        def one(item: str) -> None:
            results[item] = run_workflow(
                str(workflow_dir / "flow.arazzo.yaml"),
                "place-and-confirm",
                {"item": item},
                servers={"shop": shop.url, "events": broker},
            )

        in_threads(one, ("tea", "cake"))
    for item in ("tea", "cake"):
        assert results[item].status == "succeeded", results[item].error
        assert results[item].outputs["orderId"].endswith(f"-{item}")


def test_a_receive_that_never_comes_fails_at_its_timeout_naming_channel_and_correlation(
    workflow_dir: Path, broker: str
) -> None:
    result = run_workflow(
        str(workflow_dir / "flow.arazzo.yaml"), "wait-only", {"orderId": "ord-404"}, servers={"events": broker}
    )
    assert result.status == "failed"
    assert result.error is not None
    message = result.error.message
    assert "'shop/orders/confirmed'" in message
    assert "'ord-404'" in message
    assert "300 ms" in message
    assert result.error.reason == "step_timeout"


def test_a_send_is_published_with_its_headers(workflow_dir: Path, broker: str) -> None:
    import paho.mqtt.subscribe as paho_subscribe

    parts = urlsplit(broker)
    got: list[Any] = []

    def listen() -> None:
        got.append(paho_subscribe.simple("shop/orders/placed", hostname=parts.hostname, port=parts.port, qos=1))

    listener = threading.Thread(target=listen)
    listener.start()
    import time

    time.sleep(0.3)  # the listener subscribes first (not a timed assertion: only ordering)
    result = run_workflow(
        str(workflow_dir / "flow.arazzo.yaml"),
        "announce",
        {"orderId": "ord-9", "quantity": 2},
        servers={"events": broker},
    )
    listener.join(10)
    assert result.status == "succeeded", result.error
    assert result.steps[0].outputs == {"requestId": "req-1"}
    assert got and json.loads(got[0].payload) == {"orderId": "ord-9", "quantity": 2}


def test_a_send_that_does_not_match_its_schema_fails_before_publishing(workflow_dir: Path, broker: str) -> None:
    result = run_workflow(
        str(workflow_dir / "flow.arazzo.yaml"),
        "announce",
        {"orderId": "ord-9", "quantity": 0},
        servers={"events": broker},
    )
    assert result.status == "failed"
    assert result.error is not None
    assert "does not match its schema" in result.error.message
    assert "/quantity" in result.error.message


def test_a_broker_that_refuses_the_connection_fails_the_step_naming_the_server(workflow_dir: Path) -> None:
    from tests.support.loopback import refused_url

    dead = refused_url().replace("http://", "mqtt://")
    result = run_workflow(
        str(workflow_dir / "flow.arazzo.yaml"), "wait-only", {"orderId": "x"}, servers={"events": dead}
    )
    assert result.status == "failed"
    assert result.error is not None
    assert dead in result.error.message
    assert "cannot connect" in result.error.message


def test_the_asyncapi_document_is_indexed(workflow_dir: Path) -> None:
    doc = load(str(workflow_dir / "flow.arazzo.yaml"))
    step = doc.workflow("place-and-confirm").steps[1]
    assert step.asyncapi is not None
    assert step.asyncapi.action == "receive"
    assert step.asyncapi.channel.address == "shop/orders/confirmed"
    assert step.asyncapi.messages[0].correlation_location == "$message.payload#/orderId"
    assert not [d for d in doc.diagnostics if d.code == "ARZ159"]
    assert textwrap.dedent("x") == "x"
