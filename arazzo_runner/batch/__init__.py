"""Many runs of one workflow: rows of inputs, bounded concurrency, a start rate, resume and shards.

Beside the engine, never under it: it calls a run function once per row and reads the results.
``Runner.run_many`` / ``Runner.arun_many`` are the Python face; ``arazzo-runner run --each FILE`` the
command line's (see docs/many-runs.md).
"""

from .output import ResultFile, completed_rows
from .rows import Row, count_rows, read_csv, read_jsonl, rows_from, select_shard
from .schedule import RowResult, RowStatus, StartGate, parse_rate, run_rows

__all__ = [
    "ResultFile",
    "Row",
    "RowResult",
    "RowStatus",
    "StartGate",
    "completed_rows",
    "count_rows",
    "parse_rate",
    "read_csv",
    "read_jsonl",
    "rows_from",
    "run_rows",
    "select_shard",
]
