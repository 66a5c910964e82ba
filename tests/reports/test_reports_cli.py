"""``run -v/-vv/-q --report FORMAT=PATH``: every format written and valid, failures and bad options."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from arazzo_runner import run_workflow
from arazzo_runner.cli.app import main
from arazzo_runner.reports import Recorder, write_report
from tests.reports.fixtures import ACCESS_TOKEN, CREDENTIALS, INPUTS, script_items, write_documents
from tests.reports.support import validate_file
from tests.support.loopback import LoopbackServer, Reply

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY_ROOT / "examples"))

from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox  # noqa: E402

REFERENCE = REPOSITORY_ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
FORMATS = {"json": "report.json", "junit": "junit.xml", "har": "run.har", "markdown": "summary.md"}


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _report_args(folder: Path) -> list[str]:
    return [arg for fmt, name in FORMATS.items() for arg in ("--report", f"{fmt}={folder / name}")]


def _items_args(tmp_path: Path, server: LoopbackServer) -> list[str]:
    return [
        "run",
        str(write_documents(tmp_path)),
        "-w",
        "main",
        "--inputs",
        json.dumps(INPUTS),
        "--server",
        server.url,
        "--credential",
        f"oauth={ACCESS_TOKEN}",  # the command line takes an access token
    ]


def _reports(folder: Path) -> dict[str, str]:
    return {fmt: validate_file(fmt, folder / name) for fmt, name in FORMATS.items()}


def test_the_reference_workflow_writes_all_four_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with StytchSandbox() as sandbox:
        code = main(
            [
                "run",
                str(REFERENCE),
                "-w",
                "recovery-codes-rotate",
                "-i",
                f"organization_id={DEFAULT_ORGANIZATION_ID}",
                "-i",
                f"member_id={DEFAULT_MEMBER_ID}",
                "--server",
                sandbox.url,
                "--credential",
                f"basicAuth={sandbox.project_id}:{sandbox.secret}",
                "-vv",
                *_report_args(tmp_path),
            ]
        )
    captured = capsys.readouterr()
    assert code == 0
    reports = _reports(tmp_path)  # each validated by its schema
    report = json.loads(reports["json"])
    assert report["status"] == "succeeded" and report["stoppedBy"] is None
    assert [s["stepId"] for s in report["steps"]] == ["getRecoveryCodes", "rotateRecoveryCodes"]
    assert report["steps"][1]["exchanges"][0]["request"]["method"] == "POST"
    assert report["steps"][1]["criteria"][0]["passed"] is True
    har = json.loads(reports["har"])
    assert [e["request"]["method"] for e in har["log"]["entries"]] == ["GET", "POST"]
    assert all(e["response"]["status"] == 200 for e in har["log"]["entries"])
    suite = ElementTree.fromstring(reports["junit"]).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert "| `recovery-codes-rotate` | ✅ succeeded | 2 run |" in reports["markdown"]
    # -vv: each step's line, and the request and response with headers and bodies, on stderr
    assert "ok   getRecoveryCodes GET" in captured.err and "criteria 1/1 passed, then next" in captured.err
    assert "  > POST " in captured.err and "  > authorization: ***" in captured.err
    assert "  < 200 OK" in captured.err and '"recovery_codes"' in captured.err
    assert sandbox.secret not in captured.err
    assert "workflow recovery-codes-rotate: succeeded" in captured.out


def test_a_failing_run_has_a_junit_failure_and_exits_1(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_items(server, poll_fails=True)
    code = main([*_items_args(tmp_path, server), "-v", *_report_args(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    reports = _reports(tmp_path)
    case = ElementTree.fromstring(reports["junit"]).find("testsuite/testcase")
    assert case is not None and case.get("name") == "main"
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "unhandled_step_failure"
    assert "step 'poll'" in (failure.get("message") or "") and "404" in (failure.text or "")
    assert "poll" in (case.findtext("system-out") or "")
    report = json.loads(reports["json"])
    assert report["status"] == "failed" and report["error"]["stepId"] == "poll"
    assert "❌ failed" in reports["markdown"] and "step 'poll'" in reports["markdown"]
    assert "FAIL poll GET" in err and "criteria 0/1 passed, then stop" in err


def test_the_har_has_every_exchange_in_order_token_requests_included(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    recorder = Recorder()
    result = run_workflow(
        write_documents(tmp_path), "main", INPUTS, servers=server.url, credentials=CREDENTIALS, on_event=recorder
    )
    assert result.status == "succeeded"
    for fmt, name in FORMATS.items():
        write_report(fmt, recorder, tmp_path / name)
    entries = json.loads(_reports(tmp_path)["har"])["log"]["entries"]
    assert [(e["request"]["method"], e["request"]["url"].removeprefix(server.url)) for e in entries] == [
        ("POST", "/oauth/token"),
        ("POST", "/items"),
        ("GET", "/items/7"),
        ("GET", "/items/7"),
        ("GET", "/ping"),
    ]
    assert entries[0]["comment"] == "OAuth2 token request"
    assert [e["response"]["status"] for e in entries] == [200, 201, 503, 200, 200]
    assert entries[1]["request"]["postData"]["mimeType"] == "application/json"


def test_the_json_report_keeps_each_retry_wait_with_the_attempt_it_follows(
    tmp_path: Path, server: LoopbackServer
) -> None:
    script_items(server)
    server.script("GET", "/items/7", [Reply(status=503, headers={"Retry-After": "0"}), Reply(body={"id": 7})])
    recorder = Recorder()
    run_workflow(
        write_documents(tmp_path), "main", INPUTS, servers=server.url, credentials=CREDENTIALS, on_event=recorder
    )
    write_report("json", recorder, tmp_path / "report.json")
    steps = json.loads(validate_file("json", tmp_path / "report.json"))["steps"]
    assert [(s["stepId"], s["attempt"], s["retries"]) for s in steps] == [
        ("create", 1, []),
        ("poll", 1, [{"delayMs": 0.0, "source": "Retry-After header", "action": "again"}]),
        ("poll", 2, []),
        ("nested", 1, []),
        ("ping", 1, []),
    ]


def test_quiet_prints_only_the_result(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_items(server)
    assert main([*_items_args(tmp_path, server), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert (
        captured.out == "workflow main: succeeded in " + captured.out.split(" in ", 1)[1].split("\n")[0] + "\n  id: 7\n"
    )


def test_quiet_leaves_out_the_notes_but_v_says_which_server(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_items(server)
    args = _items_args(tmp_path, server)
    del args[args.index("--server") : args.index("--server") + 2]  # the server comes from the description
    description = tmp_path / "items.yaml"
    text = description.read_text(encoding="utf-8").replace("https://production.example.com", server.url)
    description.write_text(text, encoding="utf-8")
    assert main([*args, "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main([*args, "-v"]) == 0
    err = capsys.readouterr().err
    assert f"note: source 'items' lists 2 servers; using {server.url}" in err
    assert f"server: source 'items' -> {server.url} (the first of 2 servers in the description)" in err


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("pdf={dir}/r.pdf", "unknown format 'pdf'; formats: json, junit, har, markdown"),
        ("json={dir}/missing/r.json", "the directory {dir}/missing does not exist"),
        ("json", "--report expects FORMAT=PATH"),
        ("junit={dir}", "is a directory"),
    ],
)
def test_a_bad_report_option_exits_2_before_any_request(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str], item: str, expected: str
) -> None:
    script_items(server)
    code = main([*_items_args(tmp_path, server), "--report", item.format(dir=tmp_path)])
    assert code == 2
    assert expected.format(dir=tmp_path) in capsys.readouterr().err
    assert server.requests == []


def test_an_unwritable_report_path_exits_2(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script_items(server)
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    # Permission bits do not bind root, which runs these tests in CI: the check's own question is answered "no".
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(locked) else real_access(path, mode))
    code = main([*_items_args(tmp_path, server), "--report", f"json={locked}/r.json"])
    assert code == 2
    assert f"{locked}/r.json cannot be written" in capsys.readouterr().err
    assert server.requests == []


def test_two_reports_in_one_file_exit_2(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_items(server)
    reports = ["--report", f"json={tmp_path}/out.txt", "--report", f"har={tmp_path}/./out.txt"]
    assert main([*_items_args(tmp_path, server), *reports]) == 2
    assert f"--report har={tmp_path}/./out.txt: {tmp_path}/./out.txt is also where --report json=" in (
        capsys.readouterr().err
    )
    assert server.requests == []


def test_a_report_path_under_a_file_exits_2_saying_so(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_items(server)
    (tmp_path / "notes.txt").write_text("a file, not a folder", encoding="utf-8")
    code = main([*_items_args(tmp_path, server), "--report", f"har={tmp_path}/notes.txt/run.har"])
    assert code == 2
    assert f"{tmp_path}/notes.txt is not a directory" in capsys.readouterr().err
    assert server.requests == []


def test_a_report_the_file_system_refuses_exits_2_before_any_request(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # A report is written to PATH.partial first: where that cannot be made (here a folder is in the way,
    # which refuses root too), the report could not be written at the end, so the run does not start.
    script_items(server)
    (tmp_path / "r.json.partial").mkdir()
    code = main([*_items_args(tmp_path, server), "--report", f"json={tmp_path}/r.json"])
    assert code == 2
    assert f"--report json={tmp_path}/r.json: {tmp_path}/r.json cannot be written (Is a directory)" in (
        capsys.readouterr().err
    )
    assert server.requests == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/sys is Linux's")
def test_a_report_on_a_file_system_that_refuses_files_exits_2(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_items(server)  # docs/reports.md's example: sysfs makes no files, whoever asks (root included)
    code = main([*_items_args(tmp_path, server), "--report", "json=/sys/r.json"])
    assert code == 2
    assert "--report json=/sys/r.json: /sys/r.json cannot be written (" in capsys.readouterr().err
    assert server.requests == []


def test_checking_a_report_path_leaves_nothing_behind(tmp_path: Path, server: LoopbackServer) -> None:
    script_items(server)
    assert main([*_items_args(tmp_path, server), "-q", "--report", f"json={tmp_path}/out/r.json"]) == 2
    (tmp_path / "out").mkdir()
    assert main([*_items_args(tmp_path, server), "-q", "--report", f"json={tmp_path}/out/r.json"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.json"]


def test_a_report_that_cannot_be_written_at_the_end_is_an_error_but_the_exit_code_is_the_runs(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from arazzo_runner import reports

    def full(fmt: str, recorder: Any, path: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    script_items(server)
    # `run` looks the writer up in arazzo_runner.reports when it writes (the report writers load only then).
    monkeypatch.setattr(reports, "write_report", full)
    code = main([*_items_args(tmp_path, server), "--report", f"junit={tmp_path}/j.xml"])
    assert code == 0  # the run succeeded
    assert f"could not write the junit report to {tmp_path}/j.xml: No space left on device" in capsys.readouterr().err


def test_a_refused_connection_is_an_exchange_without_response(tmp_path: Path) -> None:
    from tests.support.loopback import refused_url

    recorder = Recorder()
    result = run_workflow(
        write_documents(tmp_path), "main", INPUTS, servers=refused_url(), credentials={"oauth": ACCESS_TOKEN},
        on_event=recorder,
    )  # fmt: skip
    assert result.status == "failed" and result.error is not None and result.error.reason == "transport_error"
    for fmt, name in FORMATS.items():
        write_report(fmt, recorder, tmp_path / name)
    entries = json.loads(validate_file("har", tmp_path / "run.har"))["log"]["entries"]
    assert [(e["response"]["status"], e["response"]["comment"]) for e in entries] == [
        (0, "no response: the request failed")
    ]
    report = json.loads(validate_file("json", tmp_path / "report.json"))
    assert report["status"] == "failed" and report["stoppedBy"] is None
    assert report["steps"][0]["exchanges"][0]["response"] is None
    assert "could not connect" in report["steps"][0]["error"]
    validate_file("junit", tmp_path / "junit.xml")


def test_binary_and_long_bodies_are_noted_not_dumped(tmp_path: Path, server: LoopbackServer) -> None:
    from arazzo_runner.engine.observe import BODY_LIMIT

    script_items(server)
    server.script("GET", "/ping", Reply(headers={"Content-Type": "image/png"}, body=b"\x89PNG\x00\x01" * 10))
    server.script("POST", "/items", Reply(status=201, body={"id": 7, "padding": "p" * (BODY_LIMIT + 5)}))
    recorder = Recorder()
    run_workflow(
        write_documents(tmp_path), "main", INPUTS, servers=server.url, credentials=CREDENTIALS, on_event=recorder
    )
    for fmt, name in FORMATS.items():
        write_report(fmt, recorder, tmp_path / name)
    entries = json.loads(validate_file("har", tmp_path / "run.har"))["log"]["entries"]
    ping = entries[-1]["response"]["content"]
    assert ping == {"size": 60, "mimeType": "image/png", "comment": "(60 bytes of binary data, not shown)"}
    created = entries[1]["response"]["content"]
    assert len(created["text"]) == BODY_LIMIT + 1 and created["text"].endswith("…")
    assert created["comment"] == "the body is cut at the report's body limit"
    report = json.loads(validate_file("json", tmp_path / "report.json"))
    nested_ping = next(s for s in report["steps"] if s["stepId"] == "ping")["exchanges"][0]["response"]
    assert nested_ping["bodyBinary"] is True and nested_ping["bodySize"] == 60


def test_report_with_each_is_refused_before_any_request(
    tmp_path: Path, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script_items(server)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps(INPUTS) + "\n", encoding="utf-8")
    code = main([*_items_args(tmp_path, server), "--each", str(rows), "--report", f"json={tmp_path}/r.json"])
    assert code == 2
    assert "--report describes one run" in capsys.readouterr().err
    assert server.requests == []
