"""``arazzo-runner mock``: the same responses over real HTTP on 127.0.0.1; and ``run --mock`` from the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from arazzo_runner import load, run_workflow
from arazzo_runner.cli.app import main
from arazzo_runner.mock import MockResponder, make_server

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OPENAPI = FIXTURES / "petstore.openapi.yaml"
SPEC = FIXTURES / "petstore.arazzo.yaml"


@pytest.fixture()
def served():
    doc = load(SPEC)
    responder = MockResponder.for_document(doc)
    lines: list[str] = []
    server = make_server(responder, 0, log=lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield doc, f"http://127.0.0.1:{server.server_address[1]}", lines
    finally:
        server.shutdown()
        server.server_close()


def test_the_server_answers_like_the_transport(served):
    _, url, lines = served
    with httpx.Client(base_url=url, headers={"X-API-Key": "k"}) as client:
        ok = client.get("/api/v1/pets/4")
        bad = client.post("/api/v1/pets", json={"name": 1})
        head = client.head("/health")
    assert ok.status_code == 200 and ok.headers["x-mock-operation"] == "getPetById" and "owner" in ok.json()
    assert bad.status_code == 400 and "request body at /name: 1 is not of type 'string'" in bad.json()["problems"]
    assert head.status_code == 200 and head.content == b""
    assert lines[:2] == ["GET /api/v1/pets/4 -> 200 (getPetById)", "POST /api/v1/pets -> 400 (createPet)"]


def test_a_workflow_runs_against_the_server(served):
    doc, url, _ = served
    result = run_workflow(doc, "adopt-pet", {"name": "Rex"}, servers=url, credentials={"apiKey": "k"})
    assert result.status == "succeeded", result.error
    assert result.outputs["name"] == "Rex"


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def test_the_mock_command_serves_until_interrupted():
    process = subprocess.Popen(
        [sys.executable, "-m", "arazzo_runner", "mock", str(OPENAPI), "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        first = process.stdout.readline()
        assert "(6 operations) on http://127.0.0.1:" in first, first + process.stderr.read()
        url = first.split(" on ", 1)[1].split()[0]
        response = httpx.get(url + "/api/v1/health", timeout=5)
        assert response.status_code == 200 and response.text == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "GET /api/v1/health -> 200 (health)" in err and "mock server stopped" in err


def test_the_mock_command_refuses_a_bad_scenario(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("noSuchOperation: 500\n", encoding="utf-8")
    assert main(["mock", str(OPENAPI), "--port", "0", "--scenario", str(scenario)]) == 2
    assert "'noSuchOperation' is neither a stepId nor an operationId" in capsys.readouterr().err


def test_run_mock_from_the_cli(capsys):
    code = main(["run", str(SPEC), "-w", "adopt-pet", "-i", "name=Rex", "--credential", "apiKey=k", "--mock", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "succeeded" and out["outputs"]["name"] == "Rex"


def test_run_mock_scenario_from_the_cli(tmp_path, capsys):
    scenario = tmp_path / "fail.yaml"
    scenario.write_text("getPet:\n  status: 500\n", encoding="utf-8")
    code = main(
        [
            "run",
            str(SPEC),
            "-w",
            "adopt-pet",
            "-i",
            "name=Rex",
            "--credential",
            "apiKey=k",
            "--mock-scenario",
            str(scenario),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "step 'getPet'" in out and "500" in out


def test_the_mock_command_accepts_an_arazzo_document_too():
    from arazzo_runner.cli.mock import build_responder

    responder = build_responder(str(SPEC), seed=0, scenario={"createPet": 503}, validate=True)
    answer = responder.respond(
        "POST",
        "http://127.0.0.1/api/v1/pets",
        [("X-API-Key", "k"), ("Content-Type", "application/json")],
        json.dumps({"name": "Rex", "status": "sold", "tags": ["abc-12", "abc-13"]}).encode(),
    )
    assert answer.status == 503 and responder.log[-1].step_id == "createPet"
    assert (
        responder.respond("DELETE", "http://127.0.0.1/api/v1/pets/1", [("X-API-Key", "k")], b"").status == 204
    )  # from the step's criteria
