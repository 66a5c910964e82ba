"""``arazzo-runner run --each``: rows from JSON Lines or CSV, results as JSON Lines, resume, shards, rate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.apis import ItemsAPI

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).parent / "fixtures" / "items.arazzo.yaml"


def _command(api: ItemsAPI, *extra: str) -> list[str]:
    return [sys.executable, "-m", "arazzo_runner", "run", str(SPEC), "-w", "fetch-item", "--server", api.url, *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _run(api: ItemsAPI, *extra: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(api, *extra), input=stdin, capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120
    )


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write_jsonl(path: Path, count: int, prefix: str = "item") -> Path:
    path.write_text("".join(json.dumps({"item_id": f"{prefix}-{n}"}) + "\n" for n in range(count)))
    return path


def test_jsonl_rows_to_output_file(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"item_id": "a", "count": 1}\n\n{"item_id": "b"}\nnot json\n{"count": 2}\n')
    out = tmp_path / "out.jsonl"
    with ItemsAPI() as api:
        done = _run(api, "--each", str(rows), "--output", str(out), "--concurrency", "2")
    assert done.returncode == 1, done.stderr
    lines = {line["row"]: line for line in _lines(out)}
    assert lines[0]["status"] == "succeeded" and lines[0]["outputs"] == {"id": "a", "count": 1}
    assert lines[1]["status"] == "succeeded"
    assert lines[2]["status"] == "invalid" and f"{rows}:4: not valid JSON" in lines[2]["error"]["message"]
    assert lines[3]["status"] == "invalid" and "'item_id' is required" in lines[3]["error"]["message"]
    assert set(lines[0]) == {"row", "status", "outputs", "error", "duration_ms"}
    assert "4 rows: 2 succeeded, 0 failed, 2 invalid" in done.stderr
    assert set(api.counts) == {"a", "b"}


def test_csv_values_are_read_by_schema_type_and_common_inputs_apply(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("item_id,count\nx,7\ny,\n")
    with ItemsAPI() as api:
        done = _run(api, "--each", str(rows), "-i", "count=3")
    assert done.returncode == 0, done.stderr
    lines = {line["row"]: line for line in map(json.loads, done.stdout.splitlines())}
    assert lines[0]["outputs"] == {"id": "x", "count": 7}  # "7" read as an integer; the row's own value wins
    assert lines[1]["outputs"] == {"id": "y", "count": 3}  # an empty cell leaves the common value


def test_stdin_rows(tmp_path: Path) -> None:
    with ItemsAPI() as api:
        done = _run(api, "--each", "-", stdin='{"item_id": "s1"}\n{"item_id": "s2"}\n')
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(line)["outputs"]["id"] for line in done.stdout.splitlines()) == ["s1", "s2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--each", "rows.txt"], "name the file .jsonl (JSON Lines) or .csv"),
        (["--each", "missing.jsonl"], "missing.jsonl: no such file"),
        (["--each", "rows.jsonl", "--resume"], "--resume needs --output FILE"),
        (["--each", "rows.jsonl", "--shard", "3/3"], "--shard takes I/N with 0 <= I < N"),
        (["--each", "rows.jsonl", "--rate", "fast"], "a rate is N/s"),
        (["--each", "rows.jsonl", "--concurrency", "0"], "is not a whole number of at least 1"),
        (["--each", "bad.csv"], "column 'colour' is not an input of workflow 'fetch-item'"),
        (["--each", "rows.jsonl", "--output", "no/such/dir/out.jsonl"], "does not exist"),
    ],
)
def test_bad_arguments_exit_2_before_any_request(tmp_path: Path, args: list[str], message: str) -> None:
    _write_jsonl(tmp_path / "rows.jsonl", 2)
    (tmp_path / "rows.txt").write_text("{}\n")
    (tmp_path / "bad.csv").write_text("colour\nred\n")
    with ItemsAPI() as api:
        done = subprocess.run(
            _command(api, *args), capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60
        )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert not api.counts


def test_shards_concatenate_to_every_row_once(tmp_path: Path) -> None:
    rows = _write_jsonl(tmp_path / "rows.jsonl", 31)
    with ItemsAPI() as api:
        for shard in range(3):
            done = _run(api, "--each", str(rows), "--shard", f"{shard}/3", "--output", str(tmp_path / f"{shard}.jsonl"))
            assert done.returncode == 0, done.stderr
        merged = [line for shard in range(3) for line in _lines(tmp_path / f"{shard}.jsonl")]
    assert sorted(line["row"] for line in merged) == list(range(31))
    assert all(line["outputs"]["id"] == f"item-{line['row']}" for line in merged)
    assert {line["row"] % 3 for line in _lines(tmp_path / "1.jsonl")} == {1}
    assert sum(api.counts.values()) == 31


def test_rate_limits_starts(tmp_path: Path) -> None:
    rows = _write_jsonl(tmp_path / "rows.jsonl", 300)
    with ItemsAPI() as api:
        done = _run(api, "--each", str(rows), "--rate", "100/s", "--concurrency", "10", "--output", str(tmp_path / "o"))
        arrivals = sorted(t for t, _, _ in api.arrivals)
    assert done.returncode == 0, done.stderr
    assert len(arrivals) == 300
    assert arrivals[-1] - arrivals[0] >= 2.9  # 300 starts at 100/s: the last starts 2.99 s after the first


def test_retry_after_holds_all_starts_and_the_summary_says_so(tmp_path: Path) -> None:
    rows = _write_jsonl(tmp_path / "rows.jsonl", 6)
    with ItemsAPI(throttle=["1"]) as api:
        done = _run(api, "--each", str(rows), "--concurrency", "3", "--output", str(tmp_path / "o"))
        arrivals = sorted(api.arrivals)
    assert done.returncode == 1  # the throttled row failed: its step has no retry action
    first_429 = next(t for t, _, status in arrivals if status == 429)
    later = [t for t, _, _ in arrivals if t > first_429]
    assert later[-1] - first_429 >= 0.95
    assert "starts held back 1.0 s by 429/503 Retry-After (1x)" in done.stderr


def test_kill_9_then_resume_gives_exactly_one_line_per_row(tmp_path: Path) -> None:
    rows = _write_jsonl(tmp_path / "rows.jsonl", 3000)
    out = tmp_path / "out.jsonl"
    concurrency = 20
    with ItemsAPI(delay=0.002) as api:
        process = subprocess.Popen(
            _command(api, "--each", str(rows), "--concurrency", str(concurrency), "--output", str(out)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=_env(),
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 60_000):
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        written_at_kill = sum(1 for _ in out.open())
        assert 0 < written_at_kill < 3000, "the run must be killed part-way for this test to mean anything"
        before = dict(api.counts)
        done = _run(api, "--each", str(rows), "--concurrency", str(concurrency), "--output", str(out), "--resume")
        assert done.returncode == 0, done.stderr
        counts = dict(api.counts)
    lines = _lines(out)
    assert len(lines) == 3000
    assert sorted(line["row"] for line in lines) == list(range(3000))
    assert all(line["status"] == "succeeded" for line in lines)
    # Each row's request reached the server once, except rows in flight at the kill (or whose line was
    # being written): those ran again, and there are at most `concurrency` of them plus the torn line.
    assert all(counts[f"item-{n}"] >= 1 for n in range(3000))
    repeated = [item for item, count in counts.items() if count > 1]
    assert len(repeated) <= concurrency + 1
    assert all(counts[item] == 2 for item in repeated)
    assert all(item in before for item in repeated)
    assert "from an earlier run" in done.stderr


def test_a_torn_last_line_is_cut_and_its_row_runs_again(tmp_path: Path) -> None:
    rows = _write_jsonl(tmp_path / "rows.jsonl", 3)
    out = tmp_path / "out.jsonl"
    out.write_text('{"row": 0, "status": "succeeded", "outputs": {}, "error": null, "duration_ms": 1}\n{"row": 1, "sta')
    with ItemsAPI() as api:
        done = _run(api, "--each", str(rows), "--output", str(out), "--resume")
    assert done.returncode == 0, done.stderr
    assert sorted(line["row"] for line in _lines(out)) == [0, 1, 2]
    assert dict(api.counts) == {"item-1": 1, "item-2": 1}


def test_resume_refuses_a_file_that_is_not_ours(tmp_path: Path) -> None:
    rows = _write_jsonl(tmp_path / "rows.jsonl", 3)
    out = tmp_path / "out.jsonl"
    out.write_text("hello\n" + json.dumps({"row": 0, "status": "succeeded"}) + "\n")
    with ItemsAPI() as api:
        done = _run(api, "--each", str(rows), "--output", str(out), "--resume")
    assert done.returncode == 2
    assert "line 1 is not a result line" in done.stderr


def test_mock_mode_rows(tmp_path: Path) -> None:
    rows = _write_jsonl(tmp_path / "rows.jsonl", 3)
    done = subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "run", str(SPEC), "-w", "fetch-item", "--mock", "--each", str(rows)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["status"] for line in done.stdout.splitlines()] == ["succeeded"] * 3
