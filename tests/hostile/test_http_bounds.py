"""Hostile servers: trickling bytes, huge bodies, compression bombs.

Each test runs the workflow in a child process with its own time bound, and a
memory bound (address space) where memory is the point.
"""

from __future__ import annotations

import socket
import zlib
from collections.abc import Callable
from pathlib import Path

from .support import RawServer, run_bounded, run_workflow_bounded, send_all, trickle, write_spec

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n"


def test_headers_trickling_hit_the_total_deadline(tmp_path: Path) -> None:
    with RawServer(trickle(HEADERS + b'{"a": 1}' + b" " * 12, every=0.25)) as server:
        spec = write_spec(tmp_path, server.url)
        result, _ = run_workflow_bounded(spec, seconds=20, timeout=1.0)
    assert result["status"] == "failed"
    assert "timed out after 1s" in result["error"]["message"]
    assert result["error"]["reason"] == "transport_error"


def test_body_trickling_hits_the_total_deadline(tmp_path: Path) -> None:
    def handler(conn: socket.socket, request: bytes) -> None:
        conn.sendall(HEADERS)
        trickle(b"x" * 20, every=0.25)(conn, request)

    with RawServer(handler) as server:
        spec = write_spec(tmp_path, server.url)
        result, _ = run_workflow_bounded(spec, seconds=20, timeout=1.0)
    assert result["status"] == "failed"
    assert "timed out after 1s" in result["error"]["message"]


def _big_body(size: int) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % size


def _four_mib_chunked(extra_header: bytes = b"") -> Callable[[socket.socket, bytes], None]:
    """A handler answering 4 MiB in chunks (``extra_header``: one more header line, with its CRLF)."""

    def handler(conn: socket.socket, request: bytes) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extra_header + b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"y" * 65536
        for _ in range(64):
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.sendall(b"0\r\n\r\n")

    return handler


def test_a_body_past_max_response_bytes_fails_the_step_naming_the_limit(tmp_path: Path) -> None:
    with RawServer(_four_mib_chunked()) as server:  # no Content-Length to refuse up front
        spec = write_spec(tmp_path, server.url)
        result, _ = run_workflow_bounded(spec, seconds=30, limits={"max_response_bytes": 1024 * 1024})
    assert result["status"] == "failed"
    assert result["error"]["step_id"] == "s"
    assert "larger than max_response_bytes (1048576 bytes" in result["error"]["message"]


def test_a_small_declared_length_beside_chunked_framing_is_no_bound(tmp_path: Path) -> None:
    # Transfer-Encoding frames the body (RFC 9112 6.3), whatever Content-Length says: 4 MiB arrive
    # after "Content-Length: 10", and the cap still applies to what is read.
    with RawServer(_four_mib_chunked(b"Content-Length: 10\r\n")) as server:
        spec = write_spec(tmp_path, server.url)
        result, _ = run_workflow_bounded(spec, seconds=30, limits={"max_response_bytes": 1024 * 1024})
    assert result["status"] == "failed"
    assert "larger than max_response_bytes (1048576 bytes" in result["error"]["message"]


def test_a_body_within_its_declared_length_is_read_whole(tmp_path: Path) -> None:
    body = b'{"a": "' + b"x" * 5000 + b'"}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: identity\r\n"
    with RawServer(send_all(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)) as server:
        spec = write_spec(
            tmp_path,
            server.url,
            steps=[{"id": "s", "outputs": "{a: $response.body#/a}"}],
            outputs="{a: $steps.s.outputs.a}",
        )
        result, _ = run_workflow_bounded(spec, seconds=30, limits={"max_response_bytes": len(body)})
    assert result["status"] == "succeeded", result
    assert result["outputs"] == {"a": "x" * 5000}


def test_a_declared_length_past_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    with RawServer(send_all(_big_body(10**12))) as server:
        spec = write_spec(tmp_path, server.url)
        result, _ = run_workflow_bounded(spec, seconds=30, limits={"max_response_bytes": 1000})
    assert "larger than max_response_bytes (1000 bytes" in result["error"]["message"]


def test_a_gzip_bomb_is_stopped_at_the_cap_under_a_memory_bound(tmp_path: Path) -> None:
    # 256 MiB of zeros compresses to about 250 KB; inflated whole it would break the 400 MiB bound below.
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1024 * 1024)
    payload = b"".join(bomb.compress(block) for _ in range(256)) + bomb.flush()
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(payload)
    )
    with RawServer(send_all(head + payload)) as server:
        spec = write_spec(tmp_path, server.url)
        result, done = run_workflow_bounded(
            spec, seconds=60, memory_mib=400, limits={"max_response_bytes": 8 * 1024 * 1024}
        )
    assert result["status"] == "failed"
    assert "counted after decompression" in result["error"]["message"]
    print(f"gzip bomb: peak RSS {done.peak_kib // 1024} MiB")


def test_a_trickling_source_fails_the_load_at_the_fetch_deadline(tmp_path: Path) -> None:
    body = b"openapi: 3.0.3\n" * 4
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/yaml\r\nContent-Length: %d\r\n\r\n" % len(body)
    with RawServer(trickle(head + body, every=0.25)) as server:
        done = run_bounded(
            """
            import sys
            from arazzo_runner.errors import ArazzoError
            from arazzo_runner.sources import deadline, fetch
            deadline.FETCH_TIMEOUT = 1.0
            try:
                fetch.read_url(sys.argv[1])
            except ArazzoError as exc:
                print(exc)
            """,
            seconds=20,
            args=[server.url + "/openapi.yaml"],
        )
    assert done.returncode == 0, done.stderr
    assert "no complete response within 1s" in done.stdout
