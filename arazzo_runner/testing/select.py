"""Finding Arazzo documents under paths, and choosing workflows with ``-k`` expressions as pytest does."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable

__all__ = ["compile_keyword", "discover", "is_arazzo_file"]

ARAZZO_SUFFIXES = (".arazzo.yaml", ".arazzo.yml", ".arazzo.json")
_DATA_SUFFIXES = (".yaml", ".yml", ".json")
_ROOT_KEY = re.compile(rb'^(?:arazzo\s*:|\{?\s*"arazzo"\s*:)', re.M)


def is_arazzo_file(path: str) -> bool:
    """``*.arazzo.yaml|yml|json``, or any YAML/JSON file whose top level has an ``arazzo`` key."""
    lowered = path.lower()
    if lowered.endswith(ARAZZO_SUFFIXES):
        return True
    if not lowered.endswith(_DATA_SUFFIXES):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return bool(_ROOT_KEY.search(head))


def discover(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """(documents found, paths that matched nothing): files as given, folders recursively, globs expanded.

    Folders named ``.git``, ``node_modules``, ``.venv`` and other hidden folders are not entered.
    """
    found: list[str] = []
    missing: list[str] = []
    for path in paths:
        matches = sorted(glob.glob(path, recursive=True)) if glob.has_magic(path) else [path]
        before = len(found)
        for match in matches:
            if os.path.isdir(match):
                for folder, subfolders, files in os.walk(match):
                    subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d != "node_modules")
                    found.extend(
                        os.path.join(folder, f) for f in sorted(files) if is_arazzo_file(os.path.join(folder, f))
                    )
            elif os.path.isfile(match) and (not glob.has_magic(path) or is_arazzo_file(match)):
                found.append(match)
        if len(found) == before and not any(os.path.isdir(m) for m in matches):
            missing.append(path)
    unique = list(dict.fromkeys(os.path.normpath(f) for f in found))
    return unique, missing


_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def compile_keyword(expression: str) -> Callable[[str], bool]:
    """A ``-k`` expression: words matched as case-insensitive substrings, with ``and``, ``or``, ``not``
    and parentheses. Raises ``ValueError`` with the position of a syntax error."""
    tokens = [m.group(1) for m in _TOKEN.finditer(expression)]
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        token = peek()
        if token is None:
            raise ValueError(f"-k {expression!r}: the expression ends too soon")
        position += 1
        return token

    def parse_or() -> Callable[[str], bool]:
        left = parse_and()
        while peek() == "or":
            take()
            left = _either(left, parse_and())
        return left

    def parse_and() -> Callable[[str], bool]:
        left = parse_not()
        while peek() == "and":
            take()
            left = _both(left, parse_not())
        return left

    def parse_not() -> Callable[[str], bool]:
        if peek() == "not":
            take()
            inner = parse_not()
            return lambda text: not inner(text)
        return parse_atom()

    def parse_atom() -> Callable[[str], bool]:
        token = take()
        if token == "(":
            inner = parse_or()
            if take() != ")":
                raise ValueError(f"-k {expression!r}: missing ')'")
            return inner
        if token in (")", "and", "or"):
            raise ValueError(f"-k {expression!r}: unexpected {token!r}")
        word = token.lower()
        return lambda text: word in text.lower()

    if not tokens:
        return lambda text: True
    matcher = parse_or()
    if position != len(tokens):
        raise ValueError(f"-k {expression!r}: unexpected {tokens[position]!r}")
    return matcher


def _either(first: Callable[[str], bool], second: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: first(text) or second(text)


def _both(first: Callable[[str], bool], second: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: first(text) and second(text)
