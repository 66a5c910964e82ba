"""Inputs that used to escape as tracebacks (ValueError, RecursionError, UnicodeEncodeError, RuntimeError)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest

from arazzo_runner import Runner, load, load_text
from arazzo_runner.cli.app import main
from arazzo_runner.errors import ArazzoError

from .support import RawServer, run_bounded, run_workflow_bounded, write_spec

HUGE = "9" * 5000  # past Python's 4300-digit limit for int("...")


def test_a_huge_integer_in_a_document_is_a_document_error(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    spec.write_text(spec.read_text() + f"x-big: {HUGE}\n")
    with pytest.raises(ArazzoError, match="number too large to read") as raised:
        load(spec)
    assert raised.value.location is not None and raised.value.location.line is not None


def test_a_huge_integer_in_a_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "a.json"
    spec.write_text(f'{{"arazzo": "1.0.0", "x": {HUGE}}}')
    assert main(["check", str(spec)]) == 1  # check's code for "errors found"
    assert "a.json:1:26: error[ARZ010]: number too large to read" in capsys.readouterr().out


def test_a_huge_integer_in_an_openapi_description(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    openapi = tmp_path / "openapi.yaml"
    openapi.write_text(openapi.read_text() + f"x-big: {HUGE}\n")
    with pytest.raises(ArazzoError, match="number too large to read"):
        load(spec)


def test_a_huge_integer_in_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    assert main(["run", str(spec), "-w", "w", "--inputs", f'{{"n": {HUGE}}}']) == 2
    assert "a number is too large to read" in capsys.readouterr().err


def test_deeply_nested_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["run", str(spec), "-w", "w", "--inputs", f"@{deep}"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_as_inputs_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    assert main(["run", str(spec), "-w", "w", "--inputs", "@/dev/zero"]) == 2
    assert "/dev/zero is not a regular file" in capsys.readouterr().err


def test_a_huge_integer_in_a_response_body_is_text_to_criteria(tmp_path: Path) -> None:
    body = f'{{"n": {HUGE}}}'.encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with RawServer(lambda conn, request: conn.sendall(head + body)) as server:
        spec = write_spec(tmp_path, server.url)
        result, _ = run_workflow_bounded(spec, seconds=20)
    assert result["status"] == "succeeded"


def test_a_dependson_chain_of_a_thousand_loads_and_stops_at_max_depth(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    text = spec.read_text()
    head, _, _ = text.partition("workflows:\n")
    chain = "".join(
        f"  - workflowId: w{i}\n"
        + (f"    dependsOn: [w{i + 1}]\n" if i < 999 else "")
        + "    steps:\n      - {stepId: s, operationId: r}\n"
        for i in range(1000)
    )
    spec.write_text(head + "workflows:\n" + chain)
    document = load(spec)
    assert len(document.workflows) == 1000
    assert main(["list", str(spec)]) == 0


@pytest.mark.parametrize("link", ["dependsOn", "call"])
def test_graph_draws_a_chain_of_a_thousand_workflows(
    tmp_path: Path, link: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    head, _, _ = spec.read_text().partition("workflows:\n")
    chain = ""
    for i in range(1000):
        chain += f"  - workflowId: w{i}\n"
        if link == "dependsOn" and i < 999:
            chain += f"    dependsOn: [w{i + 1}]\n"
        step = f"workflowId: w{i + 1}" if link == "call" and i < 999 else "operationId: r"
        chain += f"    steps:\n      - {{stepId: s, {step}}}\n"
    spec.write_text(head + "workflows:\n" + chain)
    assert main(["graph", str(spec), "-w", "w0"]) == 0
    out = capsys.readouterr().out
    assert out.count("subgraph ") == 1000
    assert 'subgraph w999_w999["workflow w999"]' in out


def test_a_cycle_at_the_end_of_a_long_chain_is_still_found(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    head, _, _ = spec.read_text().partition("workflows:\n")
    chain = "".join(
        f"  - workflowId: w{i}\n    dependsOn: [w{(i + 1) % 600}]\n    steps:\n      - {{stepId: s, operationId: r}}\n"
        for i in range(600)
    )
    spec.write_text(head + "workflows:\n" + chain)
    with pytest.raises(ArazzoError, match="dependsOn cycle: w0 -> w1 -> w2"):
        load(spec)


def test_a_lone_surrogate_in_load_text() -> None:
    with pytest.raises(ArazzoError, match="lone surrogate") as raised:
        load_text("arazzo: 1.0.0\ninfo: {title: '\ud800', version: '1'}\n")
    assert raised.value.location is not None and raised.value.location.line == 2


def test_a_runner_given_a_closed_client(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")

    async def go() -> None:
        client = httpx.AsyncClient()
        await client.aclose()
        with pytest.raises(ArazzoError, match="is closed"):
            await Runner(client=client).arun(spec, "w")

    asyncio.run(go())


def test_json_output_of_a_very_deep_step_output(tmp_path: Path) -> None:
    body = ("[" * 950 + "]" * 950).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with RawServer(lambda conn, request: conn.sendall(head + body)) as server:
        spec = write_spec(
            tmp_path,
            server.url,
            steps=[{"id": "s", "op": "r", "outputs": "{b: $response.body}"}],
            outputs="{b: $steps.s.outputs.b}",
        )
        done = run_bounded(
            "import sys\nfrom arazzo_runner.cli.app import main\nsys.exit(main(sys.argv[1:]))",
            seconds=30,
            args=["run", str(spec), "-w", "w", "--json"],
        )
    assert done.returncode == 0, done.stderr
    assert "nested deeper than 200 levels" in json.dumps(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("condition", "kind"),
    [
        (f"$statusCode == {HUGE}", None),
        (f"$response.body#/{HUGE} == 1", None),
        (f"$.a[{HUGE}]", {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"}),
    ],
)
def test_huge_numbers_in_criteria_are_syntax_errors_or_miss(condition: str, kind: object) -> None:
    from arazzo_runner.language.criteria import compile_criterion
    from arazzo_runner.language.expressions import EvalContext, HttpView

    try:
        criterion = compile_criterion(condition, kind, "$response.body" if kind else None)  # type: ignore[arg-type]
    except ArazzoError as exc:  # a syntax error with its place: the simple-condition lexer says why
        assert kind is not None or "too long" in str(exc)
        return
    ctx = EvalContext(status_code=200, response=HttpView(headers={}, body={"a": [1]}, body_kind="json"))
    assert criterion.evaluate(ctx).passed is False


def test_a_huge_integer_in_broken_json_text() -> None:
    # Found by the load-text fuzzer: the JSON parser asked for a better message met the number first.
    with pytest.raises(ArazzoError):
        load_text("[" + HUGE + ", ]\n{")
