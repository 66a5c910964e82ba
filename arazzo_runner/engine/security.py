"""Applying credentials to requests from the OpenAPI security schemes and requirements.

Credentials are keyed by security scheme name, or by ``"<source>.<scheme>"``
for one source description only (that key wins over the bare name). HTTP basic takes
``(username, password)`` (or ``"username:password"``), HTTP bearer, OAuth2
and OpenID Connect take a token string, apiKey the key string. OAuth2 with a
``clientCredentials`` flow also accepts ``{"client_id": …, "client_secret": …}``
and fetches its own token from the scheme's ``tokenUrl``, cached until expiry.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from ..errors import ArazzoError, RequestBuildError
from ..openapi.index import OpenAPIDescription, Operation
from .redact import Redactor, Secret
from .request import PreparedRequest

__all__ = [
    "PROCESS_TOKENS",
    "TOKEN_RESPONSES",
    "Credentials",
    "TokenCache",
    "TokenStore",
    "apply_fixed_security",
    "apply_security",
    "shared_scheme_names",
]

# Set by a run whose events are observed: token endpoint responses are collected there for its event stream.
TOKEN_RESPONSES: ContextVar[list[httpx.Response] | None] = ContextVar("TOKEN_RESPONSES", default=None)


class Credentials:
    """Secret values by security scheme name. Never shown in a repr or an error."""

    __slots__ = ("_basic_headers", "_keys", "_plans", "_redactors", "_secret_strings", "_values")

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = dict(values or {})
        self._secret_strings: list[str] | None = None
        self._basic_headers: dict[str, str] = {}
        self._redactors: dict[str | None, Redactor] = {}  # built once (credentials do not change), copied per run
        self._keys: dict[tuple[tuple[str, ...], str], str | None] = {}  # key_for's answers
        # The schemes chosen for an operation, by (operation, source names, shared scheme names): see _planned.
        self._plans: dict[tuple[int, tuple[str, ...], int], _Plan] = {}

    def basic_header(self, scheme: str) -> str:
        """The ``Authorization`` value for an HTTP basic scheme (encoded once: sent on every request)."""
        header = self._basic_headers.get(scheme)
        if header is None:
            header = self._basic_headers[scheme] = _basic(self._values.get(scheme), scheme)
        return header

    def get(self, scheme: str) -> Any:
        return self._values.get(scheme)

    def __contains__(self, scheme: object) -> bool:
        return scheme in self._values

    def names(self) -> list[str]:
        return list(self._values)

    def key_for(self, source: str | Sequence[str] | None, scheme: str) -> str | None:
        """The credential to use for ``scheme`` of ``source`` (or of any of its names, qualified first):
        ``source.scheme`` first, then the bare name."""
        names = _names(source)
        if (names, scheme) in self._keys:  # worked out before (credentials do not change)
            return self._keys[(names, scheme)]
        found = next((f"{name}.{scheme}" for name in names if f"{name}.{scheme}" in self._values), None)
        if found is None and scheme in self._values:
            found = scheme
        if len(self._keys) < 1024:
            self._keys[(names, scheme)] = found
        return found

    def secrets(self) -> list[Secret]:
        """The raw secret values, for :class:`Redactor` (which derives the forms they take in text)."""
        return [secret for key in self._values for secret in self.secrets_of(key)]

    def secrets_of(self, key: str) -> list[Secret]:
        """The raw secret values of one credential."""
        value = self._values.get(key)
        out: list[Secret] = []
        if isinstance(value, str):
            out.append(value)
            if ":" in value:
                # Perhaps "user:password" for HTTP basic (the scheme type is not known here).
                user, _, password = value.partition(":")
                out.append((user, password))
        elif isinstance(value, (tuple, list)):
            if len(value) >= 2:
                out.append((str(value[0]), str(value[1])))  # the user name of basic auth is not secret
            out.extend(str(v) for v in value[2:])
        elif isinstance(value, Mapping):
            out.extend(str(v) for k, v in value.items() if k not in ("client_id", "scope", "scopes"))
            if "client_id" in value and "client_secret" in value:
                # The token request sends them as HTTP basic: a token endpoint may echo that header.
                out.append((str(value["client_id"]), str(value["client_secret"])))
        return out

    def redactor(self, key: str | None = None) -> Redactor:
        """A new redactor masking every credential (or only credential ``key``), for one run to extend."""
        template = self._redactors.get(key)
        if template is None:
            secrets = self.secrets() if key is None else self.secrets_of(key)
            template = self._redactors[key] = Redactor(secrets)
        return template.copy()

    def secret_strings(self) -> list[str]:
        """Every secret text, for masking in messages (computed once; credentials do not change)."""
        if self._secret_strings is None:
            self._secret_strings = Redactor(self.secrets()).secrets()
        return list(self._secret_strings)

    def __repr__(self) -> str:
        return "Credentials(" + ", ".join(f"{name}=***" for name in self._values) + ")"


@dataclass
class _Token:
    value: str = field(repr=False)
    expires_at: float | None = None


_TokenKey = tuple[str, str, str, str]  # token URL, client id, scopes, a digest of the client secret


class TokenStore:
    """OAuth2 client-credentials tokens shared by every run that uses the store, across threads and event loops.

    One token per token endpoint + client id + scopes (+ the client secret's digest, so a caller with a
    wrong secret never receives a token another caller fetched). While one caller fetches a token,
    the others wait for that fetch (a ``concurrent.futures.Future`` any thread or loop can await).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[_TokenKey, _Token] = {}
        self._pending: dict[_TokenKey, concurrent.futures.Future[str]] = {}

    def cached(self, key: _TokenKey, now: float) -> str | None:
        with self._lock:
            token = self._tokens.get(key)
        if token is not None and (token.expires_at is None or token.expires_at > now):
            return token.value
        return None

    def claim(self, key: _TokenKey, now: float) -> tuple[str | None, concurrent.futures.Future[str], bool]:
        """A cached token, or the pending fetch to wait for, or a new one this caller must complete (True)."""
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and (token.expires_at is None or token.expires_at > now):
                return token.value, concurrent.futures.Future(), False
            pending = self._pending.get(key)
            if pending is not None:
                return None, pending, False
            pending = self._pending[key] = concurrent.futures.Future()
            return None, pending, True

    def complete(self, key: _TokenKey, future: concurrent.futures.Future[str], token: _Token | None) -> None:
        with self._lock:
            if token is not None:
                self._tokens[key] = token
            self._pending.pop(key, None)
        if token is not None:
            future.set_result(token.value)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


