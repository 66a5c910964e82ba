"""A Runner keeps its broker connections across runs, as it keeps its HTTP client: N runs make one
connection, a dropped one is opened again, ``close()`` closes it; a one-off ``run_workflow`` closes its own.
Counted at a TCP proxy on 127.0.0.1 in front of real Mosquitto and RabbitMQ brokers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from arazzo_runner import Runner, WorkflowResult, run_workflow
from tests.asyncapi.test_mqtt_steps import ARAZZO, ASYNCAPI, OPENAPI, _shop
from tests.support.brokers import mosquitto, rabbitmq
from tests.support.order_shop import write_flow
from tests.support.tcpproxy import TcpProxy

ANNOUNCE = {"orderId": "ord-1", "quantity": 1}


@pytest.fixture
def flow(tmp_path: Path) -> str:
    return str(write_flow(tmp_path, ASYNCAPI, OPENAPI, ARAZZO))


@pytest.fixture
def broker() -> Iterator[str]:
    with mosquitto() as url:
        yield url


def test_runs_on_one_runner_share_one_mqtt_connection_until_close(flow: str, broker: str) -> None:
    with TcpProxy(broker) as proxy, _shop(broker) as shop:  # the shop publishes straight to the broker
        runner = Runner(servers={"shop": shop.url, "events": proxy.url})
        with runner:
            for item in ("tea", "cake", "jam"):
                result = runner.run(flow, "place-and-confirm", {"item": item})
                assert result.status == "succeeded", result.error
                assert result.outputs["orderId"].endswith(f"-{item}")
            for _ in range(2):
                assert runner.run(flow, "announce", ANNOUNCE).status == "succeeded"
            assert proxy.accepted == 1
            assert proxy.active == 1  # kept open between runs
        assert proxy.wait_until_idle(), "Runner.close() left the broker connection open"
        assert proxy.accepted == 1


def test_a_dropped_connection_is_opened_again_by_the_next_run(flow: str, broker: str) -> None:
    with (
        TcpProxy(broker) as proxy,
        _shop(broker) as shop,
        Runner(servers={"shop": shop.url, "events": proxy.url}) as runner,
    ):
        assert runner.run(flow, "place-and-confirm", {"item": "tea"}).status == "succeeded"
        proxy.cut()
        assert proxy.wait_until_idle()
        again = runner.run(flow, "place-and-confirm", {"item": "cake"})
        assert again.status == "succeeded", again.error
        assert proxy.accepted == 2
        assert runner.run(flow, "announce", ANNOUNCE).status == "succeeded"
        assert proxy.accepted == 2


def test_concurrent_runs_on_one_connection_each_take_their_own_message(flow: str, broker: str) -> None:
    async def both(runner: Runner) -> list[WorkflowResult]:
        return list(
            await asyncio.gather(
                runner.arun(flow, "place-and-confirm", {"item": "tea"}),
                runner.arun(flow, "place-and-confirm", {"item": "cake"}),
            )
        )

    with TcpProxy(broker) as proxy, _shop(broker) as shop:
        runner = Runner(servers={"shop": shop.url, "events": proxy.url})

        async def main() -> list[WorkflowResult]:
            async with runner:
                return await both(runner)

        tea, cake = asyncio.run(main())
    assert tea.status == "succeeded" and cake.status == "succeeded", (tea.error, cake.error)
    assert tea.outputs["orderId"].endswith("-tea") and cake.outputs["orderId"].endswith("-cake")
    assert proxy.accepted == 1


def test_a_one_off_run_closes_its_connection(flow: str, broker: str) -> None:
    with TcpProxy(broker) as proxy:
        for _ in range(2):
            assert run_workflow(flow, "announce", ANNOUNCE, servers={"events": proxy.url}).status == "succeeded"
            assert proxy.wait_until_idle(), "run_workflow left its broker connection open"
        assert proxy.accepted == 2


def test_runs_on_one_runner_share_one_amqp_connection(flow: str) -> None:
    pytest.importorskip("aio_pika", reason="the AMQP tests need aio-pika")
    with rabbitmq() as amqp, TcpProxy(amqp) as proxy:
        with Runner(servers={"events": proxy.url}) as runner:
            for _ in range(3):
                result = runner.run(flow, "announce", ANNOUNCE)
                assert result.status == "succeeded", result.error
            waited = runner.run(flow, "wait-only", {"orderId": "nobody"})
            assert waited.status == "failed" and waited.error is not None and "within 300 ms" in waited.error.message
            assert proxy.accepted == 1
        assert proxy.wait_until_idle(), "Runner.close() left the AMQP connection open"


def test_connections_end_with_the_event_loop_they_belong_to(flow: str, broker: str) -> None:
    """A Runner used from asyncio.run() calls (the pytest plugin runs each item so): each loop's connection is
    kept for that loop's runs and closed when asyncio.run() shuts the loop down."""
    with TcpProxy(broker) as proxy:
        runner = Runner(servers={"events": proxy.url})

        async def twice() -> None:
            for _ in range(2):
                assert (await runner.arun(flow, "announce", ANNOUNCE)).status == "succeeded"

        asyncio.run(twice())
        assert proxy.wait_until_idle(), "the connection outlived its event loop"
        assert proxy.accepted == 1
        asyncio.run(twice())
        assert proxy.wait_until_idle()
        assert proxy.accepted == 2
        runner.close()  # nothing left to close
