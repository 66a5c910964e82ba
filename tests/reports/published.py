"""Validators for the published HAR 1.2 and JUnit schemas, fetched by ``make test`` and never committed.

``tests/reports/fetch_published_schemas.sh`` (run by ``make test``) puts them in ``.venv/share`` of the
repository: the npm package ``har-schema@2.0.0`` and the JUnit XSD of the pytest 9.2.0 source
distribution. Without them, the tests that need them skip and say how to get them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import xmlschema

SHARE = Path(__file__).resolve().parents[2] / ".venv" / "share"
HAR_SCHEMA = SHARE / "har-schema" / "lib"
JUNIT_XSD = SHARE / "junit-10.xsd"
_FETCH = "bash tests/reports/fetch_published_schemas.sh"


def _require(path: Path, what: str, how: str) -> None:
    if not path.exists():
        pytest.skip(f"{what} is not in {path.parent}: `make test` fetches it {how} (or run: {_FETCH})")


def har_schema_fetched() -> bool:
    return (HAR_SCHEMA / "har.json").exists()


def junit_xsd_fetched() -> bool:
    return JUNIT_XSD.exists()


@cache
def _har_validator() -> jsonschema.protocols.Validator:
    resources = []
    declared = set()
    for file in sorted(HAR_SCHEMA.glob("*.json")):
        schema = json.loads(file.read_text(encoding="utf-8"))
        declared.add(schema["$schema"])
        # Each file's $id is its own name ("entry.json#"): the files reference each other by name.
        assert schema["$id"] == f"{file.name}#", (file.name, schema["$id"])
        resources.append((file.name, referencing.jsonschema.DRAFT6.create_resource(schema)))
    assert declared == {"http://json-schema.org/draft-06/schema#"}, declared
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources)
    root = registry.contents("har.json")
    jsonschema.Draft6Validator.check_schema(root)
    assert jsonschema.validators.validator_for(root) is jsonschema.Draft6Validator
    return jsonschema.Draft6Validator(root, registry=registry, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)


@cache
def _junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(JUNIT_XSD))


def published_har_validator() -> jsonschema.protocols.Validator:
    """The validator of the npm package ``har-schema@2.0.0``; skips the test when it is not fetched."""
    _require(
        HAR_SCHEMA / "har.json", "The published HAR 1.2 schema, npm package har-schema@2.0.0,", "when npm is installed"
    )
    return _har_validator()


def published_junit_schema() -> xmlschema.XMLSchema:
    """The JUnit XSD shipped in the pytest 9.2.0 source distribution; skips the test when it is not fetched."""
    _require(JUNIT_XSD, "The published JUnit XSD, junit-10.xsd of the pytest 9.2.0 sdist,", "with pip")
    return _junit_schema()
