"""``check``: find every mistake in an Arazzo document before a single request is sent.

    from arazzo_runner import check
    for d in check("workflow.arazzo.yaml"):
        print(d)            # file:line:col: error[ARZ017]: ...

Three kinds of rules, all reported at once as :class:`Diagnostic` values:

* structure (:mod:`.structure`): required fields, types, enums, patterns,
  unknown fields, with the prose winning over the published schema (§21);
* references (:mod:`.references` plus the loader's own findings): ids, steps,
  outputs, inputs, components, operations, expression and condition syntax;
* against the API (:mod:`.api`): parameters, request bodies and response
  pointers checked with each step's OpenAPI operation.

This package sits beside the engine: it reads the loader's model and the raw
document, and nothing in the engine imports it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..compile.loader import load_collecting
from ..diagnostics import Diagnostic
from ..errors import ArazzoError, Location
from ..openapi.index import OpenAPIDescription
from ..sources.fetch import display_name, path_to_url, read_url
from ..sources.yamlsource import parse_document
from .api import check_api
from .codes import CODES, Code
from .references import check_references
from .report import Report
from .structure import check_structure

__all__ = ["CODES", "Checker", "Code", "FileResult", "check"]

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class FileResult:
    """The diagnostics of one checked file; ``readable`` is False when the file itself could not be read."""

    spec: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    readable: bool = True

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class Checker:
    """Checks many documents, loading each OpenAPI description they share once (cached by absolute URL).

    ``sources`` maps source URLs (as resolved) to local paths or URLs to read
    instead, for checking offline documents that name remote descriptions.
    """

    def __init__(self, *, strict: bool = False, sources: Mapping[str, str] | None = None) -> None:
        self.strict = strict
        self.sources = dict(sources or {})  # read by the loader; a wrong path is reported where it is used
        self.openapi_cache: dict[str, OpenAPIDescription] = {}

    def check(self, spec: str | os.PathLike[str]) -> FileResult:
        text_spec = os.fspath(spec)
        url = text_spec if urlsplit(text_spec).scheme in ("http", "https", "file") else path_to_url(text_spec)
        result = FileResult(text_spec)
        try:
            text = read_url(url)
        except ArazzoError as exc:
            result.readable = False
            result.diagnostics.append(Diagnostic("error", "ARZ010", exc.message, Location(display_name(url))))
            return result
        result.diagnostics = self.check_text(text, url)
        return result

    def check_text(self, text: str, url: str) -> list[Diagnostic]:
        """Check one document given as text; ``url`` is where it lives (relative source URLs resolve against it)."""
        document, loaded, positions = load_collecting(
            text, url, strict=self.strict, openapi_cache=self.openapi_cache, sources=self.sources
        )
        if positions is None:
            return _ordered(loaded)  # not parseable: the loader said where
        report = Report(positions, text, strict=self.strict)
        data = document.data if document is not None else parse_document(text, positions.file)[0]
        check_structure(data, report)
        if document is not None:
            check_references(document, report)
            check_api(document, report)
        return _ordered(_merge(loaded, report.items, self.strict))


def _merge(loaded: list[Diagnostic], found: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    """The loader's findings, plus ours that it did not already make (same code at the same pointer).

    When both made one, the loader's message stays and our place is used if it
    is more precise (a mapping key rather than its value).
    """
    ours = {(d.code, d.pointer, d.file): d for d in found}
    merged: list[Diagnostic] = []
    taken: set[tuple[object, ...]] = set()
    for d in loaded:
        key = (d.code, d.pointer, d.file)
        mine = ours.get(key)
        if mine is not None:
            taken.add(key)
            if mine.location is not None and mine.location != d.location:
                d = Diagnostic(d.severity, d.code, d.message, mine.location)
        merged.append(d)
    merged.extend(d for d in found if (d.code, d.pointer, d.file) not in taken)
    unique: list[Diagnostic] = []
    keys: set[tuple[object, ...]] = set()
    for d in merged:
        k = (d.severity, d.code, d.message, d.file, d.line, d.column)
        if k not in keys:
            keys.add(k)
            unique.append(d)
    return unique


def _ordered(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(
        items, key=lambda d: (d.file or "", d.line or 0, d.column or 0, _SEVERITY_ORDER.get(d.severity, 3), d.code)
    )


def check(
    spec: str | os.PathLike[str], *, strict: bool = False, sources: Mapping[str, str] | None = None
) -> list[Diagnostic]:
    """Every problem of the Arazzo document at ``spec`` (a path or URL), errors and warnings, in file order.

    Unlike :func:`arazzo_runner.load`, it never raises for a document problem:
    a file that cannot be read is one ``ARZ010`` error.
    """
    return Checker(strict=strict, sources=sources).check(spec).diagnostics
