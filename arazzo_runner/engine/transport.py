"""Sending one prepared request: the httpx request, redirects followed safely, transport failures in words.

An :class:`Exchange` records what a step sent and received, as expressions and
failure messages later read it.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone

import httpx

from ..errors import RequestBuildError
from ..language.expressions import HttpView
from ..result import CheckResult
from .bounded import RequestDeadline, ResponseTooLarge, deadline_exceeded, read_bounded, within_deadline
from .request import PreparedRequest
from .urls import request_url
from .views import body_excerpt

__all__ = ["MAX_REDIRECTS", "Exchange", "build_request", "retry_delay", "send", "transport_reason"]

MAX_REDIRECTS = 20


@dataclass
class Exchange:
    """The last request/response of a step (or, for a workflow step, of its child, DEC-52)."""

    url: str | None = None
    method: str | None = None
    request: HttpView | None = None
    status_code: int | None = None
    response: HttpView | None = None
    raw_response: httpx.Response | None = None
    checks: tuple[CheckResult, ...] = ()  # contract checks of the response, when a checker is given
    message: HttpView | None = None  # an AsyncAPI step's message: received, or sent by a send step

    @property
    def retry_after_header(self) -> str | None:
        """The response's ``Retry-After`` (read only when a retry needs it)."""
        return self.raw_response.headers.get("retry-after") if self.raw_response is not None else None

    def excerpt(self, mask: Callable[[str], str]) -> str | None:
        """A short excerpt of the response body, for failure messages (computed only when one is needed).

        Masked before it is cut, so a secret straddling the cut cannot leak in part.
        """
        return body_excerpt(self.raw_response, mask=mask) if self.raw_response is not None else None


def build_request(client: httpx.AsyncClient, prepared: PreparedRequest, timeout: float | None) -> httpx.Request:
    headers = prepared.headers
    sent_type: str | None = None
    for index, (name, value) in enumerate(headers):
        if not name.isascii():  # httpx would raise UnicodeEncodeError from deep inside
            raise RequestBuildError(
                f"header name {name.encode('ascii', 'backslashreplace').decode()!r} is not ASCII "
                "(an HTTP header name is an ASCII token)"
            )
        if isinstance(value, str):
            if sent_type is None and len(name) == 12 and name.lower() == "content-type":
                sent_type = value
            if not value.isascii():  # as for every other header: sent as UTF-8 bytes
                headers = headers if headers is not prepared.headers else list(headers)
                headers[index] = (name, value.encode("utf-8"))
        elif sent_type is None and len(name) == 12 and name.lower() == "content-type":
            sent_type = bytes(value).decode("utf-8", errors="replace")
    if sent_type is None and prepared.content_type:
        headers = [*headers, ("Content-Type", prepared.content_type)]
        sent_type = prepared.content_type
    prepared.sent_content_type = sent_type
    # The timeouts as httpx keeps them for a request: built once per value, not once per request.
    return client.build_request(
        prepared.method,
        request_url(prepared.base_url, prepared.path, prepared.query),
        headers=headers,
        content=prepared.content,
        extensions={"timeout": dict(_timeouts(timeout))},
    )


@functools.lru_cache(maxsize=16)
def _timeouts(seconds: float | None) -> dict[str, float | None]:
    return httpx.Timeout(seconds).as_dict()


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    prepared: PreparedRequest,
    *,
    follow_redirects: bool,
    timeout: float | None,
    max_bytes: int | None = None,
    carries_secret: Callable[[str], bool] | None = None,
    on_redirect: Callable[[httpx.Response, httpx.Request], None] | None = None,
    deadline: RequestDeadline | None = None,
) -> httpx.Response:
    """Send, following redirects only when asked (DEC-35), and never carrying credentials to another origin.

    ``timeout`` bounds the whole exchange (every redirect and the whole body), not each network read;
    the decoded body is refused past ``max_bytes`` (see :mod:`.bounded`).
    httpx drops ``Authorization`` and ``Cookie`` when a redirect leaves the origin, but not an apiKey
    header a security scheme added; the redirects are therefore followed here. On a redirect to
    another origin, every header whose value ``carries_secret`` (a password input in an ``X-API-Key``
    parameter, say) is dropped too, and a body that carries one is not re-sent: the redirect is not
    followed and a warning says why. ``on_redirect(response, next_request)`` sees each redirect
    followed (its body read first), before the next request goes out. ``deadline``: the run's timer
    for its requests' deadlines (see :class:`.bounded.RequestDeadline`); without it, one per request.
    """
    if timeout is not None:
        if sys.version_info >= (3, 11) and deadline is not None and deadline.start(timeout):
            try:
                response = await client.send(request, follow_redirects=False, stream=True)
                if not follow_redirects:
                    await read_bounded(response, max_bytes)
                    return response
                return await _follow(
                    client, request, response, prepared, timeout, max_bytes, carries_secret, on_redirect
                )
            except asyncio.CancelledError:
                if deadline.finish(cancelled=True):
                    raise deadline_exceeded(timeout, request) from None
                raise
            finally:
                deadline.finish(cancelled=False)  # nothing left to do when the except clause finished it
        if sys.version_info < (3, 11):
            return await within_deadline(
                _send(client, request, prepared, timeout, max_bytes, carries_secret, on_redirect, follow_redirects),
                timeout,
                request,
            )
        # The deadline in this coroutine itself: every await of a step passes through each coroutine
        # between the run loop and the socket, so a wrapper of its own would cost on each of them.
        try:
            async with asyncio.timeout(timeout):
                response = await client.send(request, follow_redirects=False, stream=True)
                if not follow_redirects:
                    await read_bounded(response, max_bytes)
                    return response
                return await _follow(
                    client, request, response, prepared, timeout, max_bytes, carries_secret, on_redirect
                )
        except TimeoutError:
            raise deadline_exceeded(timeout, request) from None
    return await _send(client, request, prepared, None, max_bytes, carries_secret, on_redirect, follow_redirects)


