"""Values from JSON Schemas: examples first, else generated, deterministic for a seed.

A :class:`ValueGenerator` walks a schema of an OpenAPI description (following
``$ref`` on the way, so nothing is resolved ahead of time) and returns a value
that satisfies it where that is feasible: ``required``, ``type``, ``enum``,
``const``, ``format``, ``pattern``, ``minItems``/``maxItems``,
``minLength``/``maxLength``, ``minimum``/``maximum``, ``allOf``/``oneOf``/
``anyOf`` and ``nullable``. The same schema, seed and echo values always give
the same value.

*Echo*: a property whose name is in ``echo`` (the path parameters, query
parameters and body fields of the request being answered) takes the value that
was sent, when that value fits the property's type, so chained steps see
coherent data (the ``organization_id`` sent is the ``organization_id``
returned).

*Memory*: a ``memory`` mapping shared by the generators of one run remembers
every ``*_id`` string the mock made up (by field name), and later responses
take the remembered id for a field of the same name instead of a new one: the
``user_id`` a create answered is the ``user_id`` a later search lists (in an
array, its first item). Echo comes first; bare ``id`` is not remembered (every
kind of resource has one), nor ids that name the exchange itself (``request_id``,
``trace_id``, …: a new one per response).
"""

from __future__ import annotations

import base64
import copy
import math
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from .regex import generate_matching

__all__ = ["ValueGenerator", "first_example", "fits_type"]

_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima")
_MAX_DEPTH = 24  # deeper than any sane response; stops pathological recursion
_OPTIONAL_DEPTH = 8  # optional properties are generated down to this depth, required ones always
# Caps on what one generated value may hold, whatever the schema asks (minLength: 2000000000...).
# A capped value says so in ``ValueGenerator.notes`` (the mock answers with an X-Mock-Note header).
MAX_STRING_LENGTH = 65_536
MAX_ARRAY_ITEMS = 100
MAX_VALUE_NODES = 100_000
# Ids of the exchange, not of a resource: never remembered across responses.
_PER_RESPONSE_IDS = frozenset({"id", "request_id", "trace_id", "span_id", "correlation_id", "event_id"})


def first_example(media: Mapping[str, Any], resolve: Any) -> tuple[bool, Any]:
    """The ``example`` or first of ``examples`` of a Media Type (or Parameter) Object: (found, value)."""
    if "example" in media:
        return True, copy.deepcopy(media["example"])
    examples = media.get("examples")
    if isinstance(examples, Mapping):
        for raw in examples.values():
            example = resolve(raw)
            if isinstance(example, Mapping) and "value" in example:
                return True, copy.deepcopy(example["value"])
    return False, None


def fits_type(value: Any, schema: Mapping[str, Any] | None) -> bool:
    """Whether ``value`` has a JSON type ``schema`` allows (only ``type``, ``enum`` and ``nullable`` are looked at)."""
    if not isinstance(schema, Mapping):
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return False
    types = schema.get("type")
    if types is None:
        return not isinstance(value, (dict, list)) or "properties" in schema or "items" in schema or not schema
    if isinstance(types, str):
        types = [types]
    if value is None:
        return "null" in types or bool(schema.get("nullable"))
    for kind in types:
        if kind == "string" and isinstance(value, str):
            return True
        if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if kind == "boolean" and isinstance(value, bool):
            return True
        if kind == "array" and isinstance(value, list):
            return True
        if kind == "object" and isinstance(value, dict):
            return True
    return False


