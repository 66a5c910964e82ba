"""Small loopback APIs that several test folders share, each a scripted :class:`LoopbackServer`.

* :class:`ItemsAPI` (many-runs tests): ``GET /items/{id}[?count=N]`` answers ``{"id", "count"}``,
  counting requests per item; ``delay`` holds each answer, ``throttle`` answers 429 with those
  ``Retry-After`` values first.
* :class:`PetsAPI` (contract-check tests): follows ``tests/testing/fixtures/suite/pets.openapi.yaml``,
  or with ``broken=True`` breaks it: ``GET /pets`` answers a ``name`` as a number, ``GET /pets/{id}`` 418.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

__all__ = ["ItemsAPI", "PetsAPI"]


class ItemsAPI(LoopbackServer):
    def __init__(self, delay: float = 0.0, throttle: list[str] | None = None) -> None:
        super().__init__()
        self.delay = delay
        self.throttle = list(throttle or [])  # Retry-After values for the first requests
        self.counts: Counter[str] = Counter()
        self.arrivals: list[tuple[float, str, int]] = []  # (monotonic time, item, status)
        self._count_lock = threading.Lock()
        self.script("GET", "/items/{id}", self._item)

    def _item(self, request: RecordedRequest) -> Reply:
        item = request.path_params["id"]
        with self._count_lock:
            self.counts[item] += 1
            retry_after = self.throttle.pop(0) if self.throttle else None
            self.arrivals.append((time.monotonic(), item, 429 if retry_after else 200))
        if retry_after is not None:
            return Reply(429, {"Retry-After": retry_after}, {"error": "slow down"}, delay=self.delay)
        payload: dict[str, object] = {"id": item}
        if "count" in request.query:
            payload["count"] = int(request.query["count"][0])
        return Reply(200, body=payload, delay=self.delay)


class PetsAPI(LoopbackServer):
    HEADERS = {"X-Request-Id": "req-1"}  # a header the description marks required

    def __init__(self, broken: bool = False) -> None:
        super().__init__()
        self.broken = broken
        self.script("GET", "/pets", self._list)
        self.script("GET", "/pets/{id}", self._get)

    def _list(self, request: RecordedRequest) -> Reply:
        return Reply(200, self.HEADERS, [{"id": 7, "name": 5 if self.broken else "Rex"}])

    def _get(self, request: RecordedRequest) -> Reply:
        if self.broken:
            return Reply(418, self.HEADERS, {"title": "teapot"})
        return Reply(200, self.HEADERS, {"id": int(request.path_params["id"]), "name": "Rex"})
