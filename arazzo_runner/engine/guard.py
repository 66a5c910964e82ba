"""A credential goes only to the hosts it is scoped to, even when a document copies it.

A document can read a credential back (``$request.header.Authorization`` of a step that sent
one) and put it in a parameter or body of a request to another host. Before each request,
every part the document wrote (query, path, headers other than the ones a security scheme
set, body) is searched for every form the redactor knows of each credential; a credential
that the request does not carry by its own security scheme, and that was never sent to the
request's origin, fails the step, naming the parameter and the rule.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import unquote, urlsplit

from .redact import Redactor
from .request import PreparedRequest
from .security import Credentials

__all__ = ["CredentialGuard", "origin_of", "request_origin"]


def origin_of(url: str) -> str:
    split = urlsplit(url)
    default = {"http": 80, "https": 443}.get(split.scheme)
    port = split.port or default
    return f"{split.scheme}://{split.hostname}" + (f":{port}" if port != default else "")


@functools.lru_cache(maxsize=64)
def _server_origin(base_url: str) -> str | None:
    """The origin of every URL made of ``base_url`` and a path starting with ``/``, when it has a host."""
    return origin_of(base_url) if urlsplit(base_url).netloc else None


def request_origin(prepared: PreparedRequest) -> str:
    """The origin ``prepared`` goes to (worked out once per server URL: a path cannot change the host)."""
    origin = _server_origin(prepared.base_url) if prepared.path.startswith("/") else None
    return origin if origin is not None else origin_of(prepared.url)


class CredentialGuard:
    """Per run: where each credential has been sent by its scheme, and whether a request copies one elsewhere.

    The forms of a credential are only worked out once a request goes somewhere the credential has not
    been sent: a run whose requests each carry their own credentials never needs them.
    """

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._keys = credentials.names()
        self._redactors: dict[str, Redactor] = {}
        self._learned: dict[str, list[str]] = {}  # security header values sent, not yet added to a redactor
        self._origins: dict[str, set[str]] = {}

    def check(self, prepared: PreparedRequest) -> str | None:
        """Why ``prepared`` must not be sent (a credential copied to another host), or None."""
        if not self._keys:
            return None
        origin = request_origin(prepared)
        applied = prepared.credential_keys
        for key in applied:
            self._learn_tokens(key, prepared)
            self._origins.setdefault(key, set()).add(origin)
        parts: list[tuple[str, str]] | None = None
        for key in self._keys:
            if key in applied or origin in self._origins.get(key, ()):
                continue
            if parts is None:
                parts = _document_parts(prepared)
            redactor = self._redactor(key)
            for label, text in parts:
                if redactor.mask(text) != text:
                    scoped = ", ".join(sorted(self._origins.get(key, ()))) or "the hosts its security scheme names"
                    return (
                        f"{label} carries credential {key!r}, which is scoped to {scoped}: it is not sent to "
                        f"{origin} (a credential goes only to the hosts its security scheme applies to)"
                    )
        return None

    def _redactor(self, key: str) -> Redactor:
        """The forms of credential ``key``, with the header values it was sent as (a fetched OAuth2 token)."""
        redactor = self._redactors.get(key)
        if redactor is None:
            redactor = self._redactors[key] = self._credentials.redactor(key)
        for value in self._learned.pop(key, ()):
            redactor.add(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() == "bearer":
                redactor.add(token)
        return redactor

    def _learn_tokens(self, key: str, prepared: PreparedRequest) -> None:
        """A fetched OAuth2 token is a form of its credential too (added when a check needs it)."""
        learned = self._learned.setdefault(key, [])
        for name, value in prepared.headers:
            if name in prepared.security_headers and isinstance(value, str) and value not in learned:
                learned.append(value)


def _document_parts(prepared: PreparedRequest) -> list[tuple[str, str]]:
    """The parts of a request the document wrote, each with a label for messages."""
    parts: list[tuple[str, str]] = []
    for name, value in prepared.path_values.items():
        parts.append((f"path parameter {name!r}", value if isinstance(value, str) else json.dumps(value, default=str)))
    for piece in prepared.query:
        if piece in prepared.security_query:
            continue
        name, _, value = piece.partition("=")
        parts.append((f"query parameter {unquote(name)!r}", piece))
    for name, value in prepared.headers:
        if name in prepared.security_headers:
            continue
        text = value if isinstance(value, str) else bytes(value).decode("utf-8", errors="replace")
        parts.append((f"header {name!r}", text))
    if prepared.content:
        parts.append(("the request body", prepared.content.decode("utf-8", errors="replace")))
    return parts
