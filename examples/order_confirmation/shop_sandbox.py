"""A tiny shop for the order-confirmation example: POST /orders, then an MQTT confirmation.

    python examples/order_confirmation/shop_sandbox.py --port 8080 --broker mqtt://127.0.0.1:1883

answers ``POST /orders`` with ``201 {"orderId": ...}`` and, half a second
later, publishes ``{"orderId": ..., "status": "confirmed", "eta": ...}`` on
``shop/orders/confirmed`` through the broker (as a real shop's back office
would). Needs ``paho-mqtt`` (installed with ``aiomqtt``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class ShopSandbox:
    def __init__(self, broker: str, port: int = 0, delay: float = 0.5) -> None:
        parts = urlsplit(broker)
        self.broker_host, self.broker_port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.delay = delay
        self._ids = itertools.count(1001)
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                try:
                    order = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    order = None
                if self.path != "/orders" or not isinstance(order, dict) or "item" not in order:
                    self._send(400, {"message": "POST /orders with a JSON body {item}"})
                    return
                order_id = f"ord-{next(sandbox._ids)}"
                self._send(201, {"orderId": order_id})
                threading.Timer(sandbox.delay, sandbox.confirm, args=(order_id,)).start()

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def confirm(self, order_id: str) -> None:
        from paho.mqtt import publish

        message = {"orderId": order_id, "status": "confirmed", "eta": "2026-12-24"}
        publish.single(
            "shop/orders/confirmed", json.dumps(message), qos=1, hostname=self.broker_host, port=self.broker_port
        )

    def __enter__(self) -> ShopSandbox:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    args = parser.parse_args()
    with ShopSandbox(args.broker, args.port) as shop:
        print(f"shop on {shop.url}, confirmations via {args.broker}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
