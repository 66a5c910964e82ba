"""The pytest plugin: every workflow of every ``*.arazzo.yaml`` file is a test item, ``path::workflowId``.

Active when arazzo-runner is installed (entry point ``pytest11``: ``arazzo``); ``-p no:arazzo`` turns
it off. A failing item shows the failure explanation and the step trace, not a Python traceback.
Options (each also an ini option: ``arazzo_server``, ``arazzo_credential``, ``arazzo_inputs``,
``arazzo_checks``, ``arazzo_mock``, plus ``arazzo_files`` for the file patterns)::

    --arazzo-server [SOURCE=]URL      --arazzo-credential SCHEME=VALUE
    --arazzo-inputs FILE              --arazzo-checks NAME=SEVERITY,...   --arazzo-mock

Fixtures for tests written in Python: ``arazzo_runner`` (a session-scoped :class:`~arazzo_runner.Runner`
configured from those options); a result's ``step(step_id)`` finds one step's result and its checks.
"""

from __future__ import annotations

import asyncio
import fnmatch
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..api import Runner
from ..errors import ArazzoError
from ..result import WorkflowResult
from .contract import parse_severities
from .suite import InputsBook, TestItem, fill_defaults, servers_for

__all__ = ["ArazzoFile", "ArazzoItem", "WorkflowTestFailure"]

DEFAULT_PATTERNS = ["*.arazzo.yaml", "*.arazzo.yml"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("arazzo", "Arazzo workflows as tests (arazzo-runner)")
    group.addoption("--arazzo-server", action="append", default=[], metavar="[SOURCE=]URL", help="base URL")
    group.addoption("--arazzo-credential", action="append", default=[], metavar="SCHEME=VALUE", help="a credential")
    group.addoption("--arazzo-inputs", metavar="FILE", help="YAML/JSON: workflowId (or document path) -> inputs")
    group.addoption("--arazzo-checks", metavar="NAME=SEVERITY,...", help="contract checks (default: all at error)")
    group.addoption("--arazzo-mock", action="store_true", default=None, help="answer from the descriptions, offline")
    parser.addini("arazzo_files", "glob patterns of Arazzo documents to collect", type="args", default=DEFAULT_PATTERNS)
    parser.addini("arazzo_server", "[SOURCE=]URL entries", type="linelist", default=[])
    parser.addini("arazzo_credential", "SCHEME=VALUE entries", type="linelist", default=[])
    parser.addini("arazzo_inputs", "inputs file", default="")
    parser.addini("arazzo_checks", "contract check severities", default="")
    parser.addini("arazzo_mock", "run offline", type="bool", default=False)


class _Settings:
    """The plugin's options, command line over ini."""

    def __init__(self, config: pytest.Config) -> None:
        self.servers: list[str] = config.getoption("arazzo_server") or list(config.getini("arazzo_server"))
        self.credentials: list[str] = config.getoption("arazzo_credential") or list(config.getini("arazzo_credential"))
        inputs = config.getoption("arazzo_inputs") or config.getini("arazzo_inputs")
        mock = config.getoption("arazzo_mock")
        self.mock = bool(config.getini("arazzo_mock") if mock is None else mock)
        try:
            self.checks = parse_severities(
                config.getoption("arazzo_checks") or config.getini("arazzo_checks") or None, "error"
            )
        except ValueError as exc:
            raise pytest.UsageError(f"--arazzo-checks: {exc}") from None
        self.inputs = _read_inputs(Path(config.rootpath, inputs) if inputs else None)
        self.runners: dict[str, Runner] = {}

    def runner_for(self, path: str, document: Any) -> Runner:
        if path not in self.runners:
            from ..cli.settings import read_credentials  # the command line's reading, lenient: one list, many documents

            credentials = read_credentials(self.credentials, document, strict=False)
            mock: Any = False
            if self.mock:
                from ..mock import placeholder_credentials

                credentials, _ = placeholder_credentials(document, credentials)
                mock = {"seed": 0}
            self.runners[path] = Runner(
                servers=servers_for(self.servers, document),
                credentials=credentials,
                mock=mock,
                checks=self.checks,
            )
        return self.runners[path]


def _read_inputs(path: Path | None) -> InputsBook:
    if path is None:
        return InputsBook()
    from ..sources.yamlsource import parse_document

    try:
        data, _ = parse_document(path.read_text(encoding="utf-8"), str(path))
    except (OSError, ArazzoError) as exc:
        raise pytest.UsageError(f"--arazzo-inputs {path}: {exc}") from None
    try:
        return InputsBook(data if isinstance(data, dict) else {}, str(path))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


_SETTINGS = pytest.StashKey[_Settings]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SETTINGS] = _Settings(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    patterns = parent.config.getini("arazzo_files") or DEFAULT_PATTERNS
    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in patterns):
        return ArazzoFile.from_parent(parent, path=file_path)
    return None


