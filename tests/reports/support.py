"""Validators for every report format, against schemas kept beside these tests.

HAR and JUnit reports are also validated against the published schemas (``published.py``) when
``make test`` has fetched them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import xmlschema

from arazzo_runner.reports import report_schema
from tests.reports.published import (
    har_schema_fetched,
    junit_xsd_fetched,
    published_har_validator,
    published_junit_schema,
)

SCHEMAS = Path(__file__).parent / "schemas"


@cache
def _junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd"))


@cache
def _har_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / "har-1.2.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@cache
def _report_validator() -> jsonschema.Draft202012Validator:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validate_json_report(data: Any) -> None:
    _report_validator().validate(data)


def validate_har(data: Any) -> None:
    _har_validator().validate(data)
    if har_schema_fetched():
        published_har_validator().validate(data)


def validate_junit(text: str) -> None:
    _junit_schema().validate(text)
    if junit_xsd_fetched():
        published_junit_schema().validate(text)


def validate_file(fmt: str, path: Path) -> str:
    """Validate the report at ``path`` by its format's schema; returns its text."""
    text = path.read_text(encoding="utf-8")
    if fmt == "json":
        validate_json_report(json.loads(text))
    elif fmt == "har":
        validate_har(json.loads(text))
    elif fmt == "junit":
        validate_junit(text)
    elif fmt == "markdown":
        assert text.startswith("### Arazzo workflow"), text
    return text
