"""A workflow of our own over the spec's pet-store AsyncAPI example (place an order, receive its confirmation),
end to end against a real Mosquitto broker on 127.0.0.1.

The official ``pet-asyncapi.yaml`` (``examples/1.1.0/`` of the Arazzo specification repository) describes a
Kafka server; here the source's server is overridden with ``servers={source name: "mqtt://127.0.0.1:PORT"}``,
exactly as for an HTTP source: the URL's scheme chooses the MQTT binding and the channel addresses are used as
topics (tests/asyncapi/test_kafka_connections.py runs ``PET_STYLE`` over Kafka itself, against Tansu). The document
is read from ``../shared/reference/arazzo-spec/examples/1.1.0/pet-asyncapi.yaml`` when present (the test skips naming it
otherwise); ``PET_STYLE`` below is our own document of the same shape (a Kafka server, a ``placeOrder`` send
and a ``confirmOrder`` receive correlated by a header), run the same way so the flow is exercised here too.

A responder thread plays the pet store: it subscribes to the order channel and answers each order with a
confirmation generated from the confirmation message's schema, carrying the order's correlation id.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.asyncapi.index import AsyncAPIDescription, Message, load_asyncapi
from arazzo_runner.mock.generate import ValueGenerator
from tests.support.brokers import mosquitto

mqtt_client = pytest.importorskip("paho.mqtt.client", reason="the pet-store responder needs paho-mqtt")

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = ROOT.parent / "shared" / "reference" / "arazzo-spec" / "examples" / "1.1.0" / "pet-asyncapi.yaml"
SOURCE = "asyncOrderApiDescription"  # the source name the specification's example gives it

PET_STYLE = """\
asyncapi: 3.0.0
info: {title: Pet orders (our own test document), version: 1.0.0}
servers:
  orders:
    host: kafka.invalid:9092
    protocol: kafka
channels:
  orderPlaced:
    address: pets.orders.placed
    messages:
      order: {$ref: '#/components/messages/order'}
  orderConfirmed:
    address: pets.orders.confirmed
    messages:
      confirmation: {$ref: '#/components/messages/confirmation'}
operations:
  placeOrder:
    action: send
    channel: {$ref: '#/channels/orderPlaced'}
  confirmOrder:
    action: receive
    channel: {$ref: '#/channels/orderConfirmed'}
components:
  messages:
    order:
      contentType: application/json
      correlationId: {location: '$message.header#/orderCorrelationId'}
      headers:
        type: object
        properties: {orderCorrelationId: {type: string}}
      payload:
        type: object
        required: [petId]
        properties:
          petId: {type: integer, minimum: 1}
    confirmation:
      contentType: application/json
      correlationId: {location: '$message.header#/orderCorrelationId'}
      headers:
        type: object
        properties: {orderCorrelationId: {type: string}}
      payload:
        type: object
        required: [orderId, status]
        properties:
          orderId: {type: integer}
          status: {type: string, enum: [placed, approved]}
"""


def _description(path: Path) -> AsyncAPIDescription:
    return load_asyncapi(path.as_uri(), path.name, path.read_text(encoding="utf-8"))


def _generated(schema: Any, seed: str) -> Any:
    return ValueGenerator(lambda s: s, random.Random(seed)).generate(schema) if isinstance(schema, dict) else {}


def _workflow(asyncapi: Path, place: Message, correlation_header: str | None) -> str:
    """Our workflow: send the order (its payload generated from the schema), then receive its confirmation."""
    payload = _generated(place.payload, "order")
    parameters = ""
    if correlation_header is not None:
        parameters = (
            "        parameters:\n"
            f"          - {{name: {correlation_header}, in: header, value: $inputs.orderCorrelationId}}\n"
        )
    return f"""\
arazzo: 1.1.0
info: {{title: Buy a pet and wait for the confirmation, version: 1.0.0}}
sourceDescriptions:
  - {{name: {SOURCE}, url: {json.dumps(asyncapi.as_uri())}, type: asyncapi}}
workflows:
  - workflowId: purchase-and-confirm
    inputs:
      type: object
      properties: {{orderCorrelationId: {{type: string}}}}
    steps:
      - stepId: purchasePet
        operationId: placeOrder
        action: send
{parameters}        requestBody:
          contentType: application/json
          payload: {json.dumps(payload)}
      - stepId: confirmPurchase
        operationId: confirmOrder
        action: receive
        correlationId: $inputs.orderCorrelationId
        timeout: 10000
        outputs:
          confirmation: $message.payload
    outputs:
      confirmation: $steps.confirmPurchase.outputs.confirmation
