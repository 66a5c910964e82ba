"""The Kafka binding without a broker: the binding chosen by the protocol and the URL's scheme, the client
configuration made from the URL and credentials, topic names, and a refused connection on a closed port of
127.0.0.1 failing the step with the server and the cause (the real aiokafka client connecting). Messages
through a real Kafka-protocol broker (Tansu): tests/asyncapi/test_kafka_steps.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.asyncapi.bindings import Endpoint, binding_for, broker_url_problem, known_protocols
from tests.asyncapi.test_mqtt_steps import ARAZZO, ASYNCAPI, OPENAPI
from tests.support.loopback import free_port

pytest.importorskip("aiokafka", reason="the Kafka binding needs aiokafka: pip install 'arazzo-runner[async]'")

from arazzo_runner.asyncapi.bindings.kafka import (  # after the skip when aiokafka is missing
    KafkaBinding,
    client_options,
    record_headers,
    topic_pattern,
    topic_problem,
)

KAFKA = ASYNCAPI.replace(
    'broker: {host: "127.0.0.1:1", protocol: mqtt}', 'broker: {host: "127.0.0.1:1", protocol: kafka}'
)
SECURED = KAFKA.replace(
    'broker: {host: "127.0.0.1:1", protocol: kafka}',
    'broker:\n    host: "127.0.0.1:PORT"\n    protocol: kafka\n'
    "    security: [{$ref: '#/components/securitySchemes/saslLogin'}]",
).replace("components:\n", "components:\n  securitySchemes:\n    saslLogin: {type: plain}\n", 1)


def _flow(tmp_path: Path, asyncapi: str = KAFKA) -> str:
    (tmp_path / "events.asyncapi.yaml").write_text(asyncapi)
    (tmp_path / "shop.openapi.yaml").write_text(OPENAPI)
    (tmp_path / "flow.arazzo.yaml").write_text(ARAZZO)
    return str(tmp_path / "flow.arazzo.yaml")


def test_the_protocol_and_the_url_scheme_choose_the_kafka_binding() -> None:
    for protocol in ("kafka", "kafka-secure", "KAFKA"):
        assert isinstance(binding_for(protocol, Endpoint("kafka://127.0.0.1:9092")), KafkaBinding)
    assert "kafka" in known_protocols() and "kafka-secure" in known_protocols()
    assert broker_url_problem("kafka://127.0.0.1:9092") is None
    assert broker_url_problem("kafka-secure://broker.example:9093") is None


def test_the_client_configuration_comes_from_the_url_and_the_credentials() -> None:
    plain = client_options(Endpoint("kafka://broker.example"))
    assert plain["bootstrap_servers"] == "broker.example:9092"  # Kafka's default port
    assert plain["security_protocol"] == "PLAINTEXT" and "sasl_mechanism" not in plain
    tls = client_options(Endpoint("kafka-secure://broker.example:9093"))
    assert (tls["bootstrap_servers"], tls["security_protocol"]) == ("broker.example:9093", "SSL")
    login = client_options(Endpoint("kafka-secure://broker.example:9093", "ada", "s3cret"))
    assert login["security_protocol"] == "SASL_SSL" and login["sasl_mechanism"] == "PLAIN"
    assert (login["sasl_plain_username"], login["sasl_plain_password"]) == ("ada", "s3cret")
    assert client_options(Endpoint("kafka://h:1", "ada", None))["security_protocol"] == "SASL_PLAINTEXT"


def test_addresses_and_headers_map_to_topics_and_record_headers() -> None:
    assert topic_pattern("shop.orders.confirmed") is None  # a plain topic name
    pattern = topic_pattern("shop.{region}.orders")
    assert pattern == r"^shop\.[^/]+\.orders$"
    assert record_headers({"requestId": "r-1"}, "application/json") == [
        ("requestId", b"r-1"),
        ("content-type", b"application/json"),
    ]
    assert record_headers({"Content-Type": "text/plain"}, "application/json") == [("Content-Type", b"text/plain")]
    for good in ("shop.orders.confirmed", "orders_v2-eu", "a" * 249):
        assert topic_problem(good) is None
    for bad in ("shop/orders/confirmed", "two words", "a" * 250, "", ".", "..", "café"):
        assert topic_problem(bad) is not None, bad


def test_a_refused_connection_fails_the_receive_step_naming_the_server_and_cause(tmp_path: Path) -> None:
    dead = f"kafka://127.0.0.1:{free_port()}"
    result = run_workflow(_flow(tmp_path), "wait-only", {"orderId": "x"}, servers={"events": dead})
    assert result.status == "failed" and result.error is not None
    assert result.error.reason == "transport_error"
    assert f"server {dead} of 'events': cannot connect:" in result.error.message
    assert "127.0.0.1" in result.error.message.split("cannot connect:", 1)[1]  # aiokafka's own words


def test_a_refused_connection_fails_a_send_step_and_never_shows_the_password(tmp_path: Path) -> None:
    port = free_port()
    flow = _flow(tmp_path, SECURED.replace("PORT", str(port)))
    result = run_workflow(
        flow,
        "announce",
        {"orderId": "o-1", "quantity": 1},
        credentials={"saslLogin": {"username": "ada", "password": "kafka-horse-staple"}},
    )
    assert result.status == "failed" and result.error is not None
    assert f"server kafka://127.0.0.1:{port} of 'events': cannot connect" in result.error.message
    assert "kafka-horse-staple" not in repr(result)
