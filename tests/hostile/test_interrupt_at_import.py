"""Ctrl-C while the command line is still importing ends it like Ctrl-C later: exit 130, one line, no traceback."""

from __future__ import annotations

import subprocess
import sys

from .support import ROOT

# The child sends itself SIGINT the moment the command line's main module starts to import: deterministic,
# whatever the speed of the machine.
CHILD = """
import os, signal, sys

class InterruptOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "arazzo_runner.cli.app":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, InterruptOnImport())
from arazzo_runner.cli import main
sys.exit(main(["list", "nothing.yaml"]))
"""


def test_sigint_while_the_command_line_imports_exits_130_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "arazzo-runner: interrupted"
    assert "Traceback" not in done.stderr
