"""Checks of a run's settings against the loaded document, made before any request.

A base URL that is not an http(s) URL, a ``servers`` key naming no source, or a
credential of the wrong shape for its security scheme is the caller's mistake:
it raises :class:`ArazzoError` at once instead of surfacing as a failed step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..asyncapi.bindings import BINDINGS, broker_url_problem, known_protocols
from ..errors import ArazzoError
from ..plan.model import ArazzoDocument
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


def is_asyncapi_source(document: ArazzoDocument, name: str) -> bool:
    docs = [document, *document.documents.arazzo.values()]
    return any(d.sources.get(name) is not None and d.sources[name].type == "asyncapi" for d in docs)


def check_async_protocols(servers: Any, document: ArazzoDocument) -> None:
    """Every AsyncAPI step's server has a binding, unless ``servers`` names another URL for its source."""
    overrides = servers if isinstance(servers, Mapping) else {}
    for doc in [document, *document.documents.arazzo.values()]:
        for workflow in doc.workflows.values():
            for step in workflow.steps:
                target = step.asyncapi
                if target is None or target.source in overrides or not target.servers:
                    continue
                server = target.servers[0]
                if server.protocol not in BINDINGS:
                    raise ArazzoError(
                        f"step {step.step_id!r} of workflow {workflow.workflow_id!r}: server {server.name!r} of "
                        f"{target.source!r} uses protocol {server.protocol!r}, which has no binding; bindings: "
                        f"{known_protocols()}; pass servers={{{target.source!r}: 'mqtt://host:port'}} "
                        f"(--server {target.source}=URL) to use another server",
                        step.location,
                    )


def check_servers(servers: Any, document: ArazzoDocument) -> None:
    """``servers=``: None, one base URL, or ``{source name: base URL}`` naming sources of the document."""
    check_async_protocols(servers, document)
    if servers is None:
        return
    if isinstance(servers, Mapping):
        sources = document.all_source_names()
        for name, url in servers.items():
            if name not in sources:
                known = ", ".join(sources) or "(none)"
                raise ArazzoError(
                    f"servers names source {name!r}, which {document.display} does not declare; sources: {known}"
                )
            problem = broker_url_problem(url) if is_asyncapi_source(document, name) else server_url_problem(url)
            if problem:
                raise ArazzoError(f"servers[{name!r}]: {problem}")
        return
    problem = server_url_problem(servers)
    if problem:
        raise ArazzoError(f"servers: {problem}")


def check_credentials(credentials: Credentials, document: ArazzoDocument) -> None:
    """A credential for an HTTP basic scheme must be a (user, password) pair or 'user:password'; tokens strings."""
    for source_name, description in _openapi_sources(document):
        for scheme_name, scheme in description.security_schemes().items():
            key = credentials.key_for(source_name, scheme_name)
            if key is None or not isinstance(scheme, Mapping):
                continue
            value = credentials.get(key)
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


def _openapi_sources(document: ArazzoDocument) -> list[tuple[str | None, Any]]:
    """Each OpenAPI description of the document set, with the source name the entry document gives it."""
    by_url = {source.url: name for name, source in document.sources.items()}
    return [(by_url.get(url), description) for url, description in document.documents.openapi.items()]
