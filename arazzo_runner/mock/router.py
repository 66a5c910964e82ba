"""From a request (method + URL) back to the OpenAPI operation that describes it.

The engine builds URLs from a description's servers, or from ``servers=``
overrides, so the host proves nothing: every server base path of every
description is tried (and the bare path too, for any host), the rest of the
path is matched against the path templates, literal segments beating
templated ones (``/users/search`` before ``/users/{user_id}``). A host that
matches one of a description's servers wins a tie between descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..openapi.index import OpenAPIDescription, Operation

__all__ = ["Route", "RouteMatch", "Router"]

_TEMPLATE_VAR = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Route:
    operation: Operation
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal_weight: int  # characters outside {...}: more literal = more specific


@dataclass(frozen=True)
class RouteMatch:
    operation: Operation
    path_params: dict[str, str]
    server_url: str  # the server (base) the request was matched under, '' if none


class Router:
    """Path-template matching over every description of a document. Immutable once built."""

    def __init__(self, descriptions: Iterable[OpenAPIDescription]) -> None:
        self._tables: list[tuple[OpenAPIDescription, list[tuple[str, str]], list[Route]]] = []
        for description in descriptions:
            routes = [_route(op) for op in description.operations]
            routes.sort(key=lambda r: (-r.literal_weight, -len(r.names)))
            self._tables.append((description, _bases(description), routes))

    def match(self, method: str, url: str) -> tuple[RouteMatch | None, list[str]]:
        """The operation for ``method url``, and the methods allowed at that path when none matches the method."""
        split = urlsplit(url)
        host = split.netloc.lower()
        path = split.path or "/"
        found: list[tuple[int, RouteMatch]] = []
        allowed: list[str] = []
        method = method.lower()
        for _description, bases, routes in self._tables:
            for base_host, base_path in bases:
                if base_path and not (path == base_path or path.startswith(base_path + "/")):
                    continue
                rest = path[len(base_path) :] or "/"
                for route in routes:
                    hit = route.pattern.fullmatch(rest)
                    if hit is None:
                        continue
                    if route.operation.method != method:
                        allowed.append(route.operation.method.upper())
                        continue
                    params = {name: unquote(value) for name, value in zip(route.names, hit.groups(), strict=False)}
                    score = (2 if base_host and base_host == host else 0) + (1 if base_path else 0)
                    server = f"{base_host}{base_path}" if base_host else base_path
                    found.append((score, RouteMatch(route.operation, params, server)))
                    break
        if not found:
            return None, sorted(set(allowed))
        found.sort(key=lambda item: -item[0])
        return found[0][1], []


def _route(operation: Operation) -> Route:
    names: list[str] = []
    pieces: list[str] = []
    last = 0
    template = operation.path if operation.path.startswith("/") else "/" + operation.path
    for hit in _TEMPLATE_VAR.finditer(template):
        pieces.append(re.escape(template[last : hit.start()]))
        pieces.append("([^/]+)")
        names.append(hit.group(1))
        last = hit.end()
    pieces.append(re.escape(template[last:]))
    literal = len(_TEMPLATE_VAR.sub("", template))
    return Route(operation, re.compile("".join(pieces) + "/?"), tuple(names), literal)


def _bases(description: OpenAPIDescription) -> list[tuple[str, str]]:
    """(host, base path) of every server the description names, then ('', '') for any host."""
    urls: list[str] = []
    if description.is_swagger2:
        base_path = str(description.data.get("basePath") or "")
        host = str(description.data.get("host") or "")
        urls.append(f"//{host}{base_path}" if host else base_path)
    for op in description.operations:
        for server in op.servers:
            if server not in urls:
                urls.append(server)
    seen: list[tuple[str, str]] = []
    for url in urls:
        split = urlsplit(url)
        base = (split.netloc.lower(), split.path.rstrip("/"))
        if base not in seen:
            seen.append(base)
        if split.path.rstrip("/") and ("", split.path.rstrip("/")) not in seen:
            seen.append(("", split.path.rstrip("/")))
    seen.append(("", ""))
    return seen
