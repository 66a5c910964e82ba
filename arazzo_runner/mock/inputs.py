"""Made-up workflow inputs for mock runs: from the workflow's inputs schema, deterministic for a seed.

An input whose own schema says little (a string with no ``format``, ``enum``
or ``pattern``, no ``type`` at all, or an object with no properties) is made
up from the schema of what it feeds instead, when a step of the workflow uses
it as exactly ``$inputs.NAME``: the OpenAPI parameter's schema (a ``uuid``
path parameter gets a UUID, a ``boolean`` query parameter ``"true"``), or the
request body schema's property for a payload member (an ``enum`` field gets
one of its values). The first such use that says more, in step order, wins; a
value is turned into text when the input is declared a string (the request
sends a path or query value as text anyway), so the inputs stay valid.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from ..errors import ArazzoError
from ..language.expressions.template import (
    ArrayValue,
    CompiledValue,
    ObjectValue,
    input_reference,
)
from ..openapi.index import OpenAPIDescription, Operation
from ..openapi.media import is_json
from ..plan.model import Step, Workflow
from .generate import ValueGenerator

__all__ = ["complete_inputs", "generate_inputs"]


def generate_inputs(
    workflow: Workflow,
    seed: int = 0,
    *,
    given: Mapping[str, Any] | None = None,
    optional: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """``given`` completed with generated values: (inputs, names of the inputs made up, in schema order).

    Optional inputs are made up too unless ``optional`` is false: a step that
    references an input the run was not given cannot build its request, so a
    mock run that should get through needs every input its steps use.
    """
    schema = workflow.inputs_schema or {}
    inputs = dict(given or {})
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return inputs, []
    required = set(workflow.required_inputs())
    rng = random.Random(f"{seed}|inputs|{workflow.workflow_id}")
    generator = ValueGenerator(lambda node: node, rng)  # inputs schemas are resolved by the loader
    targets: dict[str, tuple[OpenAPIDescription, Any]] | None = None
    made_up: list[str] = []
    for name, prop in properties.items():
        if name in inputs or not (optional or name in required):
            continue
        value: Any = None
        found = False
        if _weak(prop):
            if targets is None:
                targets = _input_targets(workflow)
            target = targets.get(str(name))
            if target is not None and _fits_declared(prop, target[1]):
                description, fed = target
                try:
                    value = ValueGenerator(description.resolve, rng).generate(fed, str(name))
                    value, found = _as_declared(prop, value), True
                except ArazzoError:
                    found = False  # a $ref the description cannot resolve: the input's own schema, then
        if not found:
            value = generator.generate(prop, str(name))
        inputs[name] = value
        made_up.append(str(name))
    return inputs, made_up


# -- what an input feeds --------------------------------------------------------------
_STRONG_KEYS = ("format", "enum", "const", "pattern", "example", "examples", "default")
_SCALARS = ("string", "integer", "number", "boolean")


def _weak(schema: Any) -> bool:
    """Whether ``schema`` says too little to make a value a request will accept (see the module docstring)."""
    if not isinstance(schema, Mapping):
        return True
    if any(key in schema for key in _STRONG_KEYS):
        return False
    if any(key in schema for key in ("allOf", "oneOf", "anyOf", "$ref", "items")):
        return False
    kind = schema.get("type")
    if kind is None or kind == "string":
        return "properties" not in schema
    if kind == "object":
        return not schema.get("properties") and not isinstance(schema.get("additionalProperties"), Mapping)
    return False


def _kind(schema: Any) -> str | None:
    kind = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and isinstance(schema, Mapping) and ("properties" in schema or "additionalProperties" in schema):
        return "object"
    return kind if isinstance(kind, str) else None


def _fits_declared(declared: Mapping[str, Any] | Any, target: Any) -> bool:
    """Whether a value made from ``target`` can serve an input declared by ``declared``."""
    own = _kind(declared)
    wanted = _kind(target)
    if own is None:
        return True
    if own == "string":
        return wanted is None or wanted in _SCALARS  # scalars are turned into text
    return own == wanted  # an object input fed into an object


def _as_declared(declared: Any, value: Any) -> Any:
    if _kind(declared) != "string" or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def _input_targets(workflow: Workflow) -> dict[str, tuple[OpenAPIDescription, Any]]:
    """Input name -> (description, schema) of the first use as exactly ``$inputs.NAME`` that says more."""
    found: dict[str, tuple[OpenAPIDescription, Any]] = {}
    for step in workflow.steps:
        if step.operation is None:
            continue
        operation = step.operation.operation
        try:
            for name, schema in _step_uses(step, operation):
                if name not in found and schema is not None and not _weak(schema):
                    found[name] = (operation.description, schema)
        except ArazzoError:
            continue  # a $ref the description cannot resolve: that step's uses are not looked at
    return found


def _step_uses(step: Step, operation: Operation) -> Iterator[tuple[str, Any]]:
    description = operation.description
    for parameter in step.parameters:
        name = input_reference(parameter.value)
        if name is None or parameter.location is None:
            continue
        declared = operation.parameter(parameter.name, parameter.location)
        if declared is not None and declared.schema is not None:
            yield name, description.resolve(declared.schema, base=operation.document_url)
    body = step.request_body
    if body is None:
        return
    schema = _body_schema(operation, body.content_type)
    if schema is None:
        return
    if body.payload is not None:
        yield from _payload_uses(description, body.payload, schema, operation.document_url)
    for replacement in body.replacements:
        name = input_reference(replacement.value)
        if name is not None and replacement.target.startswith("/"):
            target: Any = schema
            for token in replacement.target[1:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                target = _member(description, target, token, operation.document_url)
                if target is None:
                    break
            if target is not None:
                yield name, target


def _payload_uses(
    description: OpenAPIDescription, value: CompiledValue, schema: Any, base: str
) -> Iterator[tuple[str, Any]]:
    name = input_reference(value)
    if name is not None:
        yield name, schema
    elif isinstance(value, ObjectValue):
        for key, item in value.items:
            member = _member(description, schema, str(key), base)
            if member is not None:
                yield from _payload_uses(description, item, member, base)
    elif isinstance(value, ArrayValue):
        resolved = description.resolve(schema, base=base)
        items = resolved.get("items") if isinstance(resolved, Mapping) else None
        if items is not None:
            for item in value.items:
                yield from _payload_uses(description, item, items, base)


def _member(description: OpenAPIDescription, schema: Any, key: str, base: str) -> Any:
    """The schema of property ``key`` of an object schema (looking into ``allOf`` parts), ``$ref`` resolved."""
    schema = description.resolve(schema, base=base)
    if not isinstance(schema, Mapping):
        return None
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and key in properties:
        return description.resolve(properties[key], base=base)
    for part in schema.get("allOf") or ():
        found = _member(description, part, key, base)
        if found is not None:
            return found
    return None


def _body_schema(operation: Operation, content_type: str | None) -> Any:
    """The request body schema of the media type the step sends (else the first JSON one), ``$ref`` resolved."""
    description = operation.description
    base = operation.document_url
    body = description.resolve(operation.data.get("requestBody"), base=base)
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, Mapping) or not content:
        return None
    wanted = (content_type or "").split(";")[0].strip().lower()
    key = next((k for k in content if str(k).lower() == wanted), None)
    if key is None:
        key = next((k for k in content if is_json(str(k))), next(iter(content)))
    media = description.resolve(content[key], base=base)
    schema = media.get("schema") if isinstance(media, Mapping) else None
    return description.resolve(schema, base=base) if schema is not None else None


def complete_inputs(
    workflow: Workflow, inputs: Mapping[str, Any], seed: int = 0, out: TextIO | None = None
) -> dict[str, Any]:
    """For ``run --mock``: the required inputs not given are made up, and each is named on ``out``."""
    completed, made_up = generate_inputs(workflow, seed, given=inputs)
    if out is not None:
        for name in made_up:
            shown = "(hidden)" if name in workflow.secret_inputs else repr(completed[name])
            out.write(f"mock: input {name!r} not given; made up {shown}\n")
    return completed
