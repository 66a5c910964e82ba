"""A cap on the bytes one response may bring: an agent's tool call should not pull a runaway body.

An ``httpx`` transport wrapper: a response announcing a larger ``Content-Length`` is refused
before its body is read, any other stops being read once it passes the cap. Either way the
engine sees a read error, so the step fails with the reason in words.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

__all__ = ["SizeLimitedTransport"]


def _too_large(limit: int) -> str:
    return f"the response is larger than {limit} bytes, the most this server accepts (max_response_bytes)"


class _LimitedStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, limit: int, request: httpx.Request) -> None:
        self._stream = stream
        self._limit = limit
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._stream:
            received += len(chunk)
            if received > self._limit:
                raise httpx.ReadError(_too_large(self._limit), request=self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class SizeLimitedTransport(httpx.AsyncBaseTransport):
    """Wraps ``inner`` (a fresh ``httpx.AsyncHTTPTransport`` by default), refusing bodies over ``limit`` bytes."""

    def __init__(self, limit: int, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.limit = limit
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            await response.aclose()
            raise httpx.ReadError(_too_large(self.limit), request=request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_LimitedStream(stream, self.limit, request),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