PROCESS_TOKENS = TokenStore()  # what runs share unless given a TokenCache of their own


@dataclass
class TokenCache:
    """OAuth2 client-credentials tokens a run (or a Runner) uses, kept in a :class:`TokenStore`.

    Built directly, a cache has a store of its own; runs and Runners use :data:`PROCESS_TOKENS`, so
    every run of the process fetches a token once per endpoint, client and scopes until it expires.
    """

    clock: Callable[[], float] = time.monotonic
    store: TokenStore = field(default_factory=TokenStore, repr=False)
    tokens: dict[_TokenKey, _Token] = field(default_factory=dict, repr=False)  # the ones this cache used
    fetches: int = 0

    @classmethod
    def shared(cls) -> TokenCache:
        return cls(store=PROCESS_TOKENS)

    def secret_values(self) -> list[str]:
        """The access tokens used so far, for masking in messages."""
        return [t.value for t in self.tokens.values()]

    async def token(
        self, client: httpx.AsyncClient, token_url: str, creds: Mapping[str, Any], scopes: list[str]
    ) -> str:
        client_id = str(creds.get("client_id", ""))
        scope = " ".join(scopes or creds.get("scopes") or ([creds["scope"]] if creds.get("scope") else []))
        digest = hashlib.sha256(str(creds.get("client_secret", "")).encode()).hexdigest()
        key = (token_url, client_id, scope, digest)
        cached, pending, mine = self.store.claim(key, self.clock())
        if cached is None and not mine:
            cached = await asyncio.wrap_future(pending)  # fetched by a concurrent run, here or in another thread
        if cached is not None:
            self.tokens[key] = _Token(cached)
            return cached
        token: _Token | None = None
        try:
            token = await self._fetch(client, token_url, client_id, scope, creds)
        except BaseException as exc:
            self.store.complete(key, pending, None)
            pending.set_exception(exc)
            raise
        self.store.complete(key, pending, token)
        self.tokens[key] = token
        return token.value

    async def _fetch(
        self, client: httpx.AsyncClient, token_url: str, client_id: str, scope: str, creds: Mapping[str, Any]
    ) -> _Token:
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        auth = (client_id, str(creds.get("client_secret", "")))
        try:
            response = await client.post(token_url, data=data, auth=auth)
        except httpx.HTTPError as exc:
            raise RequestBuildError(f"could not fetch an OAuth2 token from {token_url}: {type(exc).__name__}") from None
        self.fetches += 1
        seen = TOKEN_RESPONSES.get()
        if seen is not None:  # a run that reports its events shows the token exchange too (the token masked)
            seen.append(response)
        if response.status_code != 200:
            raise RequestBuildError(f"the OAuth2 token endpoint {token_url} answered {response.status_code}")
        try:
            body = response.json()
            access = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise RequestBuildError(f"the OAuth2 token endpoint {token_url} sent no access_token") from None
        expires_in = body.get("expires_in")
        expires_at = None
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
            expires_at = self.clock() + float(expires_in) - 5.0  # refresh a little early
        return _Token(access, expires_at)


