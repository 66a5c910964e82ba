"""A scripted HTTP server on 127.0.0.1 for integration tests.

Integration tests run real workflows over real sockets, so the server has to
behave like a real one (HTTP/1.1, keep-alive, exact bytes on the wire) while
staying fully scripted: each route answers with a predetermined sequence of
replies and every request is recorded for later assertions.

    with LoopbackServer() as server:
        server.script("GET", "/pets/{id}", [Reply(status=503), Reply(body={"id": 1})])
        ...  # run a workflow against server.url
        assert server.requests[-1].path == "/pets/1"
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "LoopbackServer",
    "RecordedRequest",
    "Reply",
    "ReplySpec",
    "RouteHandler",
    "free_port",
    "refused_url",
]

HeaderInput = Union[Mapping[str, str], Sequence[tuple[str, str]]]

# The keys a dict-form reply may use; anything else is almost certainly a typo
# in a YAML case file, and silently ignoring it would make the test lie.
_REPLY_KEYS = frozenset({"status", "headers", "body", "delay", "reason"})


@dataclass
class Reply:
    """One scripted response.

    ``headers`` may be a list of pairs so a test can send a header twice
    (for example two ``Set-Cookie`` lines). ``body`` decides the default
    content type: dict/list (and other JSON values) become JSON, ``str``
    becomes UTF-8 text, ``bytes`` are sent untouched, ``None`` sends nothing.
    An explicit ``Content-Type`` header always wins.
    """

    status: int = 200
    headers: HeaderInput = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    reason: str | None = None

    @classmethod
    def coerce(cls, value: Reply | Mapping[str, Any]) -> Reply:
        """Accept a ``Reply`` or its dict form (as written in YAML test cases)."""
        if isinstance(value, Reply):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(f"a reply must be a Reply or a mapping, not {type(value).__name__}")
        unknown = set(value) - _REPLY_KEYS
        if unknown:
            raise ValueError(f"unknown reply keys {sorted(unknown)}; allowed: {sorted(_REPLY_KEYS)}")
        headers = value.get("headers") or {}
        if not isinstance(headers, Mapping):
            # YAML has no tuples: lists of [name, value] pairs arrive as lists.
            headers = [(str(name), str(header_value)) for name, header_value in headers]
        return cls(
            status=int(value.get("status", 200)),
            headers=headers,
            body=value.get("body"),
            delay=float(value.get("delay", 0.0)),
            reason=value.get("reason"),
        )

    def header_pairs(self) -> list[tuple[str, str]]:
        if isinstance(self.headers, Mapping):
            return [(str(name), str(value)) for name, value in self.headers.items()]
        return [(str(name), str(value)) for name, value in self.headers]

    def encode(self) -> tuple[list[tuple[str, str]], bytes]:
        """The headers to send (content type filled in) and the body bytes."""
        headers = self.header_pairs()
        has_content_type = any(name.lower() == "content-type" for name, _ in headers)
        body = self.body
        if body is None:
            payload = b""
            default_type = None
        elif isinstance(body, bytes):
            payload = body
            default_type = "application/octet-stream"
        elif isinstance(body, str):
            payload = body.encode("utf-8")
            default_type = "text/plain; charset=utf-8"
        else:
            payload = json.dumps(body).encode("utf-8")
            default_type = "application/json"
        if default_type is not None and not has_content_type:
            headers.append(("Content-Type", default_type))
        return headers, payload


ReplySpec = Union[Reply, Mapping[str, Any]]


@dataclass(frozen=True)
class RecordedRequest:
    """A request exactly as the server received it."""

    method: str
    target: str  # the raw request target from the request line
    path: str  # raw path, no query, still percent-encoded
    raw_query: str
    query: dict[str, list[str]]  # decoded names -> decoded values, in arrival order
    headers: list[tuple[str, str]]  # as received, repeats and order kept
    body: bytes
    # Decoded values of the `{name}` segments when a template route matched.
    path_params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for header_name, value in self.headers if header_name.lower() == wanted]

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)

    def json(self) -> Any:
        return json.loads(self.body)


RouteHandler = Callable[[RecordedRequest], ReplySpec]


class _Route:
    """A scripted route: either a reply sequence or a callable."""

    def __init__(self, replies: list[Reply] | None, handler: RouteHandler | None) -> None:
        self.replies = replies
        self.handler = handler
        self._next_index = 0

    def take_reply(self) -> Reply:
        """The next reply of the sequence; the caller holds the server lock."""
        assert self.replies is not None
        index = min(self._next_index, len(self.replies) - 1)
        self._next_index += 1
        return self.replies[index]


_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")


def _compile_template(path: str) -> re.Pattern[str]:
    pattern_parts: list[str] = []
    position = 0
    for match in _TEMPLATE_PARAM.finditer(path):
        pattern_parts.append(re.escape(path[position : match.start()]))
        pattern_parts.append(f"(?P<{_group_name(match.group(1))}>[^/]+)")
        position = match.end()
    pattern_parts.append(re.escape(path[position:]))
    return re.compile("".join(pattern_parts))


def _group_name(param: str) -> str:
    # Regex group names must be identifiers; parameter names like "pet-id" are
    # not, so they are hex-encoded and decoded again after matching.
    return "p" + param.encode("utf-8").hex()


def _param_name(group: str) -> str:
    return bytes.fromhex(group[1:]).decode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a delayed or idle keep-alive handler must not block stop()
    # The default backlog of 5 drops SYNs when tests open many connections at
    # once, and the client's retransmit then costs a whole second.
    request_queue_size = 128
    owner: LoopbackServer

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.owner._lock:
            self.owner._connections += 1  # one per accepted TCP connection
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # An idle keep-alive connection is dropped after this many seconds so
    # handler threads do not outlive the test by much.
    timeout = 30
    # Headers and body go out in separate writes; with Nagle on, the second
    # write waits for the client's delayed ACK and every request costs ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler looks up `do_<METHOD>`; answering every such
        # name lets tests script any method, including unusual ones.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked_body()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked_body(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size_line = self.rfile.readline()
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                # Skip optional trailers up to the blank line that ends the body.
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    def _record(self) -> RecordedRequest:
        target = self.path
        if "://" in target.split("?", 1)[0]:
            # Absolute-form target (as a proxy would receive it): keep only the path.
            parts = urlsplit(target)
            path, raw_query = parts.path or "/", parts.query
        else:
            path, _, raw_query = target.partition("?")
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        return RecordedRequest(
            method=self.command,
            target=target,
            path=path,
            raw_query=raw_query,
            query=query,
            headers=[(name, value) for name, value in self.headers.items()],
            body=self._read_body(),
        )

    def _dispatch(self) -> None:
        owner = self.server.owner
        request = self._record()
        try:
            reply = owner._answer(request)
        except Exception as exc:  # a broken test handler must still produce a response
            owner._note_handler_error(exc)
            reply = Reply(status=500, body={"error": "route handler raised", "detail": repr(exc)})
        if reply.delay > 0 and owner._stopping.wait(reply.delay):
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        headers, payload = reply.encode()
        try:
            self.send_response(reply.status, reply.reason)
            for name, value in headers:
                self.send_header(name, value)
            if not any(name.lower() == "content-length" for name, _ in headers):
                # Always framed by length so keep-alive connections stay usable.
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD" and payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. a timeout test); nothing left to tell it.
            self.close_connection = True


class LoopbackServer:
    """A scripted HTTP/1.1 server on 127.0.0.1, serving from a daemon thread.

    It starts listening on construction; use it as a context manager or call
    :meth:`stop` when done.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._exact_routes: dict[tuple[str, str], _Route] = {}
        self._template_routes: dict[tuple[str, str], tuple[re.Pattern[str], _Route]] = {}
        self._requests: list[RecordedRequest] = []
        self._handler_errors: list[BaseException] = []
        self._connections = 0
        self._httpd = _Server((host, port), _Handler)
        self._httpd.owner = self
        self.host, self.port = self._httpd.server_address[:2]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"loopback-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def connections(self) -> int:
        """How many TCP connections the server has accepted (keep-alive reuse shows as fewer than requests)."""
        with self._lock:
            return self._connections

    def stop(self) -> None:
        """Stop serving; safe to call more than once."""
        if self._stopping.is_set():
            return
        self._stopping.set()  # wakes handlers sleeping in a reply delay
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def script(
        self,
        method: str,
        path: str,
        responses: Sequence[ReplySpec] | ReplySpec | RouteHandler,
    ) -> None:
        """Script the route ``method path``, replacing any earlier script for it.

        ``responses`` is a sequence consumed one reply per request (the last
        repeats once the sequence is used up), a single reply, or a callable
        receiving the :class:`RecordedRequest` and returning a reply. ``path``
        may contain ``{name}`` segments matching one path segment; exact paths
        take precedence over templates.
        """
        if callable(responses) and not isinstance(responses, (Reply, Mapping)):
            route = _Route(None, responses)
        else:
            if isinstance(responses, (Reply, Mapping)):
                replies = [Reply.coerce(responses)]
            else:
                replies = [Reply.coerce(item) for item in responses]
            if not replies:
                raise ValueError(f"{method} {path}: at least one reply is needed")
            route = _Route(replies, None)
        key = (method.upper(), path)
        with self._lock:
            if _TEMPLATE_PARAM.search(path):
                self._template_routes[key] = (_compile_template(path), route)
            else:
                self._exact_routes[key] = route

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """The recorded requests with this method and raw path."""
        wanted_method = method.upper()
        return [r for r in self.requests if r.method == wanted_method and r.path == path]

    @property
    def handler_errors(self) -> list[BaseException]:
        """Exceptions raised by callable routes (each answered with a 500)."""
        with self._lock:
            return list(self._handler_errors)

    def reset(self) -> None:
        """Forget every script and every recorded request."""
        with self._lock:
            self._exact_routes.clear()
            self._template_routes.clear()
            self._requests.clear()
            self._handler_errors.clear()

    # -- called from handler threads -------------------------------------

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            route, params = self._find_route(request)
            if params:
                request = dataclasses.replace(request, path_params=params)
            self._requests.append(request)
            if route is None:
                return Reply(
                    status=404,
                    body={
                        "error": "no scripted response",
                        "method": request.method,
                        "path": request.path,
                    },
                )
            if route.handler is None:
                return route.take_reply()
            handler = route.handler
        # Outside the lock: a slow handler must not stall other connections,
        # and a handler may itself look at `server.requests`.
        return Reply.coerce(handler(request))

    def _find_route(self, request: RecordedRequest) -> tuple[_Route | None, dict[str, str]]:
        # A script may name the path raw or decoded; both find the route.
        for candidate in (request.path, unquote(request.path)):
            route = self._exact_routes.get((request.method, candidate))
            if route is not None:
                return route, {}
        for (method, _template), (pattern, route) in self._template_routes.items():
            if method != request.method:
                continue
            match = pattern.fullmatch(request.path)
            if match:
                params = {_param_name(k): unquote(v) for k, v in match.groupdict().items()}
                return route, params
        return None, {}

    def _note_handler_error(self, exc: BaseException) -> None:
        with self._lock:
            self._handler_errors.append(exc)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (another process could still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def refused_url(host: str = "127.0.0.1") -> str:
    """A base URL where nothing listens, for connection-refused tests."""
    return f"http://{host}:{free_port(host)}"
