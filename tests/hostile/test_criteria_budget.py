"""Criteria that backtrack or take polynomial time are bounded by criterion_timeout (issue item 2)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

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
