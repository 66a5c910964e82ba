"""An index of one OpenAPI description: operations, parameters, servers, security.

Built once at load. Supports OpenAPI 3.0.x, 3.1.x and Swagger 2.0 (best
effort), with internal and external ``$ref``s resolved on demand.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import Location, SourceError
from ..sources.fetch import display_name, read_url
from ..sources.pointer import PointerMiss, escape_pointer_token, resolve_local
from ..sources.policy import check_reference
from ..sources.yamlsource import parse_fast
from .diskcache import cached_parse

__all__ = [
    "HTTP_METHODS",
    "OpenAPIDescription",
    "Operation",
    "OperationParameter",
    "clear_cache",
    "load_openapi",
    "load_openapi_cached",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")  # query: OpenAPI 3.2
_TEMPLATE_VARIABLE = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class OperationParameter:
    """A parameter the OpenAPI operation declares, with its serialisation rules."""

    name: str
    location: str  # path | query | header | cookie (| body | formData in Swagger 2.0)
    required: bool = False
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    schema: Mapping[str, Any] | None = None
    content_type: str | None = None  # OpenAPI 3 `content` form


@dataclass(frozen=True)
class Operation:
    """One operation of an OpenAPI description."""

    description: OpenAPIDescription = field(repr=False, compare=False)
    method: str  # lower case
    path: str  # the path template as written under `paths`
    operation_id: str | None
    pointer: str  # JSON pointer of the Operation Object
    data: Mapping[str, Any] = field(repr=False, compare=False)
    parameters: tuple[OperationParameter, ...] = ()
    servers: tuple[str, ...] = ()
    security: tuple[Mapping[str, tuple[str, ...]], ...] | None = None  # None: no requirement anywhere
    document_url: str = ""  # the document the Operation Object lives in (for its relative $refs)
    content_types: tuple[str, ...] = ()  # the request body's media types, resolved at load

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @cached_property
    def path_pieces(self) -> tuple[str, ...]:
        """The path template split once: literal text at even positions, variable names at odd ones."""
        return tuple(_TEMPLATE_VARIABLE.split(self.path))

    @cached_property
    def unsupplied_required(self) -> tuple[OperationParameter, ...]:
        """Required query, header and cookie parameters that credentials cannot supply (DEC-28)."""
        by_security = {"authorization"} | {
            str(s.get("name", "")).lower()
            for s in self.description.security_schemes().values()
            if isinstance(s, Mapping) and str(s.get("type", "")).lower() == "apikey"
        }
        return tuple(
            p
            for p in self.parameters
            if p.required and p.location in ("query", "header", "cookie") and p.name.lower() not in by_security
        )

    def parameter(self, name: str, location: str) -> OperationParameter | None:
        for param in self.parameters:
            if param.location == location and (
                param.name.lower() == name.lower() if location == "header" else param.name == name
            ):
                return param
        return None

    def request_content_types(self) -> list[str]:
        return list(self.content_types)


class OpenAPIDescription:
    """A loaded OpenAPI description and its operation index."""

    def __init__(
        self, url: str, data: Mapping[str, Any], display: str, reader: Callable[[str], str] | None = None
    ) -> None:
        # How other files this description refers to are read (a source map may redirect them).
        self._reader = reader or read_url
        # A description may be shared by several loads and threads; files a $ref names that
        # were not needed at load (a response read by the mock) are read under this lock.
        self._lock = threading.Lock()
        self.url = url
        self.display = display
        self.data = data
        if not isinstance(data, Mapping):
            raise SourceError(
                f"{display} is not an OpenAPI description (top level is not an object)", Location(display)
            )
        version = data.get("openapi") or data.get("swagger")
        if not isinstance(version, str):
            raise SourceError(
                f"{display} is not an OpenAPI description: no 'openapi' or 'swagger' version field",
                Location(display),
            )
        self.version = version
        self.is_swagger2 = "swagger" in data and version.startswith("2")
        self._external: dict[str, Any] = {}
        self.external_stamps: dict[str, tuple[int, int] | None] = {}  # other files read, by URL
        self.operations: list[Operation] = []
        self.operations_by_id: dict[str, Operation] = {}
        self.duplicate_operation_ids: set[str] = set()
        self._index()
        self.security_schemes()  # resolved now, so no $ref is read during a run

    # -- references ---------------------------------------------------
    def resolve(self, node: Any, _seen: frozenset[str] = frozenset(), *, base: str | None = None) -> Any:
        """Follow ``$ref`` (internal or external) until a non-reference node.

        ``base`` is the URL of the document ``node`` was read from (this
        description's own URL by default): a ``$ref`` inside an external file
        is relative to that file, not to the entry document.
        """
        return self.resolve_at(node, base or self.url, _seen)[0]

    def resolve_at(self, node: Any, base: str, _seen: frozenset[str] = frozenset()) -> tuple[Any, str]:
        """Like :meth:`resolve`, also returning the URL of the document the result lives in."""
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            target_doc, _, fragment = ref.partition("#")
            absolute = urljoin(base, target_doc) if target_doc else base
            key = f"{absolute}#{fragment}"
            if key in _seen:
                raise SourceError(f"circular $ref {ref!r} in {self.display}", Location(self.display))
            _seen = _seen | {key}
            check_reference(base, absolute, display_name(base))
            node = _walk_pointer(self._document(absolute), unquote(fragment), ref, display_name(absolute))
            base = absolute
        return node, base

    def lookup_ref(self, ref: str, base: str | None = None) -> Any:
        target_doc, _, fragment = ref.partition("#")
        absolute = urljoin(base or self.url, target_doc) if target_doc else (base or self.url)
        check_reference(base or self.url, absolute, display_name(base or self.url))
        return _walk_pointer(self._document(absolute), unquote(fragment), ref, display_name(absolute))

    def _document(self, absolute: str) -> Any:
        if absolute == self.url:
            return self.data
        document = self._external.get(absolute)
        if document is None:
            with self._lock:
                if absolute not in self._external:
                    stamp = _file_stamp(absolute)
                    self._external[absolute] = parse_fast(self._reader(absolute), absolute)
                    self.external_stamps[absolute] = stamp
                document = self._external[absolute]
        return document

    def is_current(self) -> bool:
        """Whether no other file this description read has changed since (for the load cache)."""
        with self._lock:
            stamps = list(self.external_stamps.items())
        return all(_file_stamp(url) == stamp for url, stamp in stamps)

    def resolve_deep(self, node: Any, _depth: int = 0, *, base: str | None = None) -> Any:
        """A copy of ``node`` with every ``$ref`` inside it replaced (recursive refs stop at depth 64)."""
        if _depth > 64:
            return node
        node, where = self.resolve_at(node, base or self.url)
        if isinstance(node, Mapping):
            return {k: self.resolve_deep(v, _depth + 1, base=where) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve_deep(v, _depth + 1, base=where) for v in node]
        return node

    # -- index ----------------------------------------------------------
    def _index(self) -> None:
        paths = self.data.get("paths") or {}
        if not isinstance(paths, Mapping):
            return
        doc_servers = self._servers(self.data.get("servers"))
        doc_security = self.data.get("security")
        for template, raw_item in paths.items():
            item, item_base = self.resolve_at(raw_item, self.url)
            if not isinstance(item, Mapping):
                continue
            item_params = item.get("parameters") or []
            item_servers = self._servers(item.get("servers")) or doc_servers
            at = f"/paths/{escape_pointer_token(str(template))}"
            entries = [(method, item.get(method), f"{at}/{method}") for method in HTTP_METHODS]
            extra = item.get("additionalOperations")  # OpenAPI 3.2: other methods, by their exact name
            if isinstance(extra, Mapping):
                entries += [
                    (str(m), o, f"{at}/additionalOperations/{escape_pointer_token(str(m))}") for m, o in extra.items()
                ]
            for method, op, pointer in entries:
                if not isinstance(op, Mapping):
                    continue
                security = op.get("security", doc_security)
                operation = Operation(
                    description=self,
                    method=method,
                    path=str(template),
                    operation_id=op.get("operationId") if isinstance(op.get("operationId"), str) else None,
                    pointer=pointer,
                    data=op,
                    parameters=self._parameters(item_params, op.get("parameters") or [], item_base),
                    servers=self._servers(op.get("servers")) or item_servers,
                    security=security_requirements(security),
                    document_url=item_base,
                    content_types=self._request_content_types(op, item_base),
                )
                self.operations.append(operation)
                if operation.operation_id is not None:
                    if operation.operation_id in self.operations_by_id:
                        self.duplicate_operation_ids.add(operation.operation_id)
                    else:
                        self.operations_by_id[operation.operation_id] = operation

    def _request_content_types(self, op: Mapping[str, Any], base: str) -> tuple[str, ...]:
        # Resolved here, at load: a $ref into another file is read now, not in the middle of a run.
        body = self.resolve(op.get("requestBody"), base=base)
        if isinstance(body, Mapping):
            content = body.get("content")
            if isinstance(content, Mapping):
                return tuple(str(k) for k in content)
        consumes = op.get("consumes") or self.data.get("consumes")
        if isinstance(consumes, list):
            return tuple(str(c) for c in consumes)
        return ()

    def _parameters(self, item_params: list[Any], op_params: list[Any], base: str) -> tuple[OperationParameter, ...]:
        merged: dict[tuple[str, str], OperationParameter] = {}
        if not isinstance(item_params, list):
            item_params = []
        if not isinstance(op_params, list):
            op_params = []
        for raw in [*item_params, *op_params]:  # operation-level wins over path-item level
            param, param_base = self.resolve_at(raw, base)
            if not isinstance(param, Mapping) or "name" not in param or "in" not in param:
                continue
            content = param.get("content")
            content_type = next(iter(content), None) if isinstance(content, Mapping) else None
            schema = param.get("schema")
            if schema is None and self.is_swagger2 and param.get("in") != "body":
                schema = {k: v for k, v in param.items() if k in ("type", "items", "format", "enum")}
            style = param.get("style")
            explode = param.get("explode")
            if self.is_swagger2:
                fmt = param.get("collectionFormat")
                if fmt == "multi":
                    style, explode = "form", True
                elif fmt in ("csv", None):
                    style, explode = ("form" if param["in"] == "query" else "simple"), False
                elif fmt == "ssv":
                    style, explode = "spaceDelimited", False
                elif fmt == "pipes":
                    style, explode = "pipeDelimited", False
            location = str(param["in"])
            key = (location, str(param["name"]).lower() if location == "header" else str(param["name"]))
            merged[key] = OperationParameter(
                name=str(param["name"]),
                location=location,
                required=bool(param.get("required", location == "path")),
                style=style if isinstance(style, str) else None,
                explode=explode if isinstance(explode, bool) else None,
                allow_reserved=bool(param.get("allowReserved", False)),
                schema=self._lenient_resolve(schema, param_base) if isinstance(schema, Mapping) else None,
                content_type=content_type,
            )
        return tuple(merged.values())

    def _lenient_resolve(self, node: Any, base: str) -> Any:
        # A schema is informational here (it does not change how a value is sent),
        # so a broken $ref inside one must not make the whole description unusable.
        try:
            return self.resolve(node, base=base)
        except SourceError:
            return node

    def _servers(self, servers: Any) -> tuple[str, ...]:
        if self.is_swagger2 and servers is None:
            return ()
        if not isinstance(servers, list):
            return ()
        urls = []
        for server in servers:
            if not isinstance(server, Mapping) or not isinstance(server.get("url"), str):
                continue
            url = server["url"]
            variables = server.get("variables") or {}
            if isinstance(variables, Mapping):
                for name, var in variables.items():
                    if isinstance(var, Mapping) and "default" in var:
                        url = url.replace("{" + str(name) + "}", str(var["default"]))
            urls.append(url)
        return tuple(urls)

    # -- servers and security -------------------------------------------
    def base_url(self, operation: Operation, source: str | None = None, *, strict: bool = True) -> str | None:
        """The base URL the operation is served at (DEC-33), or None when unknown.

        Raises :class:`SourceError` when the server URL cannot be used as it is: a
        ``{variable}`` without a default (unless ``strict`` is false: the in-process
        mock answers any host), or not a valid URL. ``source`` (the name the Arazzo
        document gives this description) is for that message.
        """
        if self.is_swagger2:
            host = self.data.get("host")
            base_path = str(self.data.get("basePath") or "")
            own_scheme = urlsplit(self.url).scheme
            default = [own_scheme] if own_scheme in ("http", "https") else ["https"]
            schemes = operation.data.get("schemes") or self.data.get("schemes") or default
            if not isinstance(schemes, list) or not schemes:
                schemes = default
            if base_path == "/":
                base_path = ""
            if not host:
                split = urlsplit(self.url)
                if split.scheme in ("http", "https"):
                    return f"{split.scheme}://{split.netloc}{base_path}"
                return None
            return f"{schemes[0]}://{host}{base_path}"
        if not operation.servers:
            split = urlsplit(self.url)
            if split.scheme in ("http", "https"):
                return f"{split.scheme}://{split.netloc}"
            return None
        url = operation.servers[0]
        where = f"source {source!r}" if source else self.display
        import re

        variable = re.search(r"\{([^{}]*)\}", url) if strict else None
        if variable is not None:
            raise SourceError(
                f"server URL {url!r} of {where} has variable {variable.group(1)!r} without a default; "
                "pass servers= (--server on the command line) with the URL to use",
                Location(self.display),
            )
        try:
            if urlsplit(url).scheme:
                return url
            resolved = urljoin(self.url, url)
            if urlsplit(resolved).scheme in ("http", "https"):
                return resolved
        except ValueError as exc:
            raise SourceError(
                f"server URL {url!r} of {where} is not a valid URL ({exc}); "
                "pass servers= (--server on the command line) with the URL to use",
                Location(self.display),
            ) from None
        return None

    def security_schemes(self) -> Mapping[str, Any]:
        """The security schemes by name, ``$ref``s resolved (computed once: read on every request)."""
        cached: Mapping[str, Any] | None = self.__dict__.get("_security_schemes")
        if cached is None:
            cached = self._read_security_schemes()
            self.__dict__["_security_schemes"] = cached
        return cached

    def _read_security_schemes(self) -> Mapping[str, Any]:
        if self.is_swagger2:
            schemes = self.data.get("securityDefinitions") or {}
        else:
            components = self.data.get("components")
            schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
        return {str(name): self.resolve(s) for name, s in schemes.items()} if isinstance(schemes, Mapping) else {}

    def iter_operations(self) -> Iterator[Operation]:
        return iter(self.operations)

    def operation_at(self, pointer_tokens: list[str]) -> Operation | Mapping[str, Any] | None:
        """The operation at ``/paths/<template>/<method>``; a path item if the pointer stops there."""
        if len(pointer_tokens) < 2 or pointer_tokens[0] != "paths":
            return None
        template = pointer_tokens[1]
        if len(pointer_tokens) == 2:
            item = (self.data.get("paths") or {}).get(template)
            return self.resolve(item) if isinstance(item, Mapping) else None
        if len(pointer_tokens) != 3:
            return None
        for op in self.operations:
            if op.path == template and op.method == pointer_tokens[2]:
                return op
        return None


def security_requirements(raw: Any) -> tuple[Mapping[str, tuple[str, ...]], ...] | None:
    if not isinstance(raw, list):
        return None
    result = []
    for requirement in raw:
        if isinstance(requirement, Mapping):
            # Scopes are a list of strings; anything else (`basicAuth: 1`, `basicAuth: read`) means none.
            result.append(
                {
                    str(k): tuple(v) if isinstance(v, list) and all(isinstance(s, str) for s in v) else ()
                    for k, v in requirement.items()
                }
            )
    return tuple(result)


def _walk_pointer(doc: Any, fragment: str, ref: str, display: str) -> Any:
    if fragment in ("", "/"):
        return doc
    try:
        return resolve_local(doc, fragment)
    except PointerMiss as miss:
        raise SourceError(f"$ref {ref!r} does not resolve in {display}: no {miss.token!r}", Location(display)) from None


# Parsed descriptions of local files, by (url, modification time, size). A description is
# only read after loading, so documents loaded one after another (24 workflows over the
# same two Stytch descriptions, say) share one parse. Bounded; cleared by clear_cache().
_CACHE_SIZE = 16
_cache: OrderedDict[tuple[str, int, int], OpenAPIDescription] = OrderedDict()
_cache_lock = threading.Lock()


def _file_stamp(url: str) -> tuple[int, int] | None:
    """Modification time and size of a local file (None for other URLs or a file that is gone)."""
    split = urlsplit(url)
    if split.scheme != "file":
        return None
    try:
        stat = os.stat(unquote(split.path))
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def clear_cache() -> None:
    """Forget every parsed description (they are re-read on the next load)."""
    with _cache_lock:
        _cache.clear()


def load_openapi_cached(url: str, display: str) -> OpenAPIDescription:
    """Like :func:`load_openapi`, reusing an earlier parse of the same unchanged local file."""
    split = urlsplit(url)
    if split.scheme != "file":
        return load_openapi(url, display)
    try:
        stat = os.stat(unquote(split.path))
    except OSError:
        return load_openapi(url, display)  # reports the missing file
    key = (url, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached.is_current():
            _cache.move_to_end(key)
            return cached
    description = load_openapi(url, display)
    with _cache_lock:
        _cache[key] = description
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return description


def load_openapi(
    url: str, display: str, text: str | None = None, reader: Callable[[str], str] | None = None
) -> OpenAPIDescription:
    """Read and index the OpenAPI description at ``url`` (a file: or http(s): URL).

    ``reader`` reads the other files its ``$ref``s name (default: :func:`read_url`).
    """
    if text is None:
        text = (reader or read_url)(url)
    source_text = text
    data = cached_parse(source_text, lambda: parse_fast(source_text, display))
    return OpenAPIDescription(url, data, display, reader)
