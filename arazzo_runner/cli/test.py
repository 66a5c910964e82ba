"""``arazzo-runner test PATH...``: run every workflow of every Arazzo document found, as API tests.

Exit codes: 0 every selected workflow passed, 1 a workflow failed or could not start, 2 a document
does not load or the command line is invalid (nothing is run then).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Mapping
from typing import Any

from ..plan.coerce import strict_json
from .app import COMMAND_HELP, positive_seconds

__all__ = ["register", "run"]

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


class _Invalid(Exception):
    """The command line or a document is invalid: exit 2 before anything runs."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test",
        help=COMMAND_HELP["test"],
        description="Run every workflow of every Arazzo document under PATHs (files, folders, globs) as a test, "
        "checking every response against its OpenAPI operation.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, folders (searched recursively) or globs")
    parser.add_argument("-w", "--workflow", action="append", default=[], metavar="ID", help="run only this workflow")
    parser.add_argument("--skip", action="append", default=[], metavar="ID", help="do not run this workflow")
    parser.add_argument("-k", metavar="EXPR", help="run only workflows whose file::workflowId matches EXPR (as pytest)")
    parser.add_argument(
        "--entry-only",
        action="store_true",
        help="skip workflows that another workflow of the same document calls (by default every workflow runs)",
    )
    parser.add_argument("--inputs-file", metavar="FILE", help="YAML/JSON: workflowId (or document path) -> inputs")
    parser.add_argument("-i", "--input", action="append", default=[], metavar="NAME=VALUE", help="an input for all")
    parser.add_argument("--inputs", metavar="JSON", help="inputs for every workflow, as a JSON object")
    parser.add_argument("--server", action="append", default=[], metavar="[SOURCE=]URL", help="as on run")
    parser.add_argument("--credential", action="append", default=[], metavar="SCHEME=VALUE", help="as on run")
    parser.add_argument("--mock", action="store_true", help="offline: answer every request from the descriptions")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="deadline of each request (default 30)",
    )
    parser.add_argument(
        "--checks",
        default="error",
        metavar="NAME=SEVERITY[,...]",
        help="contract checks (status-code, content-type, schema, headers, or all) at error, warn or off; "
        "default: all at error",
    )
    parser.add_argument("--jobs", type=_at_least_one, default=1, metavar="N", help="workflows run at once (default 1)")
    parser.add_argument("--fail-fast", action="store_true", help="start nothing after the first failure")
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except _Invalid as exc:
        print(f"arazzo-runner: error: {exc}", file=sys.stderr)
        return EXIT_INVALID


def _check_servers(items: list[str]) -> None:
    """As on ``run``: one unnamed ``--server`` at most, and each source named once (never the last one wins)."""
    default: str | None = None
    named: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        if sep and "://" not in name:
            if name in named:
                raise _Invalid(f"--server: source {name!r} is given twice ({named[name]!r} and {url!r})")
            named[name] = url
        elif default is not None:
            raise _Invalid(
                f"--server: two URLs for every source ({default!r} and {item!r}); "
                "name the source of each (--server SOURCE=URL)"
            )
        else:
            default = item


def _run(args: argparse.Namespace) -> int:
    from ..api import Runner
    from ..compile.loader import load
    from ..errors import ArazzoError
    from ..testing.contract import parse_severities
    from ..testing.select import compile_keyword, discover
    from ..testing.suite import TestItem, TestOutcome, collect, run_items, servers_for
    from .settings import read_credentials

    if args.jobs < 1:
        raise _Invalid("--jobs must be at least 1")
    try:
        severities = parse_severities(args.checks, "error")
        keyword = compile_keyword(args.k) if args.k else None
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    if any("=" not in item for item in args.credential):
        raise _Invalid("--credential expects SCHEME=VALUE or SOURCE.SCHEME=VALUE")
    _check_servers(args.server)
    files, missing = discover(args.paths)
    if missing:
        raise _Invalid(f"no such file or folder, or nothing matches: {', '.join(missing)}")
    if not files:
        raise _Invalid(f"no Arazzo documents under {', '.join(args.paths)} (*.arazzo.yaml, or a root 'arazzo:' key)")
    documents = {}
    broken = []
    for path in files:
        try:
            documents[path] = load(path)
        except ArazzoError as exc:
            broken.append(str(exc))
    if broken:
        raise _Invalid(f"{len(broken)} document(s) do not load:\n" + "\n".join(broken))
    items = collect(documents, only=args.workflow, skip=args.skip, keyword=keyword, entry_only=args.entry_only)
    unknown = set(args.workflow) - {item.workflow_id for item in items} - {item.node_id for item in items}
    if unknown:
        raise _Invalid(f"-w {', '.join(sorted(unknown))}: no such workflow in the documents found")
    common = _common_inputs(args)
    book = _inputs_book(args.inputs_file)
    runners: dict[str, Runner] = {}

    def runner_for(item: TestItem) -> Runner:
        if item.path not in runners:
            credentials = read_credentials(args.credential, item.document, strict=False)
            mock: Any = False
            if args.mock:
                from ..mock import placeholder_credentials

                credentials, _ = placeholder_credentials(item.document, credentials)
                mock = {"seed": 0}
            runners[item.path] = Runner(
                servers=servers_for(args.server, item.document),
                credentials=credentials,
                timeout=args.timeout,
                mock=mock,
                checks=severities,
            )
        return runners[item.path]

    def inputs_for(item: TestItem) -> dict[str, Any]:
        inputs = {**_coerced(common, item), **book.inputs_for(item)}
        if args.mock:
            import io

            from ..mock import complete_inputs
            from ..testing.suite import fill_defaults

            # Offline, inputs nobody gave are made up from the schema they feed, as run --mock does.
            inputs = complete_inputs(item.workflow, fill_defaults(item.workflow, inputs), 0, io.StringIO())
        return inputs

    async def run_one(item: TestItem, inputs: Mapping[str, Any]) -> Any:
        return await runner_for(item).arun(item.document, item.workflow_id, inputs)

    started = time.perf_counter()
    report = _Printer(quiet=args.json)
    outcomes: list[TestOutcome] = asyncio.run(
        run_items(items, run_one, inputs_for, jobs=args.jobs, fail_fast=args.fail_fast, on_outcome=report.line)
    )
    elapsed = time.perf_counter() - started
    not_run = len(items) - len(outcomes)
    if args.json:
        summary = {status: sum(o.status == status for o in outcomes) for status in ("passed", "failed", "errored")}
        json.dump(
            {"outcomes": [o.to_dict() for o in outcomes], "summary": {**summary, "notRun": not_run}},
            sys.stdout,
            indent=2,
            default=str,
        )
        sys.stdout.write("\n")
    else:
        _print_table(outcomes, not_run, elapsed)
    return EXIT_OK if outcomes and all(o.status == "passed" for o in outcomes) and not not_run else EXIT_FAILED


