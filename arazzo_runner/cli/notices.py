"""Notes on stderr about where a run goes that the user did not say explicitly.

* A credential read from an ``ARAZZO_CREDENTIAL_<SCHEME>`` variable is announced with the hosts
  it goes to: a downloaded document naming a scheme ``bearerAuth`` would otherwise receive the
  ambient token silently. A variable that matches no scheme is reported with the close match.
* A source whose description lists several servers, run without ``--server`` for it, is named
  with the server used and how to choose another (once per source).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..engine.redact import without_userinfo
from ..engine.scope import source_scope
from ..errors import ArazzoError
from ..openapi.index import OpenAPIDescription
from ..plan.model import ArazzoDocument

__all__ = ["environment_credential_notes", "server_choice_notes"]

_PREFIX = "ARAZZO_CREDENTIAL_"


def _host(url: str | None) -> str:
    if not url:
        return "(no server URL)"
    split = urlsplit(without_userinfo(url))
    return f"{split.scheme}://{split.netloc}" if split.netloc else url


def _base_url(description: OpenAPIDescription) -> str | None:
    for operation in description.iter_operations():
        try:
            return description.base_url(operation, strict=False)
        except ArazzoError:  # a server URL that cannot be used: the run itself says so
            return None
    return None


def _server_for(name: str, url: str, servers: str | Mapping[str, str] | None, document: ArazzoDocument) -> str | None:
    if isinstance(servers, str):
        return servers
    if isinstance(servers, Mapping) and name in servers:
        return servers[name]
    description = document.documents.openapi.get(url)
    return _base_url(description) if description is not None else None


def environment_credential_notes(
    document: ArazzoDocument,
    from_environment: Mapping[str, str],
    servers: str | Mapping[str, str] | None,
    env_name: Any,
) -> list[str]:
    """One line per credential taken from the environment (with its hosts), and per unmatched variable."""
    scope = source_scope(document)
    notes: list[str] = []
    for scheme in from_environment:
        hosts: dict[str, None] = {}
        for name, url in scope.description_urls.items():
            description = document.documents.openapi.get(url)
            if description is not None and scheme in description.security_schemes():
                hosts[f"{name} ({_host(_server_for(name, url, servers, document))})"] = None
        notes.append(
            f"arazzo-runner: note: credential {scheme!r} from {env_name(scheme)} is sent to source "
            f"{', '.join(hosts)}; unset the variable or give --credential to choose what is sent"
        )
    known = {
        env_name(scheme)
        for description in document.documents.openapi.values()
        for scheme in description.security_schemes()
    }
    for variable in sorted(os.environ):
        if variable.startswith(_PREFIX) and variable not in known:
            close = difflib.get_close_matches(variable, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            notes.append(f"arazzo-runner: warning: {variable} matches no security scheme of {document.display}{hint}")
    return notes


def server_choice_notes(document: ArazzoDocument, servers: str | Mapping[str, str] | None) -> list[str]:
    """For each source with several servers and none chosen: which one is used, and how to choose."""
    if isinstance(servers, str):
        return []
    scope = source_scope(document)
    notes: list[str] = []
    for name, url in scope.description_urls.items():
        if isinstance(servers, Mapping) and name in servers:
            continue
        description = document.documents.openapi.get(url)
        listed = description.data.get("servers") if description is not None else None
        if description is None or not isinstance(listed, list) or len(listed) < 2:
            continue
        used = _base_url(description)
        notes.append(
            f"arazzo-runner: note: source {name!r} lists {len(listed)} servers; using {without_userinfo(used or '?')} "
            f"(choose with --server {name}=URL)"
        )
    return notes
