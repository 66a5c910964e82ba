"""The structural rules of an Arazzo 1.0.x document, declared once.

Both the compiler (``load()``) and the ``check`` command read this table, so
the same mistake is worded and coded the same by both: the fields each
object allows, the name and key patterns, the version pattern.
"""

from __future__ import annotations

import re
from typing import Any

from ..sources.values import type_name

__all__ = [
    "EXPRESSION_LOOKALIKE",
    "FIELDS",
    "NAME_RE",
    "OBJECT_NAMES",
    "OUTPUT_KEY_RE",
    "REUSABLE_RE",
    "VERSION_RE",
    "as_list",
    "close_matches",
    "missing_field_message",
    "unknown_field_message",
    "wrong_type_message",
]

VERSION_RE = re.compile(r"^1\.[01]\.\d+(-.+)?$")  # 1.0.x and 1.1.x, each read by its own rules
# stepId, workflowId and source names (recommended pattern: a mismatch is a warning).
NAME_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
# Output and component keys (required pattern, SCH-4).
OUTPUT_KEY_RE = re.compile(r"^[a-zA-Z0-9.\-_]+$")
REUSABLE_RE = re.compile(r"^\$components\.(parameters|successActions|failureActions|inputs)\.(.+)$")
# A string that starts like a runtime expression (including the common misspellings: a singular root,
# a capital letter): if it does not parse it is literal text, almost always by mistake (ARZ019).
EXPRESSION_LOOKALIKE = re.compile(
    r"^\$(url|method|statuscode|request\.|response\.|inputs?\.|outputs?\.|steps?\.|workflows?\.|"
    r"sourcedescriptions?\.|components?\.)",
    re.IGNORECASE,
)

# The fixed fields of each object of the specification (x- extensions are allowed everywhere).
FIELDS: dict[str, frozenset[str]] = {
    "root": frozenset({"arazzo", "info", "sourceDescriptions", "workflows", "components"}),
    "info": frozenset({"title", "summary", "description", "version"}),
    "source": frozenset({"name", "url", "type"}),
    "workflow": frozenset(
        {
            "workflowId",
            "summary",
            "description",
            "inputs",
            "dependsOn",
            "steps",
            "successActions",
            "failureActions",
            "outputs",
            "parameters",
        }
    ),
    "step": frozenset(
        {
            "description",
            "stepId",
            "operationId",
            "operationPath",
            "workflowId",
            "parameters",
            "requestBody",
            "successCriteria",
            "onSuccess",
            "onFailure",
            "outputs",
        }
    ),
    "parameter": frozenset({"name", "in", "value"}),
    "successAction": frozenset({"name", "type", "workflowId", "stepId", "criteria"}),
    "failureAction": frozenset({"name", "type", "workflowId", "stepId", "retryAfter", "retryLimit", "criteria"}),
    "components": frozenset({"inputs", "parameters", "successActions", "failureActions"}),
    "criterion": frozenset({"context", "condition", "type"}),
    "expressionType": frozenset({"type", "version"}),
    "requestBody": frozenset({"contentType", "payload", "replacements"}),
    "replacement": frozenset({"target", "value"}),
    "reusable": frozenset({"reference", "value"}),
}


# How messages name each object.
OBJECT_NAMES: dict[str, str] = {
    "root": "root",
    "info": "info",
    "source": "source description",
    "workflow": "workflow",
    "step": "step",
    "parameter": "parameter",
    "successAction": "success action",
    "failureAction": "failure action",
    "components": "components",
    "criterion": "criterion",
    "expressionType": "criterion expression type",
    "requestBody": "request body",
    "replacement": "payload replacement",
    "reusable": "reusable",
}


def unknown_field_message(key: str, kind: str) -> str:
    """The one wording for a field an object of ``kind`` (a key of :data:`FIELDS`) does not define (ARZ004)."""
    allowed = ", ".join(sorted(FIELDS[kind]))
    return f"unknown field {key!r} in {OBJECT_NAMES[kind]} object (allowed: {allowed}, or x- extensions)"


def missing_field_message(what: str, key: str) -> str:
    """The one wording for a required field that is absent (ARZ002)."""
    return f"{what} is missing required field {key!r}"


def wrong_type_message(key: str, expected: str, value: Any) -> str:
    """The one wording for a field of the wrong JSON type (ARZ003): ``expected`` is ``a string``, ``a list``…"""
    return f"{key!r} must be {expected}, not {type_name(value)}"


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list (the shape problem is reported elsewhere)."""
    return value if isinstance(value, list) else []


def close_matches(word: str, candidates: list[str]) -> list[str]:
    """Up to three candidates spelled like ``word``, for "did you mean" hints."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=3, cutoff=0.7)