class _Printer:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def line(self, outcome: Any) -> None:
        if self.quiet:
            return
        label = {"passed": "PASSED", "failed": "FAILED", "errored": "ERROR "}[outcome.status]
        out = sys.stdout
        out.write(f"{label} {outcome.item.node_id} ({outcome.duration * 1000:.0f} ms)\n")
        if outcome.status != "passed":
            out.write(f"    {outcome.message}\n")
            result = outcome.result
            for step in result.steps if result is not None else ():
                code = step.status_code if step.status_code is not None else "-"
                out.write(f"    {step.step_id}: {step.status} {code} {step.method or ''} {step.url or ''}\n")
                for check in step.checks:
                    if check.outcome == "failed":
                        out.write(f"      contract {check.name} ({check.severity}): {check.message}\n")
        else:
            for step in outcome.result.steps if outcome.result is not None else ():
                for check in step.checks:
                    if check.outcome == "failed":
                        out.write(f"    {step.step_id}: contract {check.name} (warn): {check.message}\n")
        out.flush()


def _print_table(outcomes: list[Any], not_run: int, elapsed: float) -> None:
    out = sys.stdout
    if outcomes:
        width = max(len(o.item.node_id) for o in outcomes)
        out.write("\n" + f"{'workflow':<{width}}  {'status':<8} {'time':>9}\n")
        for o in outcomes:
            out.write(f"{o.item.node_id:<{width}}  {o.status:<8} {o.duration * 1000:>7.0f}ms\n")
    counts = {status: sum(o.status == status for o in outcomes) for status in ("passed", "failed", "errored")}
    tail = f", {not_run} not run (--fail-fast)" if not_run else ""
    out.write(
        f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['errored']} errored{tail} in {elapsed:.2f}s\n"
    )


def _common_inputs(args: argparse.Namespace) -> dict[str, str | Any]:
    common: dict[str, Any] = {}
    if args.inputs:
        try:
            data = strict_json(args.inputs)
        except json.JSONDecodeError as exc:
            raise _Invalid(f"--inputs is not valid JSON: {exc.msg}") from None
        except (ValueError, RecursionError) as exc:  # NaN, 1e400, past 4300 digits, nested too deeply
            raise _Invalid(f"--inputs: {str(exc).split(':')[0] or 'nested too deeply to read'}") from None
        if not isinstance(data, Mapping):
            raise _Invalid("--inputs must be a JSON object of input names to values")
        common.update(data)
    for item in args.input:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise _Invalid(f"-i expects NAME=VALUE, got {item!r}")
        common[name] = _Text(value)
    return common


class _Text(str):
    """An -i value: read by each workflow's schema type when it runs."""


def _coerced(common: Mapping[str, Any], item: Any) -> dict[str, Any]:
    from ..plan.coerce import coerce_input_text

    properties = (item.workflow.inputs_schema or {}).get("properties") or {}
    names = set(properties) if isinstance(properties, Mapping) else set()
    values: dict[str, Any] = {}
    for name, value in common.items():
        if names and name not in names:
            continue  # an input common to all, which this workflow does not take
        values[name] = coerce_input_text(name, str(value), properties.get(name)) if isinstance(value, _Text) else value
    return values


def _inputs_book(path: str | None) -> Any:
    from ..testing.suite import InputsBook

    if not path:
        return InputsBook()
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise _Invalid(f"--inputs-file {path}: {exc.strerror}") from None
    from ..errors import ArazzoError
    from ..sources.yamlsource import parse_document

    try:
        data, _ = parse_document(text, path)
    except ArazzoError as exc:
        raise _Invalid(str(exc)) from None
    if not isinstance(data, Mapping):
        raise _Invalid(f"--inputs-file {path}: the top level must map workflow ids (or document paths) to inputs")
    try:
        return InputsBook(data, path)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
