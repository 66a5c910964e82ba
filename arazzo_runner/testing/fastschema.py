"""A quick yes for schema validation: closures built once per schema, that say "valid" only when sure.

Contract checks validate every response body. jsonschema walks the schema afresh for every instance,
which costs about a millisecond on a Stytch response; the closures here cost a few microseconds. They
cover the keywords response schemas use; a schema with any other keyword (``oneOf``, ``multipleOf``,
``uniqueItems``, ``if``, ``patternProperties`` …) is not compiled, and jsonschema judges it alone. When
a closure says "not sure" (any failure, or a value it does not decide, like ``1.0`` for an integer),
jsonschema judges that instance and words the errors. So this is only ever a faster route to "valid".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

__all__ = ["Unsupported", "compile_schema"]

Check = Callable[[Any], bool]
Lookup = Callable[[str, str], Any]  # (ref, base document URL) -> the node it names

_ANNOTATIONS = frozenset(
    {
        "title", "description", "example", "examples", "default", "format", "readOnly", "writeOnly",
        "deprecated", "xml", "externalDocs", "discriminator", "$comment", "$schema", "$id", "contentMediaType",
        "contentEncoding",
    }
)  # fmt: skip


class Unsupported(Exception):
    """The schema uses something the quick route does not decide: leave it to jsonschema."""


def compile_schema(schema: Any, base: str, lookup: Lookup, *, nullable_keyword: bool) -> Check:
    """A closure over ``schema`` (read from the document at ``base``) answering "surely valid?".

    ``nullable_keyword``: OpenAPI 3.0's ``nullable: true`` admits null. Raises :class:`Unsupported`.
    """
    return _Compiler(lookup, nullable_keyword).node(schema, base)


class _Compiler:
    def __init__(self, lookup: Lookup, nullable_keyword: bool) -> None:
        self.lookup = lookup
        self.nullable_keyword = nullable_keyword
        self.by_ref: dict[str, Check] = {}
        # One closure per schema object: YAML aliases share one object in many places, and a schema
        # walked as a tree would be compiled once per path (10**8 paths from a few lines of aliases).
        self.by_object: dict[tuple[int, str], tuple[Any, Check]] = {}

    def node(self, schema: Any, base: str) -> Check:
        if schema is True or schema == {}:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, Mapping):
            raise Unsupported("a schema must be an object or a boolean")
        known = self.by_object.get((id(schema), base))
        if known is not None:
            return known[1]
        check = self._compile(schema, base)
        self.by_object[(id(schema), base)] = (schema, check)  # the schema kept alive: its id stays its own
        return check

    def _compile(self, schema: Mapping[str, Any], base: str) -> Check:
        if "$ref" in schema:
            if len([k for k in schema if k not in _ANNOTATIONS and not str(k).startswith("x-")]) > 1:
                raise Unsupported("$ref beside other keywords")
            return self.reference(str(schema["$ref"]), base)
        checks: list[Check] = []
        types = schema.get("type")
        nullable = self.nullable_keyword and schema.get("nullable") is True
        if types is not None:
            checks.append(_type_check(types, nullable))
        for key, value in schema.items():
            if key in _ANNOTATIONS or str(key).startswith("x-") or key in ("type", "nullable"):
                continue
            checks.append(self.keyword(str(key), value, schema, base))
        # A null admitted by `nullable` still meets every other keyword here (an enum without null is
        # "not sure" then), so this route never says yes where the judge would say no.
        return _all(checks)

    def reference(self, ref: str, base: str) -> Check:
        target = urljoin(base, ref)
        if target in self.by_ref:
            return self.by_ref[target]
        slot: list[Check] = []
        self.by_ref[target] = lambda value: slot[0](value)  # noqa: PLW0108 - a recursive schema calls itself
        document, _ = urldefrag(target)
        slot.append(self.node(self.lookup(ref, base), document or base))
        return self.by_ref[target]

    def keyword(self, key: str, value: Any, schema: Mapping[str, Any], base: str) -> Check:
        if key == "properties":
            if not isinstance(value, Mapping):
                raise Unsupported("properties")
            props = tuple((str(name), self.node(sub, base)) for name, sub in value.items())

            def properties(v: Any) -> bool:
                if type(v) is dict:
                    for name, check in props:
                        if name in v and not check(v[name]):
                            return False
                return True

            return properties
        if key == "required":
            names = tuple(str(n) for n in value) if isinstance(value, list) else None
            if names is None:
                raise Unsupported("required")
            return lambda v: type(v) is not dict or all(name in v for name in names)
        if key == "additionalProperties":
            known = frozenset(str(n) for n in (schema.get("properties") or {}))
            if value is True:
                return _always
            extra = self.node(value, base)
            return lambda v: (
                not isinstance(v, dict) or all(extra(item) for name, item in v.items() if name not in known)
            )
        if key == "items":
            if isinstance(value, list):
                raise Unsupported("items as a list")
            item = self.node(value, base)

            def items(v: Any) -> bool:
                if type(v) is list:
                    for element in v:
                        if not item(element):
                            return False
                return True

            return items
        if key in ("allOf", "anyOf"):
            if not isinstance(value, list) or not value:
                raise Unsupported(key)
            parts = [self.node(sub, base) for sub in value]
            if key == "allOf":
                return lambda v: all(part(v) for part in parts)
            return lambda v: any(part(v) for part in parts)
        if key == "enum":
            if not isinstance(value, list):
                raise Unsupported("enum")
            return lambda v: any(_same(v, option) for option in value)
        if key == "const":
            return lambda v: _same(v, value)
        if key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise Unsupported(key)
            kind = {"Length": str, "Items": list, "Properties": dict}[key[3:]]
            limit = value
            if key.startswith("min"):
                return lambda v: not isinstance(v, kind) or len(v) >= limit
            return lambda v: not isinstance(v, kind) or len(v) <= limit
        if key in ("minimum", "maximum"):
            if not _is_number(value):
                raise Unsupported(key)
            exclusive = schema.get("exclusiveMinimum" if key == "minimum" else "exclusiveMaximum")
            strict = exclusive is True
            bound = value
            if key == "minimum":
                return lambda v: not _is_number(v) or (v > bound if strict else v >= bound)
            return lambda v: not _is_number(v) or (v < bound if strict else v <= bound)
        if key in ("exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(value, bool):
                return _always  # OpenAPI 3.0 form: read together with minimum/maximum above
            if not _is_number(value):
                raise Unsupported(key)
            bound = value
            if key == "exclusiveMinimum":
                return lambda v: not _is_number(v) or v > bound
            return lambda v: not _is_number(v) or v < bound
        if key == "pattern":
            # ECMA-262, searched anywhere in the string, by the same engine the judge uses (regress).
            from regress import Regex, RegressError

            try:
                regex = Regex(str(value))
            except RegressError:
                raise Unsupported("pattern") from None
            return lambda v: not isinstance(v, str) or regex.find(v) is not None
        # oneOf and not need a sure "invalid" from their parts, which these closures never give.
        raise Unsupported(key)


def _type_check(types: Any, nullable: bool) -> Check:
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
        raise Unsupported(f"type {types!r}")
    # Parsed JSON holds exactly these Python types, so the type itself answers (bool is not an int here;
    # 1.0 for an integer is "not sure", for the judge to decide).
    accepted = frozenset(kind for name in [*names, *(["null"] if nullable else [])] for kind in _TYPES[name])
    return lambda v: type(v) in accepted


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0 but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b if not (_is_number(a) and _is_number(b)) else a == b


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    every = tuple(checks)

    def each(value: Any) -> bool:
        for check in every:  # noqa: SIM110 - a loop is cheaper than all() over a generator
            if not check(value):
                return False
        return True

    return each


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False
