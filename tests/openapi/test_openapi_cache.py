"""Parsed OpenAPI descriptions are shared between loads, and never stale; external $refs are read at load."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from arazzo_runner import DocumentError, load
from arazzo_runner.openapi.index import clear_cache

API = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: http://127.0.0.1:9}]
paths:
  /items:
    post:
      operationId: create
      requestBody: {$ref: 'ext.yaml#/components/requestBodies/Item'}
      responses: {'200': {description: ok}}
"""
EXT = """\
components:
  requestBodies:
    Item: {content: {%s: {schema: {type: object}}}}
"""
WORKFLOW = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: create
        requestBody: {payload: {a: 1}}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    clear_cache()
    (tmp_path / "api.yaml").write_text(API)
    (tmp_path / "ext.yaml").write_text(EXT % "application/json")
    (tmp_path / "wf.yaml").write_text(WORKFLOW)
    return tmp_path


def _operation(path: Path):
    return load(path / "wf.yaml").workflow("w").steps[0].operation.operation


def test_two_loads_share_one_parse(folder: Path) -> None:
    assert _operation(folder).description is _operation(folder).description


def test_a_changed_external_file_is_read_again(folder: Path) -> None:
    assert _operation(folder).content_types == ("application/json",)
    ext = folder / "ext.yaml"
    ext.write_text(EXT % "application/xml")
    later = time.time() + 5
    os.utime(ext, (later, later))
    assert _operation(folder).content_types == ("application/xml",)


def test_a_missing_external_file_is_a_load_error_naming_it(folder: Path) -> None:
    (folder / "ext.yaml").unlink()
    with pytest.raises(DocumentError) as info:
        load(folder / "wf.yaml")
    assert "ext.yaml" in str(info.value) and "not found" in str(info.value)


def test_a_pointer_missing_in_an_external_file_names_that_file(folder: Path) -> None:
    (folder / "ext.yaml").write_text("components: {}\n")
    with pytest.raises(DocumentError) as info:
        load(folder / "wf.yaml")
    assert "does not resolve in" in str(info.value) and "ext.yaml" in str(info.value)