class ArazzoFile(pytest.File):
    """One Arazzo document: one item per workflow."""

    def collect(self) -> Iterator[ArazzoItem]:
        from ..compile.loader import load

        try:
            document = load(self.path)
        except ArazzoError as exc:
            raise self.CollectError(str(exc)) from None
        for workflow_id in document.workflows:
            yield ArazzoItem.from_parent(self, name=workflow_id, document=document)


class WorkflowTestFailure(Exception):
    """A workflow that did not succeed (or could not start), with its explanation."""

    def __init__(self, explanation: str, result: WorkflowResult | None = None) -> None:
        super().__init__(explanation)
        self.explanation = explanation
        self.result = result


class ArazzoItem(pytest.Item):
    """One workflow run as a test."""

    def __init__(self, *, document: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document = document
        self.result: WorkflowResult | None = None

    def runtest(self) -> None:
        settings = self.config.stash[_SETTINGS]
        path = self.nodeid.rsplit("::", 1)[0]
        item = TestItem(path, self.document, self.name)
        try:
            inputs = fill_defaults(item.workflow, settings.inputs.inputs_for(item))
            if settings.mock:
                from ..mock import complete_inputs

                inputs = complete_inputs(item.workflow, inputs, 0, io.StringIO())
            runner = settings.runner_for(path, self.document)
            self.result = asyncio.run(runner.arun(self.document, self.name, inputs))
        except (ArazzoError, ValueError) as exc:
            raise WorkflowTestFailure(f"workflow {self.name!r} could not start: {exc}") from None
        if not self.result.succeeded:
            raise WorkflowTestFailure(str(self.result.error), self.result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        error = excinfo.value
        if not isinstance(error, WorkflowTestFailure):
            return str(super().repr_failure(excinfo))
        lines = [error.explanation]
        if error.result is not None:
            lines.append("steps:")
            for step in error.result.steps:
                code = step.status_code if step.status_code is not None else "-"
                lines.append(f"  {step.step_id}: {step.status} {code} {step.method or ''} {step.url or ''}".rstrip())
                lines.extend(
                    f"    contract {c.name} ({c.severity}): {c.message}" for c in step.checks if c.outcome == "failed"
                )
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.name}"


@pytest.fixture(scope="session")
def arazzo_runner(pytestconfig: pytest.Config) -> Runner:
    """A :class:`~arazzo_runner.Runner` with the plugin's servers, credentials, checks and mock settings.

    Servers given per source name and credentials apply as written (they are not filtered by document).
    """
    settings = pytestconfig.stash[_SETTINGS]
    credentials: dict[str, Any] = {}
    for item in settings.credentials:
        name, _, value = item.partition("=")
        credentials[name] = value
    # SOURCE=URL entries as a map (a plain URL is then not used); else the last plain URL for every source.
    named = dict(item.partition("=")[::2] for item in settings.servers if "=" in item.split("://")[0])
    plain = [item for item in settings.servers if "=" not in item.split("://")[0]]
    servers: Any = named or (plain[-1] if plain else None)
    return Runner(servers=servers, credentials=credentials, mock=bool(settings.mock), checks=settings.checks)
