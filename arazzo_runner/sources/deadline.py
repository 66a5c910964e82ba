"""Fetching a document over HTTP under one total deadline and a size cap.

httpx's timeouts bound each network read, not the whole download: a server that
sends one byte every few seconds would keep a load waiting for ever. The fetch
runs on a daemon thread; the caller waits for it at most :data:`FETCH_TIMEOUT`
seconds in all (connecting, the headers, every redirect and the whole body),
then closes the client under it and gives up with a ``TimeoutError``.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["FETCH_TIMEOUT", "FetchTooLarge", "TooManyRedirects", "fetch_bytes"]

# Seconds for a whole fetch at load time (connect, headers, body).
FETCH_TIMEOUT = 30.0


class FetchTooLarge(Exception):
    """The document passed the size cap while it was read."""


class TooManyRedirects(Exception):
    """More redirects than the caller allows."""


def _fetch(
    client: httpx.Client, url: str, max_bytes: int, max_redirects: int, on_redirect: Callable[[str, str], None]
) -> tuple[int, bytes, str | None]:
    current = url
    for _ in range(max_redirects + 1):
        with client.stream("GET", current) as response:
            if response.has_redirect_location:
                following = str(response.url.join(response.headers["location"]))
                on_redirect(current, following)  # the caller's fetch policy: raises to refuse
                current = following
                continue
            if response.status_code != 200:
                return response.status_code, b"", None
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchTooLarge
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchTooLarge
                chunks.append(chunk)
            return 200, b"".join(chunks), response.charset_encoding
    raise TooManyRedirects


def fetch_bytes(
    url: str, max_bytes: int, *, max_redirects: int, on_redirect: Callable[[str, str], None]
) -> tuple[int, bytes, str | None]:
    """``(status, body, charset)`` of a GET of ``url``, following up to ``max_redirects`` redirects.

    ``on_redirect(from, to)`` is called before each redirect is followed (it raises to refuse one).
    Raises ``TimeoutError`` past :data:`FETCH_TIMEOUT` seconds in all, :class:`FetchTooLarge` past
    ``max_bytes`` (decoded), :class:`TooManyRedirects`, and httpx's errors for transport failures.
    """
    timeout = FETCH_TIMEOUT
    client = httpx.Client(timeout=timeout, follow_redirects=False)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = _fetch(client, url, max_bytes, max_redirects, on_redirect)
        except BaseException as exc:  # handed to the caller, who raises it
            outcome["error"] = exc

    # A daemon thread, not an executor: one still blocked on a trickling server must not delay exit.
    # It runs in a copy of the caller's context: the fetch policy (a context variable) applies there too.
    context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(work,), name="arazzo-fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        client.close()  # the worker's next read fails, or ends within one read timeout
        raise TimeoutError(f"no complete response within {timeout:g}s")
    client.close()
    if "error" in outcome:
        raise outcome["error"]
    value: tuple[int, bytes, str | None] = outcome["value"]
    return value
