"""A small, stateful stand-in for the Stytch B2B recovery-codes API.

It implements exactly the two operations described in
``specs/stytch/openapi/stytch-b2b-openapi.yml`` so the example workflow can be
run end to end without a Stytch account:

    GET  /v1/b2b/recovery_codes/{organization_id}/{member_id}
    POST /v1/b2b/recovery_codes/rotate

Use it from Python (tests, ``examples/run_demo.py``)::

    with StytchSandbox() as sandbox:
        ...  # point a client at sandbox.url

or run it as a script and point any HTTP client at it::

    python examples/stytch_sandbox.py --port 8000

Only the standard library is used so the example runs anywhere Python does.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import hmac
import json
import re
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

__all__ = [
    "DEFAULT_MEMBER_ID",
    "DEFAULT_ORGANIZATION_ID",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_SECRET",
    "SandboxRequest",
    "StytchSandbox",
]

DEFAULT_PROJECT_ID = "project-test-00000000-0000-0000-0000-000000000000"
DEFAULT_SECRET = "secret-test-sandbox-000000000000000000000000000000"
DEFAULT_ORGANIZATION_ID = "organization-test-07971b06-ac8b-4cdb-9c15-63b17e653931"
DEFAULT_MEMBER_ID = "member-test-32fc5024-9c09-4da3-bd2e-c9ce4da9375f"

RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = string.ascii_lowercase + string.digits

_GET_CODES_PATH = re.compile(r"/v1/b2b/recovery_codes/(?P<organization_id>[^/]+)/(?P<member_id>[^/]+)")
_ROTATE_PATH = "/v1/b2b/recovery_codes/rotate"
_ROTATE_FIELDS = ("organization_id", "member_id")


@dataclass(frozen=True)
class SandboxRequest:
    """A request as the sandbox received it; header names are lower-cased."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes


