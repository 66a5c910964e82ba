"""The ``arazzo-runner`` command line.

Exit codes: 0 the workflow succeeded (or the command did its job), 1 the
workflow failed, 2 the document, the inputs or the command line is invalid.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from ..errors import ArazzoError, DocumentError
from ..plan.model import ArazzoDocument, Workflow
from ..sources.policy import FetchPolicy, fetch_policy
from .pipes import QuietPipe
from .settings import (
    CREDENTIAL_ENV_PREFIX,
    UsageError,
    coerce_input,
    credential_env_name,
    read_credentials,
    read_inputs,
    read_servers,
)

if TYPE_CHECKING:
    from .observe import Observed

# The settings readers are re-exported: the other commands and the MCP server read settings the same way.
__all__ = [
    "CREDENTIAL_ENV_PREFIX",
    "UsageError",
    "add_source_option",
    "coerce_input",
    "credential_env_name",
    "jsonable",
    "main",
    "positive_seconds",
    "print_summary",
    "read_credentials",
    "read_inputs",
    "read_servers",
    "source_map",
]

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds, positive and finite."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive, finite number of seconds")
    return value


def _build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``chosen`` (a command name), only that command's module is imported."""
    parser = _Parser(
        prog="arazzo-runner",
        description="Run Arazzo 1.0.x and 1.1.x workflows against the APIs their OpenAPI descriptions describe.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"arazzo-runner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run a workflow", description="Run one workflow of an Arazzo document.")
    run.add_argument("spec", metavar="SPEC", help="path or URL of the Arazzo document")
    run.add_argument("-w", "--workflow", required=True, metavar="WORKFLOW_ID", help="the workflowId to run")
    run.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one input; the value is read by the input's schema type (repeatable)",
    )
    run.add_argument("--inputs", metavar="JSON|@FILE", help="all inputs as a JSON object, or @file.json / @file.yaml")
    run.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="[SOURCE=]URL",
        help="base URL for every source, or for one source (repeatable)",
    )
    run.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="SCHEME=VALUE",
        help="credential for an OpenAPI security scheme: user:password for basic, else a token or key. "
        "Name it SOURCE.SCHEME to send it to that source only (needed when several sources "
        f"define the scheme). Also read from {CREDENTIAL_ENV_PREFIX}<SCHEME> environment variables.",
    )
    run.add_argument(
        "--timeout",
        type=positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="deadline of each request, from connecting to the last body byte (default 30)",
    )
    run.add_argument(
        "--run-timeout",
        type=positive_seconds,
        default=None,
        metavar="SECONDS",
        help="stop the whole run after this many seconds (default: no limit)",
    )
    run.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    run.add_argument("--strict", action="store_true", help="treat unknown fields and lenient fallbacks as errors")
    add_source_option(run)
    run.add_argument(
        "--follow-redirects",
        action="store_true",
        help="follow 3xx redirects (by default a step sees the 3xx response itself)",
    )
    run.add_argument(
        "--mock",
        action="store_true",
        help="offline: answer every request from the OpenAPI description instead of the network",
    )
    run.add_argument(
        "--mock-scenario", metavar="FILE", help="YAML file overriding mock responses per operationId or stepId"
    )
    run.add_argument("--mock-seed", type=int, default=0, metavar="N", help="seed for generated mock values (default 0)")
    run.add_argument(
        "--checks",
        default="warn",
        metavar="NAME=SEVERITY[,...]",
        help="contract checks of every response against its operation: status-code, content-type, schema, "
        "headers (or all) at error, warn or off (default: all at warn, reported without failing the run)",
    )
    from .each import add_options as add_each_options

    add_each_options(run)
    from .observe import add_options

    add_options(run)  # -v, -vv, -q, --report FORMAT=PATH

    lst = sub.add_parser(
        "list", help="list the workflows of a document", description="List workflows with their inputs and outputs."
    )
    lst.add_argument("spec", metavar="SPEC")
    add_source_option(lst)
    lst.add_argument("--json", action="store_true", help="print as JSON")

    for module_name, help_text in COMMAND_HELP.items():
        # Only the command being run is imported (each pulls in what it needs: the checker, the mock, the MCP
        # server...); the others are listed by name and help alone, which is all `--help` shows of them.
        module = _command_module(module_name) if chosen in (None, module_name) else None
        if module is not None:
            module.register(sub)
        elif chosen is not None:
            sub.add_parser(module_name, help=help_text)
    return parser