def _names(source: str | Sequence[str] | None) -> tuple[str, ...]:
    if source is None:
        return ()
    return (source,) if isinstance(source, str) else tuple(source)


def shared_scheme_names(descriptions: Iterable[OpenAPIDescription]) -> frozenset[str]:
    """The security scheme names that more than one OpenAPI description defines."""
    seen: set[str] = set()
    shared: set[str] = set()
    for description in descriptions:
        for name in description.security_schemes():
            (shared if name in seen else seen).add(name)
    return frozenset(shared)


def _requirements(
    operation: Operation,
    schemes: Mapping[str, Any],
    creds: Credentials,
    source: str | Sequence[str] | None,
    shared_schemes: Collection[str],
    warnings: list[str],
) -> list[tuple[str, tuple[str, ...], str]]:
    """The schemes to apply, each with its scopes and the credential key to use.

    With requirements, the first one all of whose schemes have credentials.
    """
    if operation.security is None:
        # The description applies security nowhere: credentials given for one of its schemes apply everywhere,
        # but a bare scheme name only when no other source defines a scheme of that name (another host).
        chosen: dict[str, str] = {}
        for name in schemes:
            found = creds.key_for(source, name)
            if found is not None and found != name:
                chosen[name] = found
        for key in creds.names():
            if key not in schemes or key in chosen:
                continue
            if key in shared_schemes:
                warnings.append(_withheld(key, source))
                continue
            chosen[key] = key
        return [(name, (), key) for name, key in chosen.items()]
    withheld: list[str] = []
    for requirement in operation.security:
        if not requirement:
            continue  # `{}` means anonymous access is allowed; prefer authenticating if we can
        keys: dict[str, str | None] = {}
        for name in requirement:
            found = creds.key_for(source, name)
            if found == name and name in shared_schemes:
                # A bare name several sources define could belong to another host: only a
                # credential qualified with this source is sent here.
                withheld.append(name)
                found = None
            keys[name] = found
        if all(keys.values()):
            return [(name, scopes, str(keys[name])) for name, scopes in requirement.items()]
    warnings.extend(_withheld(name, source) for name in dict.fromkeys(withheld))
    if not withheld:
        _note_unmet_requirement(operation, warnings)
    return []


_Requirements = list[tuple[str, tuple[str, ...], str]]
# Every scheme chosen sent as one header whose value is known in advance: (credential key, header, value).
_FixedHeaders = tuple[tuple[str, str, str], ...]
# (operation, shared scheme names, the schemes chosen, the warnings said, their fixed headers or None): the
# objects themselves are kept, so the ids in the key cannot be taken by other objects while the entry lives.
_Plan = tuple[Operation, Collection[str], _Requirements, tuple[str, ...], _FixedHeaders | None]


def _planned(
    operation: Operation,
    schemes: Mapping[str, Any],
    creds: Credentials,
    source: str | Sequence[str] | None,
    shared_schemes: Collection[str],
) -> _Plan:
    """:func:`_requirements`, worked out once per operation and source for these credentials (none of
    them changes: the loaded descriptions are only read, and credentials are fixed when made)."""
    key = (id(operation), _names(source), id(shared_schemes))
    plan = creds._plans.get(key)
    if plan is None or plan[0] is not operation or plan[1] is not shared_schemes:
        said: list[str] = []
        chosen = _requirements(operation, schemes, creds, source, shared_schemes, said)
        plan = (operation, shared_schemes, chosen, tuple(said), _fixed_headers(chosen, schemes, creds))
        if len(creds._plans) < 1024:
            creds._plans[key] = plan
    return plan


