"""Criteria that backtrack or take polynomial time are bounded by criterion_timeout."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arazzo_runner.language.criteria.linear import linear_regex, to_re2
from arazzo_runner.language.criteria.matchers import compile_jsonpath, compile_regex

from .support import RawServer, run_workflow_bounded, write_spec


@pytest.mark.parametrize("pattern", [r"^(a+)+$", r"^(\w+\s?)*$", r"(x+x+)+y", r"^(a|aa)+$"])
def test_catastrophic_patterns_run_in_linear_time(pattern: str) -> None:
    matcher = compile_regex(pattern)
    assert matcher.linear is not None
    passed, explanation = matcher.check("a" * 5000 + "!", "text")  # hours with backtracking
    assert passed is False and "did not match" in explanation


def test_a_backreference_pattern_is_stopped_at_the_budget_in_a_run(tmp_path: Path) -> None:
    body = json.dumps({"v": "a" * 40 + "!"}).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)

    def answer(conn: socket.socket, request: bytes) -> None:
        conn.sendall(head + body)

    criteria = r"[{context: $response.body#/v, condition: '^(a+)+\1$', type: regex}]"
    with RawServer(answer) as server:
        spec = write_spec(tmp_path, server.url, steps=[{"id": "s", "op": "r", "criteria": criteria}])
        result, _ = run_workflow_bounded(spec, seconds=30, limits={"criterion_timeout": 0.5})
    assert result["status"] == "failed"
    assert result["error"]["step_id"] == "s"
    assert "did not finish within criterion_timeout (0.5s)" in result["error"]["message"]


def test_a_filter_over_a_large_document_is_bounded() -> None:
    matcher = compile_jsonpath("$[?@.a == 1]")
    document = [{"a": i % 3} for i in range(3000)]
    passed, explanation = matcher.check(document, "json")
    assert passed and "selected 1000 nodes" in explanation


# -- the translation keeps ECMA-262's meaning ---------------------------------------
ATOMS = [
    "a",
    "b",
    ".",
    r"\s",
    r"\S",
    r"\d",
    r"\w",
    r"\W",
    "[ab]",
    "[^a]",
    r"[\s]",
    "(a|b)",
    "(?:ab)",
    "^",
    "$",
    r"\.",
    " ",
]
QUANT = ["", "*", "+", "?", "{2}", "{1,2}", "*?"]


@st.composite
def patterns(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(ATOMS), st.sampled_from(QUANT)), min_size=1, max_size=5))
    return "".join(atom + (q if atom not in ("^", "$") else "") for atom, q in parts)


TEXT = st.text(alphabet=["a", "b", " ", "\n", "\r", "\u2028", "\u00a0", "\t", "1", "_", ".", "é"], max_size=12)


@settings(max_examples=300, deadline=None)
@given(patterns(), TEXT)
def test_linear_matching_agrees_with_regress(pattern: str, text: str) -> None:
    linear = linear_regex(pattern)
    assert linear is not None, pattern
    expected = compile_regex(pattern, linear=False).regex.find(text) is not None
    assert linear.find(text) is expected, (pattern, to_re2(pattern), text)


@pytest.mark.parametrize(
    "pattern", [r"(a)\1", r"(?=a)", r"(?<!a)b", r"\cA", r"[]", r"[^]", r"\ud83d", r"\p{L}", r"[[:alpha:]]"]
)
def test_patterns_re2_would_read_differently_are_not_translated(pattern: str) -> None:
    assert to_re2(pattern) is None


def test_a_criterion_in_the_worker_does_not_hold_other_runs_on_the_same_loop(tmp_path: Path) -> None:
    """Two runs on one event loop: the one whose criterion backtracks in the worker does not stop the other.

    The quick run's server waits half a second before answering, so the slow run's criterion is in the
    worker by then; the quick run must still finish first, while the slow one is stopped at its budget.
    """
    import asyncio
    import time

    from arazzo_runner import Limits, arun_workflow

    evil = json.dumps({"v": "a" * 40 + "!"}).encode()
    fine = json.dumps({"v": "ok"}).encode()

    def answer(body: bytes, wait: float) -> Callable[[socket.socket, bytes], None]:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)

        def handler(conn: socket.socket, request: bytes) -> None:
            time.sleep(wait)
            conn.sendall(head + body)

        return handler

    (tmp_path / "slow").mkdir()
    (tmp_path / "quick").mkdir()
    slow_criteria = r"[{context: $response.body#/v, condition: '^(a+)+\1$', type: regex}]"
    quick_criteria = r"[{context: $response.body#/v, condition: '^(o)k\1?$', type: regex}]"  # the worker too
    with RawServer(answer(evil, 0)) as slow_server, RawServer(answer(fine, 0.5)) as quick_server:
        slow = write_spec(tmp_path / "slow", slow_server.url, steps=[{"id": "s", "op": "r", "criteria": slow_criteria}])
        quick = write_spec(
            tmp_path / "quick", quick_server.url, steps=[{"id": "q", "op": "r", "criteria": quick_criteria}]
        )

        async def both() -> list[str]:
            order: list[str] = []

            async def run(name: str, spec: Path) -> Any:
                result = await arun_workflow(spec, "w", {}, limits=Limits(criterion_timeout=4, run_timeout=60))
                order.append(name)
                return result

            slow_task = asyncio.create_task(run("slow", slow))
            quick_result = await run("quick", quick)
            assert quick_result.status == "succeeded", quick_result.error
            slow_result = await slow_task
            assert slow_result.status == "failed"
            assert "did not finish within criterion_timeout (4s)" in slow_result.error.message
            return order

        assert asyncio.run(both()) == ["quick", "slow"]


# -- Goessner filters and deeply nested documents go to the worker too ----------------
def _nested(levels: int) -> dict[str, Any]:
    """An object nested ``levels`` deep, five nodes a level, whose innermost member is ``x: 1``."""
    document: dict[str, Any] = {"x": 1}
    for _ in range(levels):
        document = {"a": document, "b": [1, 2, 3]}
    return document


def test_a_goessner_filter_over_a_large_document_is_bounded() -> None:
    """``..`` inside a filter visits every subtree from every node: quadratic in the depth, so under the budget."""
    from arazzo_runner.language.criteria.budget import CRITERION_TIMEOUT
    from arazzo_runner.language.criteria.goessner import compile_goessner
    from arazzo_runner.language.criteria.matchers import GoessnerMatcher

    matcher = GoessnerMatcher(compile_goessner("$..[?(@..x == 1)]"))
    token = CRITERION_TIMEOUT.set(0.2)
    try:
        passed, explanation = matcher.check(_nested(800), "json")  # seconds when evaluated in the process
    finally:
        CRITERION_TIMEOUT.reset(token)
    assert passed is False
    assert "was stopped: it did not finish within criterion_timeout (0.2s)" in explanation


def test_a_goessner_filter_in_the_worker_gives_the_same_answer() -> None:
    from arazzo_runner.language.criteria.goessner import compile_goessner
    from arazzo_runner.language.criteria.matchers import GoessnerMatcher

    document = [{"a": i % 3, "i": i} for i in range(3000)]
    for query in ("$[?(@.a == 1)].i", "$[?(@.i == 2999)].i", "$[?(@.a == 7)]"):
        compiled = compile_goessner(query)
        bounded = GoessnerMatcher(compiled).check(document, "json")
        in_process = GoessnerMatcher(compiled, bounded=False).check(document, "json")
        assert bounded == in_process
    assert GoessnerMatcher(compile_goessner("$[?(@.i == 2999)].i")).check(document, "json")[0] is True


@pytest.mark.parametrize("levels", [600, 900])
@pytest.mark.parametrize(
    ("kind", "query", "selected"),
    [("goessner", "$..[?(@.x == 1)]", 'selected {"x":1}'), ("jsonpath", "$.a.b[?@ == 3]", "selected 1 node (3)")],
)
def test_a_document_nested_too_deeply_for_pickle_still_reaches_the_worker(
    levels: int, kind: str, query: str, selected: str
) -> None:
    """The worker is handed JSON text when the document is deeper than ``pickle`` goes (about 490 levels)."""
    from arazzo_runner.language.criteria.budget import evaluate_bounded

    passed, explanation = evaluate_bounded(kind, query, "", _nested(levels), "json")
    assert passed is True, explanation
    assert selected in explanation
