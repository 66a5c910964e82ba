"""A loopback items API for many-runs tests: counts requests per item, can delay, and can answer 429."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class ItemsAPI:
    """``GET /items/{id}?count=N`` answers ``{"id", "count"}``; ``throttle`` answers 429 first."""

    def __init__(self, delay: float = 0.0, throttle: list[str] | None = None) -> None:
        self.delay = delay
        self.throttle = list(throttle or [])  # Retry-After values for the first requests
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.arrivals: list[tuple[float, str, int]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                item = unquote(parts.path.rsplit("/", 1)[-1])
                query = parse_qs(parts.query)
                with owner.lock:
                    owner.counts[item] += 1
                    retry_after = owner.throttle.pop(0) if owner.throttle else None
                    owner.arrivals.append((time.monotonic(), item, 429 if retry_after else 200))
                if owner.delay:
                    time.sleep(owner.delay)
                if retry_after is not None:
                    body = b'{"error": "slow down"}'
                    self.send_response(429)
                    self.send_header("Retry-After", retry_after)
                else:
                    payload: dict[str, Any] = {"id": item}
                    if "count" in query:
                        payload["count"] = int(query["count"][0])
                    body = json.dumps(payload).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> ItemsAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