# Further commands live in their own modules, each with register(subparsers) and run(args) -> int, and
# its one-line help here, so that a command line naming one command never imports the others.
COMMAND_HELP = {
    "check": "check documents for mistakes without running them",
    "mock": "serve mock responses for an OpenAPI description on 127.0.0.1",
    "serve": "serve the workflows as tools for agents (Model Context Protocol)",
    "test": "run the workflows of many documents as API tests",
    "generate": "write a starting-point Arazzo document from an OpenAPI description",
    "graph": "draw a workflow as a Mermaid or Graphviz flowchart",
    "upgrade": "rewrite an Arazzo 1.0.x document as 1.1.0",
}


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names, if it is one of the commands in their own modules (else None: load all)."""
    for token in argv:
        if not token.startswith("-"):
            return token if token in COMMAND_HELP or token in ("run", "list") else None
    return None


def _command_module(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"arazzo_runner.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"arazzo_runner.cli.{name}":
            return None
        raise


def add_source_option(parser: argparse.ArgumentParser) -> None:
    """``--source URL=PATH``, and ``--no-cache``: the options of every command that reads descriptions."""
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor keep parsed OpenAPI descriptions in the user cache directory",
    )
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="URL=PATH",
        help="read the source description the document names by URL from PATH instead "
        "(repeatable), e.g. a local copy of a remote OpenAPI description",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="fetch nothing over the network while loading: every http(s) document must be given with --source",
    )


def _warn_unused_sources(sources: Mapping[str, str], document: ArazzoDocument) -> None:
    from ..compile.loader import source_key

    used = {s.url for d in document.documents.arazzo.values() for s in d.sources.values()}
    for url in sources:
        if source_key(url, document.url) not in used:
            print(
                f"arazzo-runner: warning: --source {url!r} names no source of {document.display}; "
                f"sources: {', '.join(sorted(used))}",
                file=sys.stderr,
            )


def source_map(items: list[str]) -> dict[str, str]:
    """--source URL=PATH items as a mapping (split at the last '=', since URLs may hold '=')."""
    sources: dict[str, str] = {}
    for item in items:
        url, sep, path = item.rpartition("=")
        if not sep or not url or not path:
            raise UsageError(f"--source expects URL=PATH, got {item!r}")
        sources[url] = path
    return sources


def main(argv: Sequence[str] | None = None) -> int:
    # A reader that goes away (`| head -1`) does not change the exit code the command earned.
    stdout, sys.stdout = sys.stdout, cast(TextIO, QuietPipe(sys.stdout))
    try:
        return _main(argv)
    finally:
        sys.stdout = stdout


def _main(argv: Sequence[str] | None) -> int:
    parser = _build_parser(_chosen_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    from ..openapi import diskcache

    diskcache.enable(not getattr(args, "no_cache", False))
    try:
        with fetch_policy(FetchPolicy(network=not getattr(args, "offline", False))):
            if args.command == "run":
                return _cmd_run(args)
            if args.command == "list":
                return _cmd_list(args)
            module = _command_module(args.command)
            if module is not None:
                return int(module.run(args))
    except UsageError as exc:
        return _report_invalid(args, str(exc), None)
    except ArazzoError as exc:
        return _report_invalid(args, str(exc), exc)
    except KeyboardInterrupt:
        print("arazzo-runner: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`arazzo-runner run … --json | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    parser.error(f"unknown command {args.command!r}")


def _report_invalid(args: argparse.Namespace, message: str, exc: ArazzoError | None) -> int:
    """Exit 2: the message on stderr, and with --json also a JSON error object on stdout for scripts."""
    diagnostics = exc.diagnostics if isinstance(exc, DocumentError) else ()
    errors = [d for d in diagnostics if d.severity == "error"]
    hint = ""
    if len(errors) > 1 and getattr(args, "spec", None):
        hint = f"\nrun 'arazzo-runner check {args.spec}' for the full report"
    print(f"arazzo-runner: error: {message}{hint}", file=sys.stderr)
    if getattr(args, "json", False):
        location = exc.location if exc is not None else None
        error = {
            "message": exc.message if exc is not None else message,
            "code": exc.code if exc is not None else None,
            "file": location.file if location else None,
            "line": location.line if location else None,
            "column": location.column if location else None,
            "pointer": location.pointer if location else None,
            # every one an error: its severity goes without saying
            "errors": [{key: value for key, value in d.as_dict().items() if key != "severity"} for d in errors],
        }
        json.dump({"status": "error", "error": error}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return EXIT_INVALID


# -- run --------------------------------------------------------------------
def _cmd_run(args: argparse.Namespace) -> int:
    from .observe import observed, terminate_as_interrupt

    watch = observed(args, UsageError, sys.stderr)  # a bad --report stops here, before anything is loaded
    if args.each is not None:  # many runs: each row's result is in the JSON Lines output (cli/each.py)
        return _run_one(args, watch)
    try:  # from here on Ctrl-C or SIGTERM, while loading too, still leaves the reports saying what happened
        with terminate_as_interrupt():
            return _run_one(args, watch)
    except KeyboardInterrupt as interrupt:
        return _interrupted(args, watch, interrupt)


def _run_one(args: argparse.Namespace, watch: Observed) -> int:
    from ..api import run_workflow
    from ..compile.loader import load
    from ..engine.bounded import Limits

    sources = source_map(args.source)
    document = load(args.spec, strict=args.strict, sources=sources)
    _warn_unused_sources(sources, document)
    workflow = document.workflow(args.workflow)
    inputs = read_inputs(args, workflow)
    if args.each is not None:
        return _run_each(args, document, workflow, inputs)
    if args.mock or args.mock_scenario:
        from ..mock import complete_inputs

        inputs = complete_inputs(workflow, inputs, args.mock_seed, sys.stderr)
    servers = read_servers(args.server, document)
    credentials = read_credentials(args.credential, document)
    if not (args.mock or args.mock_scenario):
        from .notices import environment_credential_notes, server_choice_notes

        given = {item.partition("=")[0] for item in args.credential}
        ambient = {k: v for k, v in credentials.items() if k not in given}
        notices = environment_credential_notes(document, ambient, servers, credential_env_name)
        for note in [*notices, *server_choice_notes(document, servers)]:
            if not (args.quiet and note.startswith("arazzo-runner: note:")):  # -q: warnings only
                print(note, file=sys.stderr)
    if args.mock or args.mock_scenario:
        from ..mock import placeholder_credentials

        credentials, notes = placeholder_credentials(document, credentials)
        for note in notes:
            print(note, file=sys.stderr)
    mock: Any = False
    if args.mock or args.mock_scenario:
        mock = {"seed": args.mock_seed, "scenario": args.mock_scenario}
    result = run_workflow(
        document,
        args.workflow,
        inputs,
        servers=servers,
        credentials=credentials,
        timeout=args.timeout,
        limits=Limits(run_timeout=args.run_timeout),
        mock=mock,
        follow_redirects=args.follow_redirects,
        checks=args.checks,
        on_event=watch.listener,
    )
    watch.write_reports(sys.stderr)  # a report that cannot be written is said there; the exit code stays the run's
    if args.json:
        json.dump(jsonable(result.to_dict()), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False, default=str)
        sys.stdout.write("\n")
    else:
        print_summary(result, sys.stdout, quiet=args.quiet)
    return EXIT_OK if result.status == "succeeded" else EXIT_FAILED


def _interrupted(args: argparse.Namespace, watch: Observed, interrupt: KeyboardInterrupt) -> int:
    from .observe import exit_code_for, partial_result, signal_name

    name = signal_name(interrupt)
    if watch.trace is not None:
        watch.trace.close()  # the live line goes before anything else is said
    if watch.recorder is not None:
        watch.recorder.interrupt(name, workflow_id=args.workflow, document=args.spec)
        watch.write_reports(sys.stderr)
        if args.json:
            json.dump(partial_result(watch.recorder), sys.stdout, indent=2, ensure_ascii=False, default=str)
            sys.stdout.write("\n")
    print(f"arazzo-runner: interrupted ({name})", file=sys.stderr)
    return exit_code_for(interrupt)


def _run_each(args: argparse.Namespace, document: ArazzoDocument, workflow: Workflow, common: dict[str, Any]) -> int:
    """--each FILE: one run per row (cli/each.py), with the settings a single run takes."""
    from ..api import Runner
    from ..engine.bounded import Limits
    from .each import EachUsageError, run_each

    credentials = read_credentials(args.credential, document)
    mock: Any = False
    if args.mock or args.mock_scenario:
        from ..mock import placeholder_credentials

        credentials, notes = placeholder_credentials(document, credentials)
        for note in notes:
            print(note, file=sys.stderr)
        mock = {"seed": args.mock_seed, "scenario": args.mock_scenario}
    runner = Runner(
        servers=read_servers(args.server, document),
        credentials=credentials,
        timeout=args.timeout,
        limits=Limits(run_timeout=args.run_timeout),
        mock=mock,
        follow_redirects=args.follow_redirects,
    )
    try:
        return run_each(args, runner, document, workflow, common)
    except EachUsageError as exc:
        raise UsageError(str(exc)) from None


JSON_DEPTH = 200  # deeper values are shown as a note: json.dump recurses, and so would this


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` as strict JSON can carry it: NaN and infinities as strings, bytes as ``{"base64": ...}``."""
    if depth > JSON_DEPTH and isinstance(value, (Mapping, list, tuple)):
        return f"<nested deeper than {JSON_DEPTH} levels: left out>"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {key if isinstance(key, str) else str(key): jsonable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item, depth + 1) for item in value]
    return value


