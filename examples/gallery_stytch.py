"""The Stytch B2B part of the gallery sandbox: magic links, sessions, organisations, passwords and SMS OTPs.

It imitates the shape of Stytch's documented B2B API closely enough for the
gallery's three Stytch workflows; it checks HTTP basic credentials (the same
test project id and secret as ``stytch_sandbox.py``) and keeps its state in
memory. Fixed test values stand in for what a real member would receive:

- ``MAGIC_LINK_TOKEN`` is the token of the most recent magic-link email;
- ``OTP_CODE`` is the code of every SMS one-time passcode;
- ``PASSWORD`` is the password of both seeded members.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
import time
import uuid
from typing import Any

from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, DEFAULT_PROJECT_ID, DEFAULT_SECRET

__all__ = ["MAGIC_LINK_TOKEN", "MFA_EMAIL", "OTP_CODE", "PASSWORD", "PLAIN_EMAIL", "StytchB2B"]

MAGIC_LINK_TOKEN = "sandbox-magic-link-token-000000000000"
OTP_CODE = "123456"
PASSWORD = "correct-horse-battery-staple"
MFA_EMAIL = "ada@example.com"  # enrolled in SMS MFA
PLAIN_EMAIL = "grace@example.com"  # no MFA


class _Fail(Exception):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _request_id() -> str:
    return f"request-id-test-{uuid.uuid4()}"


class StytchB2B:
    """State and handlers; ``handle()`` returns (status, JSON body)."""

    def __init__(self, project_id: str = DEFAULT_PROJECT_ID, secret: str = DEFAULT_SECRET) -> None:
        self.project_id, self.secret = project_id, secret
        self._lock = threading.Lock()
        self.organizations: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, Any]] = {}
        self._magic_tokens: dict[str, str] = {}  # token -> member_id
        self._intermediate: dict[str, str] = {}  # intermediate session token -> member_id
        self._sessions: dict[str, dict[str, Any]] = {}  # session token -> member session
        self._otp_sent: set[str] = set()
        self._add_organization(DEFAULT_ORGANIZATION_ID, "Example Org", "example-org")
        self._add_member(DEFAULT_ORGANIZATION_ID, MFA_EMAIL, "Ada Lovelace", DEFAULT_MEMBER_ID, mfa=True)
        self._add_member(DEFAULT_ORGANIZATION_ID, PLAIN_EMAIL, "Grace Hopper")
        self._routes = {
            "/v1/b2b/magic_links/email/login_or_signup": self._login_or_signup,
            "/v1/b2b/magic_links/authenticate": self._magic_authenticate,
            "/v1/b2b/sessions/authenticate": self._session_authenticate,
            "/v1/b2b/organizations": self._create_organization,
            "/v1/b2b/magic_links/email/invite": self._invite,
            "/v1/b2b/passwords/authenticate": self._password_authenticate,
            "/v1/b2b/otps/sms/send": self._otp_send,
            "/v1/b2b/otps/sms/authenticate": self._otp_authenticate,
        }

    # -- data ---------------------------------------------------------------

    def _add_organization(self, organization_id: str, name: str, slug: str) -> dict[str, Any]:
        organization = {
            "organization_id": organization_id,
            "organization_name": name,
            "organization_slug": slug,
            "mfa_policy": "OPTIONAL",
            "email_allowed_domains": [],
            "created_at": _now(),
        }
        self.organizations[organization_id] = organization
        return organization

    def _add_member(
        self,
        organization_id: str,
        email: str,
        name: str,
        member_id: str | None = None,
        mfa: bool = False,
        status: str = "active",
    ) -> dict[str, Any]:
        member = {
            "member_id": member_id or f"member-test-{uuid.uuid4()}",
            "organization_id": organization_id,
            "email_address": email,
            "name": name,
            "status": status,
            "mfa_enrolled": mfa,
            "mfa_phone_number": "+15005550006" if mfa else "",
            "created_at": _now(),
        }
        self.members[member["member_id"]] = member
        return member

    def _member_by_email(self, organization_id: str, email: str) -> dict[str, Any] | None:
        for member in self.members.values():
            if member["organization_id"] == organization_id and member["email_address"] == email:
                return member
        return None

    def _organization(self, organization_id: Any) -> dict[str, Any]:
        organization = self.organizations.get(str(organization_id))
        if organization is None:
            raise _Fail(404, "organization_not_found", "Organization could not be found.")
        return organization

    def _member(self, member_id: Any) -> dict[str, Any]:
        member = self.members.get(str(member_id))
        if member is None:
            raise _Fail(404, "member_not_found", "Member could not be found.")
        return member

    def _envelope(self, member: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "request_id": _request_id(),
            "status_code": 200,
            "member_id": member["member_id"],
            "organization_id": member["organization_id"],
            "member": dict(member),
            "organization": dict(self.organizations[member["organization_id"]]),
            **extra,
        }

    def _open_session(self, member: dict[str, Any]) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        session = {
            "member_session_id": f"member-session-test-{uuid.uuid4()}",
            "member_id": member["member_id"],
            "organization_id": member["organization_id"],
            "started_at": _now(),
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
        }
        self._sessions[token] = session
        return {"session_token": token, "session_jwt": f"eyJ.sandbox.{secrets.token_hex(8)}", "member_session": session}

    # -- dispatch -------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            self._authorize(headers.get("authorization", ""))
            handler = self._routes.get(path)
            if handler is None:
                raise _Fail(404, "route_not_found", f"No route for {method} {path}.")
            if method != "POST":
                raise _Fail(405, "method_not_allowed", "Use POST.")
            try:
                payload = json.loads(body or b"{}")
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise _Fail(400, "bad_request", "The request body is not valid JSON.") from None
            if not isinstance(payload, dict):
                raise _Fail(400, "bad_request", "The request body must be a JSON object.")
            with self._lock:
                return 200, handler(payload)
        except _Fail as fail:
            return fail.status, {
                "status_code": fail.status,
                "request_id": _request_id(),
                "error_type": fail.error_type,
                "error_message": fail.message,
            }

    def _authorize(self, authorization: str) -> None:
        scheme, _, encoded = authorization.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if scheme.lower() != "basic" or not (
            hmac.compare_digest(user.encode(), self.project_id.encode())
            and hmac.compare_digest(password.encode(), self.secret.encode())
        ):
            raise _Fail(401, "unauthorized_credentials", "Unauthorized credentials.")

    @staticmethod
    def _required(payload: dict[str, Any], *names: str) -> None:
        for name in names:
            if not isinstance(payload.get(name), str) or not payload[name]:
                raise _Fail(400, "invalid_request", f"{name} is required and must be a non-empty string.")

    # -- magic links and sessions --------------------------------------------------

    def _login_or_signup(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "organization_id", "email_address")
        self._organization(payload["organization_id"])
        member = self._member_by_email(payload["organization_id"], payload["email_address"])
        created = member is None
        if member is None:
            member = self._add_member(payload["organization_id"], payload["email_address"], "", status="pending")
        self._magic_tokens = {MAGIC_LINK_TOKEN: member["member_id"]}  # the latest email's token
        return self._envelope(member, member_created=created)

    def _magic_authenticate(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "magic_links_token")
        member_id = self._magic_tokens.pop(payload["magic_links_token"], None)
        if member_id is None:
            raise _Fail(401, "unable_to_auth_magic_link", "The magic link could not be authenticated.")
        member = self._member(member_id)
        member["status"] = "active"
        session = self._open_session(member)
        return self._envelope(
            member,
            member_authenticated=True,
            intermediate_session_token="",
            session_token=session["session_token"],
            session_jwt=session["session_jwt"],
        )

    def _session_authenticate(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "session_token")
        session = self._sessions.get(payload["session_token"])
        if session is None:
            raise _Fail(404, "session_not_found", "Session could not be found.")
        member = self._member(session["member_id"])
        return self._envelope(
            member,
            member_session=dict(session),
            session_token=payload["session_token"],
            session_jwt=f"eyJ.sandbox.{secrets.token_hex(8)}",
        )

    # -- organisations and invitations -----------------------------------------------

    def _create_organization(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "organization_name")
        slug = payload.get("organization_slug") or payload["organization_name"].lower().replace(" ", "-")
        if any(o["organization_slug"] == slug for o in self.organizations.values()):
            raise _Fail(400, "organization_slug_already_used", f"The slug {slug!r} is taken.")
        organization = self._add_organization(f"organization-test-{uuid.uuid4()}", payload["organization_name"], slug)
        return {"request_id": _request_id(), "status_code": 200, "organization": dict(organization)}

    def _invite(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "organization_id", "email_address")
        self._organization(payload["organization_id"])
        if self._member_by_email(payload["organization_id"], payload["email_address"]) is not None:
            raise _Fail(400, "duplicate_member_email", "A member with this email already exists.")
        member = self._add_member(
            payload["organization_id"], payload["email_address"], str(payload.get("name", "")), status="invited"
        )
        return self._envelope(member)

    # -- passwords with an MFA branch ------------------------------------------------

    def _password_authenticate(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "organization_id", "email_address", "password")
        self._organization(payload["organization_id"])
        member = self._member_by_email(payload["organization_id"], payload["email_address"])
        if member is None or not hmac.compare_digest(payload["password"].encode(), PASSWORD.encode()):
            raise _Fail(401, "unauthorized_credentials", "The email or password is not correct.")
        if member["mfa_enrolled"]:
            intermediate = f"ist-{secrets.token_urlsafe(16)}"
            self._intermediate[intermediate] = member["member_id"]
            return self._envelope(
                member,
                member_authenticated=False,
                intermediate_session_token=intermediate,
                session_token="",
                session_jwt="",
                mfa_required={
                    "member_options": {"mfa_phone_number": member["mfa_phone_number"]},
                    "secondary_auth_initiated": None,
                },
            )
        session = self._open_session(member)
        return self._envelope(
            member,
            member_authenticated=True,
            intermediate_session_token="",
            session_token=session["session_token"],
            session_jwt=session["session_jwt"],
            mfa_required=None,
        )

    def _otp_send(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "organization_id", "member_id")
        member = self._member(payload["member_id"])
        if not member["mfa_phone_number"]:
            raise _Fail(400, "no_phone_number", "The member has no phone number for SMS passcodes.")
        self._otp_sent.add(member["member_id"])
        return self._envelope(member)

    def _otp_authenticate(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._required(payload, "organization_id", "member_id", "code", "intermediate_session_token")
        member = self._member(payload["member_id"])
        if self._intermediate.get(payload["intermediate_session_token"]) != member["member_id"]:
            raise _Fail(401, "intermediate_session_not_found", "The intermediate session is unknown or expired.")
        if member["member_id"] not in self._otp_sent or payload["code"] != OTP_CODE:
            raise _Fail(401, "otp_code_not_found", "The passcode is not correct.")
        self._otp_sent.discard(member["member_id"])
        del self._intermediate[payload["intermediate_session_token"]]
        session = self._open_session(member)
        return self._envelope(
            member,
            member_authenticated=True,
            intermediate_session_token="",
            session_token=session["session_token"],
            session_jwt=session["session_jwt"],
        )
