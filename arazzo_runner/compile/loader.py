"""``load()``: parse an Arazzo document, load its sources, compile everything once.

Two passes. The first reads the entry document and, recursively, every
``arazzo`` source it names (so cross-document references can be checked);
OpenAPI sources are read and indexed once per URL. The second compiles each
document: steps bound to operations or workflows, expressions and criteria
parsed, workflow-level parameters and actions merged into the steps.

Problems are collected as diagnostics with locations; if any is an error,
``load()`` raises a :class:`DocumentError` for the first one, carrying all of
them in ``.diagnostics``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from ..diagnostics import Diagnostic
from ..errors import ArazzoError, DocumentError, Location, SourceError
from ..language.expressions.grammar11 import arazzo11_grammar
from ..openapi.index import OpenAPIDescription, load_openapi, load_openapi_cached
from ..plan.model import (
    ArazzoDocument,
    DocumentSet,
    WorkflowRef,
)
from ..plan.rules import as_list
from ..sources.fetch import display_name, path_to_url, read_url
from ..sources.policy import FetchPolicy, check_reference, current_policy, fetch_policy
from ..sources.yamlsource import Positions, parse_document
from .context import CompileContext, ParsedDocument, Reporter, SourceType
from .document import DocumentCompiler
from .versions import base_uri as document_base

__all__ = ["LoadOptions", "load", "load_collecting", "load_text"]

_OPENAPI_KEY = re.compile(r"^\s*[\"']?(openapi|swagger)[\"']?\s*:", re.M)
_ARAZZO_KEY = re.compile(r"^\s*[\"']?arazzo[\"']?\s*:", re.M)


@dataclass(frozen=True)
class LoadOptions:
    """How strictly to read documents (DEC-41): strict turns unknown fields and lenient fallbacks into errors."""

    strict: bool = False
    # Source URLs (absolute, as resolved) to read from another place instead: a local copy of
    # a description the document names by a remote URL, to work offline (--source URL=PATH).
    sources: Mapping[str, str] = field(default_factory=dict)


def resolve_source_keys(sources: Mapping[str, str], entry_url: str) -> dict[str, str]:
    """``sources`` with each key that is not an absolute URL resolved against the entry document's URL.

    ``--source ../openapi/x.yml=PATH`` then matches the source the document writes as ``../openapi/x.yml``.
    """
    return {source_key(key, entry_url): path for key, path in sources.items()}


def source_key(key: str, entry_url: str) -> str:
    """One ``sources`` key as an absolute URL: as written when it is one, else against ``entry_url``."""
    try:
        return key if urlsplit(key).scheme in ("http", "https", "file") else urljoin(entry_url, key)
    except ValueError:
        return key


def load(
    spec: str | os.PathLike[str],
    *,
    base_uri: str | None = None,
    strict: bool = False,
    sources: Mapping[str, str] | None = None,
    fetch: bool = True,
    fetch_redirects_to_other_hosts: bool = False,
) -> ArazzoDocument:
    """Load an Arazzo document from a path or URL, with every source it references.

    Everything is parsed, resolved and compiled here, once: running a workflow
    afterwards only evaluates. Raises :class:`DocumentError` (naming the file,
    line and JSON pointer) when the document or a source is invalid.
    ``strict`` turns unknown fields and lenient fallbacks into errors.
    ``sources`` maps source URLs, as the document resolves them, to local paths
    (or other URLs) to read instead, e.g. to work offline.
    ``fetch=False`` refuses every network fetch (the error names the URL and how to give a local
    copy); a fetch that redirects to another host is refused unless ``fetch_redirects_to_other_hosts``.
    See ``docs/security.md`` for what loading may touch.
    """
    loader = _Loader(LoadOptions(strict=strict, sources=dict(sources or {})))
    outer = current_policy()  # a policy set around the call (the command line's --offline) still applies
    policy = FetchPolicy(
        network=outer.network and fetch,
        cross_origin_redirects=outer.cross_origin_redirects or fetch_redirects_to_other_hosts,
        link_local=outer.link_local,
    )
    with fetch_policy(policy):
        return loader.load_entry(spec, base_uri)


def load_collecting(
    text: str,
    url: str,
    *,
    strict: bool = False,
    openapi_cache: dict[str, OpenAPIDescription] | None = None,
    sources: Mapping[str, str] | None = None,
) -> tuple[ArazzoDocument | None, list[Diagnostic], Positions | None]:
    """Load like :func:`load_text` but never raise for document problems (for ``check``).

    Returns the entry document (None when it could not be parsed), every
    diagnostic, and the entry document's positions. ``openapi_cache`` maps
    absolute URLs to loaded descriptions; it is read and filled, so one
    caller checking many documents loads each shared OpenAPI file once.
    """
    # Keys as the document writes its source URLs (``../openapi/x.yml``) resolve against the document.
    loader = _Loader(LoadOptions(strict=strict, sources=resolve_source_keys(sources or {}, url)))
    if openapi_cache is not None:
        loader.documents.openapi = openapi_cache
    document = loader.collect(text, url)
    raw = loader.raw.get(url)
    return document, list(loader.diagnostics.items), raw.positions if raw is not None else None


def load_text(text: str, *, base_uri: str | None = None, strict: bool = False) -> ArazzoDocument:
    """Load an Arazzo document given as text; relative source URLs resolve against ``base_uri`` (default: cwd)."""
    loader = _Loader(LoadOptions(strict=strict))
    url = base_uri or path_to_url(os.path.join(os.getcwd(), "arazzo.yaml"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no file could hold this text
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        raise DocumentError(
            f"the text holds a lone surrogate ({text[exc.start]!r}), which is not Unicode text",
            Location(display_name(url), line, column),
        ) from None
    return loader.load_entry_text(text, url)


class _Loader:
    def __init__(self, options: LoadOptions) -> None:
        self.displays: dict[str, str] = {}  # URL -> how messages name the document
        self.options = options
        self.documents = DocumentSet()
        self.raw: dict[str, ParsedDocument] = {}
        self.source_types: dict[str, SourceType] = {}  # untyped sources, by URL, as sniffed in the first pass
        self.diagnostics = Reporter()
        self.refused: set[str] = set()  # source URLs the fetch policy refused
        self.context = CompileContext(
            reporter=self.diagnostics,
            strict=options.strict,
            documents=self.raw,
            source_types=self.source_types,
            openapi=self.openapi,
            document_set=self.documents,
            read=self.read,
        )

    # -- entry points ---------------------------------------------------
    def load_entry(self, spec: str | os.PathLike[str], base_uri: str | None) -> ArazzoDocument:
        text_spec = os.fspath(spec)
        try:
            if urlsplit(text_spec).scheme in ("http", "https", "file"):
                url = text_spec
            else:
                url = urljoin(base_uri, text_spec) if base_uri else path_to_url(text_spec)
        except ValueError as exc:
            raise DocumentError(f"{display_name(text_spec)!r} is not a valid path or URL: {exc}") from None
        if urlsplit(text_spec).scheme not in ("http", "https", "file"):
            self.displays[url] = text_spec  # messages name the entry document as the user typed it
        try:
            text = read_url(url, self.displays.get(url))
        except SourceError as exc:
            raise DocumentError(exc.message) from None  # the message names the file already
        return self.load_entry_text(text, url)

    def load_entry_text(self, text: str, url: str) -> ArazzoDocument:
        if self.options.sources:
            self.options = dataclasses.replace(self.options, sources=resolve_source_keys(self.options.sources, url))
        self.collect(text, url)
        errors = [d for d in self.diagnostics.items if d.severity == "error"]
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
            head, newline, detail = first.message.partition("\n")  # keep a caret excerpt after the count
            raise DocumentError(
                head + more + newline + detail, first.location, code=first.code, diagnostics=self.diagnostics.items
            )
        return self.documents.arazzo[url]

    def collect(self, text: str, url: str) -> ArazzoDocument | None:
        """Both passes without raising: the entry document (None if unreadable); findings in ``self.diagnostics``."""
        self._read_arazzo(url, text, None)
        for raw in list(self.raw.values()):
            self._compile(raw)
        self._check_depends_on_cycles()
        return self.documents.arazzo.get(url)

    # -- pass 1: read documents ----------------------------------------
    def _read_arazzo(self, url: str, text: str | None, referrer: Location | None) -> None:
        if url in self.raw:
            return
        display = self.displays.get(url) or display_name(url)
        try:
            if text is None:
                text = self.read(url)
            data, positions = parse_document(text, display)
        except ArazzoError as exc:
            self.diagnostics.from_exception(exc, exc.location or referrer, "ARZ010")
            return
        if not isinstance(data, Mapping):
            self.diagnostics.error(
                "ARZ002", "an Arazzo document must be an object at the top level", positions.location("")
            )
            return
        raw = ParsedDocument(url, display, data, positions, text)
        self.raw[url] = raw
        for i, source in enumerate(as_list(data.get("sourceDescriptions"))):
            if not isinstance(source, Mapping) or not isinstance(source.get("url"), str):
                continue
            pointer = f"/sourceDescriptions/{i}"
            try:
                source_url = urljoin(document_base(data, url), source["url"])  # $self is the 1.1 base (V11-04)
            except ValueError:
                continue  # reported with its location when the document is compiled
            try:
                check_reference(url, source_url, display)
            except SourceError as exc:
                self.diagnostics.error("ARZ010", exc.message, positions.location(pointer + "/url"))
                self.refused.add(source_url)
                continue
            kind = source.get("type")
            if kind == "arazzo":
                self._read_arazzo(source_url, None, positions.location(pointer + "/url"))
            elif "type" not in source or kind is None:
                self._sniff(source_url, positions, pointer)

    def _sniff(self, url: str, positions: Positions, pointer: str) -> None:
        """DEC-36: a source without ``type`` is OpenAPI if it has an openapi/swagger key, Arazzo if an arazzo key."""
        if url in self.raw or url in self.source_types:
            return
        try:
            text = self.read(url)
        except ArazzoError as exc:
            message = f"cannot load source description: {exc.message}"
            self.diagnostics.error("ARZ010", message, positions.location(pointer + "/url"))
            return
        head = text[:4096]
        if _OPENAPI_KEY.search(head):
            self.source_types[url] = "openapi"
        elif _ARAZZO_KEY.search(head):
            self.source_types[url] = "arazzo"
            self._read_arazzo(url, text, positions.location(pointer))
        else:
            message = "source has no 'type' and is neither OpenAPI nor Arazzo; set type"
            self.diagnostics.error("ARZ010", message, positions.location(pointer + "/type"))

    # -- pass 2: compile ------------------------------------------------
    def _compile(self, raw: ParsedDocument) -> None:
        compiler = DocumentCompiler(self.context, raw)
        # The 1.1 expression grammar ($self, $message) for a 1.1 document only, also when a 1.0 one is nested in it.
        eleven = compiler.scope.version == "1.1"
        with arazzo11_grammar(document_base(raw.data, raw.url) if eleven else None):
            doc = compiler.compile()
        if raw.positions.non_finite:
            self._refuse_non_finite(raw)
        if doc is not None:
            self.documents.arazzo[raw.url] = doc

    def _refuse_non_finite(self, raw: ParsedDocument) -> None:
        """JSON has no NaN or infinity: each such number is an error where it stands (once, if its field said so)."""
        said = {
            d.location.pointer
            for d in self.diagnostics.items
            if d.severity == "error" and d.location is not None and d.location.file == raw.display
        }
        for pointer in raw.positions.non_finite:
            if pointer not in said:
                message = "this value is not a number JSON can hold: NaN and infinities are refused"
                self.diagnostics.error("ARZ003", message, raw.positions.location(pointer))

    def openapi(self, url: str, location: Location) -> OpenAPIDescription | None:
        if url in self.refused:
            return None  # refused by the fetch policy, and reported where the document names it
        if url in self.documents.openapi:
            return self.documents.openapi[url]
        try:
            if self.options.sources:
                description = load_openapi(url, display_name(url), self.read(url), reader=self.read)
            else:
                description = load_openapi_cached(url, display_name(url))
        except ArazzoError as exc:
            hint = ""
            if url not in self.options.sources and url.startswith("file:") and exc.message.startswith("file not found"):
                hint = " (to read it from another place, map its URL to a path: --source URL=PATH, or sources=)"
            self.diagnostics.error("ARZ010", f"cannot load source description: {exc.message}{hint}", location)
            return None
        self.documents.openapi[url] = description
        return description

    def read(self, url: str) -> str:
        """The text of the document at ``url``, or of the local copy ``sources`` names for it."""
        replacement = self.options.sources.get(url) or self._beside_a_mapped_source(url)
        if replacement is None:
            return read_url(url)
        local = replacement if urlsplit(replacement).scheme in ("http", "https", "file") else path_to_url(replacement)
        try:
            return read_url(local)
        except SourceError as exc:
            raise SourceError(f"{exc.message} (given with --source for {display_name(url)})", exc.location) from None

    def _beside_a_mapped_source(self, url: str) -> str | None:
        """A file next to a mapped source (its ``$ref``s), read from next to the local copy when it is there."""
        for remote, local in self.options.sources.items():
            folder = remote.rsplit("/", 1)[0] + "/"
            if url.startswith(folder) and urlsplit(local).scheme in ("", "file"):
                local_path = unquote(urlsplit(local).path) if urlsplit(local).scheme == "file" else local
                candidate = os.path.join(os.path.dirname(local_path), unquote(url[len(folder) :]))
                if os.path.isfile(candidate):
                    return candidate
        return None

    def _check_depends_on_cycles(self) -> None:
        graph: dict[tuple[str, str], list[tuple[WorkflowRef, Location | None]]] = {}
        for doc in self.documents.arazzo.values():
            for wf in doc.workflows.values():
                graph[(doc.url, wf.workflow_id)] = [(ref, wf.location) for ref in wf.depends_on]
        state: dict[tuple[str, str], int] = {}  # 1: on the current path, 2: done
        # Depth-first with an explicit stack: a dependsOn chain thousands long must not exhaust Python's stack.
        for root in graph:
            if root in state:
                continue
            state[root] = 1
            path = [root[1]]
            stack = [(root, iter(graph[root]))]
            while stack:
                node, edges = stack[-1]
                for ref, loc in edges:
                    nxt = (ref.document_url, ref.workflow_id)
                    if state.get(nxt) == 1:
                        cycle = " -> ".join([*path, ref.workflow_id])
                        self.diagnostics.error("ARZ016", f"dependsOn cycle: {cycle}", loc)
                    elif state.get(nxt) is None and nxt in graph:
                        state[nxt] = 1
                        path.append(ref.workflow_id)
                        stack.append((nxt, iter(graph[nxt])))
                        break
                else:
                    state[node] = 2
                    stack.pop()
                    path.pop()
