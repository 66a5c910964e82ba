"""``arazzo-runner upgrade SPEC [-o FILE]``: rewrite an Arazzo 1.0.x document as 1.1.0 (V11-03).

The upgraded document goes to FILE (or standard output); what was pinned and
what needs a hand go to standard error. Exit codes: 0 upgraded (or already
1.1) with nothing left to decide, 1 upgraded but something needs a hand,
2 the document cannot be read or is not Arazzo 1.0.x/1.1.x.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import urlsplit

from .app import COMMAND_HELP, UsageError, add_source_option, source_map

__all__ = ["register", "run"]

EXIT_OK, EXIT_MANUAL, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "upgrade",
        help=COMMAND_HELP["upgrade"],
        description=(
            "Rewrite an Arazzo 1.0.x document as 1.1.0, in place of its version line, pinning criteria whose "
            "reading changes in 1.1 and listing anything that needs a hand."
        ),
    )
    parser.add_argument("spec", metavar="SPEC", help="path or URL of the Arazzo 1.0.x document")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the 1.1 document here (default: stdout)")
    add_source_option(parser)


def run(args: argparse.Namespace) -> int:
    from ..errors import ArazzoError
    from ..sources.fetch import path_to_url, read_url
    from ..upgrade import upgrade_text

    try:
        sources = source_map(args.source)
    except UsageError as exc:
        print(f"arazzo-runner: error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    spec = str(args.spec)
    url = spec if urlsplit(spec).scheme in ("http", "https", "file") else path_to_url(spec)
    try:
        result = upgrade_text(read_url(url), url, sources=sources)
    except ArazzoError as exc:
        print(f"arazzo-runner: error: {exc.message}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(result.text)
    else:
        sys.stdout.write(result.text)
    if not result.changed:
        print(f"{spec}: already Arazzo {result.from_version}; nothing to upgrade", file=sys.stderr)
        return EXIT_OK
    print(f"{spec}: upgraded from Arazzo {result.from_version} to 1.1.0", file=sys.stderr)
    for note in result.pinned:
        print(f"  pinned: {note}", file=sys.stderr)
    for note in result.manual:
        print(f"  needs a hand: {note}", file=sys.stderr)
    return EXIT_MANUAL if result.manual else EXIT_OK
