"""NaN, infinities and negative numbers wherever a number is expected: refused in words, never slept on.

Documents (every field, with the pointer and line), command-line options (exit 2 naming the option),
``Limits`` and ``timeout=`` from Python (``ValueError`` naming the field) and JSON inputs.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from arazzo_runner import Limits, load, run_workflow
from arazzo_runner.batch import StartGate, parse_rate
from arazzo_runner.cli.app import main
from arazzo_runner.errors import ArazzoError

from .support import RawServer, run_workflow_bounded, send_all, write_spec


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))
    return spec


STEP_LINE = "        operationId: r\n"


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1e400", "-1e999"])
def test_a_non_finite_parameter_value_is_a_load_error_with_its_pointer_and_line(tmp_path: Path, value: str) -> None:
    # Line 11 of the document: the value of the first parameter of the first step.
    spec = _edited(
        tmp_path, STEP_LINE, STEP_LINE + f"        parameters:\n          - {{name: q, in: query, value: {value}}}\n"
    )
    with pytest.raises(ArazzoError) as raised:
        load(spec)
    text = str(raised.value)
    assert "not a number JSON can hold" in text
    assert "/workflows/0/steps/0/parameters/0/value" in text
    assert "arazzo.yaml:11" in text


def test_a_non_finite_number_in_an_inputs_schema_and_a_payload_are_both_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _edited(
        tmp_path,
        "  - workflowId: w\n",
        "  - workflowId: w\n    inputs: {type: object, properties: {n: {type: number, maximum: .inf}}}\n",
    )
    text = spec.read_text().replace(STEP_LINE, STEP_LINE + "        requestBody: {payload: {n: .nan}}\n", 1)
    spec.write_text(text)
    assert main(["check", str(spec)]) != 0
    out = capsys.readouterr().out
    assert "/workflows/0/inputs/properties/n/maximum" in out
    assert "/workflows/0/steps/0/requestBody/payload/n" in out
    assert out.count("not a number JSON can hold") == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("retryAfter", "1e400", "'retryAfter' must be a number of seconds >= 0"),
        ("retryLimit", ".inf", "'retryLimit' must be an integer >= 0"),
        ("retryLimit", ".nan", "'retryLimit' must be an integer >= 0"),
        ("retryLimit", "-3", "'retryLimit' must be an integer >= 0"),
    ],
)
def test_retry_fields_refuse_non_finite_numbers_once(tmp_path: Path, field: str, value: str, message: str) -> None:
    action = f"        onFailure:\n          - {{name: again, type: retry, {field}: {value}}}\n"
    spec = _edited(tmp_path, STEP_LINE, STEP_LINE + action)
    with pytest.raises(ArazzoError) as raised:
        load(spec)
    text = str(raised.value)
    assert message in text
    assert f"/workflows/0/steps/0/onFailure/0/{field}" in text
    assert "not a number JSON can hold" not in text  # one error for one field, the field's own


@pytest.mark.parametrize("value", [".nan", ".inf", "-5", "1.5"])
def test_a_step_timeout_must_be_whole_non_negative_milliseconds(tmp_path: Path, value: str) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    text = (
        spec.read_text()
        .replace("arazzo: 1.0.0", "arazzo: 1.1.0")
        .replace(STEP_LINE, STEP_LINE + f"        timeout: {value}\n", 1)
    )
    spec.write_text(text)
    with pytest.raises(ArazzoError) as raised:
        load(spec)
    assert "'timeout' must be a whole number of milliseconds >= 0" in str(raised.value)
    assert "/workflows/0/steps/0/timeout" in str(raised.value)


@pytest.mark.parametrize("option", ["--timeout", "--run-timeout"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_run_time_options_refuse_non_finite_values(
    tmp_path: Path, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(SystemExit) as raised:
        main(["run", str(spec), "-w", "w", f"{option}={value}"])
    assert raised.value.code == 2
    assert option in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "{spec}", "-w", "w", "--each", "{rows}", "--rate", "nan"],
        ["run", "{spec}", "-w", "w", "--each", "{rows}", "--rate", "1e-320/s"],
        ["test", "{spec}", "--timeout", "nan"],
        ["test", "{spec}", "--timeout", "-2"],
        ["test", "{spec}", "--jobs", "-1"],
        ["serve", "{spec}", "--max-response-bytes", "-1"],
        ["serve", "{spec}", "--timeout", "inf"],
    ],
)
def test_other_numeric_options_refuse_nan_inf_and_negatives(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    rows = tmp_path / "rows.csv"
    rows.write_text("a\n1\n")
    filled = [item.format(spec=spec, rows=rows) for item in argv]
    with pytest.raises(SystemExit) as raised:
        main(filled)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert filled[-2] in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "field",
    [
        "max_steps",
        "max_depth",
        "max_retry_delay",
        "request_timeout",
        "run_timeout",
        "max_response_bytes",
        "criterion_timeout",
    ],
)
@pytest.mark.parametrize("value", [math.nan, math.inf, -1])
def test_limits_refuse_non_finite_and_negative_fields(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"Limits.{field}"):
        Limits(**{field: value})


def test_limits_keep_none_where_none_means_no_limit() -> None:
    limits = Limits(run_timeout=None, request_timeout=None, max_response_bytes=None)
    assert limits.run_timeout is None and limits.max_response_bytes is None


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0.0])
def test_run_workflow_refuses_a_timeout_that_is_not_a_positive_finite_number(tmp_path: Path, value: float) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(ValueError, match="timeout"):
        run_workflow(spec, "w", {}, timeout=value)


@pytest.mark.parametrize("rate", [math.nan, math.inf, -1.0, 0.0, 1e-320])
def test_a_start_rate_must_be_positive_and_finite(rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        StartGate(rate)
    with pytest.raises(ValueError, match="rate"):
        parse_rate(f"{rate!r}/s")


@pytest.mark.parametrize("text", ['{"n": NaN}', '{"n": Infinity}', '{"n": -Infinity}', '{"n": 1e400}'])
def test_json_inputs_with_non_finite_numbers_exit_2_naming_the_option(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    assert main(["run", str(spec), "-w", "w", "--inputs", text]) == 2
    err = capsys.readouterr().err
    assert "--inputs" in err and "not a number JSON can hold" in err
    (tmp_path / "in.json").write_text(text)
    assert main(["run", str(spec), "-w", "w", "--inputs", f"@{tmp_path / 'in.json'}"]) == 2
    assert "not a number JSON can hold" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e999", '{"a": NaN}'])
def test_dash_i_values_with_non_finite_numbers_exit_2(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _edited(
        tmp_path,
        "  - workflowId: w\n",
        "  - workflowId: w\n    inputs: {type: object, properties: {n: {type: [number, object]}}}\n",
    )
    assert main(["run", str(spec), "-w", "w", "-i", f"n={value}"]) == 2
    err = capsys.readouterr().err
    assert "'n'" in err and "Traceback" not in err


def test_rows_and_the_test_command_refuse_non_finite_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from arazzo_runner.batch.rows import read_jsonl

    rows = list(read_jsonl(['{"n": NaN}\n', '{"n": 1}\n'], "rows.jsonl"))
    assert rows[0].inputs is None and "rows.jsonl:1" in str(rows[0].problem) and "NaN" in str(rows[0].problem)
    assert rows[1].inputs == {"n": 1}
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    for text in ('{"n": Infinity}', '{"n": ' + "9" * 5000 + "}", "[" * 100000):
        assert main(["test", str(spec), "--inputs", text]) == 2
        assert "--inputs" in capsys.readouterr().err


NAN_BODY = b'{"v": NaN, "w": Infinity}'
NAN_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: nan\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(NAN_BODY), NAN_BODY)
)


def test_nan_in_a_response_never_reaches_a_wait(tmp_path: Path) -> None:
    """A body's NaN is read as Python reads it; a ``Retry-After: nan`` is not a delay: the retry waits retryAfter."""
    with RawServer(send_all(NAN_ANSWER)) as server:
        spec = write_spec(tmp_path, server.url, steps=[{"id": "s", "op": "r", "outputs": "{v: $response.body#/v}"}])
        text = spec.read_text().replace(
            "        outputs: {v:",
            "        onFailure: [{name: again, type: retry, retryAfter: 0, retryLimit: 2}]\n        outputs: {v:",
            1,
        )
        spec.write_text(text)
        report, _done = run_workflow_bounded(spec, seconds=60, limits={"run_timeout": 30})
    assert report["status"] == "failed"
    assert report["error"]["reason"] != "run_timeout"
    assert report["steps"] == ["s", "s", "s"]  # the first attempt and two retries, none waiting on NaN
