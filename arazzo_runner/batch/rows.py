"""Input rows for many runs: JSON Lines, CSV or any iterable of mappings, read lazily, optionally sharded."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from ..plan.coerce import coerce_input_text, strict_json

__all__ = ["Row", "count_rows", "read_csv", "read_jsonl", "rows_from", "select_shard"]


@dataclass(frozen=True)
class Row:
    """One row of inputs: its 0-based index in the whole input, and its inputs or why they could not be read."""

    index: int
    inputs: Mapping[str, Any] | None
    problem: str | None = None


def rows_from(items: Iterable[Mapping[str, Any] | Row]) -> Iterator[Row]:
    """Number plain mappings 0, 1, 2 … (a :class:`Row` keeps its own index); anything else is an invalid row."""
    for index, item in enumerate(items):
        if isinstance(item, Row):
            yield item
        elif isinstance(item, Mapping):
            yield Row(index, item)
        else:
            yield Row(index, None, f"a row must be a mapping of input names to values, not {type(item).__name__}")


def read_jsonl(stream: TextIO, source: str = "<stdin>") -> Iterator[Row]:
    """One JSON object per line. Blank lines are neither rows nor counted; a line that is not a JSON
    object is an invalid row (the run goes on), naming the file and line."""
    index = 0
    for line_number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            value = strict_json(line)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or type(exc).__name__
            yield Row(index, None, f"{source}:{line_number}: not valid JSON: {reason}")
        else:
            if isinstance(value, dict):
                yield Row(index, value)
            else:
                yield Row(index, None, f"{source}:{line_number}: a row must be a JSON object of inputs")
        index += 1


def read_csv(stream: TextIO, properties: Mapping[str, Any], source: str = "<csv>") -> Iterator[Row]:
    """A header row of input names, then one row per run. Each value is read by its input's schema type
    (as ``-i`` reads it); an empty cell leaves the input out, so a common value or the default applies."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    index = 0
    for record in reader:
        if not record or all(not cell.strip() for cell in record):
            continue
        line = reader.line_num
        if len(record) > len(names):
            yield Row(index, None, f"{source}:{line}: {len(record)} values for {len(names)} columns")
            index += 1
            continue
        inputs: dict[str, Any] = {}
        problem = None
        for name, cell in zip(names, record, strict=False):
            if cell == "":
                continue
            try:
                inputs[name] = coerce_input_text(name, cell, properties.get(name))
            except ValueError as exc:
                problem = f"{source}:{line}: {exc}"
                break
        yield Row(index, None if problem else inputs, problem)
        index += 1


def csv_header(stream: TextIO) -> list[str]:
    """The column names of a CSV file (its first row), for checking them before any run."""
    return [name.strip() for name in next(csv.reader(stream), [])]


def count_rows(path: str, kind: str) -> int:
    """How many rows a JSON Lines or CSV file holds (for progress), without parsing them."""
    count = 0
    with open(path, encoding="utf-8", newline="") as handle:
        if kind == "csv":
            reader = csv.reader(handle)
            next(reader, None)
            for record in reader:
                if record and any(cell.strip() for cell in record):
                    count += 1
        else:
            for line in handle:
                if line.strip():
                    count += 1
    return count


def select_shard(rows: Iterable[Row], shard: int, shards: int) -> Iterator[Row]:
    """The rows whose global index ``i`` has ``i % shards == shard``: deterministic, with no coordination."""
    for row in rows:
        if row.index % shards == shard:
            yield row
