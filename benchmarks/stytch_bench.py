"""What the benchmarks against the local Stytch sandbox share: the reference workflow, the sandbox in its
own process, the same two requests sent with plain httpx, and interleaved timing.

Importing it puts the repository and ``examples/`` first on ``sys.path`` (the benchmarks run as scripts).
"""

from __future__ import annotations

import base64
import contextlib
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples")]

import httpx  # noqa: E402
from stytch_sandbox import (  # noqa: E402
    DEFAULT_MEMBER_ID,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_PROJECT_ID,
    DEFAULT_SECRET,
    StytchSandbox,
)

SPEC = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
CORPUS = ROOT.parent / "shared" / "corpus" / "stytch"
CORPUS_SPEC = CORPUS / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
CORPUS_OPENAPI = CORPUS / "openapi" / "stytch-b2b-openapi.yml"
WORKFLOW = "recovery-codes-rotate"
INPUTS = {"organization_id": DEFAULT_ORGANIZATION_ID, "member_id": DEFAULT_MEMBER_ID}
CREDENTIALS = {"basicAuth": (DEFAULT_PROJECT_ID, DEFAULT_SECRET)}
AUTH = "Basic " + base64.b64encode(f"{DEFAULT_PROJECT_ID}:{DEFAULT_SECRET}".encode()).decode()
WARM_UP = 20  # runs of each side before timing: connections open, code paths hot


@contextlib.contextmanager
def sandbox_url(in_process: bool = False) -> Iterator[str]:
    """The sandbox's base URL: in its own process, as an API server would be (``in_process``: a thread of
    this one, where it competes with the client for the interpreter lock)."""
    if in_process:
        with StytchSandbox() as sandbox:
            yield sandbox.url
        return
    proc = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "examples" / "stytch_sandbox.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().rsplit(" ", 1)[-1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def urls(url: str) -> tuple[str, str]:
    """The two requests of the workflow: read the codes, rotate them."""
    return (
        f"{url}/v1/b2b/recovery_codes/{DEFAULT_ORGANIZATION_ID}/{DEFAULT_MEMBER_ID}",
        f"{url}/v1/b2b/recovery_codes/rotate",
    )


def plain_sync(client: httpx.Client, url: str) -> Callable[[], None]:
    """The workflow's two requests with plain httpx: the floor the engine is compared with."""
    get_url, rotate_url = urls(url)

    def once() -> None:
        first = client.get(get_url, headers={"Authorization": AUTH})
        assert first.status_code == 200
        first.json()["recovery_codes"]
        second = client.post(rotate_url, json=INPUTS, headers={"Authorization": AUTH})
        assert second.status_code == 200
        second.json()["recovery_codes"]

    return once


def plain_async(client: httpx.AsyncClient, url: str) -> Callable[[], Awaitable[None]]:
    """:func:`plain_sync` on an ``AsyncClient``."""
    get_url, rotate_url = urls(url)

    async def once() -> None:
        first = await client.get(get_url, headers={"Authorization": AUTH})
        assert first.status_code == 200
        first.json()["recovery_codes"]
        second = await client.post(rotate_url, json=INPUTS, headers={"Authorization": AUTH})
        assert second.status_code == 200
        second.json()["recovery_codes"]

    return once


def interleaved(
    engine_once: Callable[[], None], plain_once: Callable[[], None], runs: int
) -> tuple[list[float], list[float]]:
    """Seconds per run of each side, alternating so that drift on a noisy machine hits both alike."""
    for _ in range(WARM_UP):
        engine_once()
        plain_once()
    engine: list[float] = []
    plain: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        plain_once()
        plain.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine_once()
        engine.append(time.perf_counter() - started)
    return engine, plain


async def ainterleaved(
    engine_once: Callable[[], Awaitable[None]], plain_once: Callable[[], Awaitable[None]], runs: int
) -> tuple[list[float], list[float]]:
    """:func:`interleaved` for coroutines."""
    for _ in range(WARM_UP):
        await engine_once()
        await plain_once()
    engine: list[float] = []
    plain: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        await plain_once()
        plain.append(time.perf_counter() - started)
        started = time.perf_counter()
        await engine_once()
        engine.append(time.perf_counter() - started)
    return engine, plain
