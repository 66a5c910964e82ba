"""``arazzo-runner test``: a folder of documents as API tests, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.apis import PetsAPI

ROOT = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).parent / "fixtures" / "suite"
STYTCH = ROOT.parent / "shared" / "corpus" / "stytch" / "arazzo"


def _test(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "test", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=cwd,
        timeout=300,
    )


def test_a_conforming_server_passes_every_workflow() -> None:
    with PetsAPI() as api:
        done = _test(str(SUITE), "--server", api.url)
    assert done.returncode == 0, done.stdout + done.stderr
    for document, workflow in [
        ("pets", "get-pet"),
        ("pets", "list-pets"),
        ("store", "first-pet"),
        ("store", "read-pet"),
    ]:
        assert f"PASSED {SUITE / document}.arazzo.yaml::{workflow} (" in done.stdout
    assert "4 passed, 0 failed, 0 errored" in done.stdout


def test_a_broken_server_fails_naming_the_pointer_and_the_status() -> None:
    with PetsAPI(broken=True) as api:
        done = _test(str(SUITE), "--server", api.url)
    assert done.returncode == 1
    assert "contract schema (error): /0/name: expected string, got integer 5" in done.stdout
    assert "contract check 'status-code' failed (status 418 is not declared by GET /pets/{pet_id}" in done.stdout
    assert "0 passed, 4 failed, 0 errored" in done.stdout


def test_checks_at_warn_let_the_broken_server_pass() -> None:
    with PetsAPI(broken=True) as api:
        done = _test(str(SUITE), "--server", api.url, "--checks", "schema=warn,status-code=warn")
    assert done.returncode == 0, done.stdout
    assert "4 passed, 0 failed, 0 errored" in done.stdout
    assert "list: contract schema (warn): /0/name: expected string, got integer 5" in done.stdout
    assert "get: contract status-code (warn): status 418 is not declared" in done.stdout


def test_selection_by_id_skip_and_keyword() -> None:
    with PetsAPI() as api:
        only = _test(str(SUITE), "--server", api.url, "-k", "pet and not first and not list", "--json")
        skipped = _test(str(SUITE), "--server", api.url, "--skip", "read-pet", "--entry-only", "--json")
    assert only.returncode == 0, only.stderr
    assert sorted(o["workflowId"] for o in json.loads(only.stdout)["outcomes"]) == ["get-pet", "read-pet"]
    assert sorted(o["workflowId"] for o in json.loads(skipped.stdout)["outcomes"]) == [
        "first-pet",
        "get-pet",
        "list-pets",
    ]


def test_entry_only_leaves_out_called_workflows() -> None:
    with PetsAPI() as api:
        done = _test(str(SUITE / "store.arazzo.yaml"), "--server", api.url, "--entry-only", "--json")
    assert [o["workflowId"] for o in json.loads(done.stdout)["outcomes"]] == ["first-pet"]


def test_inputs_file_with_environment_values(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(
        f"{SUITE / 'store.arazzo.yaml'}:\n  read-pet:\n    pet_id: ${{PET_ID}}\nget-pet:\n  pet_id: '3'\n"
    )
    with PetsAPI() as api:
        done = _test(str(SUITE), "--server", api.url, "--inputs-file", str(inputs), env={"PET_ID": "42"})
        requests = [request.target for request in api.requests]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/pets/42" in requests and "/pets/7" in requests and "/pets/3" in requests
    unset = {k: v for k, v in os.environ.items() if k != "PET_ID"}
    done = subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "test", str(SUITE), "--inputs-file", str(inputs), "--mock"],
        capture_output=True, text=True, env={**unset, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "environment variable PET_ID is not set" in done.stdout


def test_fail_fast_and_jobs() -> None:
    with PetsAPI(broken=True) as api:
        done = _test(str(SUITE), "--server", api.url, "--fail-fast")
    assert done.returncode == 1
    assert "not run (--fail-fast)" in done.stdout
    with PetsAPI() as api:
        done = _test(str(SUITE), "--server", api.url, "--jobs", "4")
    assert done.returncode == 0 and "4 passed" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere/"], "no such file or folder, or nothing matches: nowhere/"),
        (["--checks", "schema=loud"], "severity must be error, warn or off"),
        (["-k", "pet and"], "the expression ends too soon"),
        (["-w", "no-such-flow"], "-w no-such-flow: no such workflow"),
    ],
)
def test_invalid_arguments_exit_2(args: list[str], message: str) -> None:
    paths = [] if args[0].endswith("/") else [str(SUITE)]
    done = _test(*paths, *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_document_that_does_not_load_exits_2_before_running(tmp_path: Path) -> None:
    (tmp_path / "broken.arazzo.yaml").write_text("arazzo: 1.0.1\ninfo: {title: x, version: '1'}\nworkflows: []\n")
    done = _test(str(tmp_path))
    assert done.returncode == 2
    assert "broken.arazzo.yaml" in done.stderr


def test_folders_find_arazzo_files_by_name_and_by_root_key(tmp_path: Path) -> None:
    from arazzo_runner.testing.select import discover

    (tmp_path / "a.arazzo.yml").write_text("x: 1\n")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "flow.yaml").write_text("arazzo: 1.0.1\n")
    (tmp_path / "nested" / "openapi.yaml").write_text("openapi: 3.1.0\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.arazzo.yaml").write_text("arazzo: 1.0.1\n")
    found, missing = discover([str(tmp_path)])
    assert sorted(Path(f).name for f in found) == ["a.arazzo.yml", "flow.yaml"]
    assert missing == []
    found, _ = discover([str(tmp_path / "**" / "*.yaml")])
    assert [Path(f).name for f in found] == ["flow.yaml"]


@pytest.mark.skipif(not STYTCH.is_dir(), reason="../shared/corpus/stytch is absent: the Stytch workflows are not here")
def test_the_24_stytch_workflows_pass_offline_with_every_check_at_error() -> None:
    done = _test(str(STYTCH), "--mock", "--checks", "all=error", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    report = json.loads(done.stdout)
    assert report["summary"] == {"passed": 24, "failed": 0, "errored": 0, "notRun": 0}
    outcomes = [
        c for o in report["outcomes"] for s in o["result"]["steps"] for c in s["checks"] if c["name"] == "schema"
    ]
    assert outcomes and all(c["outcome"] == "passed" for c in outcomes)  # every response schema-checked, none skipped
