"""Run every example of the gallery with the command line, against the gallery sandbox or offline.

    python examples/run_gallery.py            # start the sandbox on 127.0.0.1, run each example against it
    python examples/run_gallery.py --mock     # run each example offline with --mock (and its mock-scenario.yaml)

This is what ``make examples`` runs. Each example's expected result is listed in GALLERY below (the
failing example is expected to fail, with exit code 1). Exit status 0 when every example behaved as
expected, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parent
REPOSITORY_ROOT = EXAMPLES_DIR.parent
for import_path in (REPOSITORY_ROOT, EXAMPLES_DIR):
    if str(import_path) not in sys.path:
        sys.path.insert(0, str(import_path))

from gallery_sandbox import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, GallerySandbox  # noqa: E402
from gallery_stytch import MAGIC_LINK_TOKEN, MFA_EMAIL, OTP_CODE, PASSWORD  # noqa: E402
from stytch_sandbox import DEFAULT_ORGANIZATION_ID, DEFAULT_PROJECT_ID, DEFAULT_SECRET  # noqa: E402

STYTCH_CREDENTIALS = {"basicAuth": f"{DEFAULT_PROJECT_ID}:{DEFAULT_SECRET}"}
OAUTH_CREDENTIALS = {"shippingOAuth": json.dumps({"client_id": OAUTH_CLIENT_ID, "client_secret": OAUTH_CLIENT_SECRET})}


@dataclass(frozen=True)
class Example:
    """One gallery example: its folder, document, workflow, inputs and the result it should have."""

    folder: str
    workflow: str
    inputs: dict[str, Any]
    credentials: dict[str, str] = field(default_factory=dict)
    expect: str = "succeeded"

    @property
    def directory(self) -> Path:
        return EXAMPLES_DIR / self.folder

    @property
    def spec(self) -> Path:
        return next(self.directory.glob("*.arazzo.yaml"))

    @property
    def scenario(self) -> Path | None:
        path = self.directory / "mock-scenario.yaml"
        return path if path.is_file() else None

    def python_credentials(self) -> dict[str, Any]:
        """The credentials as ``run_workflow(credentials=...)`` takes them."""
        out: dict[str, Any] = {}
        for scheme, value in self.credentials.items():
            out[scheme] = json.loads(value) if value.startswith("{") else tuple(value.split(":", 1))
        return out


GALLERY: tuple[Example, ...] = (
    Example(
        "stytch-magic-link-login",
        "magic-link-login",
        {
            "organization_id": DEFAULT_ORGANIZATION_ID,
            "email_address": "new.member@example.com",
            "magic_links_token": MAGIC_LINK_TOKEN,
        },
        STYTCH_CREDENTIALS,
    ),
    Example(
        "stytch-org-invite",
        "create-org-and-invite",
        {
            "organization_name": "Acme Robotics",
            "organization_slug": "acme-robotics",
            "invitee_email": "linus@example.com",
            "invitee_name": "Linus",
        },
        STYTCH_CREDENTIALS,
    ),
    Example(
        "stytch-password-mfa",
        "password-login-with-mfa",
        {
            "organization_id": DEFAULT_ORGANIZATION_ID,
            "email_address": MFA_EMAIL,
            "password": PASSWORD,
            "otp_code": OTP_CODE,
        },
        STYTCH_CREDENTIALS,
    ),
    Example("paginated-cursor", "walk-inventory", {"page_size": 3}),
    Example("retry-rate-limit", "fetch-report", {"report_id": "weekly-sales"}),
    Example(
        "oauth2-client-credentials",
        "create-and-track-shipment",
        {"destination": "Lisbon", "weight_kg": 2.5},
        OAUTH_CREDENTIALS,
    ),
    Example(
        "nested-workflows", "checkout", {"name": "Ada", "email": "ada@example.com", "sku": "SKU-042", "quantity": 2}
    ),
    Example("xml-catalog", "find-available-book", {"author": "Austen", "isbn": "9780141439518"}),
    Example(
        "file-upload",
        "upload-and-share",
        {
            "filename": "notes.txt",
            "content": "Meeting notes: ship on Friday.",
            "description": "minutes",
            "share_with": "bob@example.com",
        },
    ),
    Example(
        "failing-transfer",
        "overdraw-account",
        {"account_id": "acc-2002", "to_iban": "DE89370400440532013000", "amount": 500},
        expect="failed",
    ),
)


def cli_command(example: Example, *, server: str | None = None, mock: bool = False) -> list[str]:
    """The ``arazzo-runner run`` command line for an example (credentials are passed in the environment)."""
    command = [
        sys.executable,
        "-m",
        "arazzo_runner",
        "run",
        str(example.spec),
        "-w",
        example.workflow,
        "--inputs",
        json.dumps(example.inputs),
        "--json",
    ]
    if server is not None:
        command += ["--server", server]
    if mock:
        command.append("--mock")
        if example.scenario is not None:
            command += ["--mock-scenario", str(example.scenario)]
    return command


def cli_environment(example: Example, *, mock: bool = False) -> dict[str, str]:
    """The environment for the CLI; offline runs get no credentials (``--mock`` makes up placeholders, and an
    OAuth2 client id would make the runner fetch a token from an endpoint the mock does not describe)."""
    from arazzo_runner.cli.app import credential_env_name

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY_ROOT), env.get("PYTHONPATH")]))
    for scheme, value in example.credentials.items():
        env.pop(credential_env_name(scheme), None)
        if not mock:
            env[credential_env_name(scheme)] = value
    return env


def run_cli(example: Example, *, server: str | None = None, mock: bool = False) -> tuple[int, dict[str, Any], str]:
    """Run one example through the CLI: (exit code, the --json result, stderr)."""
    completed = subprocess.run(
        cli_command(example, server=server, mock=mock),
        capture_output=True,
        text=True,
        env=cli_environment(example, mock=mock),
        timeout=120,
        check=False,
    )
    try:
        result = json.loads(completed.stdout)
    except json.JSONDecodeError:
        result = {}
    return completed.returncode, result, completed.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the example gallery.")
    parser.add_argument("--mock", action="store_true", help="run offline with --mock instead of the sandbox")
    options = parser.parse_args(argv)
    failures = 0
    with GallerySandbox() as sandbox:
        where = "offline (--mock)" if options.mock else f"the gallery sandbox at {sandbox.url}"
        print(f"Running {len(GALLERY)} examples against {where}\n")
        for example in GALLERY:
            code, result, stderr = run_cli(example, server=None if options.mock else sandbox.url, mock=options.mock)
            status = result.get("status", "error")
            ok = status == example.expect and code == (0 if example.expect == "succeeded" else 1)
            failures += not ok
            mark = "ok  " if ok else "FAIL"
            print(f"{mark} {example.folder:<28} {example.workflow:<28} {status} (exit {code})")
            if status == "failed" and result.get("error"):
                print(f"     explanation: {result['error'].get('message', '')[:300]}")
            elif result.get("outputs"):
                print(f"     outputs: {json.dumps(result['outputs'])[:300]}")
            if not ok:
                print(stderr.strip()[-2000:], file=sys.stderr)
    print(f"\n{len(GALLERY) - failures} of {len(GALLERY)} examples behaved as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
