"""Kafka through ``aiokafka``, tested against Tansu, a Kafka-protocol broker (docs/async-steps.md).

A channel address is a topic. A send produces to it and waits for the
broker's acknowledgement (headers as Kafka record headers, the content type
as a ``content-type`` header, no key). A receive reads with no consumer group,
so concurrent runs each see every record. One consumer per connection reads
every topic subscribed on it, its partitions assigned by hand: a subscribe
looks the topic up through the producer (a broker that creates topics on
first use creates it then), asks the end offset of each partition and
returns only then, so records produced after the subscribe returns are the
subscription's and older ones are not (subscribe-before-trigger). A topic
joining the consumer keeps the other topics at the record they had reached.
``{parameters}`` in an address make a topic pattern: the topics matching it
are read from their end, and one created later (looked for every
``TOPICS_REFRESH`` seconds) from its first record. ``kafka://``
connects in plain text, ``kafka-secure://`` over TLS; credentials (from the
run's, by security scheme) authenticate with SASL PLAIN.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from . import BrokerError, Endpoint, Received, Subscription

_PARAM = re.compile(r"\{[^}]*\}")
_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
DEFAULT_PORT = 9092
TIMEOUT_MS = 10000


def topic_pattern(address: str) -> str | None:
    """A regular expression for an address with ``{parameters}``; None for a plain topic name."""
    if not _PARAM.search(address):
        return None
    parts = _PARAM.split(address)
    return "^" + "[^/]+".join(re.escape(part) for part in parts) + "$"


def topic_problem(address: str) -> str | None:
    """Why ``address`` cannot be a Kafka topic name, or None. Checked here: a broker answers an invalid name
    with an error the client retries until its request timeout."""
    if _TOPIC.fullmatch(address) and address not in (".", ".."):
        return None
    return (
        f"{address!r} is not a valid Kafka topic name (letters, digits, '.', '_' and '-', at most 249); "
        "point the source at another broker with --server SOURCE=URL if its addresses are meant for one"
    )


def client_options(endpoint: Endpoint) -> dict[str, Any]:
    """What the aiokafka clients are given for ``endpoint``: bootstrap server, TLS, SASL."""
    secure = endpoint.url.lower().startswith(("kafka-secure:", "kafkas:"))
    options: dict[str, Any] = {
        "bootstrap_servers": f"{endpoint.host}:{endpoint.port(DEFAULT_PORT)}",
        "request_timeout_ms": TIMEOUT_MS,
    }
    if endpoint.username:
        options["security_protocol"] = "SASL_SSL" if secure else "SASL_PLAINTEXT"
        options["sasl_mechanism"] = "PLAIN"
        options["sasl_plain_username"] = endpoint.username
        options["sasl_plain_password"] = endpoint.password or ""
    else:
        options["security_protocol"] = "SSL" if secure else "PLAINTEXT"
    return options


def record_headers(headers: dict[str, str], content_type: str) -> list[tuple[str, bytes]]:
    out = [(name, str(value).encode()) for name, value in headers.items()]
    if content_type and not any(name.lower() == "content-type" for name, _ in out):
        out.append(("content-type", content_type.encode()))
    return out


POLL_MS = 100  # the longest a topic joining a busy consumer waits for the read in progress
FETCH_WAIT_MS = 100  # a broker may hold a fetch until its wait ends though a record came (Tansu 0.6 does)
TOPICS_REFRESH = 0.5  # seconds between two looks for new topics while a pattern is subscribed

_Matches = Callable[[str], bool]


def _received(record: Any) -> Received:
    headers = {str(k): (v or b"").decode("utf-8", "replace") for k, v in (record.headers or ())}
    return Received(record.topic, bytes(record.value or b""), headers)


class _TopicReader:
    """The consumer of one connection, no group, its partitions assigned by hand, handing each record to the
    subscriptions whose topic (or pattern) it matches and whose start it is at or after. A subscription starts
    at the end each partition had when it subscribed; a topic that matches a pattern and was created after it
    was subscribed (found by a look at the topics every ``TOPICS_REFRESH`` seconds) is read from its start."""

    def __init__(self, consumer: Any, partitions_of: Callable[[str], Awaitable[Any]]) -> None:
        self.consumer = consumer
        self.partitions_of = partitions_of
        self.subs: list[tuple[Subscription, _Matches, dict[Any, int]]] = []
        self.reached: dict[Any, int] = {}  # partition -> the offset of the next record to hand out
        self.lock = asyncio.Lock()  # a read, or a change of the assigned partitions
        self.task: asyncio.Task[None] | None = None

    async def partitions(self, topics: Iterable[str]) -> list[Any]:
        from aiokafka import TopicPartition

        return [TopicPartition(t, n) for t in sorted(topics) for n in sorted(await self.partitions_of(t))]

    async def add(self, sub: Subscription, matches: _Matches, topics: Iterable[str]) -> None:
        partitions = await self.partitions(topics)
        starts: dict[Any, int] = dict(await self.consumer.end_offsets(partitions)) if partitions else {}
        await self._assign(starts)
        self.subs.append((sub, matches, starts))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._read())

    async def _assign(self, starts: dict[Any, int]) -> None:
        if all(tp in self.reached for tp in starts):
            return
        async with self.lock:
            fresh = {tp: offset for tp, offset in starts.items() if tp not in self.reached}
            if fresh:
                # assign() forgets every position: the partitions read so far resume where they were.
                self.consumer.assign([*self.reached, *fresh])
                self.reached.update(fresh)
                for tp, offset in self.reached.items():
                    self.consumer.seek(tp, offset)

    def remove(self, sub: Subscription) -> None:
        self.subs = [entry for entry in self.subs if entry[0] is not sub]

    async def _new_topics(self) -> None:
        """Topics created since the patterns subscribed that match one: assigned from their first record."""
        patterns = [matches for sub, matches, _ in self.subs if topic_pattern(sub.address) is not None]
        if not patterns:
            return
        known = {tp.topic for tp in self.reached}
        topics = [t for t in await self.consumer.topics() if t not in known and any(m(t) for m in patterns)]
        if topics:
            partitions = await self.partitions(topics)
            await self._assign(dict(await self.consumer.beginning_offsets(partitions)))

    async def _read(self) -> None:
        from aiokafka.errors import KafkaError

        loop = asyncio.get_running_loop()
        look = loop.time() + TOPICS_REFRESH
        with contextlib.suppress(KafkaError, OSError):  # the connection is then reported closed (is_open)
            while True:
                if not self.reached:  # nothing assigned yet (a pattern no topic matches): getmany() would wait on
                    await asyncio.sleep(POLL_MS / 1000)
                    batches = {}
                else:
                    async with self.lock:
                        batches = await self.consumer.getmany(timeout_ms=POLL_MS)
                for tp, records in batches.items():
                    for record in records:
                        self.reached[tp] = record.offset + 1
                        for sub, matches, starts in list(self.subs):
                            if matches(record.topic) and record.offset >= starts.get(tp, 0):
                                sub.queue.put_nowait(_received(record))
                if loop.time() >= look:
                    look = loop.time() + TOPICS_REFRESH
                    await self._new_topics()

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        with contextlib.suppress(Exception):
            await self.consumer.stop()


class KafkaBinding:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._producer: Any = None
        self._reader: _TopicReader | None = None
        self._starting = asyncio.Lock()  # two runs subscribing at once on a kept connection start one consumer

    def _options(self) -> dict[str, Any]:
        options = client_options(self.endpoint)
        if options["security_protocol"] in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context()
        return options

    async def connect(self) -> None:
        from aiokafka import AIOKafkaProducer
        from aiokafka.errors import KafkaError

        producer = AIOKafkaProducer(**self._options())
        try:
            await producer.start()
        except (KafkaError, OSError) as exc:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise BrokerError(f"cannot connect: {_reason(exc)}") from None
        self._producer = producer

    @property
    def is_open(self) -> bool:
        reader = self._reader
        return self._producer is not None and (reader is None or reader.task is None or not reader.task.done())

    async def publish(self, address: str, body: bytes, headers: dict[str, str], content_type: str) -> None:
        from aiokafka.errors import KafkaError

        problem = topic_problem(address)
        if problem is not None:
            raise BrokerError(problem)
        try:
            await self._producer.send_and_wait(address, body, headers=record_headers(headers, content_type))
        except (KafkaError, OSError) as exc:
            raise BrokerError(f"publish to {address!r} failed: {_reason(exc)}") from None

    async def subscribe(self, address: str) -> Subscription:
        from aiokafka.errors import KafkaError

        pattern = topic_pattern(address)
        problem = topic_problem(_PARAM.sub("x", address))
        if problem is not None:
            raise BrokerError(problem)
        sub = Subscription(address)
        try:
            reader = await self._topic_reader()
            if pattern is None:
                await reader.add(sub, address.__eq__, [address])  # the topic is created if the broker may
            else:
                matches = re.compile(pattern).fullmatch
                topics = [t for t in await reader.consumer.topics() if matches(t)]
                await reader.add(sub, lambda topic: matches(topic) is not None, topics)
        except (KafkaError, OSError) as exc:
            raise BrokerError(f"subscribe to {address!r} failed: {_reason(exc)}") from None
        return sub

    async def _topic_reader(self) -> _TopicReader:
        from aiokafka import AIOKafkaConsumer

        async with self._starting:
            if self._reader is None:
                consumer = AIOKafkaConsumer(
                    **self._options(), group_id=None, enable_auto_commit=False, fetch_max_wait_ms=FETCH_WAIT_MS
                )
                try:
                    await consumer.start()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await consumer.stop()
                    raise
                self._reader = _TopicReader(consumer, self._producer.partitions_for)
            return self._reader

    async def unsubscribe(self, sub: Subscription) -> None:
        if self._reader is not None:
            self._reader.remove(sub)

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("\n", 1)[0]
