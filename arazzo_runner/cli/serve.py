"""``arazzo-runner serve SPEC [SPEC ...]``: serve every workflow as an MCP tool (stdio, or ``--http``).

Exit codes: 0 the client closed the connection (or the server was stopped), 2 a
document does not load or the configuration is invalid (nothing is served).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from .app import (
    COMMAND_HELP,
    CREDENTIAL_ENV_PREFIX,
    EXIT_INVALID,
    EXIT_OK,
    add_source_option,
    credential_env_name,
    positive_seconds,
)

__all__ = ["register", "run"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help=COMMAND_HELP["serve"],
        description="Serve every workflow of the documents as one MCP tool, over stdio (default) or streamable "
        "HTTP. Credentials, servers and secret inputs come from this command line, the environment or --config, "
        "never from the agent.",
    )
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="paths or URLs of Arazzo documents")
    parser.add_argument(
        "--http",
        metavar="[HOST:]PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp (host default 127.0.0.1)",
    )
    parser.add_argument(
        "--token-env",
        metavar="VAR",
        help="with --http: clients must send 'Authorization: Bearer <token>', the token read from environment VAR",
    )
    parser.add_argument("--config", metavar="FILE", help="YAML/JSON settings (servers, credentials, inputs, limits)")
    parser.add_argument(
        "--server", action="append", default=[], metavar="[SOURCE=]URL", help="base URL for every source or one"
    )
    parser.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="SCHEME=VALUE",
        help=f"credential for a security scheme (SOURCE.SCHEME for one source); also {CREDENTIAL_ENV_PREFIX}<SCHEME>",
    )
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input the server fills in for every workflow declaring it; agents no longer see or give it",
    )
    parser.add_argument(
        "--secret-input",
        action="append",
        default=[],
        metavar="NAME",
        help="a secret input the server fills in, its value read from ARAZZO_SECRET_<NAME>; masked everywhere",
    )
    parser.add_argument(
        "--allow", action="extend", nargs="+", default=[], metavar="WORKFLOW_ID", help="serve only these workflows"
    )
    parser.add_argument(
        "--deny", action="extend", nargs="+", default=[], metavar="WORKFLOW_ID", help="never serve these"
    )
    parser.add_argument("--mock", action="store_true", help="offline: every request is answered from the OpenAPI")
    parser.add_argument("--mock-seed", type=int, default=None, metavar="N", help="seed for mock values (default 0)")
    parser.add_argument("--timeout", type=positive_seconds, default=None, metavar="SECONDS", help="per request (30)")
    parser.add_argument("--run-timeout", type=positive_seconds, default=None, metavar="SECONDS", help="per tool call")
    parser.add_argument("--max-steps", type=_positive_int, default=None, metavar="N", help="steps per call (1000)")
    parser.add_argument(
        "--max-concurrent-runs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="runs at once, more refused (4)",
    )
    parser.add_argument(
        "--max-response-bytes", type=_positive_int, default=None, metavar="N", help="refuse larger API responses"
    )
    parser.add_argument("--strict", action="store_true", help="unknown fields and lenient fallbacks are errors")
    add_source_option(parser)


def run(args: argparse.Namespace) -> int:
    try:
        import mcp  # noqa: F401
    except ImportError:
        print("arazzo-runner: error: serve needs the MCP SDK: pip install 'arazzo-runner[mcp]'", file=sys.stderr)
        return EXIT_INVALID
    from ..engine.bounded import Limits
    from ..serve import ServeConfig, serve_http, serve_stdio
    from ..serve.config import ConfigError, read_config_file, read_secret_inputs
    from ..serve.transport import parse_listen
    from .app import source_map

    config = ServeConfig(specs=list(args.specs), sources=source_map(args.source), strict=args.strict)
    if args.config:
        read_config_file(args.config, config)
    config.servers.extend(args.server)
    for item in args.input:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--input expects NAME=VALUE, got {item!r}")
        config.inputs[name] = value
    config.secret_inputs.update(read_secret_inputs(args.secret_input, os.environ))
    config.allow.update(args.allow)
    config.deny.update(args.deny)
    config.mock = config.mock or args.mock
    if args.mock_seed is not None:
        config.mock_seed = args.mock_seed
    if args.timeout is not None:
        config.timeout = args.timeout
    if args.max_response_bytes is not None:
        config.max_response_bytes = args.max_response_bytes
    if args.max_concurrent_runs is not None:
        config.max_concurrent_runs = args.max_concurrent_runs
    limits = config.limits
    config.limits = Limits(
        max_steps=args.max_steps or limits.max_steps,
        max_depth=limits.max_depth,
        max_retry_delay=limits.max_retry_delay,
        request_timeout=limits.request_timeout,
        run_timeout=args.run_timeout or limits.run_timeout,
    )
    token: str | None = None
    if args.token_env:
        if not args.http:
            raise ConfigError("--token-env applies to --http only (a stdio client is the process that started us)")
        token = os.environ.get(args.token_env)
        if not token:
            raise ConfigError(f"--token-env {args.token_env}: the environment variable is not set or empty")
    listen = None
    if args.http:
        try:
            listen = parse_listen(args.http)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    server = _server(config, args.credential)
    if listen is None:
        asyncio.run(serve_stdio(server))
    else:
        try:
            asyncio.run(serve_http(server, *listen, token=token))
        except OSError as exc:
            raise ConfigError(str(exc)) from None
    return EXIT_OK


def _server(config: Any, items: list[str]) -> Any:
    """The server, with credentials from ARAZZO_CREDENTIAL_<SCHEME> and --credential (which wins) added."""
    from ..compile.loader import load
    from ..serve import WorkflowServer
    from ..serve.config import ConfigError, scheme_names

    documents = [load(spec, strict=config.strict, sources=config.sources) for spec in config.specs]
    for document in documents:
        for scheme in sorted(scheme_names(document)[0]):
            value = os.environ.get(credential_env_name(scheme))
            if value is not None:
                config.credentials[scheme] = value
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError("--credential expects SCHEME=VALUE or SOURCE.SCHEME=VALUE")
        config.credentials[name] = value
    return WorkflowServer(config, documents=documents)
