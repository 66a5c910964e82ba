"""AsyncAPI steps over Kafka against a real Kafka-protocol broker: Tansu 0.6, started here on 127.0.0.1.

The same shop as tests/asyncapi/test_mqtt_steps.py: POST /orders answers, then the order's confirmation is
produced to a Kafka topic by a separate aiokafka producer, as a real service would. Each test has a broker
of its own (Tansu starts in milliseconds, in memory), so every topic is created by the run that uses it.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.events import MessageReceived, MessageSent
from arazzo_runner.reports import json_report
from tests.asyncapi.test_mqtt_steps import ARAZZO, OPENAPI
from tests.support.brokers import tansu
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply, free_port
from tests.support.order_shop import in_threads, listener, order_shop, write_flow

aiokafka = pytest.importorskip("aiokafka", reason="the Kafka tests need aiokafka: pip install 'arazzo-runner[async]'")

CONFIRMED, PLACED = "shop.orders.confirmed", "shop.orders.placed"

# The document of tests/asyncapi/test_mqtt_steps.py with Kafka topic names (no '/' in a topic) and a
# receive operation on the "placed" channel too, correlated by the order id in the payload.
ASYNCAPI = f"""\
asyncapi: 3.0.0
info: {{title: Order events, version: 1.0.0}}
servers:
  broker: {{host: "127.0.0.1:1", protocol: kafka}}
channels:
  confirmed:
    address: {CONFIRMED}
    messages:
      orderConfirmed: {{$ref: '#/components/messages/orderConfirmed'}}
  regional:
    address: shop.{{region}}.confirmed
    parameters: {{region: {{}}}}
    messages:
      orderConfirmed: {{$ref: '#/components/messages/orderConfirmed'}}
  placed:
    address: {PLACED}
    messages:
      orderPlaced: {{$ref: '#/components/messages/orderPlaced'}}
operations:
  onOrderConfirmed:
    action: receive
    channel: {{$ref: '#/channels/confirmed'}}
  placeOrderEvent:
    action: send
    channel: {{$ref: '#/channels/placed'}}
  onRegionalConfirmation:
    action: receive
    channel: {{$ref: '#/channels/regional'}}
  onOrderPlaced:
    action: receive
    channel: {{$ref: '#/channels/placed'}}
components:
  messages:
    orderConfirmed:
      contentType: application/json
      correlationId: {{location: '$message.payload#/orderId'}}
      headers:
        type: object
        properties: {{source: {{type: string}}}}
      payload:
        type: object
        required: [orderId, status]
        properties:
          orderId: {{type: string}}
          status: {{type: string, enum: [confirmed, rejected]}}
    orderPlaced:
      contentType: application/json
      correlationId: {{location: '$message.payload#/orderId'}}
      headers:
        type: object
        properties: {{requestId: {{type: string}}}}
      payload:
        type: object
        required: [orderId, quantity]
        properties:
          orderId: {{type: string}}
          quantity: {{type: integer, minimum: 1}}
