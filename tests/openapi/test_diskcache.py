"""The command line's on-disk cache of parsed OpenAPI descriptions: exact, keyed by content and version, JSON only."""

from __future__ import annotations

import json
import math
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_runner.cli.app import main
from arazzo_runner.openapi import diskcache
from arazzo_runner.openapi.index import clear_cache
from arazzo_runner.sources.yamlsource import parse_fast

ARAZZO = """\
arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions: [{name: api, url: openapi.yaml, type: openapi}]
workflows:
  - workflowId: first
    steps:
      - stepId: get
        operationId: op0
"""


def _big_openapi(paths: int = 400) -> str:
    lines = ["openapi: 3.0.3", "info: {title: big, version: '1'}", "paths:"]
    for i in range(paths):
        lines += [
            f"  /things/{i}:",
            "    get:",
            f"      operationId: op{i}",
            f"      description: {'a long description of the operation ' * 4}",
            "      responses:",
            "        200: {description: ok}",
            "        '404': {description: missing}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "cache"
    monkeypatch.setenv("ARAZZO_RUNNER_CACHE_DIR", str(directory))
    monkeypatch.delenv("ARAZZO_RUNNER_NO_CACHE", raising=False)
    clear_cache()  # the in-process cache would otherwise answer first
    yield directory
    clear_cache()
    diskcache.enable(False)


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    (tmp_path / "openapi.yaml").write_text(_big_openapi())
    (tmp_path / "wf.yaml").write_text(ARAZZO)
    return tmp_path / "wf.yaml"


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("openapi-*.json"))


def test_values_json_cannot_hold_come_back_exactly(cache_dir: Path) -> None:
    data = {
        "paths": {"/a": {"get": {"responses": {200: {"description": "ok"}, "default": {}}}}},
        "odd": {1: "int", 2.5: "float", False: "bool", None: "null", "\x00map": "looks like a tag"},
        "blob": b"\x00\xffbinary",
        "numbers": [0, -1, 1e300, -0.0, math.inf],
        "nested": [[{"k": [None, False]}]],
    }
    text = "x" * diskcache.MIN_SIZE
    diskcache.enable()
    assert diskcache.cached_parse(text, lambda: data) is data  # parsed and stored
    again = diskcache.cached_parse(text, lambda: pytest.fail("the entry was not read"))
    assert again == data
    assert list(again["odd"]) == [1, 2.5, False, None, "\x00map"]
    assert again["blob"] == b"\x00\xffbinary"
    (entry,) = _entries(cache_dir)
    json.loads(entry.read_bytes())  # plain JSON: nothing in it can run code
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_an_entry_without_tags_is_the_data_itself_and_one_with_tags_says_so(cache_dir: Path) -> None:
    diskcache.enable()
    plain = {"paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}, "n": [1, 2.5, None]}
    tagged = {"paths": {}, "blob": b"\x01"}
    diskcache.cached_parse("p" * diskcache.MIN_SIZE, lambda: plain)
    (entry,) = _entries(cache_dir)
    assert json.loads(entry.read_bytes()) == plain  # read back by the JSON parser alone
    entry.unlink()
    diskcache.cached_parse("t" * diskcache.MIN_SIZE, lambda: tagged)
    (entry,) = _entries(cache_dir)
    assert json.loads(entry.read_bytes()) == {"\x00tagged": {"paths": {}, "blob": {"\x00bytes": "AQ=="}}}
    assert diskcache.cached_parse("t" * diskcache.MIN_SIZE, lambda: pytest.fail("not read")) == tagged


def test_a_value_json_cannot_carry_is_not_cached(cache_dir: Path) -> None:
    diskcache.enable()
    text = "y" * diskcache.MIN_SIZE
    assert diskcache.cached_parse(text, lambda: {"when": {1, 2}}) == {"when": {1, 2}}
    assert _entries(cache_dir) == []


def test_the_command_line_reads_the_entry_instead_of_parsing(
    spec: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", str(spec), "--json"]) == 0
    first = capsys.readouterr().out
    assert len(_entries(cache_dir)) == 1
    clear_cache()

    import arazzo_runner.openapi.index as index

    def no_parse(text: str, file: str) -> None:
        raise AssertionError("parsed again although a cache entry exists")

    monkeypatch.setattr(index, "parse_fast", no_parse)
    assert main(["list", str(spec), "--json"]) == 0
    assert capsys.readouterr().out == first


def test_no_cache_neither_reads_nor_writes(spec: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(spec), "--no-cache"]) == 0
    assert not cache_dir.exists() or _entries(cache_dir) == []


def test_the_environment_can_turn_it_off(
    spec: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARAZZO_RUNNER_NO_CACHE", "1")
    assert main(["list", str(spec)]) == 0
    assert not cache_dir.exists() or _entries(cache_dir) == []


def test_an_edited_description_gets_a_new_entry_and_a_damaged_one_is_ignored(
    spec: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", str(spec)]) == 0
    (entry,) = _entries(cache_dir)
    entry.write_text("{not json")  # damaged: ignored, parsed again, rewritten
    clear_cache()
    assert main(["list", str(spec)]) == 0
    text = (spec.parent / "openapi.yaml").read_text()
    assert json.loads(entry.read_text(), object_hook=diskcache._decode) == parse_fast(text, "openapi.yaml")
    (spec.parent / "openapi.yaml").write_text(_big_openapi(401))
    clear_cache()
    assert main(["list", str(spec)]) == 0
    assert len(_entries(cache_dir)) == 2  # keyed by content: the edit did not read the old entry


def test_small_descriptions_are_not_cached(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "openapi.yaml").write_text(_big_openapi(1))
    (tmp_path / "wf.yaml").write_text(ARAZZO)
    assert main(["list", str(tmp_path / "wf.yaml")]) == 0
    assert not cache_dir.exists() or _entries(cache_dir) == []
