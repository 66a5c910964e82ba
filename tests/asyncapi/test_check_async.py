"""`check` and load over AsyncAPI steps: positioned errors in the Arazzo and AsyncAPI files (ARZ154, ARZ010)."""

from __future__ import annotations

from pathlib import Path

from arazzo_runner import check
from tests.asyncapi.test_mqtt_steps import ARAZZO, ASYNCAPI, OPENAPI


def _write(tmp_path: Path, arazzo: str = ARAZZO, asyncapi: str = ASYNCAPI) -> str:
    (tmp_path / "events.asyncapi.yaml").write_text(asyncapi)
    (tmp_path / "shop.openapi.yaml").write_text(OPENAPI)
    (tmp_path / "flow.arazzo.yaml").write_text(arazzo)
    return str(tmp_path / "flow.arazzo.yaml")


def test_the_example_workflow_checks_clean(tmp_path: Path) -> None:
    errors = [d for d in check(_write(tmp_path)) if d.severity == "error"]
    assert errors == []


def test_an_unknown_operation_is_an_error_at_the_step(tmp_path: Path) -> None:
    flow = _write(tmp_path, ARAZZO.replace("operationId: onOrderConfirmed", "operationId: onOrderShipped", 1))
    found = [d for d in check(flow) if d.code == "ARZ154"]
    assert found and "onOrderShipped" in found[0].message and "onOrderConfirmed" in found[0].message
    assert found[0].location is not None and found[0].location.line == 20  # the receive step's operationId line
    assert found[0].location.pointer == "/workflows/0/steps/1/operationId"


def test_an_action_against_the_operation_direction_is_an_error(tmp_path: Path) -> None:
    flow = _write(tmp_path, ARAZZO.replace("        action: send\n", "        action: receive\n", 1))
    found = [d for d in check(flow) if d.code == "ARZ154"]
    assert any("which is a send operation" in d.message for d in found)


def test_a_literal_payload_value_of_the_wrong_type_is_an_error(tmp_path: Path) -> None:
    flow = _write(tmp_path, ARAZZO.replace("quantity: $inputs.quantity", "quantity: lots"))
    found = [d for d in check(flow) if d.code == "ARZ154" and d.severity == "error"]
    assert found and "'quantity'" in found[0].message and "'lots' is not of type 'integer'" in found[0].message


def test_a_broken_reference_in_the_asyncapi_file_names_that_file_and_line(tmp_path: Path) -> None:
    flow = _write(
        tmp_path, asyncapi=ASYNCAPI.replace("#/components/messages/orderPlaced", "#/components/messages/nope")
    )
    found = [d for d in check(flow) if d.code == "ARZ010"]
    assert found
    assert "events.asyncapi.yaml" in found[0].message and "points to nothing" in found[0].message
