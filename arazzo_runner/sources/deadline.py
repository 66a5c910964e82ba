"""Fetching a document over HTTP under one total deadline and a size cap.

httpx's timeouts bound each network read, not the whole download: a server that
sends one byte every few seconds would keep a load waiting for ever. The fetch
runs on an event loop under ``asyncio.wait_for`` instead (a private loop on a
worker thread when the caller already runs one), so the deadline covers
connecting, the headers, every redirect and the whole body.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable

import httpx

__all__ = ["FETCH_TIMEOUT", "FetchTooLarge", "TooManyRedirects", "fetch_bytes"]

# Seconds for a whole fetch at load time (connect, headers, body).
FETCH_TIMEOUT = 30.0


class FetchTooLarge(Exception):
    """The document passed the size cap while it was read."""


class TooManyRedirects(Exception):
    """More redirects than the caller allows."""


async def _fetch(
    url: str, max_bytes: int, timeout: float, max_redirects: int, on_redirect: Callable[[str, str], None]
) -> tuple[int, bytes, str | None]:
    current = url
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for _ in range(max_redirects + 1):
            async with client.stream("GET", current) as response:
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
                async for chunk in response.aiter_bytes():
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

    def work() -> tuple[int, bytes, str | None]:
        try:
            return asyncio.run(asyncio.wait_for(_fetch(url, max_bytes, timeout, max_redirects, on_redirect), timeout))
        except asyncio.TimeoutError:
            raise TimeoutError(f"no complete response within {timeout:g}s") from None

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    # Called from inside a running loop (a load from async code): run the fetch on its own loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()
