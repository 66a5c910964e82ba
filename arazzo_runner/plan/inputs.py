"""Checking a workflow's inputs against its ``inputs`` JSON Schema (DEC-11).

Full validation uses jsonschema (2020-12). Most workflows declare a flat
object of typed properties, and validating those with jsonschema costs more
than building a request, so such schemas also get a compiled check that
answers "valid" directly; any other schema, and any input the quick check
rejects, goes through jsonschema, which also words the problems. jsonschema
is imported only then (and, at load, only for schemas outside that plain
subset), so a plain workflow never loads it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ArazzoError, InputProblem
from ..sources.pointer import child_pointer, escape_pointer_token

if TYPE_CHECKING:  # pragma: no cover
    from .model import ArazzoDocument, Workflow

__all__ = [
    "InputNames",
    "InputsCheck",
    "input_names",
    "plainly_valid_schema",
    "secret_values",
    "unknown_inputs",
    "validate_inputs",
]

# Keywords that only annotate: they never make an instance invalid (format is an annotation, DEC-11).
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "format",
        "examples",
        "example",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "contentMediaType",
        "contentEncoding",
    }
)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, Mapping),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}

QuickCheck = Callable[[Mapping[str, Any]], bool]

# What the 2020-12 meta-schema asks of each annotation keyword ("example" is not one: anything goes).
_ANNOTATION_TESTS: dict[str, Callable[[Any], bool]] = {
    "description": lambda v: isinstance(v, str),
    "title": lambda v: isinstance(v, str),
    "format": lambda v: isinstance(v, str),
    "$comment": lambda v: isinstance(v, str),
    "contentMediaType": lambda v: isinstance(v, str),
    "contentEncoding": lambda v: isinstance(v, str),
    "examples": lambda v: isinstance(v, list),
    "deprecated": lambda v: isinstance(v, bool),
    "readOnly": lambda v: isinstance(v, bool),
    "writeOnly": lambda v: isinstance(v, bool),
    "default": lambda v: True,
    "example": lambda v: True,
}


def _plain_keywords_valid(node: Mapping[str, Any]) -> bool:
    for keyword, value in node.items():
        if keyword == "type":
            if not (isinstance(value, str) and value in _TYPE_TESTS):
                return False
        elif keyword not in _ANNOTATION_TESTS or not _ANNOTATION_TESTS[keyword](value):
            return False
    return True


def plainly_valid_schema(schema: Any) -> bool:
    """True only for a flat object schema (typed properties, ``required``, annotations) the meta-schema accepts.

    A shortcut past jsonschema's meta-schema check: False means "not known", and the full check then decides.
    """
    if not isinstance(schema, Mapping) or _compile_quick(schema) is None:
        return False
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, Mapping) or not all(isinstance(name, str) for name in properties):
        return False
    if not all(isinstance(name, str) for name in required) or len(set(required)) != len(required):
        return False
    rest = {k: v for k, v in schema.items() if k not in ("properties", "required")}
    return _plain_keywords_valid(rest) and all(_plain_keywords_valid(prop) for prop in properties.values())


def _compile_quick(schema: Mapping[str, Any]) -> QuickCheck | None:
    """A check equivalent to the schema, for flat objects of typed properties; None for anything else."""
    if set(schema) - _ANNOTATIONS - {"type", "properties", "required"}:
        return None
    if schema.get("type", "object") != "object":
        return None
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, Mapping) or not isinstance(required, list):
        return None
    tests: list[tuple[str, Callable[[Any], bool]]] = []
    for name, prop in properties.items():
        if not isinstance(prop, Mapping) or set(prop) - _ANNOTATIONS - {"type"}:
            return None
        kind = prop.get("type")
        if kind is None:
            continue  # any value is valid
        if not isinstance(kind, str) or kind not in _TYPE_TESTS:
            return None
        tests.append((str(name), _TYPE_TESTS[kind]))
    names = tuple(str(r) for r in required)

    def quick(inputs: Mapping[str, Any]) -> bool:
        for name in names:
            if name not in inputs:
                return False
        return all(not (name in inputs and not test(inputs[name])) for name, test in tests)

    return quick


class InputNames:
    """The input names an inputs schema declares, and whether it lets other names through.

    An object schema that lists ``properties`` names its inputs; any other name
    is taken for a typo unless ``additionalProperties`` (or
    ``unevaluatedProperties``) is true or a schema, or a ``patternProperties``
    pattern matches it. ``allOf``/``anyOf``/``oneOf`` branches add their names.
    """

    __slots__ = ("declared", "open", "patterns", "required")

    def __init__(
        self, declared: frozenset[str], required: frozenset[str], patterns: tuple[str, ...], open_: bool
    ) -> None:
        self.declared = declared
        self.required = required
        self.patterns = patterns
        self.open = open_

    @property
    def optional(self) -> frozenset[str]:
        """Declared but not required: the inputs a run may leave out (DEC-18)."""
        return self.declared - self.required

    def allows(self, name: str, *, dotted: bool = False) -> bool:
        """Whether ``name`` is an input this schema admits; ``dotted``: ``a.b`` also counts when ``a`` is declared."""
        if self.open or name in self.declared:
            return True
        if dotted and name.split(".", 1)[0] in self.declared:
            return True
        for pattern in self.patterns:
            try:
                if re.search(pattern, name):
                    return True
            except re.error:
                return True  # a pattern we cannot read: it may match
        return False

    def unknown_message(self, name: str) -> str:
        """``'x'; did you mean 'y'? (inputs: a, y)`` — the tail of a message about an undeclared input."""
        close = difflib.get_close_matches(name, sorted(self.declared), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(sorted(self.declared)) or "none"
        return f"{name!r}{hint} (inputs: {known})"


def input_names(schema: Any) -> InputNames | None:
    """The names ``schema`` declares, or None when it does not list ``properties`` (then it says nothing of names)."""
    declared: set[str] = set()
    required: set[str] = set()
    patterns: list[str] = []
    state = {"said": False, "open": False}

    def walk(node: Any, depth: int, top: bool) -> None:
        if depth > 16 or not isinstance(node, Mapping):
            return
        props = node.get("properties")
        if isinstance(props, Mapping):
            declared.update(str(k) for k in props)
            state["said"] = True
        req = node.get("required")
        if top and isinstance(req, list):
            required.update(str(r) for r in req)
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            extra = node.get(keyword)
            if extra is True or isinstance(extra, Mapping):
                state["open"] = True
        pattern_props = node.get("patternProperties")
        if isinstance(pattern_props, Mapping):
            patterns.extend(str(k) for k in pattern_props)
        for group in ("allOf", "anyOf", "oneOf"):
            branches = node.get(group)
            for branch in branches if isinstance(branches, list) else []:
                # What every instance must satisfy (allOf) is required; a branch of a choice is not.
                walk(branch, depth + 1, top and group == "allOf")

    walk(schema, 0, True)
    if not state["said"]:
        return None
    return InputNames(frozenset(declared), frozenset(required), tuple(patterns), state["open"])


class InputsCheck:
    """A workflow's compiled inputs schema."""

    __slots__ = ("_validator", "names", "quick", "schema", "secret_inputs")

    def __init__(self, schema: Mapping[str, Any], secret_inputs: frozenset[str] = frozenset()) -> None:
        self.schema = schema
        self._validator: Any = None
        self.quick = _compile_quick(schema)
        self.secret_inputs = secret_inputs
        self.names = input_names(schema)

    @property
    def validator(self) -> Any:
        """The jsonschema validator, built (and jsonschema imported) when an input needs the full check."""
        if self._validator is None:
            from jsonschema import Draft202012Validator

            self._validator = Draft202012Validator(self.schema)
        return self._validator

    def unknown_inputs(self, inputs: Mapping[str, Any], also: frozenset[str] = frozenset()) -> list[InputProblem]:
        """One problem per given input name the schema does not declare (and ``also`` does not hold)."""
        names = self.names
        if names is None or names.open:
            return []
        return [
            InputProblem(
                "/" + escape_pointer_token(str(name)), "unknown", f"unknown input {names.unknown_message(str(name))}"
            )
            for name in inputs
            if str(name) not in also and not names.allows(str(name))
        ]

    def problems(self, inputs: Mapping[str, Any]) -> list[InputProblem]:
        """One problem per schema violation, naming the input and the schema rule; [] when valid."""
        if self.quick is not None and self.quick(inputs):
            return []
        problems = []
        for error in sorted(self.validator.iter_errors(dict(inputs)), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path)
            pointer = child_pointer("", *error.absolute_path)
            rule = str(error.validator)
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else error.message
                pointer = child_pointer(pointer, missing)
                problems.append(InputProblem(pointer, rule, f"input {missing!r} is required (schema rule 'required')"))
            elif error.validator == "additionalProperties":
                problems.append(InputProblem(pointer, rule, f"{error.message} (schema rule 'additionalProperties')"))
            else:
                name = where or "(inputs)"
                shown = error.message
                if self._touches_secret(error.absolute_path, error.instance):
                    shown = f"value does not satisfy {error.validator!r}"  # never echo a password
                problems.append(InputProblem(pointer, rule, f"input {name!r}: {shown} (schema rule {rule!r})"))
        return problems

    def _touches_secret(self, path: Any, instance: Any) -> bool:
        """Whether the value an error would echo is, or holds, a password input (at any depth)."""
        if not self.secret_inputs:
            return False
        if any(str(segment) in self.secret_inputs for segment in path):
            return True
        return _holds_secret(instance, self.secret_inputs, 0)


