"""What the plan keeps for an AsyncAPI step: where it sends or receives, and how it correlates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .index import Channel, Message, Server

__all__ = ["AsyncTarget"]


@dataclass(frozen=True)
class AsyncTarget:
    source: str
    action: str  # "send" or "receive"
    channel: Channel
    operation_id: str | None
    messages: tuple[Message, ...]
    correlation_id: Any = None  # a CompiledValue, or None
    servers: tuple[Server, ...] = ()  # the channel's servers, in the order written

    @property
    def label(self) -> str:
        return f"{self.action} on channel {self.channel.address!r} of {self.source!r}"