def print_summary(result: Any, out: TextIO, *, quiet: bool = False) -> None:
    from .trace import printable

    class _Shown:  # what a server sent (an error excerpt, a URL) is shown, its control characters spelled out
        def __init__(self, target: TextIO) -> None:
            self.target = target

        def write(self, text: str) -> None:
            self.target.write(printable(text))

    out = cast(TextIO, _Shown(out))
    out.write(f"workflow {result.workflow_id}: {result.status} in {result.duration * 1000:.0f} ms\n")
    if quiet:  # -q: the result only
        if result.error is not None:
            out.write(f"error: {result.error.message}\n")
        for name, value in result.outputs.items():
            out.write(f"  {name}: {json.dumps(value, ensure_ascii=False, default=str)}\n")
        return
    group: str | None = result.workflow_id
    for number, step in enumerate(result.steps, 1):
        # Steps of a child, dependsOn or goto workflow sit under a "workflow <id>:" marker (a child's
        # steps come before the parent step that called it), so equal step ids are not ambiguous.
        nested = bool(step.workflow_id) and step.workflow_id != result.workflow_id
        if nested and step.workflow_id != group:
            out.write(f"  workflow {step.workflow_id}:\n")
        group = step.workflow_id if nested else result.workflow_id
        pad = "    " if nested else "  "
        code = step.status_code if step.status_code is not None else "-"
        where = f"{step.method} {step.url}" if step.method else ""
        out.write(f"{pad}{number}. {step.step_id:<28} {step.status:<9} {code!s:<4} {where}\n")
        if step.next_action is not None and step.next_action.kind != "next":
            out.write(f"{pad}     then: {step.next_action}\n")
        for warning in step.warnings:
            out.write(f"{pad}     warning: {warning}\n")
        for check in getattr(step, "checks", ()):
            if check.outcome == "failed":
                out.write(f"{pad}     contract {check.name} ({check.severity}): {check.message}\n")
    if result.error is not None:
        out.write(f"error: {result.error.message}\n")
    for warning in result.warnings:
        out.write(f"warning: {warning}\n")
    out.write("outputs:\n")
    if not result.outputs:
        out.write("  (none)\n")
    for name, value in result.outputs.items():
        out.write(f"  {name}: {json.dumps(value, ensure_ascii=False, default=str)}\n")


