"""Messages of AsyncAPI steps in the event stream, the -vv trace and every report, told as HTTP exchanges are,
and a received message checked by the run's contract checks as an HTTP response is (real Mosquitto)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from arazzo_runner import run_workflow
from arazzo_runner.cli.app import main
from arazzo_runner.events import (
    CriterionEvaluated,
    Event,
    MessageReceived,
    MessageSent,
    OutputEvaluated,
    ServerResolved,
)
from arazzo_runner.reports import Recorder, har_log, json_report, junit_xml, markdown_summary, report_schema
from tests.asyncapi.test_mqtt_steps import ARAZZO, ASYNCAPI, OPENAPI, _shop, paho_publish
from tests.support.brokers import mosquitto
from tests.support.order_shop import listener, write_flow

SECRET = "hunter2-not-shown"

# A send step whose payload carries a password input: masked in every event and report.
SECRET_FLOW = """\
arazzo: 1.1.0
info: {title: Secret announce, version: 1.0.0}
sourceDescriptions:
  - {name: events, url: ./events.asyncapi.yaml, type: asyncapi}
workflows:
  - workflowId: announce-secret
    inputs:
      type: object
      properties: {orderId: {type: string}, token: {type: string, format: password}}
    steps:
      - stepId: send
        operationId: placeOrderEvent
        action: send
        parameters:
          - {name: requestId, in: header, value: $inputs.token}
        requestBody:
          payload: {orderId: $inputs.orderId, quantity: 1, note: $inputs.token}
  - workflowId: wait-long
    inputs:
      type: object
      properties: {orderId: {type: string}}
    steps:
      - stepId: confirmed
        operationId: onOrderConfirmed
        action: receive
        correlationId: $inputs.orderId
        timeout: 20000
