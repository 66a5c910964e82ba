"""Helpers shared by the test suite (not part of the library)."""

from .loopback import (
    LoopbackServer,
    RecordedRequest,
    Reply,
    free_port,
    refused_url,
)

__all__ = ["LoopbackServer", "RecordedRequest", "Reply", "free_port", "refused_url"]