# -- list -------------------------------------------------------------------
def _cmd_list(args: argparse.Namespace) -> int:
    from ..compile.loader import load

    sources = source_map(args.source)
    document = load(args.spec, sources=sources)
    _warn_unused_sources(sources, document)
    rows: list[dict[str, Any]] = []
    for wf in document.workflows.values():
        props = (wf.inputs_schema or {}).get("properties") or {}
        rows.append(
            {
                "workflowId": wf.workflow_id,
                "summary": wf.summary,
                "inputs": [
                    {
                        "name": name,
                        "type": (p or {}).get("type") if isinstance(p, Mapping) else None,
                        "required": name in wf.required_inputs(),
                    }
                    for name, p in props.items()
                ],
                "outputs": [name for name, _ in wf.outputs],
                "steps": [s.step_id for s in wf.steps],
            }
        )
    if args.json:
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    out = sys.stdout
    out.write(f"{document.title} ({document.display})\n")
    for row in rows:
        out.write(f"\n{row['workflowId']}" + (f": {row['summary']}" if row["summary"] else "") + "\n")
        if row["inputs"]:
            out.write("  inputs:\n")
            for item in row["inputs"]:
                req = " (required)" if item["required"] else ""
                out.write(f"    {item['name']}: {item['type'] or 'any'}{req}\n")
        out.write("  outputs: " + (", ".join(row["outputs"]) or "(none)") + "\n")
        out.write(f"  steps: {' -> '.join(row['steps'])}\n")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
