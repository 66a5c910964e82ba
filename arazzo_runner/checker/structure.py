"""Structure rules: the shape of an Arazzo 1.0.x document, field by field.

A table of the objects of the specification drives one walk over the raw
document (the YAML/JSON data as written), so every finding has a JSON
pointer. Where the published JSON Schema and the prose disagree the prose
wins (checklist §21):

* SCH-1: a ``retry`` failure action needs neither ``retryAfter`` nor a target;
* SCH-5: Payload Replacement and Reusable ``value`` accept any JSON type;
* SCH-6: extra properties on a Reusable Object are ignored, not reported;
* SCH-4: output keys must match ``^[a-zA-Z0-9.\\-_]+$`` (the schema does not check it);
* SCH-10: unknown non-``x-`` fields are a warning, an error with ``strict`` (DEC-41).

Codes are those the loader uses for the same kinds of finding (ARZ002
missing, ARZ003 invalid value, ARZ004 unknown field, ARZ005 duplicate,
ARZ006 name pattern, ARZ008 step target) so the two can be merged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..plan.rules import (
    FIELDS,
    NAME_RE,
    OUTPUT_KEY_RE,
    VERSION_RE,
    missing_field_message,
    unknown_field_message,
    wrong_type_message,
)
from ..sources.pointer import escape_pointer_token
from ..sources.values import type_name
from .report import Report

__all__ = ["check_structure"]

_RESERVED_EXT = ("x-oai-", "x-oas-", "x-arazzo")
URI_BAD = re.compile(r"[\s<>\"\\^`{|}]")


def child_pointer(pointer: str, key: str | int) -> str:
    return f"{pointer}/{escape_pointer_token(key)}"


class StructureWalker:
    def __init__(self, report: Report) -> None:
        self.r = report

    # -- generic pieces --------------------------------------------------
    def fields(self, obj: Mapping[str, Any], pointer: str, kind: str, *, extensions: bool = True) -> None:
        allowed = FIELDS[kind]
        for key in obj:
            if key.startswith("x-") and extensions:
                if key.startswith(_RESERVED_EXT):
                    self.r.add(
                        "ARZ100",
                        f"extension {key!r} uses a prefix reserved by the OpenAPI Initiative (EXT-2)",
                        child_pointer(pointer, key),
                        at_key=True,
                    )
                continue
            if key not in allowed:
                message = unknown_field_message(key, kind)
                self.r.add(
                    "ARZ004",
                    message,
                    child_pointer(pointer, key),
                    severity="error" if self.r.strict else "warning",
                    at_key=True,
                )

    def required(self, obj: Mapping[str, Any], pointer: str, kind: str, *names: str) -> None:
        for name in names:
            if name not in obj:
                self.r.error("ARZ002", missing_field_message(kind, name), pointer)

    def string(self, obj: Mapping[str, Any], key: str, pointer: str) -> str | None:
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.r.error("ARZ003", wrong_type_message(key, "a string", value), child_pointer(pointer, key))
            return None
        return value

    def obj(self, value: Any, pointer: str, what: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.r.error("ARZ003", f"{what} must be an object, not {type_name(value)}", pointer)
            return None
        return value

    def array(
        self, obj: Mapping[str, Any], key: str, pointer: str, *, min_items: int = 0, unique: bool = False
    ) -> list[Any]:
        if key not in obj:
            return []
        value = obj[key]
        here = child_pointer(pointer, key)
        if not isinstance(value, list):
            self.r.error("ARZ003", wrong_type_message(key, "a list", value), here)
            return []
        if len(value) < min_items:
            self.r.error(
                "ARZ002", f"{key!r} must list at least {min_items} entr{'y' if min_items == 1 else 'ies'}", here
            )
        if unique:
            seen: dict[str, int] = {}
            for i, item in enumerate(value):
                fingerprint = json.dumps(item, sort_keys=True, default=str)
                if fingerprint in seen:
                    self.r.error(
                        "ARZ005", f"entry {i} of {key!r} repeats entry {seen[fingerprint]}", child_pointer(here, i)
                    )
                else:
                    seen[fingerprint] = i
        return value

    def name_pattern(self, obj: Mapping[str, Any], key: str, pointer: str, what: str) -> None:
        value = obj.get(key)
        if isinstance(value, str) and not NAME_RE.match(value):
            self.r.warning("ARZ006", f"{what} {value!r} should match [A-Za-z0-9_-]+", child_pointer(pointer, key))

    def each(self, items: list[Any], pointer: str, fn: Callable[[Any, str], None]) -> None:
        for i, item in enumerate(items):
            fn(item, child_pointer(pointer, i))

    # -- objects ----------------------------------------------------------
    def root(self, data: Any) -> None:
        doc = self.obj(data, "", "an Arazzo document")
        if doc is None:
            return
        self.fields(doc, "", "root")
        if "arazzo" not in doc:
            self.r.error("ARZ001", "missing required field 'arazzo' (the Arazzo version, e.g. \"1.0.1\")", "")
        else:
            version = doc["arazzo"]
            if not isinstance(version, str):
                self.r.error(
                    "ARZ001",
                    f"'arazzo' must be a string such as \"1.0.1\", not {type_name(version)} {version!r} (quote it "
                    "in YAML)",
                    "/arazzo",
                )
            elif not VERSION_RE.match(version):
                self.r.error("ARZ001", f"unsupported Arazzo version {version!r}: expected 1.0.x or 1.1.x", "/arazzo")
        self.required(doc, "", "the document", "info", "sourceDescriptions", "workflows")
        if "info" in doc:
            self.info(doc["info"], "/info")
        sources = self.array(doc, "sourceDescriptions", "", min_items=1)
        self.each(sources, "/sourceDescriptions", self.source)
        self.unique_names(sources, "/sourceDescriptions", "name", "source description name")
        workflows = self.array(doc, "workflows", "", min_items=1)
        self.each(workflows, "/workflows", self.workflow)
        self.unique_names(workflows, "/workflows", "workflowId", "workflowId")
        if "components" in doc:
            self.components(doc["components"], "/components")

    def unique_names(self, items: list[Any], pointer: str, key: str, what: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and isinstance(item.get(key), str):
                if item[key] in seen:
                    self.r.error(
                        "ARZ005", f"duplicate {what} {item[key]!r}", child_pointer(child_pointer(pointer, i), key)
                    )
                seen.add(item[key])

    def info(self, value: Any, pointer: str) -> None:
        info = self.obj(value, pointer, "'info'")
        if info is None:
            return
        self.fields(info, pointer, "info")
        self.required(info, pointer, "info", "title", "version")
        for key in ("title", "summary", "description", "version"):
            self.string(info, key, pointer)

    def source(self, value: Any, pointer: str) -> None:
        src = self.obj(value, pointer, "a source description")
        if src is None:
            return
        self.fields(src, pointer, "source")
        self.required(src, pointer, "source description", "name", "url")
        self.string(src, "name", pointer)
        self.name_pattern(src, "name", pointer, "source name")
        url = self.string(src, "url", pointer)
        if url is not None and URI_BAD.search(url):
            self.r.error(
                "ARZ003",
                f"'url' {url!r} is not a URI reference (RFC 3986): encode spaces and special characters",
                child_pointer(pointer, "url"),
            )
        if "type" in src and src["type"] not in ("openapi", "arazzo"):
            self.r.error(
                "ARZ003",
                f"source type must be 'openapi' or 'arazzo', not {src['type']!r}",
                child_pointer(pointer, "type"),
            )

    def workflow(self, value: Any, pointer: str) -> None:
        wf = self.obj(value, pointer, "a workflow")
        if wf is None:
            return
        self.fields(wf, pointer, "workflow")
        self.required(wf, pointer, "workflow", "workflowId", "steps")
        for key in ("workflowId", "summary", "description"):
            self.string(wf, key, pointer)
        self.name_pattern(wf, "workflowId", pointer, "workflowId")
        if "inputs" in wf and not isinstance(wf["inputs"], (Mapping, bool)):
            self.r.error(
                "ARZ003",
                f"'inputs' must be a JSON Schema (an object), not {type_name(wf['inputs'])}",
                child_pointer(pointer, "inputs"),
            )
        depends = self.array(wf, "dependsOn", pointer, unique=True)
        for i, dep in enumerate(depends):
            if not isinstance(dep, str):
                self.r.error(
                    "ARZ003",
                    f"a dependsOn entry must be a workflowId string, not {type_name(dep)}",
                    child_pointer(child_pointer(pointer, "dependsOn"), i),
                )
        steps = self.array(wf, "steps", pointer, min_items=1)
        self.each(steps, child_pointer(pointer, "steps"), self.step)
        self.unique_names(steps, child_pointer(pointer, "steps"), "stepId", "stepId")
        self.each(
            self.array(wf, "successActions", pointer),
            child_pointer(pointer, "successActions"),
            lambda v, p: self.action(v, p, "success"),
        )
        self.each(
            self.array(wf, "failureActions", pointer),
            child_pointer(pointer, "failureActions"),
            lambda v, p: self.action(v, p, "failure"),
        )
        self.each(
            self.array(wf, "parameters", pointer),
            child_pointer(pointer, "parameters"),
            lambda v, p: self.parameter(v, p, None),
        )
        self.outputs(wf, pointer)

    def outputs(self, obj: Mapping[str, Any], pointer: str) -> None:
        if "outputs" not in obj:
            return
        here = child_pointer(pointer, "outputs")
        outputs = self.obj(obj["outputs"], here, "'outputs'")
        for key, value in (outputs or {}).items():
            if not OUTPUT_KEY_RE.match(key):
                self.r.error("ARZ003", f"output name {key!r} must match [a-zA-Z0-9.-_]+", child_pointer(here, key))
            self.output_value(key, value, child_pointer(here, key))

    def output_value(self, key: str, value: Any, pointer: str) -> None:
        """One output's value: a runtime expression string (1.1 also allows a Selector Object)."""
        if not isinstance(value, str):
            self.r.error(
                "ARZ003", f"output {key!r} must be a runtime expression string, not {type_name(value)}", pointer
            )

    def step(self, value: Any, pointer: str) -> None:
        step = self.obj(value, pointer, "a step")
        if step is None:
            return
        self.fields(step, pointer, "step")
        self.required(step, pointer, "step", "stepId")
        for key in ("stepId", "description", "operationId", "operationPath", "workflowId"):
            self.string(step, key, pointer)
        self.name_pattern(step, "stepId", pointer, "stepId")
        targets = [k for k in ("operationId", "operationPath", "workflowId") if k in step]
        if len(targets) != 1:
            found = "none" if not targets else " and ".join(targets)
            self.r.error(
                "ARZ008",
                f"a step needs exactly one of operationId, operationPath or workflowId; found {found}",
                pointer,
            )
        calls_operation = bool(targets) and "workflowId" not in targets
        self.each(
            self.array(step, "parameters", pointer),
            child_pointer(pointer, "parameters"),
            lambda v, p: self.parameter(v, p, calls_operation),
        )
        if "requestBody" in step:
            self.request_body(step["requestBody"], child_pointer(pointer, "requestBody"))
        self.each(
            self.array(step, "successCriteria", pointer, unique=True),
            child_pointer(pointer, "successCriteria"),
            self.criterion,
        )
        self.each(
            self.array(step, "onSuccess", pointer),
            child_pointer(pointer, "onSuccess"),
            lambda v, p: self.action(v, p, "success"),
        )
        self.each(
            self.array(step, "onFailure", pointer),
            child_pointer(pointer, "onFailure"),
            lambda v, p: self.action(v, p, "failure"),
        )
        self.outputs(step, pointer)

    def reusable(self, obj: Mapping[str, Any], pointer: str) -> None:
        # REUSE-5: other properties are ignored, so they are not reported (the prose wins over SCH-6).
        ref = obj.get("reference")
        if not isinstance(ref, str):
            self.r.error(
                "ARZ003",
                f"'reference' must be a runtime expression string, not {type_name(ref)}",
                child_pointer(pointer, "reference"),
            )
        if "value" in obj and not isinstance(obj["value"], str):
            self.r.add(
                "ARZ107",
                f"Reusable Object 'value' is {type_name(obj['value'])}; the 1.0.1 field table types it "
                "as a string (accepted: the schema allows any type, DEC-45)",
                child_pointer(pointer, "value"),
            )

    def parameter(self, value: Any, pointer: str, calls_operation: bool | None) -> None:
        param = self.obj(value, pointer, "a parameter")
        if param is None:
            return
        if "reference" in param:
            self.reusable(param, pointer)
            return
        self.fields(param, pointer, "parameter")
        self.required(param, pointer, "parameter", "name", "value")
        self.string(param, "name", pointer)
        if "in" in param and param["in"] not in ("path", "query", "header", "cookie"):
            extra = " ('body' was dropped in Arazzo 1.0.1: use requestBody)" if param["in"] == "body" else ""
            self.r.error(
                "ARZ003",
                f"parameter 'in' must be path, query, header or cookie, not {param['in']!r}{extra}",
                child_pointer(pointer, "in"),
            )
        if calls_operation and "in" not in param:
            self.r.error(
                "ARZ002",
                f"parameter {param.get('name')!r} needs 'in' (path, query, header or cookie) on an operation step",
                pointer,
            )

    def request_body(self, value: Any, pointer: str) -> None:
        body = self.obj(value, pointer, "'requestBody'")
        if body is None:
            return
        self.fields(body, pointer, "requestBody")
        self.string(body, "contentType", pointer)
        for i, rep in enumerate(self.array(body, "replacements", pointer, unique=True)):
            here = child_pointer(child_pointer(pointer, "replacements"), i)
            obj = self.obj(rep, here, "a payload replacement")
            if obj is None:
                continue
            self.fields(obj, here, "replacement")
            self.required(obj, here, "payload replacement", "target", "value")
            self.string(obj, "target", here)  # value: any type (SCH-5)

    def criterion(self, value: Any, pointer: str) -> None:
        crit = self.obj(value, pointer, "a criterion")
        if crit is None:
            return
        self.fields(crit, pointer, "criterion")
        self.required(crit, pointer, "criterion", "condition")
        self.string(crit, "condition", pointer)
        self.string(crit, "context", pointer)
        kind = crit.get("type")
        here = child_pointer(pointer, "type")
        if kind is None or "type" not in crit:
            return
        if isinstance(kind, str):
            if kind not in ("simple", "regex", "jsonpath", "xpath"):
                self.r.error(
                    "ARZ003",
                    "criterion type must be simple, regex, jsonpath, xpath or a Criterion Expression Type Object, "
                    f"not {kind!r}",
                    here,
                )
            return
        if not isinstance(kind, Mapping):
            self.r.error("ARZ003", f"criterion type must be a string or an object, not {type_name(kind)}", here)
            return
        self.fields(kind, here, "expressionType")
        self.required(kind, here, "criterion expression type", "type", "version")
        inner, version = kind.get("type"), kind.get("version")
        if "type" in kind and inner not in ("jsonpath", "xpath"):
            self.r.error(
                "ARZ003",
                f"a Criterion Expression Type's type must be jsonpath or xpath, not {inner!r}",
                child_pointer(here, "type"),
            )
        elif "version" in kind:
            allowed = (
                ("draft-goessner-dispatch-jsonpath-00",)
                if inner == "jsonpath"
                else ("xpath-30", "xpath-20", "xpath-10")
            )
            if version not in allowed:
                self.r.error(
                    "ARZ003",
                    f"{inner} version must be {' or '.join(allowed)}, not {version!r}",
                    child_pointer(here, "version"),
                )

    def action(self, value: Any, pointer: str, kind: str, *, component: bool = False) -> None:
        act = self.obj(value, pointer, f"a {kind} action")
        if act is None:
            return
        if "reference" in act and not component:
            self.reusable(act, pointer)
            return
        self.fields(act, pointer, f"{kind}Action")
        self.required(act, pointer, f"{kind} action", "name", "type")
        for key in ("name", "workflowId", "stepId"):
            self.string(act, key, pointer)
        types = ("end", "goto") if kind == "success" else ("end", "goto", "retry")
        if "type" in act and act["type"] not in types:
            self.r.error(
                "ARZ003",
                f"{kind} action type must be one of {', '.join(types)}, not {act['type']!r}",
                child_pointer(pointer, "type"),
            )
        if "stepId" in act and "workflowId" in act:
            self.r.error("ARZ003", "an action names either 'stepId' or 'workflowId', not both", pointer)
        elif act.get("type") == "goto" and "stepId" not in act and "workflowId" not in act:
            self.r.error("ARZ002", f"goto action {act.get('name')!r} needs a 'stepId' or a 'workflowId'", pointer)
        for key, integer in (("retryAfter", False), ("retryLimit", True)):
            if key in act:
                v = act[key]
                ok = not isinstance(v, bool) and isinstance(v, int if integer else (int, float)) and v >= 0
                ok = ok and math.isfinite(v)  # .nan, .inf: a retry that never ends its wait
                if not ok:
                    what = "an integer >= 0" if integer else "a number of seconds >= 0"
                    self.r.error("ARZ003", f"{key!r} must be {what}, not {v!r}", child_pointer(pointer, key))
        min_items = 1 if kind == "success" else 0  # SCH-2
        criteria = self.array(act, "criteria", pointer, min_items=min_items, unique=True)
        self.each(criteria, child_pointer(pointer, "criteria"), self.criterion)

    def components(self, value: Any, pointer: str) -> None:
        comps = self.obj(value, pointer, "'components'")
        if comps is None:
            return
        self.fields(comps, pointer, "components")
        for group in ("inputs", "parameters", "successActions", "failureActions"):
            if group not in comps:
                continue
            here = child_pointer(pointer, group)
            entries = self.obj(comps[group], here, f"components.{group}")
            for key, entry in (entries or {}).items():
                at = child_pointer(here, key)
                if not OUTPUT_KEY_RE.match(key):
                    self.r.error("ARZ003", f"component key {key!r} must match [a-zA-Z0-9.-_]+", at)
                if group == "inputs":
                    if not isinstance(entry, (Mapping, bool)):
                        self.r.error(
                            "ARZ003", f"an input schema must be a JSON Schema object, not {type_name(entry)}", at
                        )
                elif group == "parameters":
                    self.parameter(entry, at, None)
                else:
                    self.action(entry, at, "success" if group == "successActions" else "failure", component=True)


def check_structure(data: Any, report: Report) -> None:
    """Report every structural problem of one raw Arazzo document into ``report``, by its version's rules."""
    from .structure11 import check_version_rules

    check_version_rules(data, report, StructureWalker)
