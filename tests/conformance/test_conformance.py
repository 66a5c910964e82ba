"""Data-driven conformance cases: one folder per case under ``cases/`` (format in README.md).

Each case is loaded with :func:`arazzo_runner.load`, run with
:func:`arazzo_runner.run_workflow` against a scripted loopback server on
127.0.0.1 (every source's base URL pointed at it), and its ``expect`` block
is checked: status, failure reason and message, outputs, executed steps,
retry delays slept, and the exact requests the server received. A case with
``load_error`` instead asserts that loading fails with a located
:class:`~arazzo_runner.DocumentError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from arazzo_runner import DocumentError, Limits, load, run_workflow
from arazzo_runner.errors import ArazzoError
from tests.support.loopback import LoopbackServer, RecordedRequest, refused_url

CASES_DIR = Path(__file__).resolve().parent / "cases"

_CASE_KEYS = frozenset(
    {"title", "covers", "workflow", "inputs", "options", "responses", "expect", "load_error", "notes"}
)
_OPTION_KEYS = frozenset(
    {
        "max_steps",
        "max_depth",
        "max_retry_delay",
        "run_timeout",
        "request_timeout",
        "timeout",
        "workflow_inputs",
        "credentials",
        "servers",
        "clock",
        "strict",
    }
)
_EXPECT_KEYS = frozenset(
    {
        "status",
        "reason",
        "error_contains",
        "error_excludes",
        "failure",
        "outputs",
        "outputs_absent",
        "outputs_include",
        "steps",
        "sleeps",
        "requests",
        "request_count",
        "warnings_contain",
        "load_warnings_contain",
        "raises",
        "step_outputs",
    }
)
_REQUEST_KEYS = frozenset(
    {
        "method",
        "path",
        "query",
        "raw_query",
        "headers",
        "headers_absent",
        "header_count",
        "json",
        "body",
        "body_contains",
    }
)


def _case_dirs() -> list[Path]:
    if not CASES_DIR.is_dir():
        return []
    return sorted(p for p in CASES_DIR.iterdir() if p.is_dir() and (p / "case.yaml").is_file())


def _read_case(case_dir: Path) -> dict[str, Any]:
    case = yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{case_dir.name}/case.yaml must be a mapping"
    unknown = set(case) - _CASE_KEYS
    assert not unknown, f"{case_dir.name}: unknown case keys {sorted(unknown)}"
    covers = case.get("covers")
    assert isinstance(covers, list) and covers, f"{case_dir.name}: 'covers' must list checklist ids"
    assert ("expect" in case) != ("load_error" in case), f"{case_dir.name}: give exactly one of expect / load_error"
    return case


def _params() -> list[Any]:
    # The id is the folder name; the checklist ids a case covers go in the
    # "covers" user property (visible in the JUnit XML report).
    return [pytest.param(case_dir, id=case_dir.name) for case_dir in _case_dirs()]


def _arazzo_path(case_dir: Path) -> Path:
    for name in ("arazzo.yaml", "arazzo.yml", "arazzo.json"):
        if (case_dir / name).is_file():
            return case_dir / name
    raise AssertionError(f"{case_dir.name}: no arazzo.yaml")


@pytest.mark.parametrize("case_dir", _params())
def test_case(case_dir: Path, record_property: Any) -> None:
    case = _read_case(case_dir)
    record_property("covers", " ".join(map(str, case["covers"])))
    options = dict(case.get("options") or {})
    unknown = set(options) - _OPTION_KEYS
    assert not unknown, f"unknown options {sorted(unknown)}"
    spec = _arazzo_path(case_dir)

    if "load_error" in case:
        _check_load_error(spec, case["load_error"], bool(options.get("strict", False)))
        return

    expect = case["expect"]
    unknown = set(expect) - _EXPECT_KEYS
    assert not unknown, f"unknown expect keys {sorted(unknown)}"
    document = load(spec, strict=bool(options.get("strict", False)))
    for text in expect.get("load_warnings_contain") or []:
        messages = [d.message for d in document.warnings]
        assert any(text in m for m in messages), f"no load warning contains {text!r}; warnings: {messages}"

    with LoopbackServer() as server:
        for route, replies in (case.get("responses") or {}).items():
            method, _, path = str(route).partition(" ")
            assert path, f"response key {route!r} must be 'METHOD /path'"
            server.script(method, path, replies if isinstance(replies, list) else [replies])

        sleeps: list[float] = []

        async def record_sleep(delay: float) -> None:
            sleeps.append(delay)

        kwargs = _run_kwargs(document, options, server.url)
        if "raises" in expect:
            with pytest.raises(ArazzoError) as info:
                run_workflow(document, case["workflow"], case.get("inputs") or {}, sleep=record_sleep, **kwargs)
            assert type(info.value).__name__ == expect["raises"], f"raised {type(info.value).__name__}: {info.value}"
            for text in expect.get("error_contains") or []:
                assert text in str(info.value), f"{text!r} not in {str(info.value)!r}"
            for text in expect.get("error_excludes") or []:
                assert text not in str(info.value), f"{text!r} must not appear in {str(info.value)!r}"
            result = None
        else:
            result = run_workflow(document, case["workflow"], case.get("inputs") or {}, sleep=record_sleep, **kwargs)
        assert not server.handler_errors, server.handler_errors
        received = server.requests

    if result is not None:
        _check_result(result, expect)
    if "sleeps" in expect:
        assert sleeps == pytest.approx([float(s) for s in expect["sleeps"]], abs=0.01), f"slept {sleeps}"
    if "request_count" in expect:
        assert len(received) == expect["request_count"], _describe_requests(received)
    if "requests" in expect:
        wanted = expect["requests"]
        assert len(received) == len(wanted), (
            f"expected {len(wanted)} requests, got {len(received)}:\n{_describe_requests(received)}"
        )
        for index, (got, want) in enumerate(zip(received, wanted, strict=False)):
            _check_request(index, got, want)


def _run_kwargs(document: Any, options: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    servers: dict[str, str] = {}
    for doc in document.documents.arazzo.values():
        for name, source in doc.sources.items():
            if source.type == "openapi":
                servers[name] = base_url
    for name, url in (options.get("servers") or {}).items():
        servers[name] = refused_url() if url == "refused" else url
    limits_fields: dict[str, Any] = {}
    for key in ("max_steps", "max_depth", "max_retry_delay", "run_timeout"):
        if key in options:
            limits_fields[key] = options[key]
    # A short request timeout by default: no case should wait on a socket for long.
    limits_fields["request_timeout"] = options.get("request_timeout", options.get("timeout", 10.0))
    kwargs: dict[str, Any] = {"servers": servers, "limits": Limits(**limits_fields)}
    if "workflow_inputs" in options:
        kwargs["workflow_inputs"] = options["workflow_inputs"]
    if "credentials" in options:
        kwargs["credentials"] = {k: tuple(v) if isinstance(v, list) else v for k, v in options["credentials"].items()}
    if "clock" in options:
        now = float(options["clock"])
        kwargs["clock"] = lambda: now
    return kwargs


def _check_load_error(spec: Path, load_error: Mapping[str, Any], strict: bool) -> None:
    with pytest.raises(DocumentError) as info:
        load(spec, strict=strict)
    error = info.value
    everything = (
        str(error) + "\n" + "\n".join(d.message for d in getattr(error, "diagnostics", []) if d.severity == "error")
    )
    for text in load_error.get("contains") or []:
        assert text in everything, f"{text!r} not in the load error:\n{everything}"
    if "line" in load_error:
        assert error.location is not None and error.location.line == load_error["line"], (
            f"expected line {load_error['line']}, got {error.location}: {error}"
        )


def _check_result(result: Any, expect: Mapping[str, Any]) -> None:
    summary = json.dumps(result.to_dict(), indent=1, default=str)[:4000]
    if "status" in expect:
        assert result.status == expect["status"], summary
    if expect.get("status") == "succeeded":
        assert result.error is None, summary
    if "reason" in expect:
        assert result.error is not None and result.error.reason == expect["reason"], summary
    message = result.error.message if result.error is not None else ""
    for text in expect.get("error_contains") or []:
        assert text in message, f"{text!r} not in the error message {message!r}"
    for text in expect.get("error_excludes") or []:
        dumped = json.dumps(result.to_dict(), default=str)
        assert text not in dumped, f"{text!r} must not appear anywhere in the result: {dumped}"
    for key, value in (expect.get("failure") or {}).items():
        assert result.error is not None, summary
        assert getattr(result.error, key) == value, f"error.{key} = {getattr(result.error, key)!r}, want {value!r}"
    if "outputs" in expect:
        assert dict(result.outputs) == expect["outputs"], summary
    for key, value in (expect.get("outputs_include") or {}).items():
        assert key in result.outputs and result.outputs[key] == value, summary
    for key in expect.get("outputs_absent") or []:
        assert key not in result.outputs, summary
    if "steps" in expect:
        assert [s.step_id for s in result.steps] == expect["steps"], summary
    for step_id, outputs in (expect.get("step_outputs") or {}).items():
        runs = [s for s in result.steps if s.step_id == step_id]
        assert runs, f"step {step_id!r} never ran"
        assert dict(runs[-1].outputs) == outputs, summary
    warnings = list(result.warnings) + [w for s in result.steps for w in s.warnings]
    for text in expect.get("warnings_contain") or []:
        assert any(text in w for w in warnings), f"no warning contains {text!r}; warnings: {warnings}"


def _check_request(index: int, got: RecordedRequest, want: Mapping[str, Any]) -> None:
    unknown = set(want) - _REQUEST_KEYS
    assert not unknown, f"unknown request keys {sorted(unknown)}"
    where = f"request #{index + 1} ({got.method} {got.target})"
    if "method" in want:
        assert got.method == want["method"].upper(), where
    if "path" in want:
        assert got.path == want["path"], f"{where}: path {got.path!r}, want {want['path']!r}"
    if "query" in want:
        expected = {k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in want["query"].items()}
        assert got.query == expected, f"{where}: query {got.query}, want {expected}"
    if "raw_query" in want:
        assert got.raw_query == want["raw_query"], f"{where}: raw query {got.raw_query!r}"
    for name, value in (want.get("headers") or {}).items():
        assert got.header(name) == str(value), f"{where}: header {name} = {got.header(name)!r}, want {value!r}"
    for name in want.get("headers_absent") or []:
        assert got.header(name) is None, f"{where}: header {name} must be absent, got {got.header(name)!r}"
    for name, count in (want.get("header_count") or {}).items():
        assert len(got.header_all(name)) == count, f"{where}: header {name} sent {got.header_all(name)}"
    if "json" in want:
        try:
            body = got.json()
        except ValueError:
            raise AssertionError(f"{where}: body is not JSON: {got.body!r}") from None
        assert body == want["json"], f"{where}: JSON body {body!r}, want {want['json']!r}"
    if "body" in want:
        assert got.text() == want["body"], f"{where}: body {got.text()!r}"
    for text in want.get("body_contains") or []:
        assert text in got.text(), f"{where}: {text!r} not in body {got.text()!r}"


def _describe_requests(requests: list[RecordedRequest]) -> str:
    return "\n".join(f"  {r.method} {r.target}" for r in requests) or "  (none)"
