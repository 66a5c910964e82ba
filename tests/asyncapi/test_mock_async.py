"""--mock for AsyncAPI steps: a receive is answered from the message schema with the awaited correlation id;
a send is checked against its schema and handed to no broker."""

from __future__ import annotations

from pathlib import Path

from arazzo_runner import run_workflow
from tests.asyncapi.test_mqtt_steps import ARAZZO, ASYNCAPI, OPENAPI


def _dir(tmp_path: Path) -> Path:
    (tmp_path / "events.asyncapi.yaml").write_text(ASYNCAPI)
    (tmp_path / "shop.openapi.yaml").write_text(OPENAPI)
    (tmp_path / "flow.arazzo.yaml").write_text(ARAZZO)
    return tmp_path


def test_mock_receive_echoes_the_correlation_id(tmp_path: Path) -> None:
    flow = str(_dir(tmp_path) / "flow.arazzo.yaml")
    result = run_workflow(flow, "wait-only", {"orderId": "ord-77"}, mock=True)
    assert result.status == "succeeded", result.error
    assert result.steps[0].method == "RECEIVE"


def test_mock_receive_outputs_come_from_the_schema(tmp_path: Path) -> None:
    flow = str(_dir(tmp_path) / "flow.arazzo.yaml")
    result = run_workflow(flow, "place-and-confirm", {"item": "tea"}, mock={"seed": 3})
    receive = result.steps[-1]
    assert receive.method == "RECEIVE"
    assert receive.outputs["status"] in ("confirmed", "rejected")
    assert receive.outputs["orderId"] == result.steps[0].outputs.get("orderId")


def test_mock_send_is_validated_against_the_schema(tmp_path: Path) -> None:
    flow = str(_dir(tmp_path) / "flow.arazzo.yaml")
    ok = run_workflow(flow, "announce", {"orderId": "o", "quantity": 3}, mock=True)
    assert ok.status == "succeeded", ok.error
    bad = run_workflow(flow, "announce", {"orderId": "o", "quantity": "three"}, mock=True)
    assert bad.status == "failed"
    assert bad.error is not None and "/quantity" in bad.error.message


def test_a_protocol_without_binding_is_refused_before_the_run_naming_it_and_the_bindings(tmp_path: Path) -> None:
    import pytest

    from arazzo_runner.errors import ArazzoError

    folder = _dir(tmp_path)
    events = folder / "events.asyncapi.yaml"
    events.write_text(ASYNCAPI.replace("protocol: mqtt", "protocol: stomp"))
    flow = str(folder / "flow.arazzo.yaml")
    with pytest.raises(ArazzoError) as caught:
        run_workflow(flow, "wait-only", {"orderId": "x"})
    text = str(caught.value)
    assert "'stomp'" in text and "mqtt" in text and "ws" in text
    assert "flow.arazzo.yaml" in text  # positioned on the step
