"""A fast loopback HTTP/1.1 server for benchmarks: ``GET /items/{id}`` answers ``{"id": …}`` on keep-alive
connections, written on raw asyncio so that the server is not what a benchmark measures.

    python benchmarks/items_server.py   # prints "listening on http://127.0.0.1:PORT"
"""

from __future__ import annotations

import asyncio
import json
import sys


class _Items(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            target = head.split(b" ", 2)[1].decode("latin-1")
            item = target.split("?", 1)[0].rsplit("/", 1)[-1]
            body = json.dumps({"id": item}).encode()
            self.transport.write(  # type: ignore[attr-defined]
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Items, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
