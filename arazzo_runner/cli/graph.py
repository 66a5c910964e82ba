"""``arazzo-runner graph SPEC -w WORKFLOW_ID [--format mermaid|dot]``: draw a workflow as a flowchart.

Exit codes: 0 drawn, 2 the document cannot be loaded or has no such workflow.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .app import COMMAND_HELP, UsageError, add_source_option, source_map

__all__ = ["register", "run"]

EXIT_OK, EXIT_INVALID = 0, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "graph",
        help=COMMAND_HELP["graph"],
        description="Print a flowchart of a workflow: steps, default next steps, every success and failure "
        "action, and the workflows it calls as subgraphs.",
    )
    parser.add_argument("spec", metavar="SPEC", help="path or URL of the Arazzo document")
    parser.add_argument("-w", "--workflow", required=True, metavar="WORKFLOW_ID", help="the workflowId to draw")
    parser.add_argument(
        "--format", choices=("mermaid", "dot"), default="mermaid", help="mermaid (default) or dot (Graphviz)"
    )
    add_source_option(parser)


def run(args: argparse.Namespace) -> int:
    from .. import ArazzoError, load
    from ..authoring.graph import render_graph

    try:
        document = load(args.spec, sources=source_map(args.source))
        text = render_graph(document, args.workflow, args.format)
    except (UsageError, ArazzoError) as exc:
        print(f"arazzo-runner: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    sys.stdout.write(text)
    return EXIT_OK
