"""JSON Pointer (RFC 6901) as text: the one place tokens are escaped, joined and split.

Every stage names places in documents by JSON pointer (diagnostics, the
checker's findings, ``operationPath`` fragments, ``$ref`` targets), so the
escaping rules live here once. Resolving a pointer against runtime values,
with messages about what missed, is :mod:`arazzo_runner.language.expressions.pointer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

__all__ = [
    "PointerMiss",
    "child_pointer",
    "escape_pointer_token",
    "pointer_tokens",
    "resolve_local",
    "unescape_pointer_token",
]


def escape_pointer_token(token: str | int) -> str:
    """One JSON Pointer reference token written out (RFC 6901: '~' as '~0', '/' as '~1')."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    """One JSON Pointer reference token read back: '~1' becomes '/' first, then '~0' becomes '~'."""
    return token.replace("~1", "/").replace("~0", "~")


def child_pointer(pointer: str, *keys: str | int) -> str:
    """``pointer`` extended by ``keys``, each escaped: ``child_pointer("/a", "b/c", 0)`` is ``/a/b~1c/0``."""
    return pointer + "".join("/" + escape_pointer_token(key) for key in keys)


def pointer_tokens(pointer: str, *, percent_encoded: bool = False) -> list[str]:
    """The unescaped tokens of ``pointer`` (``""`` has none); ``percent_encoded`` for a URI fragment."""
    if not pointer:
        return []
    text = pointer[1:] if pointer.startswith("/") else pointer
    return [unescape_pointer_token(unquote(t) if percent_encoded else t) for t in text.split("/")]


class PointerMiss(LookupError):
    """A pointer token that leads nowhere in plain data; ``token`` is the first one that missed."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def resolve_local(document: Any, pointer: str, *, percent_encoded: bool = False) -> Any:
    """The value at ``pointer`` in plain data (objects and arrays); raises :class:`PointerMiss` when it is not there."""
    target = document
    for token in pointer_tokens(pointer, percent_encoded=percent_encoded):
        if isinstance(target, Mapping) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            raise PointerMiss(token)
    return target
