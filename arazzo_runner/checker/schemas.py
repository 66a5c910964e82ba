"""Reading OpenAPI schemas statically: what a JSON pointer can reach, what a literal may be.

A schema is flattened into a :class:`View` (``$ref`` followed, ``allOf``
merged) before each step, so ``$ref``, ``allOf``, ``oneOf``/``anyOf``,
arrays (``items``, ``prefixItems``) and ``additionalProperties`` are all
walked the same way. Verdicts are three-valued: a pointer *can* be
satisfied, *cannot*, or the schema does not say (free-form objects, missing
schemas): "unknown" never produces a finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArazzoError
from ..openapi.index import OpenAPIDescription

__all__ = ["NO", "UNKNOWN", "YES", "View", "literal_type_ok", "type_names", "view", "walk_pointer"]

YES, NO, UNKNOWN = "yes", "no", "unknown"
_MAX_DEPTH = 40
_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")


@dataclass
class View:
    """A schema with ``$ref`` resolved and ``allOf`` merged."""

    types: set[str] | None = None  # None: not constrained
    nullable: bool = False
    properties: dict[str, Any] = field(default_factory=dict)
    pattern_properties: dict[str, Any] = field(default_factory=dict)
    additional: Any = None  # None: absent; False; True; or a schema
    closed: bool = False  # additionalProperties/unevaluatedProperties false somewhere
    required: set[str] = field(default_factory=set)
    items: Any = None
    prefix_items: list[Any] = field(default_factory=list)
    alternatives: list[list[Any]] = field(default_factory=list)  # each oneOf/anyOf group
    enum: list[Any] | None = None
    opaque: bool = False  # true/{} or an unresolvable $ref: anything goes
    impossible: bool = False  # false

    @property
    def declares_members(self) -> bool:
        return bool(self.properties or self.pattern_properties or self.additional not in (None, True))


def _resolve(description: OpenAPIDescription, schema: Any) -> Any:
    try:
        return description.resolve(schema)
    except (ArazzoError, RecursionError):
        return True


def view(description: OpenAPIDescription, schema: Any, depth: int = 0) -> View:
    result = View()
    _merge(description, schema, result, depth)
    return result


def _merge(description: OpenAPIDescription, schema: Any, into: View, depth: int) -> None:
    schema = _resolve(description, schema)
    if depth > _MAX_DEPTH or schema is True or schema is None or (isinstance(schema, Mapping) and not schema):
        into.opaque = into.opaque or not (into.properties or into.types)
        return
    if schema is False:
        into.impossible = True
        return
    if not isinstance(schema, Mapping):
        into.opaque = True
        return
    kind = schema.get("type")
    if kind is not None:
        kinds = (
            {kind}
            if isinstance(kind, str)
            else {k for k in kind if isinstance(k, str)}
            if isinstance(kind, list)
            else set()
        )
        if "null" in kinds:
            into.nullable = True
        into.types = kinds if into.types is None else (into.types & kinds) or kinds
    if schema.get("nullable") is True:
        into.nullable = True
    props = schema.get("properties")
    if isinstance(props, Mapping):
        for name, sub in props.items():
            into.properties.setdefault(str(name), sub)
    pattern = schema.get("patternProperties")
    if isinstance(pattern, Mapping):
        into.pattern_properties.update({str(k): v for k, v in pattern.items()})
    if "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        if extra is False:
            into.closed = True
        if into.additional is None or into.additional is True:
            into.additional = extra
    if schema.get("unevaluatedProperties") is False:
        into.closed = True
    req = schema.get("required")
    if isinstance(req, list):
        into.required.update(str(r) for r in req if isinstance(r, str))
    if "items" in schema and into.items is None:
        into.items = schema["items"]
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and not into.prefix_items:
        into.prefix_items = list(prefix)
    if isinstance(schema.get("enum"), list):
        into.enum = list(schema["enum"])
    for group in ("oneOf", "anyOf"):
        branches = schema.get(group)
        if isinstance(branches, list) and branches:
            into.alternatives.append(branches)
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        for branch in all_of:
            _merge(description, branch, into, depth + 1)


def _is_object(v: View) -> bool:
    return (
        ("object" in v.types)
        if v.types is not None
        else bool(v.properties or v.pattern_properties or v.additional is not None)
    )


def _is_array(v: View) -> bool:
    return ("array" in v.types) if v.types is not None else (v.items is not None or bool(v.prefix_items))


def walk_pointer(
    description: OpenAPIDescription, schema: Any, tokens: tuple[str, ...], depth: int = 0
) -> tuple[str, int, str]:
    """Whether a value valid under ``schema`` can have something at ``tokens``.

    Returns (YES|NO|UNKNOWN, index of the token that fails, why it fails).
    """
    v = view(description, schema, depth)
    if v.impossible:
        return NO, 0, "the schema allows no value"
    if not tokens:
        return YES, 0, ""
    if depth > _MAX_DEPTH:
        return UNKNOWN, 0, ""
    if v.alternatives:
        # The pointer works if it works in one branch of every oneOf/anyOf group (each merged with the rest).
        base = _base_only(v)
        group_results = []
        for group in v.alternatives:
            branch_results = [
                walk_pointer(description, {"allOf": [branch, base]} if base else branch, tokens, depth + 1)
                for branch in group
            ]
            if any(r[0] == YES for r in branch_results):
                group_results.append((YES, 0, ""))
            elif all(r[0] == NO for r in branch_results):
                group_results.append(max(branch_results, key=lambda r: r[1]))
            else:
                group_results.append((UNKNOWN, 0, ""))
        for result in group_results:
            if result[0] == NO:
                return result
        return (YES, 0, "") if all(r[0] == YES for r in group_results) else (UNKNOWN, 0, "")
    if v.opaque and not v.properties and v.types is None:
        return UNKNOWN, 0, ""
    token, rest = tokens[0], tokens[1:]
    if _is_object(v):
        if token in v.properties:
            return _deeper(walk_pointer(description, v.properties[token], rest, depth + 1))
        for pattern, sub in v.pattern_properties.items():
            try:
                if re.search(pattern, token):
                    return _deeper(walk_pointer(description, sub, rest, depth + 1))
            except re.error:
                return UNKNOWN, 0, ""
        extra = v.additional
        if extra is False or v.closed:
            return NO, 0, _no_member(token, v)
        if extra is not None and extra is not True:
            return _deeper(walk_pointer(description, extra, rest, depth + 1))
        if v.properties:
            return NO, 0, _no_member(token, v)
        return UNKNOWN, 0, ""
    if _is_array(v):
        if not _INDEX.match(token):
            return NO, 0, f"{token!r} is not an array index, and the value there is an array"
        index = int(token)
        if index < len(v.prefix_items):
            return _deeper(walk_pointer(description, v.prefix_items[index], rest, depth + 1))
        if v.items is None:
            return UNKNOWN, 0, ""
        return _deeper(walk_pointer(description, v.items, rest, depth + 1))
    if v.types:
        return NO, 0, f"the value there is {' or '.join(sorted(v.types))}, so {token!r} cannot be selected"
    return UNKNOWN, 0, ""


def _deeper(result: tuple[str, int, str]) -> tuple[str, int, str]:
    verdict, index, why = result
    return verdict, index + 1, why


def _no_member(token: str, v: View) -> str:
    names = sorted(v.properties)
    shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    return f"no property {token!r}" + (f" (properties: {shown})" if names else "")


def _base_only(v: View) -> dict[str, Any]:
    base: dict[str, Any] = {}
    if v.types is not None:
        base["type"] = sorted(v.types)
    if v.properties:
        base["properties"] = v.properties
    if v.additional is not None:
        base["additionalProperties"] = v.additional
    if v.items is not None:
        base["items"] = v.items
    return base


def type_names(v: View) -> set[str] | None:
    if v.types is None:
        return None
    names = set(v.types)
    if v.nullable:
        names.add("null")
    return names


def literal_type_ok(value: Any, allowed: set[str]) -> bool:
    """Whether a literal JSON value has one of the JSON Schema ``allowed`` types."""
    if value is None:
        return "null" in allowed
    if isinstance(value, bool):
        return "boolean" in allowed
    if isinstance(value, int):
        return bool(allowed & {"integer", "number"})
    if isinstance(value, float):
        return "number" in allowed or ("integer" in allowed and value.is_integer())
    if isinstance(value, str):
        return "string" in allowed
    if isinstance(value, list):
        return "array" in allowed
    if isinstance(value, Mapping):
        return "object" in allowed
    return True