class _StytchError(Exception):
    """An error answered with Stytch's JSON error body."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def _new_request_id() -> str:
    return f"request-id-test-{uuid.uuid4()}"


def _new_recovery_codes() -> list[str]:
    return [
        "-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class StytchSandbox:
    """A local HTTP server imitating Stytch's B2B recovery-codes endpoints.

    State (organizations, members, their codes) lives in memory and is guarded
    by a lock, since the server answers each connection on its own thread.
    A default organization and member are seeded so demos need no setup.
    """

    def __init__(
        self,
        project_id: str = DEFAULT_PROJECT_ID,
        secret: str = DEFAULT_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.project_id = project_id
        self.secret = secret
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._organizations: dict[str, dict[str, Any]] = {}
        self._members: dict[tuple[str, str], dict[str, Any]] = {}
        self._recovery_codes: dict[tuple[str, str], list[str]] = {}
        self._requests: list[SandboxRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_member(DEFAULT_ORGANIZATION_ID, DEFAULT_MEMBER_ID, email="ada@example.com", name="Ada Lovelace")

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> StytchSandbox:
        """Bind the port and serve from a daemon thread."""
        if self._httpd is not None:
            return self
        httpd = _SandboxHTTPServer((self.host, self.port), _SandboxHandler)
        httpd.sandbox = self
        self._httpd = httpd
        self.port = int(httpd.server_address[1])
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"stytch-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; safe to call more than once."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StytchSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (the port is known after start())."""
        return f"http://{self.host}:{self.port}"

    # -- data --------------------------------------------------------------

    def add_member(
        self,
        organization_id: str,
        member_id: str,
        email: str = "member@example.com",
        name: str = "",
        organization_name: str | None = None,
    ) -> dict[str, Any]:
        """Seed a member (creating its organization if needed) with fresh codes.

        Returns a copy of the member object as the API would show it.
        """
        now = _timestamp()
        member = {
            "organization_id": organization_id,
            "member_id": member_id,
            "email_address": email,
            "status": "active",
            "name": name,
            "mfa_enrolled": True,
            "mfa_phone_number": "",
            "default_mfa_method": "totp",
            "email_address_verified": True,
            "is_admin": False,
            "is_breakglass": False,
            "is_locked": False,
            "totp_registration_id": "",
            "roles": [],
            "sso_registrations": [],
            "oauth_registrations": [],
            "member_password_id": "",
            "mfa_phone_number_verified": False,
            "retired_email_addresses": [],
            "trusted_metadata": {},
            "untrusted_metadata": {},
            "created_at": now,
            "updated_at": now,
        }
        with self._lock:
            if organization_id not in self._organizations:
                slug = organization_id.removeprefix("organization-test-")[:8] or "org"
                self._organizations[organization_id] = {
                    "organization_id": organization_id,
                    "organization_name": organization_name or f"Sandbox Org {slug}",
                    "organization_slug": f"sandbox-{slug}",
                    "organization_logo_url": "",
                    "mfa_policy": "OPTIONAL",
                    "mfa_methods": "ALL_ALLOWED",
                    "allowed_mfa_methods": [],
                    "email_allowed_domains": [],
                    "email_jit_provisioning": "NOT_ALLOWED",
                    "email_invites": "ALL_ALLOWED",
                    "claimed_email_domains": [],
                    "auth_methods": "ALL_ALLOWED",
                    "allowed_auth_methods": [],
                    "sso_jit_provisioning": "NOT_ALLOWED",
                    "sso_jit_provisioning_allowed_connections": [],
                    "sso_active_connections": [],
                    "oauth_tenant_jit_provisioning": "NOT_ALLOWED",
                    "rbac_email_implicit_role_assignments": [],
                    "custom_roles": [],
                    "first_party_connected_apps_allowed_type": "ALL_ALLOWED",
                    "allowed_first_party_connected_apps": [],
                    "third_party_connected_apps_allowed_type": "ALL_ALLOWED",
                    "allowed_third_party_connected_apps": [],
                    "trusted_metadata": {},
                    "created_at": now,
                    "updated_at": now,
                }
            key = (organization_id, member_id)
            self._members[key] = member
            self._recovery_codes[key] = _new_recovery_codes()
            return copy.deepcopy(member)

    def recovery_codes(self, organization_id: str, member_id: str) -> list[str]:
        """The member's current codes (raises KeyError for an unknown member)."""
        with self._lock:
            return list(self._recovery_codes[(organization_id, member_id)])

    @property
    def requests(self) -> list[SandboxRequest]:
        """A snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    # -- request handling (called from server threads) -----------------------

    def _record(self, request: SandboxRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _handle(self, request: SandboxRequest) -> tuple[int, dict[str, Any]]:
        """Route and answer one request: (HTTP status, JSON body)."""
        try:
            self._check_credentials(request.headers.get("authorization"))
            match = _GET_CODES_PATH.fullmatch(request.path)
            if request.path == _ROTATE_PATH:
                if request.method != "POST":
                    raise _method_not_allowed(request, "POST")
                organization_id, member_id = _parse_rotate_body(request.body)
                return 200, self._codes_response(organization_id, member_id, rotate=True)
            if match is not None:
                if request.method != "GET":
                    raise _method_not_allowed(request, "GET")
                return 200, self._codes_response(
                    unquote(match["organization_id"]), unquote(match["member_id"]), rotate=False
                )
            raise _StytchError(404, "route_not_found", f"No route for {request.method} {request.path}.")
        except _StytchError as error:
            return error.status, _error_body(error)

    def _check_credentials(self, authorization: str | None) -> None:
        unauthorized = _StytchError(401, "unauthorized_credentials", "Unauthorized credentials.")
        if not authorization:
            raise unauthorized
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise unauthorized
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise unauthorized from None
        username, separator, password = decoded.partition(":")
        # Constant-time comparison: cheap, and the habit matters even in a sandbox.
        valid = (
            separator == ":"
            and hmac.compare_digest(username.encode(), self.project_id.encode())
            and hmac.compare_digest(password.encode(), self.secret.encode())
        )
        if not valid:
            raise unauthorized

    def _codes_response(self, organization_id: str, member_id: str, rotate: bool) -> dict[str, Any]:
        key = (organization_id, member_id)
        with self._lock:
            organization = self._organizations.get(organization_id)
            if organization is None:
                raise _StytchError(404, "organization_not_found", "Organization could not be found.")
            member = self._members.get(key)
            if member is None:
                raise _StytchError(404, "member_not_found", "Member could not be found.")
            if rotate:
                self._recovery_codes[key] = _new_recovery_codes()
                member["updated_at"] = _timestamp()
            return {
                "request_id": _new_request_id(),
                "member_id": member_id,
                "member": copy.deepcopy(member),
                "organization": copy.deepcopy(organization),
                "recovery_codes": list(self._recovery_codes[key]),
                "status_code": 200,
            }


def _method_not_allowed(request: SandboxRequest, allowed: str) -> _StytchError:
    return _StytchError(405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}.")


def _parse_rotate_body(body: bytes) -> tuple[str, str]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _StytchError(400, "bad_request", "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise _StytchError(400, "invalid_request", "The request body must be a JSON object.")
    unexpected = sorted(set(payload) - set(_ROTATE_FIELDS))
    if unexpected:
        raise _StytchError(400, "invalid_request", f"Unexpected field(s): {', '.join(unexpected)}.")
    for field_name in _ROTATE_FIELDS:
        value = payload.get(field_name)
        if not isinstance(value, str) or not value:
            raise _StytchError(400, "invalid_request", f"{field_name} is required and must be a non-empty string.")
    return payload["organization_id"], payload["member_id"]


def _error_body(error: _StytchError) -> dict[str, Any]:
    return {
        "status_code": error.status,
        "request_id": _new_request_id(),
        "error_type": error.error_type,
        "error_message": error.message,
        "error_url": f"https://stytch.com/docs/api/errors/{error.status}",
    }


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    sandbox: StytchSandbox


class _SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _SandboxHTTPServer
    timeout = 30  # drop idle keep-alive connections eventually
    disable_nagle_algorithm = True  # headers and body are separate writes
    server_version = "StytchSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path, _, raw_query = self.path.partition("?")
        request = SandboxRequest(
            method=self.command,
            path=path,
            raw_query=raw_query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        sandbox = self.server.sandbox
        sandbox._record(request)
        status, payload = sandbox._handle(request)
        encoded = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        if status == 405:
            self.send_header("Allow", "POST" if path == _ROTATE_PATH else "GET")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(encoded)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a local Stytch B2B recovery-codes sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--project-id", default=DEFAULT_PROJECT_ID, help="Basic auth username")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="Basic auth password")
    options = parser.parse_args(argv)

    sandbox = StytchSandbox(options.project_id, options.secret, options.host, options.port)
    sandbox.start()
    print(f"Stytch sandbox listening on {sandbox.url}")
    print(f"  project_id (username): {sandbox.project_id}")
    print(f"  secret (password):     {sandbox.secret}")
    print(f"  organization_id:       {DEFAULT_ORGANIZATION_ID}")
    print(f"  member_id:             {DEFAULT_MEMBER_ID}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping.")
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
