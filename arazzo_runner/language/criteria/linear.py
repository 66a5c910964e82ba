"""ECMA-262 patterns run in linear time: translated to RE2 when their meaning survives the translation.

RE2 never backtracks, so ``^(a+)+$`` against any text takes time proportional to
the text. A pattern is translated only when RE2 gives it the same meaning as
ECMA-262 (without flags): ``.`` stops at the four ECMA line terminators, ``\\s``
is ECMA's whitespace set, ``\\uXXXX`` is a code point. Backreferences,
lookaround, control escapes, identity escapes of letters and the other corners
where the two differ give ``None``: those patterns run in the bounded worker
instead (see :mod:`.budget`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LinearRegex", "linear_regex", "to_re2"]

try:  # google-re2: a wheel for every common platform; without it every pattern uses the worker
    import re2 as _re2
except ImportError:  # pragma: no cover - the dependency is declared
    _re2 = None

# ECMA-262 WhiteSpace and LineTerminator code points, as members of an RE2 class.
_WS = r"\t\n\x0b\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}"
_DOT = r"[^\n\r\x{2028}\x{2029}]"
_HEX = set("0123456789abcdefABCDEF")
_SAME_ESCAPES = set("dDwWtnrf")  # the same meaning in both dialects


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int] | None:
    """The RE2 text for the escape at ``pattern[i]`` (a backslash) and the index after it, or None."""
    if i + 1 >= len(pattern):
        return None
    c = pattern[i + 1]
    if c in _SAME_ESCAPES:
        return "\\" + c, i + 2
    if c == "s":
        return (_WS if in_class else f"[{_WS}]"), i + 2
    if c == "S" and not in_class:
        return f"[^{_WS}]", i + 2
    if c in "bB" and not in_class:
        return "\\" + c, i + 2
    if c == "b":  # in a class: backspace
        return r"\x08", i + 2
    if c == "v":
        return r"\x0b", i + 2
    if c == "0" and not (i + 2 < len(pattern) and pattern[i + 2].isdigit()):
        return r"\x00", i + 2
    if c == "x" and len(pattern) >= i + 4 and set(pattern[i + 2 : i + 4]) <= _HEX:
        return pattern[i : i + 4], i + 4
    if c == "u" and len(pattern) >= i + 6 and set(pattern[i + 2 : i + 6]) <= _HEX:
        code = int(pattern[i + 2 : i + 6], 16)
        if 0xD800 <= code <= 0xDFFF:  # half of a surrogate pair: UTF-16 code units, not code points
            return None
        return f"\\x{{{pattern[i + 2 : i + 6]}}}", i + 6
    if not c.isalnum() and c != "_" and ord(c) < 128:
        return "\\" + c, i + 2  # an escaped punctuation character is itself in both
    return None  # backreferences, \k, \c, \p, identity escapes of letters: not the same in RE2


def to_re2(pattern: str) -> str | None:
    """``pattern`` (ECMA-262, no flags) in RE2 syntax with the same meaning, or None when that cannot be promised."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            done = _escape(pattern, i, in_class=False)
            if done is None:
                return None
            text, i = done
            out.append(text)
            continue
        if c == ".":
            out.append(_DOT)
            i += 1
            continue
        if c == "(" and pattern.startswith("(?", i):
            if pattern.startswith("(?:", i):
                out.append("(?:")
                i += 3
                continue
            if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
                out.append("(?P<")
                i += 3
                continue
            return None  # lookahead, lookbehind: RE2 has none
        if c == "[":
            closed = _class(pattern, i)
            if closed is None:
                return None
            text, i = closed
            out.append(text)
            continue
        if ord(c) >= 0xD800 and ord(c) <= 0xDFFF:
            return None
        out.append(c)
        i += 1
    return "".join(out)


def _class(pattern: str, i: int) -> tuple[str, int] | None:
    """The class starting at ``pattern[i] == '['``, translated, and the index after its ``]``."""
    out = ["["]
    i += 1
    if i < len(pattern) and pattern[i] == "^":
        out.append("^")
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        return None  # [] and [^]: ECMA's empty and full classes; RE2 reads a literal ']'
    while i < len(pattern):
        c = pattern[i]
        if c == "]":
            out.append("]")
            return "".join(out), i + 1
        if c == "[":
            if pattern.startswith(("[:", "[=", "[."), i):
                return None  # RE2 reads POSIX classes here; ECMA reads text
            out.append(r"\[")
            i += 1
            continue
        if c == "\\":
            done = _escape(pattern, i, in_class=True)
            if done is None:
                return None
            text, i = done
            out.append(text)
            continue
        if 0xD800 <= ord(c) <= 0xDFFF:
            return None
        out.append(c)
        i += 1
    return None  # unclosed: regress rejected it at load already


class LinearRegex:
    """A compiled RE2 regex with ECMA-262 search semantics."""

    __slots__ = ("_regex",)

    def __init__(self, regex: Any) -> None:
        self._regex = regex

    def find(self, text: str) -> bool:
        return self._regex.search(text) is not None


def linear_regex(pattern: str) -> LinearRegex | None:
    """``pattern`` compiled for linear-time matching, or None when RE2 cannot give it ECMA-262's meaning."""
    if _re2 is None:  # pragma: no cover
        return None
    translated = to_re2(pattern)
    if translated is None:
        return None
    options = _re2.Options()
    options.log_errors = False  # a pattern RE2 refuses is not an error: it runs in the worker
    options.never_capture = True
    try:
        return LinearRegex(_re2.compile(translated, options=options))
    except Exception:  # re2.error (repetition over 1000, too large): not linear-time here
        return None