"""


@pytest.fixture
def flow(tmp_path: Path) -> str:
    (tmp_path / "secret.arazzo.yaml").write_text(SECRET_FLOW)
    return str(write_flow(tmp_path, ASYNCAPI, OPENAPI, ARAZZO))


@pytest.fixture
def broker() -> Iterator[str]:
    with mosquitto() as url:
        yield url


def _confirmed_run(flow: str, broker: str, **options: Any) -> tuple[Any, list[Event], Recorder]:
    events, recorder, listen = listener()
    with _shop(broker) as shop:
        result = run_workflow(
            flow, "place-and-confirm", {"item": "tea"}, servers={"shop": shop.url, "events": broker}, on_event=listen
        )
    return result, events, recorder


def test_a_received_message_is_an_event_with_channel_server_correlation_and_body(flow: str, broker: str) -> None:
    result, events, _ = _confirmed_run(flow, broker)
    assert result.status == "succeeded", result.error
    order_id = result.outputs["orderId"]
    [received] = [e for e in events if isinstance(e, MessageReceived)]
    assert received.kind == "message_received"
    assert (received.workflow_id, received.step_id, received.path) == (
        "place-and-confirm",
        "confirmed",
        ("place-and-confirm",),
    )
    assert (received.source, received.server, received.protocol) == ("events", broker, "mqtt")
    assert received.channel == "shop/orders/confirmed"
    assert received.correlation_id == order_id
    assert received.body is not None and json.loads(received.body) == {"orderId": order_id, "status": "confirmed"}
    assert received.body_size == len(received.body.encode())
    assert received.elapsed >= 0 and not received.body_binary
    # The rest of the step is told as for an HTTP step: its server, criteria and outputs.
    assert any(isinstance(e, ServerResolved) and e.source == "events" and e.url == broker for e in events)
    criteria = [e for e in events if isinstance(e, CriterionEvaluated) and e.step_id == "confirmed"]
    assert [(c.text, c.passed) for c in criteria] == [("$message.payload#/status == 'confirmed'", True)]
    outputs = {e.name: e.value for e in events if isinstance(e, OutputEvaluated) and e.step_id == "confirmed"}
    assert outputs == {"status": "confirmed", "orderId": order_id}
    # In order: the message comes between the step's start and its criteria.
    kinds = [e.kind for e in events if e.step_id == "confirmed"]
    assert kinds.index("step_started") < kinds.index("message_received") < kinds.index("criterion_evaluated")


def test_every_report_shows_the_message(flow: str, broker: str) -> None:
    result, _, recorder = _confirmed_run(flow, broker)
    assert result.status == "succeeded", result.error
    report = json_report(recorder)
    jsonschema.validate(report, report_schema())
    place, confirmed = report["steps"]
    assert "messages" not in place  # an HTTP step's entry is as it was
    [message] = confirmed["messages"]
    assert message["direction"] == "received" and message["channel"] == "shop/orders/confirmed"
    assert message["correlationId"] == result.outputs["orderId"] and message["protocol"] == "mqtt"
    assert json.loads(message["body"])["status"] == "confirmed"
    junit = junit_xml(recorder)
    assert f"received on 'shop/orders/confirmed' (mqtt {broker}, correlation id '{result.outputs['orderId']}'" in junit
    har = har_log(recorder)["log"]
    assert [entry["request"]["method"] for entry in har["entries"]] == ["POST"]  # HAR keeps HTTP exchanges only
    assert har["_messages"] == [message]
    assert "Messages: 0 sent, 1 received" in markdown_summary(recorder)


def test_a_sent_message_is_an_event_with_secrets_masked(flow: str, broker: str) -> None:
    events, recorder, listen = listener()
    secret_flow = str(Path(flow).with_name("secret.arazzo.yaml"))
    with_userinfo = broker.replace("mqtt://", f"mqtt://ada:{SECRET}@")
    result = run_workflow(
        secret_flow,
        "announce-secret",
        {"orderId": "ord-5", "token": SECRET},
        servers={"events": with_userinfo},
        on_event=listen,
    )
    assert result.status == "succeeded", result.error
    [sent] = [e for e in events if isinstance(e, MessageSent)]
    assert sent.kind == "message_sent" and sent.channel == "shop/orders/placed"
    assert sent.body is not None and json.loads(sent.body) == {"orderId": "ord-5", "quantity": 1, "note": "***"}
    assert dict(sent.headers) == {"requestId": "***"}
    assert sent.server == broker.replace("mqtt://", "mqtt://ada:***@")
    for text in (repr(events), json.dumps(json_report(recorder)), junit_xml(recorder), repr(result)):
        assert SECRET not in text


def test_vv_trace_shows_the_messages(flow: str, broker: str, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = '{"orderId": "ord-3", "quantity": 2}'
    code = main(["run", flow, "-w", "announce", "--inputs", inputs, "--server", f"events={broker}", "-vv"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"  > SEND on 'shop/orders/placed' (mqtt {broker}, application/json)" in err
    assert "  > requestId: req-1" in err
    assert '  > {"orderId":"ord-3","quantity":2}' in err
    assert "ok   send SEND" in err


def _wait_for(flow: str, broker: str, payload: dict[str, Any], checks: Any) -> Any:
    """Runs ``wait-long`` while ``payload`` is published a few times (the first after it has subscribed is taken)."""
    parts = urlsplit(broker)
    stop = threading.Event()

    def publish() -> None:
        while not stop.wait(0.3):  # until the run has taken one: it may subscribe after the first is sent
            paho_publish.single(
                "shop/orders/confirmed", json.dumps(payload), qos=1, hostname=parts.hostname, port=parts.port
            )

    publisher = threading.Thread(target=publish)
    publisher.start()
    try:
        secret_flow = str(Path(flow).with_name("secret.arazzo.yaml"))
        return run_workflow(secret_flow, "wait-long", {"orderId": "ord-1"}, servers={"events": broker}, checks=checks)
    finally:
        stop.set()
        publisher.join()


def test_an_invalid_received_message_is_a_contract_check_result(flow: str, broker: str) -> None:
    bad = {"orderId": "ord-1", "status": 7}
    warned = _wait_for(flow, broker, bad, "warn")
    assert warned.status == "succeeded", warned.error
    checks = {c.name: c for c in warned.steps[0].checks}
    assert set(checks) == {"content-type", "schema", "headers"}
    assert checks["schema"].outcome == "failed" and checks["schema"].severity == "warn"
    assert "/status: expected string, got integer 7" in checks["schema"].message
    assert checks["content-type"].outcome == "passed"
    assert checks["headers"].outcome == "skipped"  # orderConfirmed declares no headers


def test_a_contract_check_at_error_fails_the_receive_step(flow: str, broker: str) -> None:
    failed = _wait_for(flow, broker, {"orderId": "ord-1", "status": 7}, {"schema": "error"})
    assert failed.status == "failed"
    assert failed.error is not None and failed.error.criterion == "contract:schema"
    assert "contract check 'schema' failed (/status: expected string, got integer 7;" in failed.error.message
    assert '"orderId": "ord-1"' in failed.error.message  # the message, as an HTTP failure shows the response


def test_a_valid_message_passes_and_no_checks_run_without_checks(flow: str, broker: str) -> None:
    good = _wait_for(flow, broker, {"orderId": "ord-1", "status": "confirmed"}, "error")
    assert good.status == "succeeded", good.error
    assert [(c.name, c.outcome) for c in good.steps[0].checks if c.outcome != "skipped"] == [
        ("content-type", "passed"),
        ("schema", "passed"),
    ]
    unchecked = _wait_for(flow, broker, {"orderId": "ord-1", "status": 7}, None)
    assert unchecked.status == "succeeded" and unchecked.steps[0].checks == ()
    assert not unchecked.steps[0].warnings


def test_mock_messages_are_events_too(flow: str) -> None:
    events: list[Event] = []
    result = run_workflow(flow, "wait-only", {"orderId": "ord-9"}, mock=True, on_event=events.append)
    assert result.status == "succeeded", result.error
    [received] = [e for e in events if isinstance(e, MessageReceived)]
    assert (received.server, received.protocol, received.correlation_id) == ("mock", "mqtt", "ord-9")
    assert received.body is not None and json.loads(received.body)["orderId"] == "ord-9"
    assert any(isinstance(e, ServerResolved) and e.origin == "the offline mock" for e in events)
