"""The ``--output`` file of many runs: one JSON line per row, appended and flushed as the row finishes.

Resuming reads the file back: rows that have a complete line are done; a torn last line (the process
was killed in the middle of writing it) is cut off, so that row runs again and ends with one line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["ResultFile", "completed_rows"]


def completed_rows(path: str) -> dict[int, str]:
    """The rows that already have a complete line in ``path``, with their status; a torn tail is cut off.

    Raises ``ValueError`` when a line other than the last is not a result line: that file was not
    written by a run of ours, and resuming into it would mix two result sets.
    """
    done: dict[int, str] = {}
    if not os.path.exists(path):
        return done
    with open(path, "rb+") as handle:
        data = handle.read()
        good_end = 0
        position = 0
        while position < len(data):
            newline = data.find(b"\n", position)
            if newline < 0:
                break  # no newline: the last line was torn
            line = data[position:newline]
            if line.strip():
                record = _record_of(line)
                if record is None:
                    if data.find(b"\n", newline + 1) < 0 and not data[newline + 1 :].strip():
                        break  # a garbled last line: treat as torn
                    line_number = data.count(b"\n", 0, position) + 1
                    raise ValueError(f"{path}: line {line_number} is not a result line; not resuming into it")
                done[record[0]] = record[1]
            position = newline + 1
            good_end = position
        if good_end < len(data):
            handle.truncate(good_end)
    return done


def _record_of(line: bytes) -> tuple[int, str] | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    row, status = value.get("row"), value.get("status")
    if isinstance(row, int) and not isinstance(row, bool) and row >= 0 and isinstance(status, str):
        return row, status
    return None


class ResultFile:
    """Appends result lines to a file; each line is written with one ``write`` and flushed to the OS."""

    def __init__(self, path: str, *, append: bool) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
        self.path = path
        self._fd = os.open(path, flags, 0o644)

    def write(self, record: Mapping[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False, allow_nan=False, default=str) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ResultFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