class ValueGenerator:
    """Generates one value (typically one response body); create one per response."""

    def __init__(
        self,
        resolve: Any,
        rng: random.Random,
        *,
        echo: Mapping[str, Any] | None = None,
        status_code: int | None = None,
        memory: dict[str, str] | None = None,
    ) -> None:
        self._resolve = resolve  # follows $ref (OpenAPIDescription.resolve)
        self.rng = rng
        self.echo = echo or {}
        self.status_code = status_code
        # One id per name in a response (``user_id`` at the top and ``user.user_id`` agree),
        # except inside arrays, whose items must stay distinct.
        self._ids: dict[str, str] = {}
        self._array_depth = 0
        # Ids made up earlier in the run, by lower-cased field name (see the module docstring), and
        # the names whose remembered id an array item of this response already took.
        self.memory = memory
        self._remembered_in_array: set[str] = set()
        self.notes: list[str] = []  # where a cap cut what the schema asked for
        self._nodes = 0

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # -- entry ----------------------------------------------------------------
    def generate(self, schema: Any, name: str | None = None) -> Any:
        return self._value(schema, name, 0, ())

    def apply_echo(self, value: Any) -> Any:
        """Echo request values into an example body: same-named fields take the values sent."""
        if not self.echo:
            return value
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key in self.echo and _same_kind(item, self.echo[key]):
                    out[key] = copy.deepcopy(self.echo[key])
                else:
                    out[key] = self.apply_echo(item)
            return out
        if isinstance(value, list):
            return [self.apply_echo(item) for item in value]
        return value

    # -- the walk -------------------------------------------------------------
    def _value(self, schema: Any, name: str | None, depth: int, refs: tuple[str, ...]) -> Any:
        self._nodes += 1
        if self._nodes == MAX_VALUE_NODES:
            self._note(f"the value was cut at {MAX_VALUE_NODES} nodes")
        schema, refs = self._deref(schema, refs)
        if schema is None:
            return None
        if not isinstance(schema, Mapping):
            return self._string({}, name) if schema is True or schema is None else None
        if depth > _MAX_DEPTH or self._nodes > MAX_VALUE_NODES:
            return _empty(schema)
        for key in ("const",):
            if key in schema:
                return copy.deepcopy(schema[key])
        if "example" in schema:
            return copy.deepcopy(schema["example"])
        examples = schema.get("examples")
        if isinstance(examples, list) and examples:
            return copy.deepcopy(examples[0])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            non_null = [v for v in enum if v is not None]
            return copy.deepcopy(non_null[0] if non_null else enum[0])
        if "allOf" in schema and isinstance(schema["allOf"], list):
            merged, refs = self._merge_all_of(schema, refs)
            return self._value(merged, name, depth, refs)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                choice = self._pick_variant(options, refs)
                rest = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
                if rest.get("properties") or rest.get("required"):
                    resolved, refs2 = self._deref(choice, refs)
                    merged, refs = self._merge_all_of({"allOf": [rest, resolved]}, refs2)
                    return self._value(merged, name, depth, refs)
                return self._value(choice, name, depth, refs)
        if "default" in schema and schema["default"] is not None:
            return copy.deepcopy(schema["default"])
        kind = _primary_type(schema)
        if kind == "object":
            return self._object(schema, depth, refs)
        if kind == "array":
            return self._array(schema, name, depth, refs)
        if kind == "integer":
            return self._integer(schema, name)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema, name)

    def _deref(self, schema: Any, refs: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if refs.count(ref) >= 2:  # recursive schema: stop here
                return None, refs
            refs = (*refs, ref)
            schema = self._resolve(schema)
        return schema, refs

    def _merge_all_of(
        self, schema: Mapping[str, Any], refs: tuple[str, ...], chain: frozenset[str] = frozenset()
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """``allOf`` merged into one schema. The parts are all needed (their required properties too), so the
        recursion stop of :meth:`_deref` does not apply to them; ``chain`` only stops an allOf that includes itself.
        """
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[str] = list(merged.get("required") or [])
        for part in schema["allOf"]:
            resolved = part
            seen = chain
            while isinstance(resolved, Mapping) and isinstance(resolved.get("$ref"), str):
                if resolved["$ref"] in seen:
                    resolved = None
                    break
                seen = seen | {resolved["$ref"]}
                resolved = self._resolve(resolved)
            if not isinstance(resolved, Mapping):
                continue
            if "allOf" in resolved:
                resolved, refs = self._merge_all_of(resolved, refs, seen)
            for key, value in resolved.items():
                if key == "properties" and isinstance(value, Mapping):
                    properties.update(value)
                elif key == "required" and isinstance(value, list):
                    required.extend(r for r in value if r not in required)
                elif key not in merged:
                    merged[key] = value
        if properties:
            merged["properties"] = properties
            merged.setdefault("type", "object")
        if required:
            merged["required"] = required
        return merged, refs

    def _pick_variant(self, options: list[Any], refs: tuple[str, ...]) -> Any:
        """The first variant that is not just ``null`` (deterministic, and usually the main shape)."""
        for option in options:
            resolved, _ = self._deref(option, refs)
            if isinstance(resolved, Mapping) and resolved.get("type") == "null":
                continue
            return option
        return options[0]

    # -- kinds ------------------------------------------------------------------
    def _object(self, schema: Mapping[str, Any], depth: int, refs: tuple[str, ...]) -> dict[str, Any]:
        properties = schema.get("properties")
        required = schema.get("required")
        required_set = set(required) if isinstance(required, list) else set()
        out: dict[str, Any] = {}
        if isinstance(properties, Mapping):
            for prop, sub in properties.items():
                if prop not in required_set and (depth >= _OPTIONAL_DEPTH or self._nodes >= MAX_VALUE_NODES):
                    continue  # past the cap (a schema that aliases make wide and deep), required ones only
                resolved, sub_refs = self._deref(sub, refs)
                if resolved is None and isinstance(sub, Mapping) and "$ref" in sub:
                    if prop in required_set:
                        out[prop] = {}
                    continue  # an optional recursive property is left out
                echoed = _coerce(self.echo[prop], resolved) if prop in self.echo else None
                if prop in self.echo and fits_type(echoed, resolved):
                    out[prop] = copy.deepcopy(echoed)
                elif (
                    prop == "status_code"
                    and self.status_code is not None
                    and _primary_type(resolved or {}) == "integer"
                ):
                    out[prop] = self.status_code
                else:
                    out[prop] = self._value(resolved, prop, depth + 1, sub_refs)
        for prop in required_set - out.keys():
            out[prop] = self._string({}, prop)  # required but undeclared
        min_props = schema.get("minProperties")
        extra = schema.get("additionalProperties")
        if isinstance(min_props, int) and len(out) < min_props:
            for index in range(min_props - len(out)):
                out[f"key{index}"] = self._value(
                    extra if isinstance(extra, Mapping) else {"type": "string"}, None, depth + 1, refs
                )
        return out

    def _array(self, schema: Mapping[str, Any], name: str | None, depth: int, refs: tuple[str, ...]) -> list[Any]:
        low = schema.get("minItems")
        high = schema.get("maxItems")
        count = max(low if isinstance(low, int) else 0, 1)
        if isinstance(high, int):
            count = min(count, high)
        if count > MAX_ARRAY_ITEMS:
            self._note(f"minItems {count} asks for more than {MAX_ARRAY_ITEMS} items: {MAX_ARRAY_ITEMS} generated")
            count = MAX_ARRAY_ITEMS
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        singular = name[:-1] if name and name.endswith("s") else name
        values: list[Any] = []
        if isinstance(prefix, list):
            values = [self._value(p, singular, depth + 1, refs) for p in prefix[:count]]
        self._array_depth += 1
        try:
            while len(values) < count and self._nodes < MAX_VALUE_NODES:
                values.append(
                    self._value(items if items is not None else {"type": "string"}, singular, depth + 1, refs)
                )
        finally:
            self._array_depth -= 1
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for value in values:
                if value not in seen:
                    seen.append(value)
            values = seen
        return values

    def _integer(self, schema: Mapping[str, Any], name: str | None) -> int:
        low, high = _bounds(schema, integer=True)
        if name and "minutes" in name and low <= 60 <= high:
            return 60
        value = self.rng.randint(low, high)
        multiple = schema.get("multipleOf")
        if isinstance(multiple, int) and multiple > 0:
            value = max(low, value - value % multiple)
            if value % multiple:
                value += multiple - value % multiple
        return value

    def _number(self, schema: Mapping[str, Any]) -> float:
        low, high = _bounds(schema, integer=False)
        return round(self.rng.uniform(low, high), 2)

    def _string(self, schema: Mapping[str, Any], name: str | None) -> str:
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        value: str | None = None
        if isinstance(fmt, str):
            if fmt.lower() == "uuid" and name and name.lower().endswith("_id"):
                value = self._id(name.lower(), self._uuid, _is_uuid)
            else:
                value = self._formatted(fmt, name)
        if value is None and isinstance(pattern, str):
            value = generate_matching(pattern, self.rng)
        if value is None:
            value = self._named(name)
        low = schema.get("minLength")
        high = schema.get("maxLength")
        if isinstance(low, int) and low > MAX_STRING_LENGTH:
            self._note(
                f"minLength {low} asks for more than {MAX_STRING_LENGTH} characters: {MAX_STRING_LENGTH} generated"
            )
            low = MAX_STRING_LENGTH
        if isinstance(low, int) and len(value) < low:
            value = value + "x" * (low - len(value))
        if isinstance(high, int) and len(value) > high:
            value = value[:high]
        return value

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _datetime(self) -> datetime:
        return _EPOCH + timedelta(seconds=self.rng.randint(0, 365 * 24 * 3600))

    def _formatted(self, fmt: str, name: str | None) -> str | None:
        fmt = fmt.lower()
        if fmt == "uuid":
            return self._uuid()
        if fmt == "date-time":
            return self._datetime().strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "date":
            return self._datetime().strftime("%Y-%m-%d")
        if fmt == "time":
            return self._datetime().strftime("%H:%M:%SZ")
        if fmt in ("email", "idn-email"):
            return f"{self._word()}.{self.rng.randint(1, 9999)}@example.com"
        if fmt in ("uri", "url", "iri", "uri-reference", "iri-reference"):
            return f"https://example.com/{self._word()}/{self.rng.randint(1, 9999)}"
        if fmt in ("hostname", "idn-hostname"):
            return f"{self._word()}.example.com"
        if fmt == "ipv4":
            return "192.0.2." + str(self.rng.randint(1, 254))
        if fmt == "ipv6":
            return "2001:db8::" + format(self.rng.randint(1, 0xFFFF), "x")
        if fmt == "byte":
            return base64.b64encode(self.rng.randbytes(12)).decode("ascii")
        if fmt == "binary":
            return self.rng.randbytes(8).hex()
        if fmt == "password":
            return "Pw-" + self.rng.randbytes(9).hex()
        if fmt == "duration":
            return f"PT{self.rng.randint(1, 59)}M"
        if fmt in ("phone", "phone-number", "e164"):
            return "+1555555" + f"{self.rng.randint(0, 9999):04d}"
        return None

    def _word(self) -> str:
        return self.rng.choice(_WORDS)

    def _id(self, key: str, make: Callable[[], str], fits: Callable[[str], bool] | None = None) -> str:
        """The id for field ``key``: one per response outside arrays, remembered across the run (``memory``).

        ``fits``: whether a remembered id suits this field (a ``uuid`` field takes only a UUID).
        """
        memory = self.memory if key not in _PER_RESPONSE_IDS else None
        remembered = memory.get(key) if memory is not None else None
        if remembered is not None and fits is not None and not fits(remembered):
            remembered = None
        if self._array_depth:
            if remembered is not None and key not in self._remembered_in_array:
                self._remembered_in_array.add(key)  # the first item is the one made up before; the others differ
                return remembered
            value = make()
        else:
            if key not in self._ids:
                self._ids[key] = remembered if remembered is not None else make()
            value = self._ids[key]
        if memory is not None:
            memory.setdefault(key, value)
        return value

    def _named(self, name: str | None) -> str:
        """A plausible string for a property with no format, guessed from its name."""
        lowered = (name or "").lower()
        if lowered == "id" or lowered.endswith("_id"):
            prefix = lowered[:-3].replace("_", "-") or "id"
            return self._id(lowered, lambda: f"{prefix}-test-{self._uuid()}")
        if "email" in lowered:
            return f"{self._word()}.{self.rng.randint(1, 9999)}@example.com"
        if lowered.endswith("_at") or lowered in ("created", "updated", "expires", "timestamp"):
            return self._datetime().strftime("%Y-%m-%dT%H:%M:%SZ")
        if "phone" in lowered:
            return "+1555555" + f"{self.rng.randint(0, 9999):04d}"
        if "url" in lowered or lowered.endswith("uri"):
            return f"https://example.com/{self._word()}"
        if "token" in lowered or "secret" in lowered or "code" in lowered or "jwt" in lowered:
            return self.rng.randbytes(16).hex()
        if "name" in lowered:
            return self._word().capitalize() + " " + self._word().capitalize()
        return f"{self._word()}-{self.rng.randint(1000, 9999)}"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _primary_type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        kind = non_null[0] if non_null else (kind[0] if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _bounds(schema: Mapping[str, Any], *, integer: bool) -> tuple[Any, Any]:
    low = schema.get("minimum")
    high = schema.get("maximum")
    step = 1 if integer else 0.01
    ex_low = schema.get("exclusiveMinimum")
    ex_high = schema.get("exclusiveMaximum")
    if isinstance(ex_low, bool):  # OpenAPI 3.0 style
        ex_low = low if ex_low else None
    if isinstance(ex_high, bool):
        ex_high = high if ex_high else None
    if isinstance(ex_low, (int, float)):
        low = ex_low + step
    if isinstance(ex_high, (int, float)):
        high = ex_high - step
    if not isinstance(low, (int, float)):
        low = None
    if not isinstance(high, (int, float)):
        high = None
    if low is None and high is None:
        low, high = 1, 1000
    elif low is None:
        low = min(1, high) if high is not None else 1
        if high is not None and high - low > 1000:
            low = high - 1000
    elif high is None:
        high = low + 1000
    assert low is not None and high is not None
    if integer:
        low, high = math.ceil(low), math.floor(high)
        high = max(high, low)
    return low, high


def _coerce(value: Any, schema: Any) -> Any:
    """A path or query value (always text) read as the number or boolean the schema wants, when it is one."""
    if not isinstance(value, str) or not isinstance(schema, Mapping):
        return value
    kind = _primary_type(schema)
    try:
        if kind == "integer" and value.lstrip("-").isdigit():
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _empty(schema: Mapping[str, Any]) -> Any:
    kind = _primary_type(schema)
    return {"object": {}, "array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(kind or "")


def _same_kind(example: Any, sent: Any) -> bool:
    if isinstance(example, bool) or isinstance(sent, bool):
        return isinstance(example, bool) and isinstance(sent, bool)
    if isinstance(example, (int, float)):
        return isinstance(sent, (int, float))
    return type(example) is type(sent) and not isinstance(example, (dict, list))
