"""A string that matches a regular expression, for ``pattern`` in schemas (best effort).

Walks the parse tree Python's own ``re`` builds. Handles literals, classes,
ranges, categories, repeats, groups, alternation and anchors; lookarounds and
back-references give up (``None``), and the caller falls back to another value.
Every candidate is checked with ``re.search`` before it is returned.
"""

from __future__ import annotations

import importlib
import random
import re
import string
import sys
from typing import Any

# The parser behind ``re``: ``re._parser`` since 3.11, ``sre_parse`` (deprecated there) before.
_sre_parse: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

__all__ = ["generate_matching"]

_MAX_EXTRA_REPEAT = 3
_MAX_REPEAT = 1000  # a pattern asking for more repeats than this is not generated
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": "-.:",
}
_PRINTABLE = string.ascii_letters + string.digits


class _GiveUp(Exception):
    pass


def generate_matching(pattern: str, rng: random.Random) -> str | None:
    """A string ``re.search(pattern, s)`` accepts, or ``None`` if the pattern is beyond this generator."""
    try:
        tree = _sre_parse.parse(pattern)
        text = _emit(tree, rng, {})
        if re.search(pattern, text):
            return text
    except (_GiveUp, re.error, RecursionError, OverflowError):
        return None
    return None


def _emit(items: Any, rng: random.Random, groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("x" if chr(arg) != "x" else "y")
        elif name == "ANY":
            out.append(rng.choice(_PRINTABLE))
        elif name == "IN":
            out.append(_from_class(arg, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            if low > _MAX_REPEAT:  # a{1000000000}: the caller falls back to another value
                raise _GiveUp
            top = low + _MAX_EXTRA_REPEAT if high > low + _MAX_EXTRA_REPEAT else high
            count = (
                rng.randint(low, max(low, top)) if low == 0 else low + rng.randint(0, max(0, min(top, high) - low) // 2)
            )
            out.extend(_emit(sub, rng, groups) for _ in range(count))
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            sub = arg[-1] if name == "SUBPATTERN" else arg
            text = _emit(sub, rng, groups)
            if name == "SUBPATTERN" and arg[0] is not None:
                groups[arg[0]] = text
            out.append(text)
        elif name == "BRANCH":
            out.append(_emit(rng.choice(arg[1]), rng, groups))
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name == "AT":
            continue
        else:  # lookarounds, conditionals
            raise _GiveUp(name)
    return "".join(out)


def _from_class(items: Any, rng: random.Random) -> str:
    if items and str(items[0][0]) == "NEGATE":
        excluded = set()
        for op, arg in items[1:]:
            if str(op) == "LITERAL":
                excluded.add(chr(arg))
            elif str(op) == "RANGE":
                excluded.update(chr(c) for c in range(arg[0], arg[1] + 1))
            elif str(op) == "CATEGORY":
                excluded.update(_CATEGORIES.get(str(arg), ""))
        choices = [c for c in _PRINTABLE if c not in excluded]
        if not choices:
            raise _GiveUp("negated class")
        return rng.choice(choices)
    pool: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            pool.append(chr(arg))
        elif name == "RANGE":
            low, high = arg
            pool.extend(chr(c) for c in range(low, min(high, low + 94) + 1))
        elif name == "CATEGORY":
            pool.extend(_CATEGORIES.get(str(arg), "a"))
    if not pool:
        raise _GiveUp("empty class")
    return rng.choice(pool)
