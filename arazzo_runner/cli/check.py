"""``arazzo-runner check SPEC [SPEC ...]``: report every problem of Arazzo documents, without sending a request.

Exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 a file
cannot be read (or the command line is invalid).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .app import COMMAND_HELP, UsageError, add_source_option, source_map

__all__ = ["register", "run"]

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help=COMMAND_HELP["check"],
        description="Check Arazzo documents: structure, references, and every step against its OpenAPI operation.",
    )
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="paths or URLs of Arazzo documents")
    parser.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="unknown fields and lenient fallbacks are errors (DEC-41)"
    )
    add_source_option(parser)


def run(args: argparse.Namespace) -> int:
    from .. import __version__
    from ..checker import Checker
    from ..checker.render import render_json, render_sarif, render_text

    try:
        sources = source_map(args.source)
    except UsageError as exc:
        print(f"arazzo-runner: error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    checker = Checker(strict=args.strict, sources=sources)
    results = [checker.check(spec) for spec in args.specs]
    diagnostics = [d for r in results for d in r.diagnostics]
    if args.format == "json":
        sys.stdout.write(render_json(diagnostics, files=[r.spec for r in results]))
    elif args.format == "sarif":
        sys.stdout.write(render_sarif(diagnostics, version=__version__))
    else:
        color = sys.stdout.isatty()
        sys.stdout.write(render_text(diagnostics, files=len(results), color=color))
    if any(not r.readable for r in results):
        return EXIT_UNREADABLE
    return EXIT_ERRORS if any(d.severity == "error" for d in diagnostics) else EXIT_OK