def _fixed_headers(chosen: _Requirements, schemes: Mapping[str, Any], creds: Credentials) -> _FixedHeaders | None:
    """The headers the ``chosen`` schemes add, when each is an HTTP or header apiKey scheme whose credential
    is usable (the same on every request); None otherwise (:func:`apply_security` then works it out each time)."""
    headers: list[tuple[str, str, str]] = []
    for name, _, key in chosen:
        scheme = schemes.get(name)
        if not isinstance(scheme, Mapping):
            return None
        value = creds.get(key)
        kind = str(scheme.get("type", "")).lower()
        try:
            if kind in ("http", "basic"):
                http_scheme = str(scheme.get("scheme", "basic" if kind == "basic" else "")).lower()
                if http_scheme == "basic":
                    headers.append((key, "Authorization", creds.basic_header(key)))
                elif http_scheme == "bearer":
                    headers.append((key, "Authorization", f"Bearer {_token(value, key)}"))
                else:
                    headers.append((key, "Authorization", f"{scheme.get('scheme')} {_token(value, key)}"))
            elif kind == "apikey" and scheme.get("in") == "header":
                headers.append((key, str(scheme.get("name", "")), _token(value, key)))
            else:
                return None
        except ArazzoError:
            return None  # said on every request that uses it, as before
    return tuple(headers)


def _withheld(scheme: str, source: str | Sequence[str] | None) -> str:
    """Why a bare-named credential was not sent here, and the name that would send it."""
    names = _names(source)
    where = f"{names[0]}.{scheme}" if names else f"<source>.{scheme}"
    return (
        f"credential {scheme!r} was not sent: several sources define a security scheme {scheme!r}, so a bare "
        f"name could belong to another host; give the credential as {where!r} to send it here"
    )


def _note_unmet_requirement(operation: Operation, warnings: list[str]) -> None:
    """Say so when the operation requires credentials the run was not given (a 401 then explains itself)."""
    requirements = operation.security
    if not requirements or any(not requirement for requirement in requirements):
        return  # nothing required, or anonymous access allowed
    options = " or ".join(repr(" and ".join(requirement)) for requirement in requirements)
    warnings.append(
        f"{operation.label} requires credentials for {options}, and none were given "
        "(credentials=, or --credential SCHEME=VALUE / ARAZZO_CREDENTIAL_<SCHEME> on the command line)"
    )


def apply_fixed_security(
    prepared: PreparedRequest,
    operation: Operation,
    creds: Credentials,
    *,
    source: str | Sequence[str] | None = None,
    shared_schemes: Collection[str] = (),
) -> bool:
    """:func:`apply_security` without a coroutine when every scheme it applies is a header known in advance
    (HTTP basic or bearer, an apiKey header: nothing to fetch): True when done, False when
    :func:`apply_security` must be awaited instead (nothing is applied then)."""
    if not creds._values:
        _note_unmet_requirement(operation, prepared.warnings)
        return True
    plan = _planned(operation, operation.description.security_schemes(), creds, source, shared_schemes)
    fixed = plan[4]
    if fixed is None:
        return False
    prepared.warnings.extend(plan[3])
    for key, header, value in fixed:
        prepared.credential_keys.add(key)
        _set_header(prepared, header, value)
    return True


