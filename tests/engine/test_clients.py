"""Runs without ``client=`` reuse one kept client and its connections; it is closed cleanly and never crosses a fork.

Each test counts the TCP connections a loopback server accepted: keep-alive reuse shows as
one connection for many runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from arazzo_runner import Runner, arun_workflow, load, run_workflow
from arazzo_runner.engine.clients import ClientPool, run_sync
from tests.support.documents import arazzo_over_api, get_by_id_openapi, write_spec
from tests.support.loopback import LoopbackServer, Reply

ROOT = Path(__file__).resolve().parents[2]

OPENAPI = get_by_id_openapi("/pets/{id}", "getPet", "integer")
ARAZZO = arazzo_over_api(
    """\
  - workflowId: pet
    inputs: {type: object, properties: {id: {type: integer}}, required: [id]}
    steps:
      - stepId: get
        operationId: getPet
        parameters: [{name: id, in: path, value: $inputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.get.outputs.name}
"""
)


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, OPENAPI, ARAZZO)


@pytest.fixture()
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        srv.script("GET", "/pets/{id}", [Reply(200, body={"name": "Rex"})])
        yield srv


def _clients_of(runner: Runner) -> list[httpx.AsyncClient]:
    pool = runner._clients
    assert isinstance(pool, ClientPool)
    return [entry.client for clients in pool._entries.values() for entry in clients.values()]


def test_sequential_run_workflow_calls_share_one_connection(spec: Path, server: LoopbackServer) -> None:
    doc = load(spec)
    for i in range(8):
        result = run_workflow(doc, "pet", {"id": i}, servers=server.url)
        assert result.status == "succeeded", result.error
        assert result.outputs == {"name": "Rex"}
    assert len(server.requests) == 8
    assert server.connections == 1


def test_sequential_arun_workflow_calls_share_one_connection(spec: Path, server: LoopbackServer) -> None:
    doc = load(spec)

    async def main() -> list[str]:
        return [(await arun_workflow(doc, "pet", {"id": i}, servers=server.url)).status for i in range(8)]

    assert asyncio.run(main()) == ["succeeded"] * 8
    assert server.connections == 1


def test_concurrent_runs_reuse_their_connections_batch_after_batch(spec: Path, server: LoopbackServer) -> None:
    doc = load(spec)

    async def batch() -> list[str]:
        runs = [arun_workflow(doc, "pet", {"id": i}, servers=server.url) for i in range(10)]
        return [result.status for result in await asyncio.gather(*runs)]

    async def main() -> None:
        assert await batch() == ["succeeded"] * 10
        opened = server.connections
        assert 1 <= opened <= 10
        for _ in range(3):
            assert await batch() == ["succeeded"] * 10
        assert server.connections == opened  # every later batch went over the kept connections

    asyncio.run(main())
    assert len(server.requests) == 40


def test_pool_limits_are_configurable(spec: Path, server: LoopbackServer) -> None:
    doc = load(spec)

    async def main() -> list[str]:
        async with Runner(servers=server.url, pool=httpx.Limits(max_connections=1)) as runner:
            results = await asyncio.gather(*(runner.arun(doc, "pet", {"id": i}) for i in range(6)))
        return [result.status for result in results]

    assert asyncio.run(main()) == ["succeeded"] * 6
    assert server.connections == 1  # six concurrent runs queued for the one connection allowed


def test_runner_keeps_one_client_and_closes_it_as_a_context_manager(spec: Path, server: LoopbackServer) -> None:
    with Runner(servers=server.url) as runner:
        assert [runner.run(spec, "pet", {"id": i}).status for i in range(4)] == ["succeeded"] * 4
        clients = _clients_of(runner)
        assert len(clients) == 1 and not clients[0].is_closed
    assert clients[0].is_closed
    assert _clients_of(runner) == []
    assert server.connections == 1


def test_runner_as_async_context_manager_closes_its_client(spec: Path, server: LoopbackServer) -> None:
    async def main() -> list[httpx.AsyncClient]:
        async with Runner(servers=server.url) as runner:
            for i in range(3):
                assert (await runner.arun(spec, "pet", {"id": i})).status == "succeeded"
            clients = _clients_of(runner)
            assert len(clients) == 1 and not clients[0].is_closed
        assert _clients_of(runner) == []
        return clients

    clients = asyncio.run(main())
    assert clients[0].is_closed
    assert server.connections == 1


def test_the_default_client_is_closed_when_its_loop_ends(spec: Path, server: LoopbackServer) -> None:
    runner = Runner(servers=server.url)

    async def main() -> list[httpx.AsyncClient]:
        assert (await runner.arun(spec, "pet", {"id": 1})).status == "succeeded"
        return _clients_of(runner)

    clients = asyncio.run(main())  # asyncio.run shuts the loop's async generators down, and the client with them
    assert len(clients) == 1 and clients[0].is_closed
    assert _clients_of(runner) == []


def test_the_sync_call_works_inside_a_running_event_loop(spec: Path, server: LoopbackServer) -> None:
    async def notebook_cell() -> str:
        return run_workflow(spec, "pet", {"id": 7}, servers=server.url).status

    assert asyncio.run(notebook_cell()) == "succeeded"
    assert server.requests[-1].path == "/pets/7"


def test_a_callers_async_client_works_on_every_sync_call(spec: Path, server: LoopbackServer) -> None:
    client = httpx.AsyncClient()
    try:
        statuses = [run_workflow(spec, "pet", {"id": i}, servers=server.url, client=client).status for i in range(3)]
        assert statuses == ["succeeded"] * 3
        assert not client.is_closed  # the caller's client stays the caller's
        assert server.connections == 1
    finally:
        run_sync(client.aclose())  # closed on the loop its connections belong to


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is not available on this platform")
def test_a_forked_child_runs_on_its_own_connection(spec: Path, server: LoopbackServer) -> None:
    doc = load(spec)
    assert run_workflow(doc, "pet", {"id": 1}, servers=server.url).status == "succeeded"
    assert server.connections == 1
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the outcome through the pipe and leave without running pytest's exit
        code = 1
        try:
            os.close(read_end)
            status = run_workflow(doc, "pet", {"id": 2}, servers=server.url).status
            os.write(write_end, status.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    if not select.select([read_end], [], [], 60)[0]:  # a guard against a hang, not a speed check
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)
        pytest.fail("the forked child never finished its run (did it wait on the parent's loop thread?)")
    with os.fdopen(read_end) as pipe:
        child_status = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(wait_status) == 0
    assert child_status == "succeeded"
    assert server.connections == 2  # the child opened its own; it never wrote on the parent's socket
    # The parent's kept connection is intact.
    assert run_workflow(doc, "pet", {"id": 3}, servers=server.url).status == "succeeded"
    assert server.connections == 2
    assert [r.path for r in server.requests] == ["/pets/1", "/pets/2", "/pets/3"]


def test_no_resource_warning_from_kept_clients(spec: Path, server: LoopbackServer) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from arazzo_runner import Runner, arun_workflow, run_workflow

        spec, url = sys.argv[1], sys.argv[2]
        assert run_workflow(spec, "pet", {"id": 1}, servers=url).status == "succeeded"
        assert run_workflow(spec, "pet", {"id": 2}, servers=url).status == "succeeded"
        for _ in range(2):  # a new loop each time: each loop's client is closed with it
            assert asyncio.run(arun_workflow(spec, "pet", {"id": 3}, servers=url)).status == "succeeded"
        with Runner(servers=url) as runner:
            assert runner.run(spec, "pet", {"id": 4}).status == "succeeded"

        async def main():
            async with Runner(servers=url) as runner:
                assert (await runner.arun(spec, "pet", {"id": 5})).status == "succeeded"
            kept = Runner(servers=url)  # never closed: closed with its loop
            assert (await kept.arun(spec, "pet", {"id": 6})).status == "succeeded"

        asyncio.run(main())
        left_open = Runner(servers=url)  # never closed: closed at exit
        assert left_open.run(spec, "pet", {"id": 7}).status == "succeeded"
        print("done")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-X", "dev", "-c", script, str(spec), server.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "done"
    assert "ResourceWarning" not in completed.stderr and "unclosed" not in completed.stderr, completed.stderr
    assert "Exception ignored" not in completed.stderr, completed.stderr
    assert len(server.requests) == 8


class _ClosingServer:
    """Answers one request per connection, keep-alive style (no ``Connection: close``), then hangs up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self.hung_up = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                body = b'{"name": "Rex"}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
            self.hung_up.set()

    def close(self) -> None:
        self.sock.close()


def test_a_kept_connection_the_server_closed_is_not_reused(spec: Path) -> None:
    server = _ClosingServer()
    try:
        doc = load(spec)
        for i in range(3):
            server.hung_up.clear()
            result = run_workflow(doc, "pet", {"id": i}, servers=server.url)
            assert result.status == "succeeded", result.error
            assert server.hung_up.wait(30)  # the server has closed the connection the client keeps
        assert server.connections == 3
    finally:
        server.close()


def test_the_many_runs_example_of_the_performance_page_runs_cleanly() -> None:
    completed = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", str(ROOT / "examples" / "many_runs.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "160 of 160 runs succeeded" in completed.stdout
    assert "ResourceWarning" not in completed.stderr and "Exception ignored" not in completed.stderr


REQUEST_TAG: contextvars.ContextVar[str] = contextvars.ContextVar("REQUEST_TAG", default="unset")


def test_the_sync_call_runs_in_the_callers_context(spec: Path, server: LoopbackServer) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(REQUEST_TAG.get())

    client = httpx.AsyncClient(event_hooks={"request": [hook]})
    try:
        token = REQUEST_TAG.set("from the caller")
        try:
            assert run_workflow(spec, "pet", {"id": 1}, servers=server.url, client=client).status == "succeeded"
        finally:
            REQUEST_TAG.reset(token)
        assert run_workflow(spec, "pet", {"id": 2}, servers=server.url, client=client).status == "succeeded"
    finally:
        run_sync(client.aclose())
    assert seen == ["from the caller", "unset"]  # context variables follow the call, and do not leak to the next


@pytest.mark.parametrize("raised", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_raised_inside_a_sync_run_reaches_the_caller(
    spec: Path, server: LoopbackServer, raised: type[BaseException]
) -> None:
    """A KeyboardInterrupt or SystemExit from an ``on_event`` listener ends the call with it, rather than ending the
    loop thread and leaving the caller waiting; the next sync call still runs."""

    def listener(event: object) -> None:
        if type(event).__name__ == "RequestSent":
            raise raised("from the listener")

    outcome: list[BaseException | str] = []

    def call() -> None:
        try:
            run_workflow(spec, "pet", {"id": 1}, servers=server.url, on_event=listener)
            outcome.append("returned")
        except BaseException as exc:  # the point is what reaches the caller
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    caller.join(timeout=30)
    assert not caller.is_alive(), "the sync call never returned"
    assert len(outcome) == 1 and type(outcome[0]) is raised, outcome
    assert run_workflow(spec, "pet", {"id": 2}, servers=server.url).outputs == {"name": "Rex"}
