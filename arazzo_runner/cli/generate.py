"""``arazzo-runner generate OPENAPI [-o FILE] [--operations ID,ID,...]``: a starting-point Arazzo document.

Exit codes: 0 written, 2 the description cannot be read or an operation is unknown.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .app import COMMAND_HELP

__all__ = ["register", "run"]

EXIT_OK, EXIT_INVALID = 0, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help=COMMAND_HELP["generate"],
        description="Generate an Arazzo document from an OpenAPI description: one workflow per operation, "
        "or with --operations one workflow calling those operations in order.",
    )
    parser.add_argument("openapi", metavar="OPENAPI", help="path of the OpenAPI 3.x description (YAML or JSON)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    parser.add_argument("--operations", metavar="ID,ID,...", help="operationIds to chain, in order, into one workflow")


def run(args: argparse.Namespace) -> int:
    from ..authoring.generate import GenerateError, generate_arazzo

    operations = [name.strip() for name in args.operations.split(",") if name.strip()] if args.operations else None
    if args.operations is not None and not operations:
        print("arazzo-runner: error: --operations needs at least one operationId", file=sys.stderr)
        return EXIT_INVALID
    openapi = Path(args.openapi)
    # The source URL is relative to where the document is written, so it can be moved with its description.
    base = Path(args.output).resolve().parent if args.output else Path.cwd()
    source_url = Path(os.path.relpath(openapi.resolve(), base)).as_posix()
    try:
        text = generate_arazzo(openapi, operations, source_url=source_url)
    except GenerateError as exc:
        print(f"arazzo-runner: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"arazzo-runner: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_INVALID
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK
