"""Broker credentials by security scheme name, as for HTTP: used to connect, never shown (Mosquitto, password file)."""

from __future__ import annotations

from pathlib import Path

from arazzo_runner import run_workflow
from tests.asyncapi.test_mqtt_steps import ARAZZO, ASYNCAPI, OPENAPI
from tests.support.brokers import mosquitto

SECURED = ASYNCAPI.replace(
    'broker: {host: "127.0.0.1:1", protocol: mqtt}',
    'broker:\n    host: "127.0.0.1:1"\n    protocol: mqtt\n'
    "    security: [{$ref: '#/components/securitySchemes/brokerLogin'}]",
).replace("components:\n", "components:\n  securitySchemes:\n    brokerLogin: {type: userPassword}\n", 1)


def _flow(tmp_path: Path) -> str:
    (tmp_path / "events.asyncapi.yaml").write_text(SECURED)
    (tmp_path / "shop.openapi.yaml").write_text(OPENAPI)
    (tmp_path / "flow.arazzo.yaml").write_text(ARAZZO)
    return str(tmp_path / "flow.arazzo.yaml")


def test_the_right_credentials_connect_and_a_wrong_password_fails_the_step_without_showing_it(tmp_path: Path) -> None:
    flow = _flow(tmp_path)
    with mosquitto(password=("ada", "right-horse-battery")) as broker:
        ok = run_workflow(
            flow,
            "announce",
            {"orderId": "o-1", "quantity": 1},
            servers={"events": broker},
            credentials={"brokerLogin": "ada:right-horse-battery"},
        )
        bad = run_workflow(
            flow,
            "announce",
            {"orderId": "o-1", "quantity": 1},
            servers={"events": broker},
            credentials={"brokerLogin": "ada:wrong-staple-secret"},
        )
    assert ok.status == "succeeded", ok.error
    assert bad.status == "failed" and bad.error is not None
    assert broker in bad.error.message and "cannot connect" in bad.error.message
    assert "wrong-staple-secret" not in repr(bad) and "right-horse-battery" not in repr(ok)