async def apply_security(
    prepared: PreparedRequest,
    operation: Operation,
    creds: Credentials,
    tokens: TokenCache,
    client: httpx.AsyncClient,
    *,
    source: str | Sequence[str] | None = None,
    shared_schemes: Collection[str] = (),
) -> None:
    """Add the credentials the operation's security asks for; ``source`` is the step's source name
    (or its names, qualified first: see :mod:`.scope`). The keys of the credentials applied are
    recorded in ``prepared.credential_keys``.

    ``shared_schemes`` (see :func:`shared_scheme_names`): scheme names several sources define, for
    which a bare credential is not sent to an operation without security requirements (a warning
    on ``prepared`` says so).
    """
    if apply_fixed_security(prepared, operation, creds, source=source, shared_schemes=shared_schemes):
        return
    schemes = operation.description.security_schemes()
    plan = _planned(operation, schemes, creds, source, shared_schemes)
    prepared.warnings.extend(plan[3])
    for name, scopes, key in plan[2]:
        scheme = schemes.get(name)
        if not isinstance(scheme, Mapping):
            continue
        value = creds.get(key)
        prepared.credential_keys.add(key)
        kind = str(scheme.get("type", "")).lower()
        if kind in ("http", "basic"):
            http_scheme = str(scheme.get("scheme", "basic" if kind == "basic" else "")).lower()
            if http_scheme == "basic":
                _set_header(prepared, "Authorization", creds.basic_header(key))
            elif http_scheme == "bearer":
                _set_header(prepared, "Authorization", f"Bearer {_token(value, key)}")
            else:
                _set_header(prepared, "Authorization", f"{scheme.get('scheme')} {_token(value, key)}")
        elif kind == "apikey":
            key_name = str(scheme.get("name", ""))
            where = scheme.get("in")
            secret = _token(value, key)
            if where == "header":
                _set_header(prepared, key_name, secret)
            elif where == "query":
                encoded_name = quote(key_name, safe="")
                if not any(q.split("=", 1)[0] == encoded_name for q in prepared.query):
                    piece = f"{encoded_name}={quote(secret, safe='')}"
                    prepared.query.append(piece)
                    prepared.security_query.add(piece)
            elif where == "cookie":
                _add_cookie(prepared, key_name, secret)
        elif kind in ("oauth2", "openidconnect"):
            if prepared.has_header("Authorization"):
                continue  # an explicit Authorization parameter wins; no token is fetched for nothing
            if isinstance(value, Mapping) and "client_id" in value:
                token_url = _client_credentials_url(scheme, prepared.base_url or operation.description.url)
                if token_url is None:
                    raise RequestBuildError(
                        f"security scheme {name!r} has no clientCredentials flow with a tokenUrl; "
                        "pass an access token instead"
                    )
                access = await tokens.token(client, token_url, value, list(scopes))
                _set_header(prepared, "Authorization", f"Bearer {access}")
            elif isinstance(value, Mapping) and "access_token" in value:
                _set_header(prepared, "Authorization", f"Bearer {_token(value['access_token'], key)}")
            else:
                _set_header(prepared, "Authorization", f"Bearer {_token(value, key)}")


def _client_credentials_url(scheme: Mapping[str, Any], base_url: str) -> str | None:
    """The token endpoint, a relative ``tokenUrl`` resolved against the server the request goes to.

    OpenAPI resolves relative URLs against the Server Object's URL; with a
    ``servers=`` override that is the override, so a test server or a
    staging host gets its own token endpoint, not production's.
    """
    token_url: Any = None
    flows = scheme.get("flows")
    if isinstance(flows, Mapping):
        flow = flows.get("clientCredentials")
        if isinstance(flow, Mapping):
            token_url = flow.get("tokenUrl")
    elif scheme.get("flow") == "application":  # Swagger 2.0
        token_url = scheme.get("tokenUrl")
    if not isinstance(token_url, str) or not token_url:
        return None
    if urlsplit(token_url).scheme:
        return token_url
    base = base_url if base_url.endswith("/") else base_url + "/"
    return urljoin(base, token_url.lstrip("/")) if not token_url.startswith("/") else urljoin(base_url, token_url)


def _set_header(prepared: PreparedRequest, name: str, value: str) -> None:
    if prepared.has_header(name):
        return  # a parameter the document sets explicitly wins over a scheme
    prepared.headers.append((name, value))
    prepared.security_headers.add(name)


def _add_cookie(prepared: PreparedRequest, name: str, value: str) -> None:
    for i, (key, existing) in enumerate(prepared.headers):
        if key.lower() == "cookie":
            names = {part.split("=", 1)[0].strip() for part in existing.split(";")}
            if name in names:
                return  # a cookie parameter the document sets explicitly wins over a scheme
            prepared.headers[i] = (key, f"{existing}; {name}={value}")
            return
    prepared.headers.append(("Cookie", f"{name}={value}"))


def _basic(value: Any, name: str) -> str:
    if isinstance(value, str) and ":" in value:
        user, _, password = value.partition(":")
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        user, password = str(value[0]), str(value[1])
    else:
        raise ArazzoError(
            f"credential {name!r} is for HTTP basic auth: give (username, password) or 'username:password'"
        )
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _token(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    raise ArazzoError(f"credential {name!r} must be a string (a token or key)")
