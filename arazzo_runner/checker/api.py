"""Rules against the API: each operation step checked with the OpenAPI operation it calls.

* parameters: undeclared (warning), required ones missing, ``in`` contradicting
  the declaration, literals of the wrong type;
* request body: media type, required body, payload keys the schema forbids or
  does not declare, required fields missing, literals of the wrong type;
* ``$response.body#/…`` pointers in outputs and criteria, walked through the
  response schemas of the statuses the step's criteria accept (2xx when they
  do not say);
* ``$request.(path|query|header).<name>`` naming a parameter the step does not send;
* the JSONPath ``$[?…]``-on-an-object trap (CRIT-17) and form strings without ``=``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..diagnostics import Severity
from ..language.expressions import HttpExpression
from ..language.expressions.template import (
    ArrayValue,
    CompiledValue,
    ExpressionValue,
    LiteralValue,
    ObjectValue,
    TemplateValue,
)
from ..openapi.index import OpenAPIDescription, Operation
from ..openapi.media import media_type as _essence
from ..plan.model import ArazzoDocument, Step
from ..plan.sites import iter_sites
from ..sources.pointer import PointerMiss, escape_pointer_token, resolve_local
from ..sources.values import type_name
from .credentials import credential_header_read
from .multipart import check_file_part, file_part_positions
from .report import Report
from .responses import ALL_STATUSES, JSON_TYPES, accepted_statuses, media_schemas, operation_responses, response_keys
from .schemas import (
    NO,
    UNKNOWN,
    YES,
    View,
    literal_type_ok,
    type_names,
    view,
    walk_pointer,
)

__all__ = ["accepted_statuses", "check_api"]

_IMPLICIT_HEADERS = {"authorization", "accept", "content-type"}  # OpenAPI ignores these as parameters


class _ApiChecker:
    def __init__(self, doc: ArazzoDocument, report: Report) -> None:
        self.doc = doc
        self.r = report
        self.file_parts: set[str] = set()  # multipart payload places the engine sends as files

    def run(self) -> None:
        for wf in self.doc.workflows.values():
            for step in wf.steps:
                if step.operation is not None:
                    self.prefer_operation_id(step)
                    self.parameters(step)
                    self.request_body(step)
            for site in iter_sites(wf):
                e = site.expression
                at = site.step
                if at is None or at.operation is None or not isinstance(e, HttpExpression):
                    continue
                if e.side == "response" and e.part == "body" and e.body_pointer is not None and e.body_pointer.tokens:
                    self.response_pointer(at, site.pointer, e, site)
                elif e.side == "request" and e.part in ("path", "query", "header") and e.field is not None:
                    self.request_reference(at, site.pointer, e)
                    credential_header_read(self.r, at, site.pointer, e)
            for step in wf.steps:
                self.jsonpath_trap(step)

    def prefer_operation_id(self, step: Step) -> None:
        assert step.operation is not None
        base = getattr(step.location, "pointer", "") or ""
        raw = self._raw(base)
        op = step.operation.operation
        if isinstance(raw, Mapping) and "operationPath" in raw and op.operation_id:
            self.r.add(
                "ARZ101",
                f"{op.label} has operationId {op.operation_id!r}: prefer operationId: "
                f"{op.operation_id} to operationPath (STEP-8)",
                base + "/operationPath",
            )

    # -- parameters -----------------------------------------------------------
    def _target_pointer(self, step: Step) -> str:
        base = getattr(step.location, "pointer", "") or ""
        raw = self._raw(base)
        if isinstance(raw, Mapping):
            for key in ("operationId", "operationPath"):
                if key in raw:
                    return f"{base}/{key}"
        return base

    def _raw(self, pointer: str) -> Any:
        try:
            return resolve_local(self.doc.data, pointer)
        except PointerMiss:
            return None

    def parameters(self, step: Step) -> None:
        assert step.operation is not None
        op = step.operation.operation
        step_pointer = getattr(step.location, "pointer", "") or ""
        supplied: set[tuple[str, str]] = set()
        for param in step.parameters:
            if param.location is None:
                continue
            pointer = getattr(param.pointer, "pointer", None) or step_pointer
            key = (param.name.lower(), "header") if param.location == "header" else (param.name, param.location)
            supplied.add(key)
            declared = op.parameter(param.name, param.location)
            if declared is None:
                if param.location == "header" and param.name.lower() in _IMPLICIT_HEADERS:
                    continue
                elsewhere = [
                    p
                    for p in op.parameters
                    if p.name == param.name or (p.location == "header" and p.name.lower() == param.name.lower())
                ]
                if elsewhere:
                    self.r.add(
                        "ARZ122",
                        f"parameter {param.name!r} is sent in {param.location}, but {op.label} declares it "
                        f"in {elsewhere[0].location}",
                        pointer + "/in",
                    )
                else:
                    declared_names = ", ".join(f"{p.name} ({p.location})" for p in op.parameters) or "none"
                    self.r.add(
                        "ARZ120",
                        f"{op.label} ({op.operation_id or op.pointer}) declares no {param.location} "
                        f"parameter {param.name!r}; it is sent anyway (declared: {declared_names})",
                        pointer + "/name",
                    )
                continue
            value = param.value
            if isinstance(value, LiteralValue) and declared.schema is not None:
                allowed = type_names(view(op.description, declared.schema))
                if allowed and not _parameter_literal_ok(value.value, allowed):
                    self.r.add(
                        "ARZ123",
                        f"parameter {param.name!r} is {type_name(value.value, integers=True)} "
                        f"{json.dumps(value.value)}, "
                        f"but {op.label} declares it as {' or '.join(sorted(allowed))}",
                        pointer + "/value",
                    )
        for declared in op.parameters:
            if not declared.required or declared.location not in ("path", "query", "header", "cookie"):
                continue
            key = (
                (declared.name.lower(), "header")
                if declared.location == "header"
                else (declared.name, declared.location)
            )
            if key in supplied:
                continue
            if declared.location == "header" and declared.name.lower() in _IMPLICIT_HEADERS:
                continue
            severity: Severity = "error" if declared.location in ("path", "query") else "warning"
            self.r.add(
                "ARZ121",
                f"step {step.step_id!r} does not supply the required {declared.location} parameter "
                f"{declared.name!r} of {op.label}",
                self._target_pointer(step),
                severity=severity,
            )

    # -- request body ---------------------------------------------------------
    def request_body(self, step: Step) -> None:
        assert step.operation is not None
        op = step.operation.operation
        desc = op.description
        body_decl = desc.resolve(op.data.get("requestBody")) if not desc.is_swagger2 else None
        if desc.is_swagger2:
            body_params = [
                p
                for p in op.data.get("parameters") or []
                if isinstance(desc.resolve(p), Mapping) and desc.resolve(p).get("in") in ("body", "formData")
            ]
            has_body = bool(body_params)
            required = any(desc.resolve(p).get("required") for p in body_params)
        else:
            has_body = isinstance(body_decl, Mapping)
            required = has_body and bool(body_decl.get("required"))  # type: ignore[union-attr]
        body = step.request_body
        if body is None:
            if required:
                self.r.add(
                    "ARZ128",
                    f"{op.label} requires a request body and step {step.step_id!r} sends none",
                    self._target_pointer(step),
                )
            return
        pointer = getattr(body.location, "pointer", None) or (getattr(step.location, "pointer", "") + "/requestBody")
        if not has_body:
            if op.method not in ("get", "head", "delete"):  # the loader already warns about bodies on those (ARZ026)
                self.r.add("ARZ129", f"{op.label} declares no request body; step {step.step_id!r} sends one", pointer)
            return
        accepted = op.request_content_types()
        content_type = body.content_type
        if content_type and accepted and not any(_media_match(content_type, a) for a in accepted):
            self.r.add(
                "ARZ127",
                f"contentType {content_type!r} is not one {op.label} accepts ({', '.join(accepted)})",
                pointer + "/contentType",
            )
        effective = content_type or _preferred(accepted)
        if body.payload is None:
            return
        if effective and "x-www-form-urlencoded" in effective:
            self.form_string(body.payload, pointer + "/payload")
        schema = self._request_schema(op, body_decl, effective)
        if schema is None:
            return
        targets = {r.target for r in body.replacements}
        self.file_parts = file_part_positions(body.payload) if effective and "multipart/" in effective else set()
        self.payload(desc, body.payload, schema, pointer + "/payload", "", targets, op)

    def _request_schema(self, op: Operation, body_decl: Any, content_type: str | None) -> Any:
        desc = op.description
        if desc.is_swagger2:
            for p in op.data.get("parameters") or []:
                p = desc.resolve(p)
                if isinstance(p, Mapping) and p.get("in") == "body":
                    return p.get("schema")
            return None
        if not isinstance(body_decl, Mapping):
            return None
        content = body_decl.get("content")
        if not isinstance(content, Mapping):
            return None
        for media_type, media in content.items():
            if content_type and _media_match(content_type, str(media_type)) and isinstance(media, Mapping):
                return media.get("schema")
        return None

    def payload(
        self,
        desc: OpenAPIDescription,
        value: CompiledValue,
        schema: Any,
        pointer: str,
        at: str,
        replaced: set[str],
        op: Operation,
    ) -> None:
        if isinstance(value, (ExpressionValue, TemplateValue)):
            return
        v = view(desc, schema)
        if v.opaque and not v.properties and v.types is None:
            return
        if v.alternatives:
            # oneOf/anyOf: fine if one branch takes the value; otherwise report the closest branch's problems.
            best: list[Any] | None = None
            for group in v.alternatives:
                for branch in group:
                    probe = Report(self.r.positions, "", strict=self.r.strict)
                    sub = _ApiChecker(self.doc, probe)
                    sub.file_parts = self.file_parts
                    sub.payload(
                        desc, value, {"allOf": [branch, _strip_alternatives(schema, desc)]}, pointer, at, replaced, op
                    )
                    errors = [d for d in probe.items if d.severity == "error"]
                    if not errors:
                        best = []
                        break
                    if best is None or len(probe.items) < len(best):
                        best = probe.items
                if best == []:
                    break
            if best:
                for d in best:
                    self.r.items.append(d)
            return
        allowed = type_names(v)
        if isinstance(value, LiteralValue):
            if allowed and not literal_type_ok(value.value, allowed):
                self.r.add(
                    "ARZ123",
                    f"{_where(at)} is {type_name(value.value, integers=True)} "
                    f"{json.dumps(value.value, default=str)}, but the "
                    f"request schema of {op.label} wants {' or '.join(sorted(allowed))}",
                    pointer,
                )
            return
        if isinstance(value, ObjectValue):
            if at in self.file_parts:
                check_file_part(self.r, value, allowed, pointer, _where(at), op.label)
                return
            if allowed and "object" not in allowed:
                self.r.add(
                    "ARZ123",
                    f"{_where(at)} is an object, but the request schema of {op.label} wants "
                    f"{' or '.join(sorted(allowed))}",
                    pointer,
                )
                return
            present = set()
            for key, item in value.items:
                key = str(key)
                present.add(key)
                child_at = f"{at}/{escape_pointer_token(key)}"
                child_pointer = f"{pointer}/{escape_pointer_token(key)}"
                if key in v.properties:
                    self.payload(desc, item, v.properties[key], child_pointer, child_at, replaced, op)
                    continue
                matched = [sub for pat, sub in v.pattern_properties.items() if _search(pat, key)]
                if matched:
                    self.payload(desc, item, matched[0], child_pointer, child_at, replaced, op)
                elif v.additional is False or v.closed:
                    self.r.add(
                        "ARZ124",
                        f"{_where(child_at)} is not allowed by the request schema of {op.label} "
                        f"(additionalProperties: false; properties: {_names(v)})",
                        child_pointer,
                        at_key=True,
                    )
                elif v.additional not in (None, True):
                    self.payload(desc, item, v.additional, child_pointer, child_at, replaced, op)
                elif v.properties:
                    self.r.add(
                        "ARZ125",
                        f"{_where(child_at)} is not declared by the request schema of {op.label}; the API may "
                        f"ignore or reject it (properties: {_names(v)})",
                        child_pointer,
                        at_key=True,
                    )
            for name in sorted(v.required - present):
                if f"{at}/{escape_pointer_token(name)}" in replaced:
                    continue
                self.r.add(
                    "ARZ126",
                    f"the request body of {op.label} requires {_where(at + '/' + escape_pointer_token(name))}, "
                    "which the payload does not set",
                    pointer,
                )
            return
        if isinstance(value, ArrayValue):
            if allowed and "array" not in allowed:
                self.r.add(
                    "ARZ123",
                    f"{_where(at)} is an array, but the request schema of {op.label} wants "
                    f"{' or '.join(sorted(allowed))}",
                    pointer,
                )
                return
            for i, item in enumerate(value.items):
                sub = v.prefix_items[i] if i < len(v.prefix_items) else v.items
                if sub is not None:
                    self.payload(desc, item, sub, f"{pointer}/{i}", f"{at}/{i}", replaced, op)

    def form_string(self, payload: CompiledValue, pointer: str) -> None:
        if isinstance(payload, LiteralValue) and isinstance(payload.value, str):
            text = payload.value
        elif isinstance(payload, TemplateValue):
            text = payload.source
        else:
            return
        masked = re.sub(r"\{\$[^}]*\}", lambda m: "x" * len(m.group(0)), text)
        for field in masked.strip().split("&"):
            if field and "=" not in field:
                start = masked.find(field)
                original = text[start : start + len(field)]
                self.r.add(
                    "ARZ103",
                    f"form field {original!r} has no '=': it is sent as a name with no value "
                    f"(did you mean {original.split('{', 1)[0]}={original[len(original.split('{', 1)[0]) :]}?)",
                    pointer,
                    find=original.split("{", 1)[0] or original,
                )

    # -- responses ------------------------------------------------------------
    def response_pointer(self, step: Step, pointer: str, e: HttpExpression, site: Any) -> None:
        assert step.operation is not None and e.body_pointer is not None
        op = step.operation.operation
        success = accepted_statuses(step.success_criteria)
        if site.where == "action" and site.action_list == "onFailure":
            own = accepted_statuses(site.action.criteria) if site.action is not None else ALL_STATUSES
            if own == ALL_STATUSES:
                return  # a failure can be any status: nothing to judge against
            statuses = own
            label = "the statuses this failure action accepts"
        else:
            statuses = success if success != ALL_STATUSES else frozenset(range(200, 300))
            label = (
                "the statuses the successCriteria accept"
                if success != ALL_STATUSES
                else "2xx (the successCriteria do not say)"
            )
            if site.where == "action" and site.action is not None:
                statuses = statuses & accepted_statuses(site.action.criteria)
        keys = response_keys(op, statuses)
        if not keys:
            return
        responses = operation_responses(op)
        desc = op.description
        verdicts: list[tuple[str, str, str]] = []
        for key in keys:
            schemas = media_schemas(desc, responses[key])
            if schemas is None:
                verdicts.append((key, UNKNOWN, ""))
                continue
            if not schemas:
                verdicts.append((key, UNKNOWN if key == "default" else NO, "the response has no body"))
                continue
            best = (NO, "")
            for schema in schemas:
                verdict, index, why = walk_pointer(desc, schema, e.body_pointer.tokens)
                if verdict == YES or (verdict == UNKNOWN and best[0] == NO):
                    best = (verdict, "")
                    if verdict == YES:
                        break
                elif verdict == NO and best[0] == NO and not best[1]:
                    where = e.body_pointer.prefix_text(index)
                    best = (NO, f"at {where}: {why}" if index else why)
            verdicts.append((key, best[0], best[1]))
        failing = [v for v in verdicts if v[1] == NO]
        if not failing:
            return
        text = str(e)
        reasons = "; ".join(f"{k}: {why}" for k, _, why in failing)
        if len(failing) == len(verdicts):
            self.r.add(
                "ARZ130",
                f"{text}: no response of {op.label} for {label} ({', '.join(keys)}) can have "
                f"#{e.body_pointer} ({reasons})",
                pointer,
                find=text,
            )
        else:
            ok = [k for k, verdict, _ in verdicts if verdict != NO]
            self.r.add(
                "ARZ131",
                f"{text}: only some responses of {op.label} for {label} can have #{e.body_pointer}: "
                f"{', '.join(ok)} can, {', '.join(k for k, _, _ in failing)} cannot ({reasons})",
                pointer,
                find=text,
            )

    def request_reference(self, step: Step, pointer: str, e: HttpExpression) -> None:
        assert e.field is not None
        sent = {p.name.lower() if p.location == "header" else p.name for p in step.parameters if p.location == e.part}
        name = e.field.lower() if e.part == "header" else e.field
        if name in sent or (e.part == "header" and name in _IMPLICIT_HEADERS):
            return
        self.r.add(
            "ARZ132", f"{e}: step {step.step_id!r} sends no {e.part} parameter {e.field!r}", pointer, find=str(e)
        )

    def jsonpath_trap(self, step: Step) -> None:
        specs = list(step.success_criteria) + [c for a in (*step.on_success, *step.on_failure) for c in a.criteria]
        for spec in specs:
            crit = spec.criterion
            if crit.type != "jsonpath" or not crit.condition.lstrip().startswith("$[?"):
                continue
            context = crit.context_expression
            if not (isinstance(context, HttpExpression) and context.part == "body"):
                continue
            if (
                step.operation is not None
                and context.side == "response"
                and not self._body_may_be_object(step, context)
            ):
                continue
            pointer = (getattr(spec.location, "pointer", "") or "") + "/condition"
            self.r.add(
                "ARZ104",
                f"{crit.condition!r} filters the members of the {context} object, not the object itself: "
                "under RFC 9535 it tests each member value (a body {\"pets\": [...]} has no member with a 'pets' "
                "field), so it may pass or fail the opposite way from what it reads (CRIT-17). Test the object "
                "with a simple condition or a path such as $.field",
                pointer,
                find=crit.condition.strip()[:12],
            )

    def _body_may_be_object(self, step: Step, context: HttpExpression) -> bool:
        """False only when every documented schema of the body says it is an array (or another non-object)."""
        assert step.operation is not None
        if context.body_pointer is not None and context.body_pointer.tokens:
            return True
        op = step.operation.operation
        statuses = accepted_statuses(step.success_criteria)
        keys = response_keys(op, statuses if statuses != ALL_STATUSES else frozenset(range(200, 300)))
        responses = operation_responses(op)
        known = False
        for key in keys:
            for schema in media_schemas(op.description, responses[key]) or []:
                v = view(op.description, schema)
                if v.types is None or "object" in v.types:
                    return True
                known = True
        return not known


def _strip_alternatives(schema: Any, desc: OpenAPIDescription) -> Any:
    schema = desc.resolve(schema)
    if isinstance(schema, Mapping):
        return {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
    return schema


def _search(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return True


def _names(v: View) -> str:
    names = sorted(v.properties)
    return ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "") if names else "none"


def _where(at: str) -> str:
    return f"body field {at}" if at else "the body"


def _parameter_literal_ok(value: Any, allowed: set[str]) -> bool:
    if literal_type_ok(value, allowed):
        return True
    if isinstance(value, str):  # parameters travel as text: "10" is a fine integer, "ten" is not
        if allowed & {"integer", "number"}:
            try:
                number = float(value)
            except ValueError:
                return False
            return "number" in allowed or number.is_integer()
        if "boolean" in allowed:
            return value in ("true", "false")
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "string" in allowed:
        return True  # written unquoted in YAML; sent as text
    return False


def _media_match(given: str, declared: str) -> bool:
    g = _essence(given)
    d = _essence(declared)
    if d in (g, "*/*"):
        return True
    return bool(d.endswith("/*") and g.split("/")[0] == d.split("/")[0])


def _preferred(accepted: list[str]) -> str | None:
    for media in accepted:
        if JSON_TYPES.match(media.split(";")[0].strip()):
            return media
    return accepted[0] if accepted else None


def check_api(doc: ArazzoDocument, report: Report) -> None:
    _ApiChecker(doc, report).run()
