"""Placeholder credentials for mock runs: offline mode makes up the credentials it was not given.

The mock checks that a request carries the credentials its operation's
``security`` asks for (presence only, never validity), so any value of the
right shape will do. :func:`placeholder_credentials` makes one up for every
security scheme an operation of the document's OpenAPI descriptions applies
and the caller did not give, and says so, one note each, like the made-up
inputs. Schemes no operation applies are left alone: a credential for them
would only be sent to operations that need none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..openapi.index import OpenAPIDescription
from ..plan.model import ArazzoDocument

__all__ = ["PLACEHOLDER_PASSWORD", "PLACEHOLDER_USER", "placeholder_credentials"]

PLACEHOLDER_USER = "mock-user"
PLACEHOLDER_PASSWORD = "mock-password"


def placeholder_credentials(
    document: ArazzoDocument, given: Mapping[str, Any] | Any
) -> tuple[dict[str, Any], list[str]]:
    """``given`` completed with placeholder credentials: (credentials, one note per credential made up).

    ``given``: credentials by scheme name or ``source.scheme`` (a mapping, or a
    :class:`arazzo_runner.engine.security.Credentials`). A scheme counts as given under
    its bare name, or as ``source.scheme`` for a source naming its description.
    HTTP basic gets ``("mock-user", "mock-password")``; bearer, other HTTP
    schemes, apiKey, OAuth2 and OpenID Connect get ``"mock-token-<scheme>"``.
    A scheme name several descriptions define is made up as ``source.scheme``
    (a bare name would be sent to every source's operations that apply no
    security, and the engine warns about that).
    """
    values = _as_dict(given)
    descriptions = list(document.documents.openapi.values())
    sources = _source_names(document)
    defined: dict[str, int] = {}
    for description in descriptions:
        for name in description.security_schemes():
            defined[str(name)] = defined.get(str(name), 0) + 1
    out = dict(values)
    notes: list[str] = []
    for description in descriptions:
        schemes = description.security_schemes()
        names = sources.get(description.url, [])
        for scheme in _applied_schemes(description):
            definition = schemes.get(scheme)
            if not isinstance(definition, Mapping):
                continue  # a requirement naming an undefined scheme: nothing to make up
            if scheme in values or any(f"{source}.{scheme}" in values for source in names):
                continue
            keys = [f"{source}.{scheme}" for source in names] if defined.get(scheme, 0) > 1 and names else [scheme]
            for key in keys:
                if key in out:
                    continue
                out[key] = _placeholder(scheme, definition)
                notes.append(f"mock: credential {key!r} not given; made up placeholder values")
    return out, notes


def _as_dict(given: Any) -> dict[str, Any]:
    if given is None:
        return {}
    if isinstance(given, Mapping):
        return dict(given)
    names = getattr(given, "names", None)  # security.Credentials
    if callable(names):
        return {name: given.get(name) for name in names()}
    raise TypeError(f"credentials must be a mapping, not {type(given).__name__}")


def _source_names(document: ArazzoDocument) -> dict[str, list[str]]:
    """Description URL -> the source names that point at it, in every loaded Arazzo document."""
    out: dict[str, list[str]] = {}
    for arazzo in document.documents.arazzo.values():
        for name, source in arazzo.sources.items():
            if source.type == "openapi" and name not in out.setdefault(source.url, []):
                out[source.url].append(name)
    return out


def _applied_schemes(description: OpenAPIDescription) -> list[str]:
    """The scheme names some operation's security requirements name, in first-use order."""
    seen: list[str] = []
    for operation in description.operations:
        for requirement in operation.security or ():
            for name in requirement:
                if name not in seen:
                    seen.append(str(name))
    return seen


def _placeholder(name: str, scheme: Mapping[str, Any]) -> Any:
    kind = str(scheme.get("type", "")).lower()
    if kind == "basic" or (kind == "http" and str(scheme.get("scheme", "")).lower() == "basic"):
        return (PLACEHOLDER_USER, PLACEHOLDER_PASSWORD)
    return f"mock-token-{name}"
