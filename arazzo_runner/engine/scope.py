"""Which source a name given by the caller (``servers=`` keys, ``source.scheme`` credentials) means.

A run reaches OpenAPI sources of the entry document and of every Arazzo document it names
(``type: arazzo``). Each source has a *qualified* name: its own name in the entry document,
and ``<arazzo source>.<name>`` in a nested one (``flows.api``, ``flows.inner.api``). A bare
name is accepted while it means one OpenAPI description. When documents give the same name to
different descriptions (two hosts), the name means the entry document's source only (its
qualified name), the nested ones are reached by their qualified names, and a bare name no
entry source has is refused with the qualified names to use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ArazzoError
from ..plan.model import ArazzoDocument

__all__ = ["SourceScope", "source_scope"]


@dataclass(frozen=True)
class SourceScope:
    """The names of the OpenAPI sources a run can reach."""

    qualified: Mapping[tuple[str, str], str]  # (Arazzo document URL, its source name) -> qualified name
    description_urls: Mapping[str, str]  # qualified name -> OpenAPI description URL
    ambiguous: Mapping[str, tuple[str, ...]]  # bare name -> the qualified names it could mean

    def names(self, document_url: str, source: str) -> tuple[str, ...]:
        """The names that select this source: qualified first, then the bare name when it is unambiguous."""
        qualified = self.qualified.get((document_url, source), source)
        if qualified != source and source not in self.ambiguous:
            return (qualified, source)
        return (qualified,)

    def accepted(self) -> list[str]:
        """Every name a caller may use for a source (bare names only when unambiguous)."""
        names = dict.fromkeys(self.description_urls)
        for (_, bare), qualified in self.qualified.items():
            if bare not in self.ambiguous and self.description_urls.get(qualified) is not None:
                names.setdefault(bare)
        return list(names)

    def resolve(self, name: str, what: str) -> str | None:
        """The description URL ``name`` selects, None when it names no source; ambiguous names raise."""
        if name in self.description_urls:
            return self.description_urls[name]
        if name in self.ambiguous:
            choices = ", ".join(repr(q) for q in self.ambiguous[name])
            raise ArazzoError(
                f"{what}: source name {name!r} is used by several documents for different OpenAPI descriptions "
                f"(other hosts), so it could mean any of them; use the qualified name: {choices}"
            )
        for (_, bare), qualified in self.qualified.items():
            if bare == name:
                return self.description_urls.get(qualified)
        return None


def source_scope(document: ArazzoDocument) -> SourceScope:
    """Qualified names for every source reachable from ``document``, breadth first (shortest name wins).

    Worked out once per loaded document (the loaded documents do not change).
    """
    scopes: dict[str, SourceScope] = document.documents.__dict__.setdefault("source_scopes", {})
    scope = scopes.get(document.url)
    if scope is None:
        scope = scopes[document.url] = _source_scope(document)
    return scope


def _source_scope(document: ArazzoDocument) -> SourceScope:
    qualified: dict[tuple[str, str], str] = {}
    description_urls: dict[str, str] = {}
    by_bare: dict[str, dict[str, str]] = {}  # bare name -> {description URL: qualified name}
    queue: list[tuple[ArazzoDocument, str]] = [(document, "")]
    seen = {document.url}
    while queue:
        current, prefix = queue.pop(0)
        for name, source in current.sources.items():
            full = prefix + name
            qualified[(current.url, name)] = full
            if source.type == "arazzo":
                child = document.documents.arazzo.get(source.url)
                if child is not None and child.url not in seen:
                    seen.add(child.url)
                    queue.append((child, full + "."))
            else:
                description_urls[full] = source.url
                by_bare.setdefault(name, {}).setdefault(source.url, full)
    # Arazzo documents no source names (loaded some other way) keep their bare names.
    for other in document.documents.arazzo.values():
        for name, source in other.sources.items():
            if (other.url, name) not in qualified:
                qualified[(other.url, name)] = name
                if source.type == "openapi":
                    description_urls.setdefault(name, source.url)
                    by_bare.setdefault(name, {}).setdefault(source.url, name)
    ambiguous = {bare: tuple(urls.values()) for bare, urls in by_bare.items() if len(urls) > 1}
    return SourceScope(qualified, description_urls, ambiguous)
