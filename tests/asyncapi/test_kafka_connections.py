"""Kafka connections kept by a Runner, made again after a cut, closed by a one-off run (counted at a TCP
proxy in front of a real Tansu broker), and the pet-store workflow over its document's own Kafka server.
The documents, fixtures and test functions are those of tests/asyncapi/test_kafka_steps.py."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arazzo_runner import Runner, run_workflow
from tests.asyncapi import test_kafka_steps
from tests.asyncapi.test_kafka_steps import _bootstrap, read_from_the_end
from tests.support.brokers import tansu
from tests.support.loopback import free_port
from tests.support.tcpproxy import TcpProxy

aiokafka = pytest.importorskip("aiokafka", reason="the Kafka tests need aiokafka: pip install 'arazzo-runner[async]'")

# The fixtures of tests/asyncapi/test_kafka_steps.py: a Tansu broker of the test's own, and the shop's flow.
broker, flow = test_kafka_steps.broker, test_kafka_steps.flow


@pytest.fixture
def proxied() -> Iterator[tuple[TcpProxy, str]]:
    """Tansu behind a TCP proxy that counts connections: the broker advertises the proxy's address, so every
    connection a client makes after bootstrapping goes through it too."""
    port = free_port()
    with TcpProxy(f"kafka://127.0.0.1:{port}") as proxy, tansu(port=port, advertised_port=proxy.port) as broker:
        yield proxy, broker


def test_a_runner_keeps_its_kafka_connections_across_runs(flow: str, proxied: tuple[TcpProxy, str]) -> None:
    proxy, _ = proxied
    with Runner(servers={"events": proxy.url}) as runner:
        first = runner.run(flow, "send-and-hear", {"orderId": "k-0"})
        assert first.status == "succeeded", first.error
        opened = proxy.accepted
        for n in range(1, 4):
            again = runner.run(flow, "send-and-hear", {"orderId": f"k-{n}"})
            assert again.status == "succeeded", again.error
            assert again.outputs == {"quantity": 3, "requestId": f"k-{n}"}
        assert runner.run(flow, "announce", {"orderId": "k-9", "quantity": 1}).status == "succeeded"
        waited = runner.run(flow, "wait-only", {"orderId": "nobody"})  # a topic joining the kept consumer
        assert waited.status == "failed" and waited.error is not None and waited.error.reason == "step_timeout"
        assert proxy.accepted == opened  # no new connection after the first run
        assert proxy.active > 0
    assert proxy.wait_until_idle(), "Runner.close() left Kafka connections open"


def test_a_cut_kafka_connection_is_made_again_for_the_next_run(flow: str, proxied: tuple[TcpProxy, str]) -> None:
    proxy, _ = proxied
    with Runner(servers={"events": proxy.url}) as runner:
        assert runner.run(flow, "send-and-hear", {"orderId": "k-1"}).status == "succeeded"
        opened = proxy.accepted
        proxy.cut()  # as a network failure or a broker restart would (aiokafka connects again on its own)
        again = runner.run(flow, "send-and-hear", {"orderId": "k-2"})
        assert again.status == "succeeded", again.error
        assert again.outputs == {"quantity": 3, "requestId": "k-2"}
        assert proxy.accepted > opened


def test_a_one_off_run_closes_its_kafka_connections(flow: str, proxied: tuple[TcpProxy, str]) -> None:
    proxy, _ = proxied
    result = run_workflow(flow, "send-and-hear", {"orderId": "k-1"}, servers={"events": proxy.url})
    assert result.status == "succeeded", result.error
    assert proxy.accepted > 0
    assert proxy.wait_until_idle(), "run_workflow left its Kafka connections open"


def test_concurrent_runs_on_one_runner_each_take_their_own_record(flow: str, broker: str) -> None:
    async def main() -> list[Any]:
        async with Runner(servers={"events": broker}) as runner:
            return list(
                await asyncio.gather(*(runner.arun(flow, "send-and-hear", {"orderId": f"k-{n}"}) for n in range(4)))
            )

    for n, result in enumerate(asyncio.run(main())):
        assert result.status == "succeeded", result.error
        assert result.outputs == {"quantity": 3, "requestId": f"k-{n}"}


class PetStore:
    """The pet store of tests/asyncapi/test_pet_asyncapi.py on Kafka: each order record on ``orders`` is
    answered on ``confirmations`` with a confirmation made from its schema, carrying the order's correlation
    id (a header). Its consumer is at the end of the order topic before it says it is ready."""

    def __init__(self, broker: str, orders: str, confirmations: str, place: Any, confirm: Any) -> None:
        self.broker, self.orders, self.confirmations = _bootstrap(broker), orders, confirmations
        self.place, self.confirm = place, confirm
        self.seen: list[tuple[dict[str, str], Any]] = []
        self.ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),))

    async def _serve(self) -> None:
        from tests.asyncapi.test_pet_asyncapi import _generated, _read, _write

        self._stop = asyncio.Event()
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=self.broker)
        consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=self.broker, group_id=None)
        await producer.start()
        await consumer.start()
        try:
            await read_from_the_end(consumer, producer, self.orders)
            self.ready.set()
            while not self._stop.is_set():
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    for record in records:
                        headers = {k: v.decode() for k, v in record.headers}
                        body = json.loads(record.value)
                        self.seen.append((headers, body))
                        reply = _generated(self.confirm.payload, "confirmation")
                        reply_headers = {str(k): str(v) for k, v in _generated(self.confirm.headers, "h").items()}
                        correlation = _read(self.place.correlation_location, headers, body)
                        _write(self.confirm.correlation_location, reply_headers, reply, correlation)
                        wire = [(k, v.encode()) for k, v in reply_headers.items()]
                        await producer.send_and_wait(self.confirmations, json.dumps(reply).encode(), headers=wire)
        finally:
            await consumer.stop()
            await producer.stop()

    def __enter__(self) -> PetStore:
        self._thread.start()
        assert self.ready.wait(10), "the pet store could not start"
        return self

    def __exit__(self, *exc: object) -> None:
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(10)
        self._loop.close()


def test_our_pet_store_workflow_over_its_own_kafka_server(tmp_path: Path, broker: str) -> None:
    """The pet-store document of tests/asyncapi/test_pet_asyncapi.py describes a Kafka server: here its
    workflow runs over Kafka itself (the server's host replaced by the test's broker, as for HTTP sources),
    correlated by a header, where the MQTT test has to point the source at Mosquitto."""
    from tests.asyncapi.test_pet_asyncapi import PET_STYLE, SOURCE, _description, _workflow

    document = tmp_path / "pet-orders.asyncapi.yaml"
    document.write_text(PET_STYLE)
    description = _description(document)
    assert description.servers["orders"].protocol == "kafka"
    place, confirm = description.operations["placeOrder"], description.operations["confirmOrder"]
    flow = tmp_path / "pets.arazzo.yaml"
    flow.write_text(_workflow(document, place.messages[0], "orderCorrelationId"))
    with PetStore(
        broker, place.channel.address, confirm.channel.address, place.messages[0], confirm.messages[0]
    ) as pets:
        result = run_workflow(
            str(flow), "purchase-and-confirm", {"orderCorrelationId": "pet-order-1"}, servers={SOURCE: broker}
        )
    assert result.status == "succeeded", result.error
    assert [(s.method, s.url) for s in result.steps] == [
        ("SEND", f"{broker}/pets.orders.placed"),
        ("RECEIVE", f"{SOURCE}:pets.orders.confirmed"),
    ]
    [(headers, _)] = pets.seen  # the order went through the broker to the store, its correlation id a header
    assert headers["orderCorrelationId"] == "pet-order-1"
    confirmation = result.outputs["confirmation"]
    assert isinstance(confirmation, dict) and confirmation["status"] in ("placed", "approved")