async def _send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    prepared: PreparedRequest,
    timeout: float | None,
    max_bytes: int | None,
    carries_secret: Callable[[str], bool] | None,
    on_redirect: Callable[[httpx.Response, httpx.Request], None] | None,
    follow_redirects: bool,
) -> httpx.Response:
    """:func:`send` without a deadline (none asked for, or Python 3.10, where ``within_deadline`` wraps it)."""
    response = await client.send(request, follow_redirects=False, stream=True)
    if not follow_redirects:
        await read_bounded(response, max_bytes)
        return response
    return await _follow(client, request, response, prepared, timeout, max_bytes, carries_secret, on_redirect)


async def _follow(
    client: httpx.AsyncClient,
    request: httpx.Request,
    response: httpx.Response,
    prepared: PreparedRequest,
    timeout: float | None,
    max_bytes: int | None,
    carries_secret: Callable[[str], bool] | None,
    on_redirect: Callable[[httpx.Response, httpx.Request], None] | None,
) -> httpx.Response:
    """The redirects after ``response`` (to ``request``), each hop checked as :func:`send` says."""
    origin = _origin(request.url)
    credential_headers = {"authorization", "cookie", "proxy-authorization"} | {
        name.lower() for name in prepared.security_headers
    }
    for _ in range(MAX_REDIRECTS):
        if not response.has_redirect_location:
            await read_bounded(response, max_bytes)
            return response
        url = request.url.join(response.headers["location"])
        method = request.method
        if (response.status_code == 303 and method != "HEAD") or (
            response.status_code in (301, 302) and method == "POST"
        ):
            method = "GET"  # as browsers and httpx do; the body is dropped with the method
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        content = request.content if method == request.method else None
        if content is None:
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        if _origin(url) != origin:
            headers = [(k, v) for k, v in headers if k.lower() not in credential_headers]
            if carries_secret is not None:
                headers = [(k, v) for k, v in headers if not carries_secret(v)]
                if content and carries_secret(content.decode("utf-8", errors="replace")):
                    prepared.warnings.append(
                        f"the redirect to another origin ({url.scheme}://{url.host}) was not followed: the request "
                        "body carries a secret, which is not re-sent to another host"
                    )
                    await read_bounded(response, max_bytes)
                    return response
        if on_redirect is not None:
            try:
                await read_bounded(response, max_bytes)  # its body belongs in the record of the hop
            except ResponseTooLarge:
                pass  # recorded without its body: a redirect's body is not what the step reads
        await response.aclose()
        request = client.build_request(method, url, headers=headers, content=content, timeout=timeout)
        if on_redirect is not None:
            on_redirect(response, request)
        response = await client.send(request, follow_redirects=False, stream=True)
    if response.has_redirect_location:
        await response.aclose()
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)
    await read_bounded(response, max_bytes)
    return response


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def transport_reason(exc: httpx.HTTPError, detail: str) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({detail})"
    if isinstance(exc, ResponseTooLarge):
        return detail
    return f"{type(exc).__name__}: {detail}"


def retry_delay(header: str | None, retry_after: float | None, now: Callable[[], float]) -> float:
    """DEC-06: the ``Retry-After`` header (delta-seconds, or an HTTP-date minus now, floored at 0),
    else ``retryAfter``, else 0."""
    if header:
        header = header.strip()
        if header.isdigit():
            return float(header)
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:  # "-0000" parses naive; an HTTP date is always UTC (RFC 9110)
                when = when.replace(tzinfo=timezone.utc)
            return max(0.0, when.timestamp() - now())
    return retry_after or 0.0
