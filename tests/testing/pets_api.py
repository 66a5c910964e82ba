"""A loopback pets API that follows tests/testing/fixtures/suite/pets.openapi.yaml, or breaks it on purpose."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PetsAPI:
    """``broken=True``: ``GET /pets`` answers a ``name`` as a number, ``GET /pets/{id}`` answers 418."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                headers = {"Content-Type": "application/json", "X-Request-Id": "req-1"}
                if self.path == "/pets":
                    status, body = 200, [{"id": 7, "name": 5 if owner.broken else "Rex"}]
                elif self.path.startswith("/pets/"):
                    pet_id = self.path.rsplit("/", 1)[-1]
                    status, body = (
                        (418, {"title": "teapot"}) if owner.broken else (200, {"id": int(pet_id), "name": "Rex"})
                    )
                else:
                    status, body = 404, {"title": "no such path"}
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> PetsAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
