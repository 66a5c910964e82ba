"""``arazzo-runner mock OPENAPI``: serve mock responses for an OpenAPI description on 127.0.0.1.

The same responses ``run --mock`` gets in process: requests validated against
the operation (400 says what is wrong), answers from the examples or generated
from the response schemas. Given an Arazzo document instead, every OpenAPI
source it names is served, and its steps' success criteria pick the statuses.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .app import COMMAND_HELP

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mock",
        help=COMMAND_HELP["mock"],
        description="Serve responses generated from an OpenAPI description (or from the sources of an Arazzo document) "
        "on 127.0.0.1, validating every request against its operation. Ctrl-C stops.",
    )
    parser.add_argument(
        "openapi", metavar="OPENAPI", help="path or URL of an OpenAPI description (or of an Arazzo document)"
    )
    parser.add_argument(
        "--port", type=_port, default=8000, metavar="N", help="port to listen on (default 8000; 0 picks a free one)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed for generated values (default 0)")
    parser.add_argument("--scenario", metavar="FILE", help="YAML file overriding responses per operationId (or stepId)")
    parser.add_argument("--no-validate", action="store_true", help="answer invalid requests too instead of 400")


def _port(text: str) -> int:
    """An argparse type: a TCP port number, 0 to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return value


def run(args: argparse.Namespace) -> int:
    from ..mock import make_server

    responder = build_responder(args.openapi, seed=args.seed, scenario=args.scenario, validate=not args.no_validate)
    try:
        server = make_server(responder, args.port, log=lambda line: print(line, file=sys.stderr, flush=True))
    except OSError as exc:
        print(f"arazzo-runner: error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    host, port = str(server.server_address[0]), int(server.server_address[1])
    names = ", ".join(d.display for d in responder.descriptions)
    operations = sum(len(d.operations) for d in responder.descriptions)
    print(f"mock of {names} ({operations} operations) on http://{host}:{port}  (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("mock server stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0


def build_responder(spec: str, **options: Any) -> Any:
    """An OpenAPI description is served as is; an Arazzo document brings its sources and its steps."""
    from ..mock import MockResponder
    from ..openapi.index import OpenAPIDescription
    from ..sources.fetch import display_name, path_to_url, read_url
    from ..sources.yamlsource import parse_fast

    url = spec if "://" in spec else path_to_url(spec)
    text = read_url(url)
    data = parse_fast(text, display_name(url))
    if isinstance(data, dict) and "arazzo" in data:
        from ..compile.loader import load

        return MockResponder.for_document(load(spec), **options)
    return MockResponder([OpenAPIDescription(url, data, display_name(url))], **options)
