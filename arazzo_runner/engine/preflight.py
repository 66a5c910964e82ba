"""Checks of a run's settings against the loaded document, made before any request.

A base URL that is not an http(s) URL, a ``servers`` key naming no source, or a
credential of the wrong shape for its security scheme is the caller's mistake:
it raises :class:`ArazzoError` at once instead of surfacing as a failed step.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..errors import ArazzoError
from ..plan.model import ArazzoDocument
from .scope import SourceScope, source_scope
from .security import Credentials

__all__ = ["check_credentials", "check_servers", "server_url_problem"]

EXPECTED_URL = "an http:// or https:// URL with a host, e.g. http://localhost:8080"


def server_url_problem(url: Any) -> str | None:
    """Why ``url`` cannot be a base URL, or None when it can."""
    if not isinstance(url, str):
        return f"a base URL must be a string, not {type(url).__name__}"
    try:
        split = urlsplit(url)
        split.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc}); expected {EXPECTED_URL}"
    if split.scheme.lower() not in ("http", "https") or not split.hostname:
        return f"{url!r} is not {EXPECTED_URL}"
    return None


def check_servers(servers: Any, document: ArazzoDocument) -> None:
    """``servers=``: None, one base URL, or ``{source name: base URL}`` naming sources of the document."""
    if servers is None:
        return
    if isinstance(servers, Mapping):
        scope = source_scope(document)
        for name, url in servers.items():
            if scope.resolve(str(name), f"servers[{name!r}]") is None and name not in document.all_source_names():
                known = ", ".join(scope.accepted()) or "(none)"
                raise ArazzoError(
                    f"servers names source {name!r}, which {document.display} does not declare; sources: {known}"
                )
            problem = server_url_problem(url)
            if problem:
                raise ArazzoError(f"servers[{name!r}]: {problem}")
        return
    problem = server_url_problem(servers)
    if problem:
        raise ArazzoError(f"servers: {problem}")


def check_credentials(credentials: Credentials, document: ArazzoDocument) -> None:
    """Every credential names a security scheme (bare, or ``SOURCE.SCHEME`` with an unambiguous source
    name), and has the shape its scheme needs: HTTP basic a (user, password) pair or 'user:password',
    tokens strings. A misspelt name would otherwise be ignored and the run fail with a bare 401."""
    scope = source_scope(document)
    descriptions = document.documents.openapi
    _check_names(credentials, document, scope)
    for qualified, url in scope.description_urls.items():
        description = descriptions.get(url)
        if description is None:
            continue
        bare = qualified.rpartition(".")[2]
        names = (qualified,) if bare == qualified or bare in scope.ambiguous else (qualified, bare)
        for scheme_name, scheme in description.security_schemes().items():
            key = credentials.key_for(names, scheme_name)
            if key is None or not isinstance(scheme, Mapping):
                continue
            _check_shape(key, credentials.get(key), scheme)


def _check_names(credentials: Credentials, document: ArazzoDocument, scope: SourceScope) -> None:
    descriptions = document.documents.openapi
    schemes: dict[str, None] = {}
    qualified: dict[str, None] = {}
    for name, url in scope.description_urls.items():
        description = descriptions.get(url)
        if description is not None:
            schemes.update(dict.fromkeys(description.security_schemes()))
            qualified.update(dict.fromkeys(f"{name}.{scheme}" for scheme in description.security_schemes()))
    for key in credentials.names():
        if key in schemes or _qualified_scheme(key, scope, descriptions):
            continue
        known = list(schemes) + list(qualified)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listed = ", ".join(sorted(schemes)) or "none"
        also = f" (or SOURCE.SCHEME: {', '.join(sorted(qualified))})" if qualified else ""
        raise ArazzoError(
            f"credential {key!r} names no security scheme of {document.display}{hint}; the schemes are: {listed}{also}"
        )


def _qualified_scheme(key: str, scope: SourceScope, descriptions: Mapping[str, Any]) -> bool:
    """``key`` is SOURCE.SCHEME for a source the run reaches (an ambiguous SOURCE raises)."""
    for index, char in enumerate(key):
        if char != ".":
            continue
        url = scope.resolve(key[:index], f"credential {key!r}")
        description = descriptions.get(url) if url is not None else None
        if description is not None and key[index + 1 :] in description.security_schemes():
            return True
    return False


def _check_shape(key: str, value: Any, scheme: Mapping[str, Any]) -> None:
    if value is None or value in ("", ()):
        raise ArazzoError(f"credential {key!r} is empty; give its value, or leave it out")
    kind = str(scheme.get("type", "")).lower()
    http_scheme = str(scheme.get("scheme", "")).lower()
    if kind == "basic" or (kind == "http" and http_scheme == "basic"):
        pair = isinstance(value, (tuple, list)) and len(value) == 2
        if not pair and not (isinstance(value, str) and ":" in value):
            raise ArazzoError(
                f"credential {key!r} is for HTTP basic auth: give (username, password) or 'username:password'"
            )
    elif kind in ("oauth2", "openidconnect"):
        if not isinstance(value, (str, Mapping)):
            raise ArazzoError(
                f"credential {key!r} is for {scheme.get('type')}: give an access token, or "
                "{'client_id': …, 'client_secret': …} for the client-credentials flow"
            )
    elif not isinstance(value, str):
        raise ArazzoError(f"credential {key!r} must be a string (a token or key)")
