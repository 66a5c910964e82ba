"""Standard output whose reader may go away (``arazzo-runner list | head -1``).

A closed pipe is not a failure of the command: writes after it are dropped,
standard output is pointed at the null device so nothing fails at exit either,
and the command ends with the exit code its own work earned.
"""

from __future__ import annotations

import os
from typing import Any, TextIO

__all__ = ["QuietPipe"]


class QuietPipe:
    """Wraps a text stream; a ``BrokenPipeError`` on write or flush silences it instead of raising."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())  # what is still buffered goes nowhere, quietly
            os.close(devnull)
        except (OSError, ValueError):  # not a real file descriptor (a test's capture): nothing to redirect
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
