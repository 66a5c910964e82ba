"""The order shop of the AsyncAPI tests (tests/asyncapi/), whatever the broker.

* :func:`write_flow`: the shop's three documents (AsyncAPI, OpenAPI, Arazzo) written side by side.
* :func:`order_shop`: a loopback shop whose ``POST /orders`` answers 201 with a new order id, then has the
  order's confirmation published a little later, after another order's, as a real service would.
* :func:`listener`: an ``on_event`` listener keeping every event and feeding a report recorder.
* :func:`in_threads`: one call per item, all at once, each in a thread of its own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from arazzo_runner.events import Event
from arazzo_runner.reports import Recorder
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

__all__ = ["in_threads", "listener", "order_shop", "write_flow"]

PublishLater = Callable[[dict[str, Any], float], None]  # (payload, delay in seconds)


def write_flow(folder: Path, asyncapi: str, openapi: str, arazzo: str) -> Path:
    """``events.asyncapi.yaml``, ``shop.openapi.yaml`` and ``flow.arazzo.yaml`` in ``folder``: the flow's path."""
    (folder / "events.asyncapi.yaml").write_text(asyncapi)
    (folder / "shop.openapi.yaml").write_text(openapi)
    (folder / "flow.arazzo.yaml").write_text(arazzo)
    return folder / "flow.arazzo.yaml"


def order_shop(publish_later: PublishLater, prefix: str, status: str = "confirmed") -> LoopbackServer:
    """Order ids ``{prefix}-{n}-{item}``, n counting from 1; another order's rejection is published first,
    so that a run taking any message, not its own, is caught."""
    server = LoopbackServer()
    counter = iter(range(1, 1000))

    def place(request: RecordedRequest) -> Reply:
        order_id = f"{prefix}-{next(counter)}-{json.loads(request.body)['item']}"
        publish_later({"orderId": "someone-else", "status": "rejected"}, 0.1)
        publish_later({"orderId": order_id, "status": status}, 0.3)
        return Reply(status=201, body={"orderId": order_id})

    server.script("POST", "/orders", place)
    return server


def listener() -> tuple[list[Event], Recorder, Callable[[Event], None]]:
    """The events seen, a recorder of them, and the listener to pass as ``on_event``."""
    events: list[Event] = []
    recorder = Recorder()

    def listen(event: Event) -> None:
        events.append(event)
        recorder(event)

    return events, recorder, listen


def in_threads(call: Callable[[Any], object], items: Iterable[Any]) -> None:
    threads = [threading.Thread(target=call, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
