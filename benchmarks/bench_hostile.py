"""How long refusing a hostile document takes: an alias bomb (ten million nodes) against a small valid document.

Prints the ratio ``alias bomb refusal / small document load`` (median of several rounds, side by side in one
process): the refusal should cost about what reading a million nodes costs, never the ten million it names.
"""

from __future__ import annotations

import statistics
import time

from arazzo_runner.errors import DocumentError
from arazzo_runner.sources.yamlsource import parse_document

ROUNDS = 5


def _bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


SMALL = "".join(f"k{i}: {{a: [1, 2, 3], b: text {i}}}\n" for i in range(1000))  # about 8,000 nodes


def _refuse(text: str) -> float:
    started = time.perf_counter()
    try:
        parse_document(text, "bomb.yaml")
    except DocumentError:
        pass
    else:
        raise SystemExit("the alias bomb was not refused")
    return time.perf_counter() - started


def _parse(text: str) -> float:
    started = time.perf_counter()
    parse_document(text, "small.yaml")
    return time.perf_counter() - started


def main() -> None:
    bomb = _bomb()
    refusals, loads = [], []
    for _ in range(ROUNDS):
        refusals.append(_refuse(bomb))
        loads.append(_parse(SMALL))
    refusal, load = statistics.median(refusals), statistics.median(loads)
    print(
        f"alias bomb refused in {refusal * 1000:.0f} ms (median of {ROUNDS}); 8,000-node document: {load * 1000:.1f} ms"
    )
    print(f"ratio alias-bomb refusal / small load: {refusal / load:.1f}x")


if __name__ == "__main__":
    main()
