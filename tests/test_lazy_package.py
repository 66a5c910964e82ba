"""`import arazzo_runner` is cheap: the package loads its public names on first use, and the command line
imports only the command it runs.

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stytch_sandbox import DEFAULT_MEMBER_ID, DEFAULT_ORGANIZATION_ID, StytchSandbox

import arazzo_runner

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"

# What a bare `import arazzo_runner` must leave unloaded: the HTTP stack, the event loop, YAML, every
# validator and query engine.
NOT_ON_IMPORT = [
    "httpx",
    "httpcore",
    "anyio",
    "asyncio",
    "yaml",
    "jsonschema",
    "openapi_core",
    "openapi_schema_validator",
    "lxml",
    "elementpath",
    "regress",
    "jsonpath_rfc9535",
]

# What `arazzo-runner run` must leave unloaded: the other commands and what only they use.
NOT_ON_RUN = [
    "arazzo_runner.checker",
    "arazzo_runner.mock",
    "arazzo_runner.serve",
    "arazzo_runner.authoring",
    "arazzo_runner.testing.suite",
    "arazzo_runner.reports",
    "arazzo_runner.batch",
    "arazzo_runner.language.criteria.matchers",
    "arazzo_runner.language.criteria.goessner",
    "arazzo_runner.cli.check",
    "arazzo_runner.cli.mock",
    "arazzo_runner.cli.serve",
    "arazzo_runner.cli.test",
    "arazzo_runner.cli.generate",
    "arazzo_runner.cli.graph",
    "arazzo_runner.cli.upgrade",
    "jsonschema",
    "openapi_core",
    "openapi_schema_validator",
    "mcp",
]


def _fresh(script: str) -> dict[str, object]:
    """Run ``script`` in a new interpreter; it prints one JSON object, returned here."""
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "examples")])},
        check=True,
        timeout=120,
    ).stdout
    return dict(json.loads(out.splitlines()[-1]))


def test_import_loads_no_dependency_and_no_module_of_the_package() -> None:
    found = _fresh(
        "import json, sys\n"
        "import arazzo_runner\n"
        f"print(json.dumps({{'heavy': [m for m in {NOT_ON_IMPORT!r} if m in sys.modules],\n"
        "    'ours': sorted(m for m in sys.modules if m.startswith('arazzo_runner.'))}))\n"
    )
    assert found == {"heavy": [], "ours": []}


def test_every_public_name_resolves_in_a_fresh_interpreter_and_is_listed_by_dir() -> None:
    found = _fresh(
        "import json, types, arazzo_runner\n"
        "names = list(arazzo_runner.__all__)\n"
        "missing = [n for n in names if n not in dir(arazzo_runner)]\n"
        "kinds = {n: type(getattr(arazzo_runner, n)).__name__ for n in names}\n"
        "from arazzo_runner import Runner, load, run_workflow, check, events, ArazzoError\n"
        "same = Runner is arazzo_runner.Runner and check is arazzo_runner.check\n"
        "print(json.dumps({'missing': missing, 'kinds': kinds, 'same': same}))\n"
    )
    assert found["missing"] == [] and found["same"] is True
    kinds = found["kinds"]
    assert isinstance(kinds, dict) and sorted(kinds) == sorted(arazzo_runner.__all__)
    assert kinds["events"] == "module" and kinds["check"] == "function" and kinds["Runner"] == "type"
    assert kinds["__version__"] == "str"


def test_the_lazy_names_are_the_objects_of_their_modules() -> None:
    from arazzo_runner import api, errors
    from arazzo_runner.compile import loader

    assert arazzo_runner.run_workflow is api.run_workflow
    assert arazzo_runner.load is loader.load
    assert arazzo_runner.ArazzoError is errors.ArazzoError


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = arazzo_runner.no_such_name  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        exec("from arazzo_runner import no_such_name", {})


def test_run_on_the_command_line_imports_no_other_command() -> None:
    with StytchSandbox() as sandbox:
        script = (
            "import contextlib, io, json, sys\n"
            "from arazzo_runner.cli.app import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"    code = main(['run', {str(SPEC)!r}, '-w', 'recovery-codes-rotate',\n"
            f"                 '-i', 'organization_id={DEFAULT_ORGANIZATION_ID}',\n"
            f"                 '-i', 'member_id={DEFAULT_MEMBER_ID}', '--server', {sandbox.url!r},\n"
            f"                 '--credential', 'basicAuth={sandbox.project_id}:{sandbox.secret}', '--no-cache'])\n"
            f"print(json.dumps({{'code': code, 'out': out.getvalue(),\n"
            f"    'loaded': [m for m in {NOT_ON_RUN!r} if m in sys.modules]}}))\n"
        )
        found = _fresh(script)
    assert found["code"] == 0, found["out"]
    assert "succeeded" in str(found["out"])
    assert found["loaded"] == []


def test_help_still_lists_every_command_and_each_command_parses_its_own_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from arazzo_runner.cli.app import COMMAND_HELP, main

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    listing = " ".join(capsys.readouterr().out.split())
    for name, help_text in COMMAND_HELP.items():
        assert f"{name} {help_text}" in listing
    with pytest.raises(SystemExit) as done:  # `check` loaded alone still reads its own options
        main(["check", "--format", "yaml", "a.yaml"])
    assert done.value.code == 2
    assert "argument --format: invalid choice: 'yaml'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:  # `run` alone loads its own options
        main(["run", "--help"])
    assert done.value.code == 0 and "--workflow" in capsys.readouterr().out


def test_the_report_formats_run_offers_are_the_formats_reports_write() -> None:
    from arazzo_runner import reports
    from arazzo_runner.cli import observe

    assert observe.FORMATS == reports.FORMATS


def test_the_console_entry_point_stays_a_function_once_the_command_line_has_loaded() -> None:
    """``arazzo_runner.cli.main`` is the entry point whatever was imported before it (a submodule of that name would
    replace it on the package as soon as anything imported the submodule)."""
    code = (
        "import arazzo_runner.cli.app, arazzo_runner.cli.check\n"
        "from arazzo_runner.cli import main\n"
        "import sys\n"
        "sys.exit(main(['--version']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("arazzo-runner ")
