"""The example in docs/security.md runs as written (with the ports of two local servers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.security.test_security_credentials import forwarding_case
from tests.security.wire import localhost_url
from tests.support.loopback import LoopbackServer, Reply

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_forwarding_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = re.search(r"## Example.*?```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert code is not None, "docs/security.md lost its example"
    with LoopbackServer() as host_a, LoopbackServer() as host_b:
        host_a.script("GET", "/login", Reply(body={}))
        host_b.script("GET", "/ping", Reply(body={}))
        spec = forwarding_case(tmp_path, localhost_url(host_b))
        spec.rename(tmp_path / "forward.arazzo.yaml")
        source = (
            code.group(1)
            .replace("http://127.0.0.1:8001", host_a.url)
            .replace("http://localhost:8002", localhost_url(host_b))
        )
        monkeypatch.chdir(tmp_path)
        exec(compile(source, str(DOC), "exec"), {})  # the documentation's own example
        assert host_b.requests == []
    printed = capsys.readouterr().out
    assert f"query parameter 'v' carries credential 'a.bearerAuth', which is scoped to {host_a.url}" in printed
    assert f"it is not sent to {localhost_url(host_b)}" in printed
