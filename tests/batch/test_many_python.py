"""Runner.run_many / arun_many: one workflow over many rows of inputs, from Python."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from arazzo_runner import Runner, load
from arazzo_runner.batch import Row, StartGate, parse_rate
from tests.support.apis import ItemsAPI

SPEC = Path(__file__).parent / "fixtures" / "items.arazzo.yaml"


@pytest.fixture(scope="module")
def document():  # type: ignore[no-untyped-def]
    return load(SPEC)


def test_run_many_yields_every_row_with_its_index(document) -> None:  # type: ignore[no-untyped-def]
    with ItemsAPI() as api:
        runner = Runner(servers=api.url)
        rows = ({"item_id": f"item-{n}", "count": n} for n in range(40))
        results = list(runner.run_many(document, "fetch-item", rows, concurrency=8))
    assert sorted(r.row for r in results) == list(range(40))
    for result in results:
        assert result.status == "succeeded"
        assert result.outputs == {"id": f"item-{result.row}", "count": result.row}
    assert all(api.counts[f"item-{n}"] == 1 for n in range(40))


def test_invalid_row_is_reported_and_sends_nothing(document) -> None:  # type: ignore[no-untyped-def]
    with ItemsAPI() as api:
        runner = Runner(servers=api.url)
        rows = [{"item_id": "a"}, {"count": 3}, {"item_id": "b", "count": "three"}, {"item_id": "c"}]
        results = {r.row: r for r in runner.run_many(document, "fetch-item", rows, concurrency=2)}
    assert [results[n].status for n in range(4)] == ["succeeded", "invalid", "invalid", "succeeded"]
    assert results[1].error is not None and "'item_id' is required" in results[1].error.message
    assert results[2].to_dict()["error"]["reason"] == "invalid_inputs"
    assert set(api.counts) == {"a", "c"}


def test_max_failures_stops_starting_rows(document) -> None:  # type: ignore[no-untyped-def]
    with ItemsAPI() as api:
        runner = Runner(servers=api.url)
        rows = [{"count": 1}] * 3 + [{"item_id": f"x{n}"} for n in range(20)]
        results = list(runner.run_many(document, "fetch-item", rows, concurrency=1, max_failures=2))
    assert [r.status for r in results] == ["invalid", "invalid"]
    assert not api.counts


def test_breaking_out_early_cancels_the_rest(document) -> None:  # type: ignore[no-untyped-def]
    with ItemsAPI(delay=0.01) as api:
        runner = Runner(servers=api.url)
        seen = 0
        for _ in runner.run_many(document, "fetch-item", ({"item_id": f"i{n}"} for n in range(10_000)), concurrency=4):
            seen += 1
            if seen == 5:
                break
        total = sum(api.counts.values())
    assert 5 <= total <= 5 + 4 + 8  # what finished, what was in flight and what was buffered, never the rest


def test_arun_many_is_the_async_twin(document) -> None:  # type: ignore[no-untyped-def]
    async def main() -> list[int]:
        with ItemsAPI() as api:
            runner = Runner(servers=api.url)
            return [r.row async for r in runner.arun_many(document, "fetch-item", [{"item_id": "p"}, {"item_id": "q"}])]

    assert sorted(asyncio.run(main())) == [0, 1]


def test_rows_keep_their_own_index(document) -> None:  # type: ignore[no-untyped-def]
    with ItemsAPI() as api:
        rows = [Row(7, {"item_id": "seven"}), Row(11, None, "rows.jsonl:12: not valid JSON")]
        results = {r.row: r for r in Runner(servers=api.url).run_many(document, "fetch-item", rows)}
    assert results[7].outputs["id"] == "seven"
    assert results[11].status == "invalid" and "rows.jsonl:12" in str(results[11].error)


def test_a_429_with_retry_after_holds_every_start(document) -> None:  # type: ignore[no-untyped-def]
    with ItemsAPI(throttle=["1"]) as api:
        gate = StartGate()
        results = list(
            Runner(servers=api.url).run_many(
                document, "fetch-item", [{"item_id": f"t{n}"} for n in range(4)], concurrency=1, gate=gate
            )
        )
        arrivals = list(api.arrivals)
    assert [r.status for r in sorted(results, key=lambda r: r.row)] == ["failed", "succeeded", "succeeded", "succeeded"]
    assert arrivals[0][2] == 429
    assert arrivals[1][0] - arrivals[0][0] >= 0.95  # the next start waited out Retry-After: 1
    assert gate.holds == 1 and 0.95 <= gate.held_seconds <= 1.0


def test_start_gate_spaces_starts_by_rate() -> None:
    now = [100.0]
    starts: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    async def main() -> None:
        gate = StartGate(parse_rate("4/s"), clock=lambda: now[0], sleep=fake_sleep)
        for _ in range(5):
            await gate.wait_turn()
            starts.append(now[0])
        gate.hold(2.0)
        await gate.wait_turn()
        starts.append(now[0])

    asyncio.run(main())
    assert starts == [100.0, 100.25, 100.5, 100.75, 101.0, 103.0]


@pytest.mark.parametrize(("text", "per_second"), [("100/s", 100.0), ("120/m", 2.0), ("7200/h", 2.0), ("2.5", 2.5)])
def test_parse_rate(text: str, per_second: float) -> None:
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["0/s", "-1/s", "fast", "10/d", "inf/s", "nan"])
def test_parse_rate_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="a rate is N/s"):
        parse_rate(text)
