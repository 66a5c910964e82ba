"""Rewriting an Arazzo 1.0.x document as 1.1.0 (V11-03), keeping its text, comments and layout.

    from arazzo_runner import upgrade_text
    result = upgrade_text(text, "file:///work/flows.arazzo.yaml")
    result.text       # the 1.1 document
    result.pinned     # criteria rewritten so they keep meaning what they meant
    result.manual     # what 1.1 reads differently and a person has to decide

Only these edits are made, each in place:

* ``arazzo: 1.0.x`` becomes ``1.1.0``;
* a criterion with ``type: jsonpath`` whose condition is Goessner JSONPath,
  not RFC 9535, is pinned to ``{type: jsonpath, version:
  draft-goessner-dispatch-jsonpath-00}``: a 1.0 document got the Goessner
  reading (with a warning), while 1.1 reads ``jsonpath`` as RFC 9535 only;
* a ``successCriteria: []`` line, which 1.0 read as absent and 1.1 refuses,
  is removed;
* nothing else. The upgraded text is then loaded by the 1.1 rules, and every
  error that load reports (a step reading a later step's outputs, an empty
  ``successCriteria`` list, …) is listed in :attr:`UpgradeResult.manual`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .compile.loader import load_collecting
from .compile.versions import minor_version
from .errors import ArazzoError, DocumentError, ExpressionSyntaxError
from .language.criteria.goessner import compile_goessner
from .language.criteria.matchers import compile_jsonpath
from .sources.yamlsource import Positions, parse_document

__all__ = ["GOESSNER_PIN", "UpgradeResult", "upgrade_text"]

GOESSNER_PIN = "draft-goessner-dispatch-jsonpath-00"
TARGET_VERSION = "1.1.0"


@dataclass
class UpgradeResult:
    text: str
    from_version: str
    pinned: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)
    changed: bool = True


def _criteria(data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every Criterion Object of a raw document with its pointer."""

    def in_list(items: Any, pointer: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, Mapping):
                    yield f"{pointer}/{i}", item

    def in_actions(items: Any, pointer: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for at, action in in_list(items, pointer):
            yield from in_list(action.get("criteria"), f"{at}/criteria")

    for w, workflow in in_list(data.get("workflows"), "/workflows"):
        yield from in_actions(workflow.get("successActions"), f"{w}/successActions")
        yield from in_actions(workflow.get("failureActions"), f"{w}/failureActions")
        for s, step in in_list(workflow.get("steps"), f"{w}/steps"):
            yield from in_list(step.get("successCriteria"), f"{s}/successCriteria")
            yield from in_actions(step.get("onSuccess"), f"{s}/onSuccess")
            yield from in_actions(step.get("onFailure"), f"{s}/onFailure")
    components = data.get("components")
    if isinstance(components, Mapping):
        for group in ("successActions", "failureActions"):
            entries = components.get(group)
            if isinstance(entries, Mapping):
                for key, action in entries.items():
                    if isinstance(action, Mapping):
                        yield from in_list(action.get("criteria"), f"/components/{group}/{key}/criteria")


def _empty_success_criteria(data: Mapping[str, Any]) -> Iterator[str]:
    workflows = data.get("workflows")
    for w, workflow in enumerate(workflows if isinstance(workflows, list) else []):
        steps = workflow.get("steps") if isinstance(workflow, Mapping) else None
        for s, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, Mapping) and step.get("successCriteria") == []:
                yield f"/workflows/{w}/steps/{s}/successCriteria"


def _is_goessner_only(condition: Any) -> bool:
    if not isinstance(condition, str):
        return False
    try:
        compile_jsonpath(condition)
        return False
    except ExpressionSyntaxError:
        pass
    try:
        compile_goessner(condition)
        return True
    except ExpressionSyntaxError:
        return False


