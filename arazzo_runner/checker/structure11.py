"""Structure rules for Arazzo 1.1.x documents: the 1.0 walk plus what 1.1 adds or changes.

1.1 adds ``$self`` (no fragment), AsyncAPI sources and steps (``channelPath``,
``action``, ``correlationId``), step ``timeout`` and ``dependsOn``,
``in: querystring``, ``parameters`` on actions, the Selector Object, the
Expression Type Object (``jsonpointer``, ``rfc9535``, ``xpath-31``) and
``targetSelectorType``; it makes ``successCriteria`` need an entry and every
list of parameters unique. Codes ARZ150-ARZ159 are the 1.1 rules
(``docs/check.md``); the rest keep their 1.0 meaning so the loader's
findings and ours still merge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..compile.versions import (
    FIELDS_11,
    SELECTOR_TYPES,
    find_11_features,
    is_selector_object,
    minor_version,
    version_feature_message,
)
from ..sources.values import type_name as _type_name
from .structure import URI_BAD, StructureWalker, child_pointer

__all__ = ["Walker11", "check_version_rules", "expression_type_problem"]

_DEPENDS_ON = re.compile(
    r"^(?:(?!\$).+|\$workflows\.[^.]+\.steps\.[^.]+|\$sourceDescriptions\.[^.]+\.[^.]+\.steps\.[^.]+)$"
)
_IN_VALUES = ("path", "query", "querystring", "header", "cookie", "channel")


def expression_type_problem(kind: Any, *, criterion: bool) -> tuple[str, str] | None:
    """What is wrong with an Expression Type Object (``(relative pointer, message)``), or None (V11-10)."""
    if not isinstance(kind, Mapping):
        return "", f"an Expression Type Object must be an object, not {_type_name(kind)}"
    inner, version = kind.get("type"), kind.get("version")
    for key in kind:
        if key not in ("type", "version") and not str(key).startswith("x-"):
            return f"/{key}", f"unknown field {key!r} in an Expression Type Object (allowed: type, version)"
    if "type" not in kind:
        return "", "an Expression Type Object needs 'type' (jsonpath, xpath or jsonpointer)"
    if inner not in SELECTOR_TYPES:
        return "/type", f"expression type must be jsonpath, xpath or jsonpointer, not {inner!r}"
    if criterion and inner == "jsonpointer":
        return "/type", "a criterion condition cannot be a JSON Pointer: use jsonpath or xpath"
    if "version" not in kind:
        return "", f"an Expression Type Object for {inner} needs 'version' ({', '.join(SELECTOR_TYPES[inner])})"
    if version not in SELECTOR_TYPES[inner]:
        allowed = " or ".join(SELECTOR_TYPES[inner])
        return "/version", f"{inner} version must be {allowed}, not {version!r}"
    return None


class Walker11(StructureWalker):
    """The 1.0 walk with the 1.1 objects and rules."""

    def fields(self, obj: Mapping[str, Any], pointer: str, kind: str, *, extensions: bool = True) -> None:
        extra = FIELDS_11.get(kind, frozenset())  # the fields 1.1 adds to this object
        super().fields({k: v for k, v in obj.items() if k not in extra}, pointer, kind, extensions=extensions)

    def root(self, data: Any) -> None:
        super().root(data)
        if not isinstance(data, Mapping) or "$self" not in data:
            return
        value = self.string(data, "$self", "")
        if value is None:
            return
        if "#" in value:
            self.r.error(
                "ARZ156",
                f"'$self' {value!r} has a fragment: the document's identity must not contain '#' (V11-04)",
                "/$self",
            )
        elif URI_BAD.search(value):
            self.r.error("ARZ156", f"'$self' {value!r} is not a URI reference (RFC 3986)", "/$self")

    def source(self, value: Any, pointer: str) -> None:
        if isinstance(value, Mapping) and value.get("type") == "asyncapi":
            value = {k: v for k, v in value.items() if k != "type"}  # 1.1 adds asyncapi to the 1.0 enum
        super().source(value, pointer)

    def output_value(self, key: str, value: Any, pointer: str) -> None:
        if isinstance(value, Mapping):
            self.selector(value, pointer)
        elif not isinstance(value, str):
            self.r.error(
                "ARZ003",
                f"output {key!r} must be a runtime expression string or a Selector Object, not {_type_name(value)}",
                pointer,
            )

    def selector(self, value: Mapping[str, Any], pointer: str) -> None:
        """A Selector Object: ``context``, ``selector`` and ``type`` all required, nothing else (V11-09)."""
        for key in value:
            if key not in ("context", "selector", "type") and not str(key).startswith("x-"):
                self.r.error(
                    "ARZ151",
                    f"unknown field {key!r} in a Selector Object (allowed: context, selector, type)",
                    child_pointer(pointer, key),
                )
        for key in ("context", "selector", "type"):
            if key not in value:
                self.r.error("ARZ151", f"a Selector Object needs {key!r}", pointer)
        for key in ("context", "selector"):
            self.string(value, key, pointer)
        if "type" in value:
            self.selector_type(value["type"], child_pointer(pointer, "type"))

    def selector_type(self, kind: Any, pointer: str) -> None:
        if isinstance(kind, str):
            if kind not in SELECTOR_TYPES:
                self.r.error("ARZ151", f"selector type must be jsonpath, xpath or jsonpointer, not {kind!r}", pointer)
            return
        problem = expression_type_problem(kind, criterion=False)
        if problem is not None:
            self.r.error("ARZ151", problem[1], pointer + problem[0])

    def step(self, value: Any, pointer: str) -> None:
        step = self.obj(value, pointer, "a step")
        if step is None:
            return
        targets = [k for k in ("operationId", "operationPath", "channelPath", "workflowId") if k in step]
        shown = dict(step)
        if len(targets) != 1:
            found = "none" if not targets else " and ".join(targets)
            self.r.error(
                "ARZ008",
                f"a step needs exactly one of operationId, operationPath, channelPath or workflowId; found {found}",
                pointer,
            )
            for extra in targets[1:]:  # the 1.0 rules below then see one target and do not say it again
                shown.pop(extra)
            if not targets:
                shown["operationId"] = ""
        if "channelPath" in shown:  # the 1.0 rules know operation targets; a channel stands in for one
            shown["operationPath"] = shown.pop("channelPath")
        super().step(shown, pointer)
        for key in ("channelPath", "action", "correlationId"):
            if key in step and "workflowId" in step:
                self.r.error(
                    "ARZ154",
                    f"a workflowId step cannot have {key!r} (AsyncAPI steps only)",
                    child_pointer(pointer, key),
                )
        if "channelPath" in step and "action" not in step:
            self.r.error("ARZ154", "an AsyncAPI step with 'channelPath' needs 'action' (send or receive)", pointer)
        if "action" in step and step["action"] not in ("send", "receive"):
            self.r.error(
                "ARZ154", f"'action' must be send or receive, not {step['action']!r}", child_pointer(pointer, "action")
            )
        if "correlationId" in step and step.get("action") != "receive":
            self.r.error(
                "ARZ154",
                "'correlationId' only applies to a step with action: receive",
                child_pointer(pointer, "correlationId"),
            )
        if "timeout" in step:
            timeout = step["timeout"]
            if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
                self.r.error(
                    "ARZ158",
                    f"'timeout' must be a whole number of milliseconds >= 0, not {timeout!r}",
                    child_pointer(pointer, "timeout"),
                )
        if "dependsOn" in step:
            here = child_pointer(pointer, "dependsOn")
            entries = self.array(step, "dependsOn", pointer, min_items=1, unique=True)
            for i, entry in enumerate(entries):
                if not isinstance(entry, str) or not _DEPENDS_ON.match(entry):
                    self.r.error(
                        "ARZ152",
                        f"dependsOn entry {entry!r} must be a stepId, $workflows.<id>.steps.<stepId> or "
                        "$sourceDescriptions.<name>.<workflowId>.steps.<stepId>",
                        child_pointer(here, i),
                    )
        if "successCriteria" in step and isinstance(step["successCriteria"], list) and not step["successCriteria"]:
            self.r.error(
                "ARZ002",
                "'successCriteria' must list at least 1 entry (Arazzo 1.1)",
                child_pointer(pointer, "successCriteria"),
            )
        if isinstance(step.get("parameters"), list):
            self.array(step, "parameters", pointer, unique=True)

    def parameter(self, value: Any, pointer: str, calls_operation: bool | None) -> None:
        if not isinstance(value, Mapping) or "reference" in value:
            super().parameter(value, pointer, calls_operation)
            return
        shown = dict(value)
        where = shown.get("in")
        if "in" in shown:
            shown["in"] = "query"  # checked below against the 1.1 enum
        if is_selector_object(shown.get("value")):
            self.selector(shown["value"], child_pointer(pointer, "value"))
        super().parameter(shown, pointer, calls_operation)
        if where is not None and where not in _IN_VALUES:
            self.r.error(
                "ARZ003",
                f"parameter 'in' must be path, query, querystring, header, cookie or channel, not {where!r}",
                child_pointer(pointer, "in"),
            )

    def request_body(self, value: Any, pointer: str) -> None:
        super().request_body(value, pointer)
        if not isinstance(value, Mapping):
            return
        for i, rep in enumerate(value.get("replacements") or []):
            if not isinstance(rep, Mapping):
                continue
            here = child_pointer(child_pointer(pointer, "replacements"), i)
            if "targetSelectorType" in rep:
                self.selector_type(rep["targetSelectorType"], child_pointer(here, "targetSelectorType"))
            if isinstance(rep.get("value"), Mapping) and is_selector_object(rep["value"]):
                self.selector(rep["value"], child_pointer(here, "value"))

    def criterion(self, value: Any, pointer: str) -> None:
        if isinstance(value, Mapping) and isinstance(value.get("type"), Mapping):
            problem = expression_type_problem(value["type"], criterion=True)
            if problem is not None:
                self.r.error("ARZ151", problem[1], child_pointer(pointer, "type") + problem[0])
            value = {k: v for k, v in value.items() if k != "type"} | {"type": value["type"].get("type")}
            if value["type"] not in ("jsonpath", "xpath"):
                value.pop("type")
        super().criterion(value, pointer)
        if isinstance(value, Mapping) and "type" in value and "context" not in value:
            self.r.error("ARZ002", "a criterion with 'type' needs a 'context'", pointer)

    def action(self, value: Any, pointer: str, kind: str, *, component: bool = False) -> None:
        if not isinstance(value, Mapping) or "parameters" not in value or ("reference" in value and not component):
            super().action(value, pointer, kind, component=component)
            return
        super().action({k: v for k, v in value.items() if k != "parameters"}, pointer, kind, component=component)
        here = child_pointer(pointer, "parameters")
        if "workflowId" not in value:
            self.r.error("ARZ157", "action 'parameters' are passed to a workflow: the action needs 'workflowId'", here)
        for i, param in enumerate(self.array(value, "parameters", pointer, unique=True)):
            self.parameter(param, child_pointer(here, i), False)
            if isinstance(param, Mapping) and "in" in param:
                self.r.error(
                    "ARZ157",
                    "a parameter of an action maps to a workflow input: 'in' must not be used",
                    child_pointer(child_pointer(here, i), "in"),
                )


def check_version_rules(data: Any, report: Any, walker10: type[StructureWalker]) -> None:
    """Walk ``data`` with its version's rules; in a 1.0 document, each 1.1 feature is an error (V11-02)."""
    version = data.get("arazzo") if isinstance(data, Mapping) else None
    minor = minor_version(version)
    if minor == "1.1":
        Walker11(report).root(data)
        return
    walker10(report).root(data)
    if minor != "1.0":
        return
    features = find_11_features(data)
    at = {pointer for pointer, _ in features}
    # The feature error replaces the unknown-field warning for the same key.
    report.items[:] = [d for d in report.items if not (d.code == "ARZ004" and d.pointer in at)]
    for pointer, feature in features:
        report.add("ARZ150", version_feature_message(feature, str(version)), pointer, severity="error", at_key=True)