"""

# The inputs and first step of a workflow that places an order over HTTP (as place-and-confirm does).
_PLACE_AN_ORDER = """\
    inputs:
      type: object
      properties: {item: {type: string}}
    steps:
      - stepId: place
        operationId: placeOrder
        requestBody:
          contentType: application/json
          payload: {item: $inputs.item}
        outputs: {orderId: $response.body#/orderId}
"""
# wait-only of tests/asyncapi/test_mqtt_steps.py, waiting longer and giving the status.
_WAIT_LONG = (
    ARAZZO[ARAZZO.index("  - workflowId: wait-only\n") :].replace("wait-only", "wait-long").replace("300", "5000")
    + "        outputs: {status: $message.payload#/status}\n"
)
# The workflows of tests/asyncapi/test_mqtt_steps.py, and four more.
FLOWS = (
    ARAZZO
    + """\
  - workflowId: confirmed-by-warehouse
PLACE_AN_ORDER
      - stepId: confirmed
        operationId: onOrderConfirmed
        action: receive
        correlationId: $steps.place.outputs.orderId
        timeout: 5000
        successCriteria:
          - condition: $message.header.source == 'warehouse'
          - condition: $message.payload#/status == 'confirmed'
        outputs:
          source: $message.header.source
          status: $message.payload#/status
  - workflowId: send-and-hear
    inputs:
      type: object
      properties: {orderId: {type: string}}
    steps:
      - stepId: send
        operationId: placeOrderEvent
        action: send
        parameters:
          - {name: requestId, in: header, value: $inputs.orderId}
        requestBody:
          payload: {orderId: $inputs.orderId, quantity: 3}
      - stepId: heard
        operationId: onOrderPlaced
        action: receive
        correlationId: $inputs.orderId
        timeout: 5000
        outputs:
          quantity: $message.payload#/quantity
          requestId: $message.header.requestId
    outputs:
      quantity: $steps.heard.outputs.quantity
      requestId: $steps.heard.outputs.requestId
  - workflowId: place-and-confirm-anywhere
PLACE_AN_ORDER
      - stepId: confirmed
        operationId: onRegionalConfirmation
        action: receive
        correlationId: $steps.place.outputs.orderId
        timeout: 5000
        outputs: {status: $message.payload#/status}
""".replace("PLACE_AN_ORDER\n", _PLACE_AN_ORDER)
    + _WAIT_LONG
)


@pytest.fixture
def flow(tmp_path: Path) -> str:
    return str(write_flow(tmp_path, ASYNCAPI, OPENAPI, FLOWS))


@pytest.fixture
def broker() -> Iterator[str]:
    with tansu() as url:
        yield url


def _bootstrap(broker: str) -> str:
    return broker.split("://", 1)[1]


def produce(broker: str, topic: str, payload: Any, headers: dict[str, str] | None = None) -> None:
    """One record produced to ``topic`` by a producer of the test's own (acknowledged when this returns)."""

    async def go() -> None:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=_bootstrap(broker))
        await producer.start()
        try:
            record_headers = [(k, v.encode()) for k, v in (headers or {}).items()]
            await producer.send_and_wait(topic, json.dumps(payload).encode(), headers=record_headers)
        finally:
            await producer.stop()

    asyncio.run(go())


def produce_later(broker: str, topic: str, payload: Any, delay: float, headers: dict[str, str] | None = None) -> None:
    threading.Timer(delay, produce, args=(broker, topic, payload, headers)).start()


async def read_from_the_end(consumer: Any, producer: Any, topic: str) -> None:
    """``consumer`` (no group) reads every partition of ``topic`` from its end as it is now; the topic is
    created if it is not there yet (asked through ``producer``)."""
    tps = [aiokafka.TopicPartition(topic, n) for n in await producer.partitions_for(topic)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)  # the end is taken now, not at the first read


class TopicReader:
    """Reads a topic from its end at the time of entering (the test's own consumer, no group)."""

    def __init__(self, broker: str, topic: str) -> None:
        self.broker, self.topic = broker, topic
        self._loop = asyncio.new_event_loop()

    def __enter__(self) -> TopicReader:
        async def start_assigned() -> None:
            producer = aiokafka.AIOKafkaProducer(bootstrap_servers=_bootstrap(self.broker))
            await producer.start()
            try:
                self.consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=_bootstrap(self.broker), group_id=None)
                await self.consumer.start()
                await read_from_the_end(self.consumer, producer, self.topic)
            finally:
                await producer.stop()

        self._loop.run_until_complete(start_assigned())
        return self

    def records(self, seconds: float = 1.0) -> list[Any]:
        """The records produced since entering, waiting up to ``seconds`` for the first."""

        async def read() -> list[Any]:
            batches = await self.consumer.getmany(timeout_ms=int(seconds * 1000))
            return [record for records in batches.values() for record in records]

        return self._loop.run_until_complete(read())

    def __exit__(self, *exc: object) -> None:
        self._loop.run_until_complete(self.consumer.stop())
        self._loop.close()


