"""Run-level limits and command-line edges: run_timeout names the step, --run-timeout, --server twice, closed pipes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arazzo_runner import Limits
from arazzo_runner.cli.app import main

from .support import ROOT, RawServer, run_workflow_bounded, write_spec

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{"v": 42}'


def _first_answers_second_hangs(conn: socket.socket, request: bytes) -> None:
    if request.startswith(b"GET /r "):
        conn.sendall(OK)
    else:
        time.sleep(15)  # longer than any bound below: only run_timeout can end the run


def test_run_timeout_names_the_running_step_and_keeps_finished_outputs(tmp_path: Path) -> None:
    with RawServer(_first_answers_second_hangs) as server:
        spec = write_spec(
            tmp_path,
            server.url,
            steps=[{"id": "first", "op": "r", "outputs": "{v: $response.body#/v}"}, {"id": "second", "op": "s"}],
            outputs="{v: $steps.first.outputs.v}",
        )
        result, _ = run_workflow_bounded(spec, seconds=12, limits={"run_timeout": 1.0})
    assert result["status"] == "failed"
    assert result["error"]["reason"] == "run_timeout"
    assert result["error"]["step_id"] == "second"  # DEC-42: the limit names where the run was
    assert "during step 'second' of workflow 'w'" in result["error"]["message"]
    assert result["outputs"] == {"v": 42}


def test_cli_run_timeout_option(tmp_path: Path) -> None:
    with RawServer(_first_answers_second_hangs) as server:
        spec = write_spec(tmp_path, server.url, steps=[{"id": "second", "op": "s"}])
        done = subprocess.run(
            [sys.executable, "-m", "arazzo_runner", "run", str(spec), "-w", "w", "--run-timeout", "1", "--json"],
            capture_output=True,
            text=True,
            timeout=12,
            cwd=ROOT,
        )
    assert done.returncode == 1, done.stderr
    assert "longer than run_timeout (1s)" in done.stdout


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_cli_run_timeout_must_be_positive_and_finite(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "x.yaml", "-w", "w", "--run-timeout", value])
    assert exited.value.code == 2
    assert "positive, finite number of seconds" in capsys.readouterr().err


def test_two_unnamed_servers_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    code = main(["run", str(spec), "-w", "w", "--server", "http://127.0.0.1:1", "--server", "http://127.0.0.1:2"])
    assert code == 2
    assert "two URLs for every source" in capsys.readouterr().err


def test_one_source_named_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    code = main(
        ["run", str(spec), "-w", "w", "--server", "api=http://127.0.0.1:1", "--server", "api=http://127.0.0.1:2"]
    )
    assert code == 2
    assert "source 'api' is given twice" in capsys.readouterr().err


def test_a_closed_stdout_keeps_the_exit_code_of_list(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    # The reader exits before reading: the writes meet a closed pipe (or fit in its buffer); either way 0.
    done = subprocess.run(
        f"{sys.executable} -m arazzo_runner list {spec} | true; echo exit=${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert "exit=0" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_closed_stdout_keeps_the_exit_code_of_a_successful_run(tmp_path: Path) -> None:
    with RawServer(lambda conn, request: conn.sendall(OK)) as server:
        spec = write_spec(tmp_path, server.url, steps=[{"id": "s", "op": "r", "outputs": "{v: $response.body#/v}"}])
        done = subprocess.run(
            f"{sys.executable} -m arazzo_runner run {spec} -w w --json | head -c 1 >/dev/null; "
            "echo exit=${PIPESTATUS[0]}",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            text=True,
            timeout=30,
            cwd=ROOT,
        )
    assert "exit=0" in done.stdout, done.stderr
    assert "Traceback" not in done.stderr


def test_the_limits_page_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/limits.md: its Python example runs as written against a workflow whose server answers."""
    page = (ROOT / "docs" / "limits.md").read_text()
    example = page.split("```python\n", 1)[1].split("```", 1)[0]
    with RawServer(lambda conn, request: conn.sendall(OK)) as server:
        write_spec(tmp_path, server.url)
        monkeypatch.chdir(tmp_path)
        namespace: dict[str, object] = {}
        exec(compile(example, "docs/limits.md", "exec"), namespace)
    result = namespace["result"]
    assert getattr(result, "status", None) == "succeeded"
    assert namespace["limits"] == Limits(run_timeout=60, max_response_bytes=4 * 1024 * 1024, criterion_timeout=0.5)


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        (["http://127.0.0.1:1", "http://127.0.0.1:2"], "two URLs for every source"),
        (["api=http://127.0.0.1:1", "api=http://127.0.0.1:2"], "source 'api' is given twice"),
    ],
)
def test_the_test_command_refuses_ambiguous_servers_too(
    tmp_path: Path, servers: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9")
    argv = ["test", str(spec)]
    for server in servers:
        argv += ["--server", server]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
