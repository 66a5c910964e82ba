"""A local HTTP server for every example of the gallery (``examples/*/``).

One server answers the endpoints of all the example APIs, each under its own
path prefix, so any gallery workflow runs against it with ``--server URL``:

    python examples/gallery_sandbox.py --port 8100

or from Python (tests, ``examples/run_gallery.py``)::

    with GallerySandbox() as sandbox:
        ...  # point the runner at sandbox.url

The Stytch B2B endpoints live in ``gallery_stytch.py``; the others (a cursor
listing, a rate-limited report, an OAuth2 protected API, a shop, an XML
library, file uploads and a bank that refuses overdrafts) are here. State is
kept in memory; only the standard library is used.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from gallery_stytch import StytchB2B

__all__ = ["INVENTORY_SIZE", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "GallerySandbox", "Reply", "Request"]

OAUTH_CLIENT_ID = "gallery-client"
OAUTH_CLIENT_SECRET = "gallery-client-secret-0001"
INVENTORY_SIZE = 7
REPORT_BUSY_ANSWERS = 2  # a report answers 429 this many times before it is ready


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HTTPError(400, "the body is not JSON") from None
        if not isinstance(value, dict):
            raise HTTPError(400, "the body must be a JSON object")
        return value


@dataclass
class Reply:
    status: int
    body: Any
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class HTTPError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


Handler = Callable[[Request, re.Match[str]], Reply]


class GallerySandbox:
    """The gallery's stand-in APIs, served on 127.0.0.1 from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.stytch = StytchB2B()
        self._lock = threading.Lock()
        self._cursors: dict[str, int] = {}
        self._cursor_sizes: dict[str, int] = {}
        self._report_calls: dict[str, int] = {}
        self._tokens: set[str] = set()
        self._shipments: dict[str, dict[str, Any]] = {}
        self._customers: dict[str, dict[str, Any]] = {}
        self._carts: dict[str, dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._accounts = {"acc-1001": 250, "acc-2002": 40}
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("POST", re.compile(r"/inventory/cursors"), self._open_cursor),
            ("POST", re.compile(r"/inventory/cursors/(?P<cursor>[^/]+)/next"), self._next_page),
            ("GET", re.compile(r"/reports/(?P<report>[^/]+)"), self._report),
            ("POST", re.compile(r"/oauth/token"), self._oauth_token),
            ("POST", re.compile(r"/v1/shipments"), self._create_shipment),
            ("GET", re.compile(r"/v1/shipments/(?P<shipment>[^/]+)"), self._get_shipment),
            ("POST", re.compile(r"/shop/customers"), self._create_customer),
            ("POST", re.compile(r"/shop/carts"), self._create_cart),
            ("POST", re.compile(r"/shop/carts/(?P<cart>[^/]+)/items"), self._add_item),
            ("POST", re.compile(r"/shop/orders"), self._place_order),
            ("GET", re.compile(r"/library/books"), self._search_books),
            ("GET", re.compile(r"/library/books/(?P<isbn>[^/]+)/availability"), self._availability),
            ("POST", re.compile(r"/files"), self._upload),
            ("POST", re.compile(r"/files/(?P<file>[^/]+)/shares"), self._share),
            ("GET", re.compile(r"/bank/accounts/(?P<account>[^/]+)"), self._account),
            ("POST", re.compile(r"/bank/transfers"), self._transfer),
        ]
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> GallerySandbox:
        if self._httpd is None:
            httpd = _Server((self.host, self.port), _Handler)
            httpd.sandbox = self
            self._httpd = httpd
            self.port = int(httpd.server_address[1])
            self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)

    def __enter__(self) -> GallerySandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
        if request.path.startswith("/v1/b2b/"):
            status, body = self.stytch.handle(request.method, request.path, request.headers, request.body)
            return Reply(status, body)
        allowed: list[str] = []
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            try:
                with self._lock:
                    return handler(request, match)
            except HTTPError as error:
                return Reply(error.status, {"error": error.message}, headers=error.headers)
        if allowed:
            return Reply(405, {"error": f"use {', '.join(allowed)}"}, headers={"Allow": ", ".join(allowed)})
        return Reply(404, {"error": f"no route for {request.method} {request.path}"})

    # -- pagination: a server-side cursor walked page by page ----------------------

    def _page(self, cursor_id: str, page_size: int) -> dict[str, Any]:
        start = self._cursors[cursor_id]
        last = min(start + page_size, INVENTORY_SIZE)
        items = [{"sku": f"SKU-{n:03d}", "name": f"Item {n}"} for n in range(start + 1, last + 1)]
        self._cursors[cursor_id] = start + len(items)
        page = start // page_size + 1
        return {
            "cursor_id": cursor_id,
            "page": page,
            "items": items,
            "total": INVENTORY_SIZE,
            "has_more": start + len(items) < INVENTORY_SIZE,
        }

    def _open_cursor(self, request: Request, match: re.Match[str]) -> Reply:
        page_size = request.json().get("page_size", 3)
        if not isinstance(page_size, int) or page_size < 1:
            raise HTTPError(400, "page_size must be a positive integer")
        cursor_id = f"cur-{secrets.token_hex(4)}"
        self._cursors[cursor_id] = 0
        self._cursor_sizes[cursor_id] = page_size
        return Reply(201, self._page(cursor_id, page_size))

    def _next_page(self, request: Request, match: re.Match[str]) -> Reply:
        cursor_id = match["cursor"]
        if cursor_id not in self._cursors:
            raise HTTPError(404, f"no cursor {cursor_id}")
        return Reply(200, self._page(cursor_id, self._cursor_sizes[cursor_id]))

    # -- rate limiting: 429 with Retry-After, then the report -------------------

    def _report(self, request: Request, match: re.Match[str]) -> Reply:
        report_id = match["report"]
        calls = self._report_calls.get(report_id, 0) + 1
        self._report_calls[report_id] = calls
        if calls <= REPORT_BUSY_ANSWERS:
            raise HTTPError(429, "too many requests; try again later", {"Retry-After": "1"})
        return Reply(200, {"report_id": report_id, "status": "ready", "row_count": 42, "attempts": calls})

    # -- OAuth2 client credentials ------------------------------------------

    def _oauth_token(self, request: Request, match: re.Match[str]) -> Reply:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            client_id = client_secret = ""
        form = parse_qs(request.body.decode("utf-8", "replace"))
        if scheme.lower() != "basic" or (client_id, client_secret) != (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET):
            raise HTTPError(401, "invalid_client")
        if form.get("grant_type") != ["client_credentials"]:
            raise HTTPError(400, "unsupported_grant_type")
        token = f"at-{secrets.token_hex(12)}"
        self._tokens.add(token)
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _bearer(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self._tokens:
            raise HTTPError(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})

    def _create_shipment(self, request: Request, match: re.Match[str]) -> Reply:
        self._bearer(request)
        body = request.json()
        if not isinstance(body.get("destination"), str) or not isinstance(body.get("weight_kg"), (int, float)):
            raise HTTPError(400, "destination (string) and weight_kg (number) are required")
        shipment_id = f"shp-{secrets.token_hex(4)}"
        shipment = {
            "shipment_id": shipment_id,
            "destination": body["destination"],
            "weight_kg": body["weight_kg"],
            "status": "label_created",
            "tracking_number": f"TRK{secrets.randbelow(10**8):08d}",
        }
        self._shipments[shipment_id] = shipment
        return Reply(201, shipment)

    def _get_shipment(self, request: Request, match: re.Match[str]) -> Reply:
        self._bearer(request)
        shipment = self._shipments.get(match["shipment"])
        if shipment is None:
            raise HTTPError(404, "no such shipment")
        return Reply(200, shipment)

    # -- the shop of the nested-workflows example ----------------------------------

    def _create_customer(self, request: Request, match: re.Match[str]) -> Reply:
        body = request.json()
        if not body.get("email"):
            raise HTTPError(400, "email is required")
        customer = {"customer_id": f"cus-{secrets.token_hex(4)}", "name": body.get("name", ""), "email": body["email"]}
        self._customers[customer["customer_id"]] = customer
        return Reply(201, customer)

    def _create_cart(self, request: Request, match: re.Match[str]) -> Reply:
        customer_id = request.json().get("customer_id")
        if customer_id not in self._customers:
            raise HTTPError(404, f"no customer {customer_id}")
        cart = {"cart_id": f"cart-{secrets.token_hex(4)}", "customer_id": customer_id, "items": [], "total": 0}
        self._carts[cart["cart_id"]] = cart
        return Reply(201, {"cart_id": cart["cart_id"], "customer_id": customer_id})

    def _add_item(self, request: Request, match: re.Match[str]) -> Reply:
        cart = self._carts.get(match["cart"])
        if cart is None:
            raise HTTPError(404, "no such cart")
        body = request.json()
        quantity = body.get("quantity", 1)
        if not isinstance(body.get("sku"), str) or not isinstance(quantity, int) or quantity < 1:
            raise HTTPError(400, "sku (string) and a positive integer quantity are required")
        cart["items"].append({"sku": body["sku"], "quantity": quantity})
        cart["total"] += 1250 * quantity
        return Reply(
            200,
            {
                "cart_id": cart["cart_id"],
                "item_count": sum(i["quantity"] for i in cart["items"]),
                "total": cart["total"],
            },
        )

    def _place_order(self, request: Request, match: re.Match[str]) -> Reply:
        cart = self._carts.get(request.json().get("cart_id"))
        if cart is None:
            raise HTTPError(404, "no such cart")
        if not cart["items"]:
            raise HTTPError(409, "the cart is empty")
        return Reply(
            201,
            {
                "order_id": f"ord-{secrets.token_hex(4)}",
                "customer_id": cart["customer_id"],
                "status": "placed",
                "total": cart["total"],
            },
        )

    # -- XML library ------------------------------------------------------------

    _BOOKS = (
        ("9780141439518", "Pride and Prejudice", "Jane Austen", 1813, "on-shelf"),
        ("9780141439587", "Emma", "Jane Austen", 1815, "on-loan"),
        ("9780141439662", "Sense and Sensibility", "Jane Austen", 1811, "on-shelf"),
        ("9780141439600", "A Tale of Two Cities", "Charles Dickens", 1859, "on-shelf"),
    )

    def _search_books(self, request: Request, match: re.Match[str]) -> Reply:
        author = (request.query.get("author") or [""])[0].lower()
        found = [b for b in self._BOOKS if author in b[2].lower()]
        books = "".join(
            f'<book isbn="{isbn}"><title>{title}</title><author>{who}</author><year>{year}</year></book>'
            for isbn, title, who, year, _ in found
        )
        xml = f'<?xml version="1.0" encoding="UTF-8"?><catalog count="{len(found)}">{books}</catalog>'
        return Reply(200, xml, "application/xml", {"X-Total-Count": str(len(found))})

    def _availability(self, request: Request, match: re.Match[str]) -> Reply:
        for isbn, title, _, _, status in self._BOOKS:
            if isbn == match["isbn"]:
                xml = f'<availability isbn="{isbn}" status="{status}"><title>{title}</title></availability>'
                return Reply(200, xml, "application/xml")
        return Reply(404, "<error>no such book</error>", "application/xml")

    # -- uploads: multipart, then a form ------------------------------------------

    def _upload(self, request: Request, match: re.Match[str]) -> Reply:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise HTTPError(415, "send multipart/form-data")
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        upload = parts.get("file")
        if upload is None:
            raise HTTPError(400, "a part named 'file' is required")
        content = upload.get_payload(decode=True) or b""
        description = parts["description"].get_content().strip() if "description" in parts else ""
        file_id = f"file-{secrets.token_hex(4)}"
        filename = parts["filename"].get_content().strip() if "filename" in parts else upload.get_filename() or ""
        self._files[file_id] = {
            "file_id": file_id,
            "filename": filename,
            "size": len(content),
            "content_type": upload.get_content_type(),
            "description": description,
        }
        return Reply(201, self._files[file_id])

    def _share(self, request: Request, match: re.Match[str]) -> Reply:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise HTTPError(415, "send application/x-www-form-urlencoded")
        if match["file"] not in self._files:
            raise HTTPError(404, "no such file")
        form = parse_qs(request.body.decode())
        email, permission = (form.get("email") or [""])[0], (form.get("permission") or ["view"])[0]
        if "@" not in email or permission not in ("view", "edit"):
            raise HTTPError(400, "email must be an address and permission view or edit")
        return Reply(
            200,
            {
                "file_id": match["file"],
                "email": email,
                "permission": permission,
                "share_url": f"https://files.example.test/s/{uuid.uuid4().hex[:12]}",
            },
        )

    # -- a bank that refuses overdrafts (the failing example) ---------------------

    def _account(self, request: Request, match: re.Match[str]) -> Reply:
        balance = self._accounts.get(match["account"])
        if balance is None:
            raise HTTPError(404, "no such account")
        return Reply(200, {"account_id": match["account"], "balance": balance, "currency": "EUR"})

    def _transfer(self, request: Request, match: re.Match[str]) -> Reply:
        body = request.json()
        source, amount = body.get("from_account"), body.get("amount")
        if source not in self._accounts or not isinstance(amount, int) or amount <= 0:
            raise HTTPError(400, "from_account must exist and amount be a positive integer")
        if amount > self._accounts[source]:
            return Reply(
                422,
                {"error": "insufficient_funds", "message": f"the balance of {source} is {self._accounts[source]} EUR"},
            )
        self._accounts[source] -= amount
        return Reply(201, {"transfer_id": f"tr-{secrets.token_hex(4)}", "amount": amount, "status": "booked"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: GallerySandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        path, _, raw_query = self.path.partition("?")
        request = Request(
            self.command,
            path,
            parse_qs(raw_query),
            {k.lower(): v for k, v in self.headers.items()},
            self.rfile.read(length) if length > 0 else b"",
        )
        reply = self.server.sandbox.handle(request)
        payload = reply.body.encode() if isinstance(reply.body, str) else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the APIs of the example gallery on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8100)
    options = parser.parse_args(argv)
    with GallerySandbox(port=options.port) as sandbox:
        print(f"Gallery sandbox listening on {sandbox.url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nStopping.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
