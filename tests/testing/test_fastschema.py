"""The quick route to "valid" never says yes where jsonschema (the judge) says no."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from arazzo_runner.testing.fastschema import Unsupported, compile_schema

COMPONENTS = {
    "Pet": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "name": {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[A-Za-z]+$"},
            "tag": {"type": "string", "nullable": True, "enum": ["cat", "dog", None]},
            "score": {"type": "number", "maximum": 10, "exclusiveMaximum": True},
            "parent": {"$ref": "#/components/schemas/Pet"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
        "additionalProperties": {"type": "boolean"},
    },
    "Either": {"anyOf": [{"type": "integer"}, {"type": "string", "const": "none"}]},
    "Both": {"allOf": [{"$ref": "#/components/schemas/Either"}, {"minLength": 2}]},
}
DOCUMENT = {"openapi": "3.0.3", "components": {"schemas": COMPONENTS}}
URL = "file:///pets.yaml"


def _lookup(ref: str, base: str) -> Any:
    node: Any = DOCUMENT
    for token in ref.partition("#")[2].strip("/").split("/"):
        node = node[token]
    return node


def _judge(name: str, modern: bool = False) -> Any:
    spec = DRAFT202012 if modern else DRAFT4
    registry: Registry[Any] = Registry().with_resource(
        URL, Resource.from_contents(DOCUMENT, default_specification=spec)
    )
    cls = OAS31Validator if modern else OAS30Validator
    return cls({"$ref": f"{URL}#/components/schemas/{name}"}, registry=registry)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 12)
    | st.floats(-3, 12, allow_nan=False)
    | st.sampled_from(["", "Rex", "cat", "dog", "none", "x1", "abcdefghij", "Ab"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "name", "tag", "score", "parent", "tags", "extra"]), children, max_size=6
        )
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("name", ["Pet", "Either", "Both"])
@settings(max_examples=400, deadline=None)
@given(value=JSON)
def test_a_quick_yes_is_a_judges_yes(name: str, value: Any) -> None:
    quick = compile_schema(_lookup(f"#/components/schemas/{name}", URL), URL, _lookup, nullable_keyword=True)
    if quick(value):
        assert _judge(name).is_valid(value), value


def test_quick_route_decides_the_common_cases() -> None:
    quick = compile_schema(COMPONENTS["Pet"], URL, _lookup, nullable_keyword=True)
    assert quick({"id": 1, "name": "Rex", "tag": None, "parent": {"id": 2, "name": "Mum"}, "tags": ["a"], "ok": True})
    assert not quick({"id": "1", "name": "Rex"})
    assert not quick({"id": 1, "name": "Rex", "parent": {"id": 0, "name": "Mum"}})  # through the recursive $ref
    assert not quick({"id": 1, "name": "R3x"})  # the ECMA pattern
    assert not quick({"id": 1, "name": "Rex", "score": 10})  # exclusive maximum
    assert not quick({"id": 1, "name": "Rex", "extra": "no"})  # additionalProperties


@pytest.mark.parametrize("keyword", [{"oneOf": [{"type": "string"}]}, {"not": {}}, {"multipleOf": 2}, {"if": {}}])
def test_keywords_it_does_not_decide_are_left_to_the_judge(keyword: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        compile_schema(keyword, URL, _lookup, nullable_keyword=True)