def _holds_secret(value: Any, names: frozenset[str], depth: int) -> bool:
    if depth > 64:
        return True  # too deep to tell: hide it
    if isinstance(value, Mapping):
        return any(str(k) in names or _holds_secret(v, names, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_secret(v, names, depth + 1) for v in value)
    return False


def validate_inputs(workflow: Workflow, inputs: Mapping[str, Any]) -> list[InputProblem]:
    """DEC-11: the inputs against the workflow's JSON Schema; one sentence per problem."""
    check = workflow.inputs_check
    return [] if check is None else check.problems(inputs)


def unknown_inputs(
    document: ArazzoDocument,
    workflow: Workflow,
    inputs: Mapping[str, Any],
    workflow_inputs: Mapping[str, Any],
) -> list[InputProblem]:
    """Input names the top-level workflow does not declare: typos, reported before anything is sent.

    Only for the workflow the run starts: its dependsOn workflows receive its
    inputs (DEC-10), so a name one of those declares is not unknown.
    """
    check = workflow.inputs_check
    if check is None or not inputs:
        return []
    problems = check.unknown_inputs(inputs)
    if not problems:
        return problems
    also = _dependency_input_names(document, workflow, workflow_inputs)
    return [] if also is None else check.unknown_inputs(inputs, also=also)


def _dependency_input_names(
    document: ArazzoDocument, workflow: Workflow, workflow_inputs: Mapping[str, Any]
) -> frozenset[str] | None:
    """The inputs the dependsOn workflows (transitively) declare that get the caller's inputs (DEC-10).

    None when one of them does not list its inputs (or admits any name): then any name may be for it.
    """
    names: set[str] = set()
    seen: set[tuple[str, str]] = set()
    pending = [(document, workflow)]
    while pending:
        doc, wf = pending.pop()
        for ref in wf.depends_on:
            key = (ref.document_url, ref.workflow_id)
            if key in seen or ref.workflow_id in workflow_inputs:
                continue
            seen.add(key)
            try:
                dep = doc.resolve_workflow(ref)
            except (KeyError, ArazzoError):
                continue
            dep_names = dep[1].inputs_check.names if dep[1].inputs_check is not None else None
            if dep_names is None or dep_names.open or dep_names.patterns:
                return None
            names.update(dep_names.declared)
            pending.append(dep)
    return frozenset(names)


def secret_values(value: Any, names: frozenset[str], secret: bool = False) -> list[str]:
    """The values found under a password input name at any depth of the inputs (every leaf below one)."""
    if not names and not secret:
        return []
    if isinstance(value, Mapping):
        return [s for key, item in value.items() for s in secret_values(item, names, secret or key in names)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in secret_values(item, names, secret)]
    if secret and value is not None and not isinstance(value, bool):
        return [str(value)]
    return []
