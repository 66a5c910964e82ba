"""Mock scenarios: YAML that overrides mock responses per stepId or operationId.

::

    # every top-level key is a stepId or an operationId (a stepId wins a tie);
    # or put them under `steps:` / `operations:` to be explicit
    rotateRecoveryCodes:            # a stepId
      status: 500
      body: {error_type: internal_server_error}
    api_user_v1_Create:             # an operationId: a sequence, one entry per call,
      - status: 429                 # the last entry repeats
        headers: {Retry-After: "0"}
      - status: 200                 # body left out: the description's response for 200

An entry has ``status``, ``headers`` and ``body``, each optional. Without
``body`` the response is what the description documents for the status (its
example, or a generated value); an undocumented status gets a short JSON
error body. A step entry wins over an operation entry for the same request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArazzoError, Location

__all__ = ["Override", "Scenario", "ScenarioError", "load_scenario"]

_UNSET: Any = object()
_ENTRY_KEYS = {"status", "headers", "body"}


class ScenarioError(ArazzoError):
    """A mock scenario file that cannot be used."""


@dataclass(frozen=True)
class Override:
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = field(default=_UNSET, compare=False)

    @property
    def has_body(self) -> bool:
        return self.body is not _UNSET


@dataclass(frozen=True)
class Scenario:
    steps: Mapping[str, tuple[Override, ...]] = field(default_factory=dict)
    operations: Mapping[str, tuple[Override, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.steps or self.operations)


def load_scenario(
    source: str | os.PathLike[str] | Mapping[str, Any] | None,
    step_ids: Sequence[str],
    operation_ids: Sequence[str],
) -> Scenario:
    """Read and check a scenario (a YAML file path or an already-parsed mapping)."""
    if source is None:
        return Scenario()
    display = "<scenario>"
    if isinstance(source, (str, os.PathLike)):
        from ..sources.yamlsource import parse_document

        display = os.fspath(source)
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise ScenarioError(f"cannot read mock scenario {display}: {exc.strerror}", Location(display)) from None
        data, _ = parse_document(text, display)
    else:
        data = source
    if not isinstance(data, Mapping):
        raise ScenarioError(
            "a mock scenario must be a mapping of stepId or operationId to responses", Location(display)
        )
    steps: dict[str, tuple[Override, ...]] = {}
    operations: dict[str, tuple[Override, ...]] = {}
    known_steps, known_ops = set(step_ids), set(operation_ids)
    sections: list[tuple[str | None, Mapping[str, Any]]] = []
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("steps", "operations") and isinstance(value, Mapping) and key not in known_steps | known_ops:
            sections.append((key, value))
        else:
            flat[str(key)] = value
    sections.append((None, flat))
    for section, entries in sections:
        for key, value in entries.items():
            key = str(key)
            where = f"{section}.{key}" if section else key
            overrides = _entries(value, where, display)
            if section == "steps" or (section is None and key in known_steps):
                if key not in known_steps:
                    raise ScenarioError(_unknown("stepId", key, known_steps), Location(display, pointer=f"/{where}"))
                steps[key] = overrides
            elif section == "operations" or (section is None and key in known_ops):
                if key not in known_ops:
                    raise ScenarioError(_unknown("operationId", key, known_ops), Location(display, pointer=f"/{where}"))
                operations[key] = overrides
            else:
                raise ScenarioError(
                    f"{key!r} is neither a stepId nor an operationId of the document; "
                    f"stepIds: {', '.join(sorted(known_steps)) or '(none)'}",
                    Location(display, pointer=f"/{key}"),
                )
    return Scenario(steps, operations)


def _unknown(kind: str, key: str, known: set[str]) -> str:
    return f"no {kind} {key!r} in the document; known: {', '.join(sorted(known)) or '(none)'}"


def _entries(value: Any, where: str, display: str) -> tuple[Override, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ScenarioError(
            f"{where}: an empty sequence; give at least one response", Location(display, pointer=f"/{where}")
        )
    return tuple(
        _entry(item, f"{where}[{index}]" if isinstance(value, list) else where, display)
        for index, item in enumerate(items)
    )


def _entry(item: Any, where: str, display: str) -> Override:
    location = Location(display, pointer="/" + where.replace(".", "/"))
    if isinstance(item, int) and not isinstance(item, bool):
        item = {"status": item}  # shorthand: just a status code
    if item is None:
        item = {}
    if not isinstance(item, Mapping):
        raise ScenarioError(f"{where}: expected a mapping with status, headers and/or body", location)
    unknown = set(item) - _ENTRY_KEYS
    if unknown:
        raise ScenarioError(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; allowed: status, headers, body",
            location,
        )
    status = item.get("status")
    if status is not None and not (isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599):
        raise ScenarioError(f"{where}: status must be an HTTP status code (100-599), got {status!r}", location)
    headers = item.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise ScenarioError(f"{where}: headers must be a mapping of name to value", location)
    return Override(
        status=status,
        headers=tuple((str(k), str(v)) for k, v in headers.items()),
        body=item.get("body", _UNSET),
    )