"""


class Responder:
    """The pet store's side on the broker: each order on ``orders`` is confirmed on ``confirmations``."""

    def __init__(self, broker: str, orders: str, confirmations: str, confirm: Message, place: Message) -> None:
        parts = urlsplit(broker)
        self.confirm, self.place, self.confirmations = confirm, place, confirmations
        self.seen: list[Any] = []
        self.ready = threading.Event()
        self.client = mqtt_client.Client(
            mqtt_client.CallbackAPIVersion.VERSION2, protocol=mqtt_client.MQTTv5, client_id=f"pets-{uuid.uuid4()}"
        )
        self.client.on_connect = lambda client, *_: client.subscribe(orders, qos=1)
        self.client.on_subscribe = lambda *_: self.ready.set()
        self.client.on_message = self._answer
        self.client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)

    def _answer(self, client: Any, userdata: Any, message: Any) -> None:
        headers = dict(getattr(message.properties, "UserProperty", None) or [])
        body = json.loads(message.payload)
        self.seen.append((headers, body))
        correlation = _read(self.place.correlation_location, headers, body)
        reply = _generated(self.confirm.payload, "confirmation")
        reply_headers = {str(k): str(v) for k, v in _generated(self.confirm.headers, "headers").items()}
        _write(self.confirm.correlation_location, reply_headers, reply, correlation)
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.PUBLISH)
        props.ContentType = "application/json"
        if reply_headers:
            props.UserProperty = list(reply_headers.items())
        client.publish(self.confirmations, json.dumps(reply), qos=1, properties=props)

    def __enter__(self) -> Responder:
        self.client.loop_start()
        assert self.ready.wait(10), "the responder could not subscribe"
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _read(location: str | None, headers: dict[str, str], body: Any) -> Any:
    head, _, pointer = (location or "$message.header#/orderCorrelationId").partition("#")
    name = pointer.strip("/")
    if head == "$message.header":
        return headers.get(name)
    return body.get(name) if isinstance(body, dict) else None


def _write(location: str | None, headers: dict[str, str], body: Any, value: Any) -> None:
    head, _, pointer = (location or "$message.header#/orderCorrelationId").partition("#")
    name = pointer.strip("/")
    if head == "$message.header":
        headers[name] = str(value)
    elif isinstance(body, dict):
        body[name] = value


@pytest.fixture
def broker() -> Iterator[str]:
    with mosquitto() as url:
        yield url


def _run_over(asyncapi: Path, broker: str, tmp_path: Path) -> None:
    description = _description(asyncapi)
    assert {"placeOrder", "confirmOrder"} <= set(description.operations), "the example's two operations"
    place, confirm = description.operations["placeOrder"], description.operations["confirmOrder"]
    assert (place.action, confirm.action) == ("send", "receive")
    assert any(server.protocol.startswith("kafka") for server in description.servers.values())
    place_message, confirm_message = place.messages[0], confirm.messages[0]
    location = place_message.correlation_location or ""
    header = location.partition("#")[2].strip("/") if location.startswith("$message.header") else None
    flow = tmp_path / "pets.arazzo.yaml"
    flow.write_text(_workflow(asyncapi, place_message, header))
    correlation = f"pet-order-{uuid.uuid4().hex[:8]}"
    with Responder(broker, place.channel.address, confirm.channel.address, confirm_message, place_message) as pets:
        result = run_workflow(
            str(flow), "purchase-and-confirm", {"orderCorrelationId": correlation}, servers={SOURCE: broker}
        )
    assert result.status == "succeeded", result.error
    purchase, confirmation = result.steps
    assert (purchase.method, confirmation.method) == ("SEND", "RECEIVE")
    assert confirmation.url == f"{SOURCE}:{confirm.channel.address}"
    assert len(pets.seen) == 1  # the order went through the broker to the store
    if header is not None:
        assert pets.seen[0][0].get(header) == correlation
    assert isinstance(result.outputs["confirmation"], dict)


def test_our_workflow_over_the_official_pet_asyncapi_example(broker: str, tmp_path: Path) -> None:
    if not OFFICIAL.exists():
        pytest.skip(f"the specification's AsyncAPI example is not here: {OFFICIAL} (examples/1.1.0/pet-asyncapi.yaml)")
    _run_over(OFFICIAL, broker, tmp_path)


def test_our_workflow_over_a_pet_store_document_of_the_same_shape(broker: str, tmp_path: Path) -> None:
    document = tmp_path / "pet-orders.asyncapi.yaml"
    document.write_text(PET_STYLE)
    _run_over(document, broker, tmp_path)
