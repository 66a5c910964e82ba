"""The ``arazzo-runner`` command line: one module per command, shared options in :mod:`.main`."""

from .main import main

__all__ = ["main"]
