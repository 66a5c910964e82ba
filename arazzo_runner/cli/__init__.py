"""The ``arazzo-runner`` command line: one module per command, shared options in :mod:`.app`.

:func:`main` is the console entry point. It imports the command line itself, so that Ctrl-C while
those modules load ends the command as Ctrl-C at any later moment does: exit 130, one line, no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from .app import main as run_command
    except KeyboardInterrupt:
        print("arazzo-runner: interrupted", file=sys.stderr)
        return 130
    return run_command(argv)
