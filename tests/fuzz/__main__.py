"""``python -m tests.fuzz [--examples N] [NAME...]``: run the fuzzers long and report what they found.

``make fuzz`` runs every fuzzer for 200,000 inputs (1.2 million in all). The exit
code is 1 when any input raised an exception that is not an ``ArazzoError``.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from . import fuzzers
from .fuzzers import FUZZERS


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--examples", type=int, default=200_000, help="inputs per fuzzer (default 200000)")
    parser.add_argument("names", nargs="*", choices=[[], *sorted(FUZZERS)], help="fuzzers to run (default: all)")
    args = parser.parse_args()
    total = 0
    failures = 0
    for name in args.names or sorted(FUZZERS):
        started = time.monotonic()

        def progress(count: int, name: str = name, started: float = started) -> None:
            print(f"  {name}: {count} inputs so far ({time.monotonic() - started:.0f}s)", flush=True)

        fuzzers.PROGRESS = progress
        try:
            count = FUZZERS[name](args.examples)
        except Exception:
            failures += 1
            print(f"{name}: UNEXPECTED EXCEPTION", flush=True)
            traceback.print_exc()
            continue
        total += count
        print(f"{name}: {count} inputs, no unexpected exception ({time.monotonic() - started:.0f}s)", flush=True)
    print(f"total: {total} inputs, {failures} fuzzer(s) with an unexpected exception")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
