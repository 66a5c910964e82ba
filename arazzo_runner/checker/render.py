"""Output formats for check results: compiler-style text, JSON, and SARIF 2.1.0."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from .codes import CODES, code_info

__all__ = ["render_json", "render_sarif", "render_text", "summary_counts"]

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def summary_counts(diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for d in diagnostics:
        counts[d.severity] = counts.get(d.severity, 0) + 1
    return counts


# Where ``str.splitlines`` breaks a text: the line numbers diagnostics carry count these breaks.
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


class _Sources:
    """The source lines the diagnostics point at, read once per file; only those lines are kept."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        wanted: dict[str, set[int]] = {}
        for d in diagnostics:
            if d.file and d.line:
                wanted.setdefault(d.file, set()).add(d.line)
        self.lines = {file: _read_lines(file, numbers) for file, numbers in wanted.items()}

    def line(self, file: str | None, line: int | None) -> str | None:
        if not file or not line:
            return None
        return self.lines.get(file, {}).get(line)


def _read_lines(file: str, numbers: set[int]) -> dict[int, str]:
    """Lines ``numbers`` of ``file`` (a regular file), without splitting the whole text into lines."""
    if not os.path.isfile(file):
        return {}
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    last = max(numbers)
    found: dict[int, str] = {}
    start = 0
    number = 1
    for end in _LINE_BREAK.finditer(text):
        if number in numbers:
            found[number] = text[start : end.start()]
        number += 1
        start = end.end()
        if number > last:
            return found
    if number in numbers and start < len(text):
        found[number] = text[start:]
    return found


def render_text(diagnostics: Sequence[Diagnostic], *, files: int = 1, color: bool = False) -> str:
    """``file:line:col: error[ARZ012]: message``, then the source line with a caret under the column."""
    sources = _Sources(diagnostics)
    out: list[str] = []
    for d in diagnostics:
        where = str(d.location) if d.location else "<document>"
        message, *rest = d.message.split("\n")
        head = f"{where}: {d.severity}[{d.code}]: {message}"
        if color:
            tint = {"error": "31", "warning": "33", "info": "36"}.get(d.severity, "0")
            head = f"\x1b[1m{where}:\x1b[0m \x1b[1;{tint}m{d.severity}[{d.code}]\x1b[0m: {message}"
        out.append(head)
        out.extend(rest)
        text = sources.line(d.file, d.line)
        if text is not None:
            number = str(d.line)
            out.append(f" {number} | {text}")
            if d.column:
                pad = "".join(ch if ch == "\t" else " " for ch in text[: d.column - 1])
                out.append(f" {' ' * len(number)} | {pad}^")
        if d.pointer is not None:
            out.append(f" {' ' * len(str(d.line or ''))} = at {d.pointer or '/'}")
    counts = summary_counts(diagnostics)
    parts = [
        f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
        f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}",
    ]
    if counts["info"]:
        parts.append(f"{counts['info']} note{'s' if counts['info'] != 1 else ''}")
    out.append(f"{', '.join(parts)} in {files} file{'s' if files != 1 else ''}")
    return "\n".join(out) + "\n"


def _as_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "severity": d.severity,
        "code": d.code,
        "rule": code_info(d.code).title,
        "message": d.message,
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "pointer": d.pointer,
    }


def render_json(diagnostics: Sequence[Diagnostic], *, files: Sequence[str] = ()) -> str:
    payload = {
        "files": list(files),
        "diagnostics": [_as_dict(d) for d in diagnostics],
        "summary": summary_counts(diagnostics),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _artifact_uri(file: str) -> str:
    if os.path.isabs(file):
        return Path(file).as_uri()
    return file.replace(os.sep, "/")


def render_sarif(diagnostics: Sequence[Diagnostic], *, version: str = "") -> str:
    """A SARIF 2.1.0 log with one run; every code is a rule so code-scanning tools can group results."""
    used = sorted({d.code for d in diagnostics} | set())
    rule_ids = sorted(set(CODES) | set(used))
    index = {rule: i for i, rule in enumerate(rule_ids)}
    rules = []
    for rule in rule_ids:
        info = code_info(rule)
        rules.append(
            {
                "id": rule,
                "name": info.title,
                "shortDescription": {"text": info.help or info.title},
                "defaultConfiguration": {"level": _SARIF_LEVEL.get(info.severity, "warning")},
                "helpUri": f"https://github.com/arazzo-runner/arazzo-runner/blob/main/docs/check.md#{rule.lower()}",
            }
        )
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL.get(d.severity, "warning"),
            "message": {"text": d.message},
        }
        if d.file:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(d.file)}}
            if d.line:
                region: dict[str, Any] = {"startLine": d.line}
                if d.column:
                    region["startColumn"] = d.column
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            if d.pointer is not None:
                location["logicalLocations"] = [{"fullyQualifiedName": d.pointer or "/", "kind": "member"}]
            result["locations"] = [location]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "arazzo-runner",
                        "version": version,
                        "informationUri": "https://github.com/arazzo-runner/arazzo-runner",
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