def _shop(broker: str, status: str = "confirmed") -> LoopbackServer:
    """POST /orders answers 201 with a new order id, then produces its confirmation (after another's)."""
    return order_shop(lambda payload, delay: produce_later(broker, CONFIRMED, payload, delay), "k", status)


def test_http_step_then_kafka_receive_with_correlation(flow: str, broker: str) -> None:
    with _shop(broker) as shop:
        result = run_workflow(flow, "place-and-confirm", {"item": "tea"}, servers={"shop": shop.url, "events": broker})
    assert result.status == "succeeded", result.error
    assert result.outputs == {"orderId": "k-1-tea", "status": "confirmed"}
    receive = result.steps[-1]
    assert (receive.method, receive.url) == ("RECEIVE", f"events:{CONFIRMED}")


def test_the_kafka_example_of_the_docs_runs(flow: str, broker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "async-steps.md"
    block = re.search(r"<!-- async-example: kafka -->\n```python\n(.*?)```", docs.read_text(), re.S)
    assert block is not None, "docs/async-steps.md has no Kafka example"
    monkeypatch.chdir(Path(flow).parent)
    with _shop(broker) as shop:
        code = block.group(1).replace("http://127.0.0.1:8080", shop.url).replace("kafka://127.0.0.1:9092", broker)
        exec(compile(code, "docs/async-steps.md kafka example", "exec"), {"__name__": "__doc_example__"})


def test_two_concurrent_runs_do_not_steal_each_others_records(flow: str, broker: str) -> None:
    results: dict[str, Any] = {}
    with _shop(broker) as shop:

        def one(item: str) -> None:
            servers = {"shop": shop.url, "events": broker}
            results[item] = run_workflow(flow, "place-and-confirm", {"item": item}, servers=servers)

        in_threads(one, ("tea", "cake", "jam"))
    for item in ("tea", "cake", "jam"):
        assert results[item].status == "succeeded", results[item].error
        assert results[item].outputs["orderId"].endswith(f"-{item}")
        assert results[item].outputs["status"] == "confirmed"


def test_a_receive_that_never_comes_fails_at_its_timeout_naming_topic_and_correlation(flow: str, broker: str) -> None:
    result = run_workflow(flow, "wait-only", {"orderId": "k-404"}, servers={"events": broker})
    assert result.status == "failed" and result.error is not None
    assert result.error.reason == "step_timeout"
    assert (
        f"no message with correlation id 'k-404' arrived on channel '{CONFIRMED}' of 'events' within 300 ms"
    ) in result.error.message


def test_a_record_produced_before_the_run_subscribed_is_not_taken(flow: str, broker: str) -> None:
    """Subscribe-before-trigger, from the other side: the consumer starts at the end of each partition as it
    was when the run subscribed, so an older record, even with the awaited id, is not the step's message."""
    produce(broker, CONFIRMED, {"orderId": "k-early", "status": "rejected"})
    early = run_workflow(flow, "wait-only", {"orderId": "k-early"}, servers={"events": broker})
    assert early.status == "failed" and early.error is not None and early.error.reason == "step_timeout"
    stop = threading.Event()

    def keep_producing() -> None:  # until the run has taken one: it subscribes after the first may be sent
        while not stop.wait(0.2):
            produce(broker, CONFIRMED, {"orderId": "k-early", "status": "confirmed"})

    producer = threading.Thread(target=keep_producing)
    producer.start()
    try:
        later = run_workflow(flow, "wait-long", {"orderId": "k-early"}, servers={"events": broker})
    finally:
        stop.set()
        producer.join()
    assert later.status == "succeeded", later.error
    assert later.steps[0].outputs == {"status": "confirmed"}


def test_criteria_over_the_record_payload_and_headers(flow: str, broker: str) -> None:
    """The shop produces the confirmation before it answers: the run subscribed when it started."""
    replies = {
        "tea": ({"status": "confirmed"}, {"source": "warehouse"}),
        "cake": ({"status": "confirmed"}, {"source": "till"}),
        "jam": ({"status": "rejected"}, {"source": "warehouse"}),
    }

    def place(request: RecordedRequest) -> Reply:
        item = json.loads(request.body)["item"]
        payload, headers = replies[item]
        produce(broker, CONFIRMED, {"orderId": f"k-{item}", **payload}, headers)
        return Reply(status=201, body={"orderId": f"k-{item}"})

    with LoopbackServer() as shop:
        shop.script("POST", "/orders", place)
        ok, wrong_header, wrong_payload = (
            run_workflow(flow, "confirmed-by-warehouse", {"item": item}, servers={"shop": shop.url, "events": broker})
            for item in replies
        )
    assert ok.status == "succeeded", ok.error
    assert ok.steps[-1].outputs == {"source": "warehouse", "status": "confirmed"}
    assert wrong_header.status == "failed" and wrong_header.error is not None
    assert "success criterion \"$message.header.source == 'warehouse'\" not met" in wrong_header.error.message
    assert wrong_payload.status == "failed" and wrong_payload.error is not None
    assert "$message.payload#/status == 'confirmed'" in wrong_payload.error.message


@pytest.mark.parametrize("matching_before", [True, False], ids=["a-topic-matched-before", "no-topic-matched"])
def test_a_topic_pattern_takes_a_record_from_a_topic_created_after_it_subscribed(
    flow: str, broker: str, matching_before: bool
) -> None:
    """``shop.{region}.confirmed``: the topics matching when the run subscribes are read from their end, and a
    matching topic created later (here by the shop, during the run) from its first record."""
    if matching_before:
        produce(broker, "shop.eu.confirmed", {"orderId": "k-tea", "status": "rejected"})  # before: not taken

    def place(request: RecordedRequest) -> Reply:
        produce(broker, "shop.us.confirmed", {"orderId": "k-tea", "status": "confirmed"})  # a new topic
        return Reply(status=201, body={"orderId": "k-tea"})

    with LoopbackServer() as shop:
        shop.script("POST", "/orders", place)
        servers = {"shop": shop.url, "events": broker}
        result = run_workflow(flow, "place-and-confirm-anywhere", {"item": "tea"}, servers=servers)
    assert result.status == "succeeded", result.error
    assert result.steps[-1].outputs == {"status": "confirmed"}
    assert result.steps[-1].url == "events:shop.us.confirmed"


def test_a_send_produces_a_record_with_its_payload_and_headers(flow: str, broker: str) -> None:
    with TopicReader(broker, PLACED) as reader:
        result = run_workflow(flow, "announce", {"orderId": "k-9", "quantity": 2}, servers={"events": broker})
        assert result.status == "succeeded", result.error
        [record] = reader.records(5)
    assert json.loads(record.value) == {"orderId": "k-9", "quantity": 2}
    assert list(record.headers) == [("requestId", b"req-1"), ("content-type", b"application/json")]
    assert record.key is None  # the binding sets no key: the producer's partitioner spreads records
    assert result.steps[0].url == f"{broker}/{PLACED}"


def test_a_send_that_does_not_match_its_schema_is_never_produced(flow: str, broker: str) -> None:
    with TopicReader(broker, PLACED) as reader:
        result = run_workflow(flow, "announce", {"orderId": "k-9", "quantity": 0}, servers={"events": broker})
        assert result.status == "failed" and result.error is not None
        assert "does not match its schema" in result.error.message and "/quantity" in result.error.message
        assert reader.records(0.5) == []


def test_a_send_then_a_receive_on_the_same_topic(flow: str, broker: str) -> None:
    result = run_workflow(flow, "send-and-hear", {"orderId": "k-echo"}, servers={"events": broker})
    assert result.status == "succeeded", result.error
    assert result.outputs == {"quantity": 3, "requestId": "k-echo"}


def test_a_closed_port_fails_the_step_naming_the_server_and_the_cause(flow: str) -> None:
    dead = f"kafka://127.0.0.1:{free_port()}"
    result = run_workflow(flow, "wait-only", {"orderId": "x"}, servers={"events": dead})
    assert result.status == "failed" and result.error is not None and result.error.reason == "transport_error"
    assert f"server {dead} of 'events': cannot connect: " in result.error.message
    assert "Unable to bootstrap from" in result.error.message  # aiokafka's words for a refused connection


def test_a_topic_name_kafka_refuses_fails_the_step_at_once(tmp_path: Path, broker: str) -> None:
    """MQTT-style addresses ('/' in them) are no Kafka topics: said before asking the broker, which would
    answer with an error the client retries until its request timeout."""
    flow = write_flow(tmp_path, ASYNCAPI.replace(CONFIRMED, "shop/orders/confirmed"), OPENAPI, FLOWS)
    result = run_workflow(str(flow), "wait-only", {"orderId": "x"}, servers={"events": broker})
    assert result.status == "failed" and result.error is not None
    assert "'shop/orders/confirmed' is not a valid Kafka topic name" in result.error.message


def test_an_authenticating_broker_refuses_a_plain_login_without_showing_the_password(tmp_path: Path) -> None:
    """Tansu 0.6 offers SASL SCRAM-SHA-256/512 only; the binding logs in with SASL PLAIN, which it refuses.
    (Tansu keeps its users in its storage, and this build stores in memory only: no user can be made before
    authentication is required, so no login can succeed against it here.)"""
    secured = ASYNCAPI.replace(
        'broker: {host: "127.0.0.1:1", protocol: kafka}',
        'broker:\n    host: "127.0.0.1:1"\n    protocol: kafka\n'
        "    security: [{$ref: '#/components/securitySchemes/login'}]",
    ).replace("components:\n", "components:\n  securitySchemes:\n    login: {type: plain}\n", 1)
    flow = write_flow(tmp_path, secured, OPENAPI, FLOWS)
    with tansu(authentication=True) as broker:
        result = run_workflow(
            str(flow),
            "announce",
            {"orderId": "k-1", "quantity": 1},
            servers={"events": broker},
            credentials={"login": {"username": "ada", "password": "kafka-horse-staple"}},
        )
    assert result.status == "failed" and result.error is not None
    assert f"server {broker} of 'events': cannot connect: " in result.error.message
    assert "kafka-horse-staple" not in repr(result)


def test_kafka_messages_are_events_and_in_the_report(flow: str, broker: str) -> None:
    events, recorder, listen = listener()
    result = run_workflow(flow, "send-and-hear", {"orderId": "k-ev"}, servers={"events": broker}, on_event=listen)
    assert result.status == "succeeded", result.error
    [sent] = [e for e in events if isinstance(e, MessageSent)]
    [received] = [e for e in events if isinstance(e, MessageReceived)]
    for event in (sent, received):
        assert (event.source, event.server, event.protocol, event.channel) == ("events", broker, "kafka", PLACED)
        assert event.body is not None and json.loads(event.body) == {"orderId": "k-ev", "quantity": 3}
    assert dict(sent.headers) == {"requestId": "k-ev"}
    assert received.correlation_id == "k-ev"
    assert dict(received.headers) == {"requestId": "k-ev", "content-type": "application/json"}
    report = json_report(recorder)
    [(sent_entry,), (received_entry,)] = [step["messages"] for step in report["steps"]]
    assert (sent_entry["direction"], received_entry["direction"]) == ("sent", "received")
    assert received_entry["protocol"] == "kafka" and received_entry["correlationId"] == "k-ev"
