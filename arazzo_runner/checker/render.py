"""Output formats for check results: compiler-style text, JSON, and SARIF 2.1.0."""

from __future__ import annotations

import json
import os
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


class _Sources:
    def __init__(self) -> None:
        self.cache: dict[str, list[str] | None] = {}

    def line(self, file: str | None, line: int | None) -> str | None:
        if not file or not line:
            return None
        if file not in self.cache:
            try:
                self.cache[file] = Path(file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self.cache[file] = None
        lines = self.cache[file]
        if lines is None or line > len(lines):
            return None
        return lines[line - 1]


def render_text(diagnostics: Sequence[Diagnostic], *, files: int = 1, color: bool = False) -> str:
    """``file:line:col: error[ARZ012]: message``, then the source line with a caret under the column."""
    sources = _Sources()
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
