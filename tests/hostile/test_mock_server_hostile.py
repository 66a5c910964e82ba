"""The mock server under hostile requests: bad headers, deep JSON, huge bodies, connection floods."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_runner import load
from arazzo_runner.mock import MockResponder, make_server
from arazzo_runner.mock import server as mock_server

FIXTURES = Path(__file__).resolve().parents[1] / "mock" / "fixtures"


@pytest.fixture()
def address(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    monkeypatch.setattr(mock_server, "MAX_CONNECTIONS", 8)
    responder = MockResponder.for_document(load(FIXTURES / "petstore.arazzo.yaml"))
    server = make_server(responder, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _exchange(address: tuple[str, int], raw: bytes) -> bytes:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
    return data


def test_a_content_length_that_is_not_a_number(address: tuple[str, int], capfd: pytest.CaptureFixture[str]) -> None:
    answer = _exchange(address, b"POST /api/v1/pets HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"Content-Length 'abc' is not a number of bytes" in answer
    assert "Traceback" not in capfd.readouterr().err


def test_a_host_that_is_not_a_host(address: tuple[str, int], capfd: pytest.CaptureFixture[str]) -> None:
    answer = _exchange(address, b"GET /api/v1/pets/1 HTTP/1.1\r\nHost: [\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert "Traceback" not in capfd.readouterr().err


def test_deeply_nested_json(address: tuple[str, int], capfd: pytest.CaptureFixture[str]) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    head = b"POST /api/v1/pets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
    answer = _exchange(address, head % len(body) + b"Connection: close\r\n\r\n" + body)
    assert answer.startswith(b"HTTP/1.1 4")
    assert "Traceback" not in capfd.readouterr().err


def test_a_huge_body_is_refused_unread(address: tuple[str, int]) -> None:
    head = (
        b"POST /api/v1/pets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000000\r\n\r\n"
    )
    answer = _exchange(address, head)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_flood_of_idle_connections_does_not_take_a_thread_each(address: tuple[str, int]) -> None:
    before = threading.active_count()
    idle = [socket.create_connection(address, timeout=5) for _ in range(40)]
    try:
        for _ in range(3):  # refused on arrival while the slots are taken: no thread started
            _exchange(address, b"GET /api/v1/pets/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert threading.active_count() - before <= 8 + 2  # MAX_CONNECTIONS (patched to 8), not 40
    finally:
        for sock in idle:
            sock.close()


def test_a_client_that_leaves_before_the_answer_is_written(
    address: tuple[str, int], capfd: pytest.CaptureFixture[str]
) -> None:
    """A client that closes mid-answer (a runner stopping at max_response_bytes, a timeout) is not an error."""
    import struct

    for _ in range(3):
        sock = socket.create_connection(address, timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        sock.sendall(b"GET /api/v1/pets HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.close()
    # The server is still there, and said nothing on stderr.
    answer = _exchange(address, b"GET /api/v1/pets/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 ")
    assert "Traceback" not in capfd.readouterr().err