class _Editor:
    """Replacements of one scalar each, at the line and column the parser recorded."""

    def __init__(self, text: str, positions: Positions) -> None:
        self.lines = text.splitlines(keepends=True)
        self.positions = positions
        self.edits: list[tuple[int, int, int, str]] = []

    def replace(self, pointer: str, old: str, new: str) -> int | None:
        """Replace the scalar ``old`` written at ``pointer`` (quoted or not); its line number, or None."""
        loc = self.positions.location(pointer)
        if loc.pointer != pointer or loc.line is None or loc.column is None or loc.line > len(self.lines):
            return None
        line = self.lines[loc.line - 1]
        start = loc.column - 1
        for written in (old, f'"{old}"', f"'{old}'"):
            if line.startswith(written, start):
                self.edits.append((loc.line - 1, start, start + len(written), new))
                return loc.line
        return None

    def remove_line(self, pointer: str, key: str) -> int | None:
        """Remove the line ``key: []`` written for ``pointer``; its line number, or None when written otherwise."""
        loc = self.positions.location(pointer)
        if loc.pointer != pointer or loc.line is None or loc.line > len(self.lines):
            return None
        line = self.lines[loc.line - 1]
        if line.strip().rstrip(",") not in (f"{key}: []", f'"{key}": []'):
            return None
        self.edits.append((loc.line - 1, 0, len(line), ""))
        return loc.line

    def text(self) -> str:
        for line_no, start, end, new in sorted(self.edits, reverse=True):
            line = self.lines[line_no]
            self.lines[line_no] = line[:start] + new + line[end:]
        return "".join(self.lines)


def upgrade_text(text: str, url: str, *, sources: Mapping[str, str] | None = None) -> UpgradeResult:
    """Upgrade one 1.0.x document's text; ``url`` is where it lives (relative sources resolve against it).

    Raises :class:`DocumentError` when the text is not an Arazzo 1.0.x or
    1.1.x document. A 1.1 document is returned unchanged.
    """
    data, positions = parse_document(text, url)
    version = data.get("arazzo") if isinstance(data, Mapping) else None
    minor = minor_version(version)
    if minor == "1.1":
        return UpgradeResult(text, str(version), changed=False)
    if minor != "1.0":
        raise DocumentError(f"{url}: not an Arazzo 1.0.x document ('arazzo' is {version!r}); nothing to upgrade")
    assert isinstance(data, Mapping)
    editor = _Editor(text, positions)
    json_text = text.lstrip().startswith("{")
    if editor.replace("/arazzo", str(version), f'"{TARGET_VERSION}"' if json_text else TARGET_VERSION) is None:
        raise DocumentError(f"{url}: cannot find where 'arazzo: {version}' is written")
    result = UpgradeResult("", str(version))
    pin = (
        f'{{"type": "jsonpath", "version": "{GOESSNER_PIN}"}}'
        if json_text
        else f"{{type: jsonpath, version: {GOESSNER_PIN}}}"
    )
    for pointer, criterion in _criteria(data):
        if criterion.get("type") != "jsonpath" or not _is_goessner_only(criterion.get("condition")):
            continue
        line = editor.replace(f"{pointer}/type", "jsonpath", pin)
        condition = criterion.get("condition")
        if line is None:
            result.manual.append(
                f"{pointer}: {condition!r} is Goessner JSONPath; write type: {pin} (1.1 reads jsonpath as RFC 9535)"
            )
            continue
        result.pinned.append(
            f"line {line} ({pointer}): {condition!r} is Goessner JSONPath, which 1.0 read with a warning; "
            f"pinned to version {GOESSNER_PIN} since 1.1 reads plain jsonpath as RFC 9535 only"
        )
    for pointer in _empty_success_criteria(data):
        line = editor.remove_line(pointer, "successCriteria")
        if line is not None:
            result.pinned.append(
                f"line {line} ({pointer}): removed 'successCriteria: []', which 1.0 treated as absent "
                "and 1.1 does not allow"
            )
    result.text = editor.text()
    try:
        _, diagnostics, _ = load_collecting(result.text, url, sources=sources)
    except ArazzoError as exc:  # pragma: no cover - load_collecting reports rather than raises
        diagnostics = []
        result.manual.append(exc.message)
    for d in diagnostics:
        if d.severity == "error":
            where = f"line {d.line}: " if d.line else ""
            result.manual.append(f"{where}{d.message.splitlines()[0]} [{d.code}]")
    return result
