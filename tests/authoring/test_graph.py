"""`arazzo-runner graph`: Mermaid and DOT flowcharts of workflows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPOSITORY_ROOT / "specs" / "stytch" / "arazzo" / "stytch-b2b-recovery-codes-rotate-workflow.yml"
EXAMPLES = REPOSITORY_ROOT / "examples"


def graph(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "arazzo_runner", "graph", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def edges(text: str) -> list[tuple[str, str, str]]:
    """(source, label, target) of every Mermaid edge."""
    found = []
    for line in text.splitlines():
        match = re.fullmatch(r'\s*(\w+) -\.?->(?:\|"([^"]*)"\|)? (\w+)', line)
        if match:
            found.append((match[1], match[2] or "", match[3]))
    return found


def test_reference_workflow_as_mermaid() -> None:
    done = graph(str(REFERENCE), "-w", "recovery-codes-rotate")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("flowchart TD\n")
    assert '["getRecoveryCodes<br/>api_b2b_recovery_codes_v1_Get"]' in text
    assert '["rotateRecoveryCodes<br/>api_b2b_recovery_codes_v1_Rotate"]' in text
    assert ("w0_getRecoveryCodes", "", "w0_rotateRecoveryCodes") in edges(text)
    assert ("w0_rotateRecoveryCodes", "", "w0__end") in edges(text)


def test_reference_workflow_as_dot() -> None:
    done = graph(str(REFERENCE), "-w", "recovery-codes-rotate", "--format", "dot")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("digraph arazzo {") and text.rstrip().endswith("}")
    assert 'w0_getRecoveryCodes [label="getRecoveryCodes\\napi_b2b_recovery_codes_v1_Get", shape=box];' in text
    assert "w0_getRecoveryCodes -> w0_rotateRecoveryCodes;" in text
    assert "subgraph cluster_w0_recovery_codes_rotate {" in text


def test_actions_are_labelled_edges() -> None:
    text = graph(str(EXAMPLES / "retry-rate-limit" / "retry-rate-limit.arazzo.yaml"), "-w", "fetch-report").stdout
    assert ("w0_getReport", "onFailure: rateLimited retry ≤5 after 2s [$statusCode == 429]", "w0_getReport") in [
        (s, label.replace("#35;", "#"), t) for s, label, t in edges(text)
    ]
    assert ("w0_getReport", "onFailure: otherError end", "w0__end") in edges(text)
    text = graph(str(EXAMPLES / "paginated-cursor" / "paginated-cursor.arazzo.yaml"), "-w", "walk-inventory").stdout
    labels = {(s, t): label for s, label, t in edges(text) if label}
    assert labels[("w0_nextPage", "w0_nextPage")].startswith("onSuccess: morePages goto [$response.body#35;/has_more")
    assert labels[("w0_firstPage", "w0__end")].startswith("onSuccess: onlyOnePage end")


def test_nested_workflows_are_subgraphs() -> None:
    text = graph(str(EXAMPLES / "nested-workflows" / "nested-workflows.arazzo.yaml"), "-w", "checkout").stdout
    for title in ("workflow checkout", "workflow register-customer", "workflow fill-cart"):
        assert f'["{title}"]' in text
    assert '[["fillCart<br/>workflow fill-cart"]]' in text
    found = edges(text)
    assert ("w0_fillCart", "calls", "w2__start") in found
    assert ("w1__start", "dependsOn (runs first)", "w0__start") in found
    assert ("w2_createCart", "", "w2_addItem") in found


def test_unknown_workflow_and_missing_file_exit_2() -> None:
    done = graph(str(REFERENCE), "-w", "recovery-codes-rotat")
    assert done.returncode == 2 and "did you mean 'recovery-codes-rotate'" in done.stderr
    done = graph("no/such/file.arazzo.yaml", "-w", "x")
    assert done.returncode == 2 and "file.arazzo.yaml" in done.stderr and "Traceback" not in done.stderr


def test_goto_and_retry_to_workflows(tmp_path: Path) -> None:
    openapi = (EXAMPLES / "retry-rate-limit" / "openapi.yaml").as_uri()
    spec = tmp_path / "flows.arazzo.yaml"
    spec.write_text(f"""arazzo: 1.0.1
info: {{title: t, version: '1'}}
sourceDescriptions:
- {{name: reports, url: '{openapi}', type: openapi}}
workflows:
- workflowId: main
  steps:
  - stepId: fetch
    operationId: getReport
    parameters: [{{name: report_id, in: path, value: r1}}]
    successCriteria: [{{condition: $statusCode == 200}}]
    onSuccess:
    - {{name: handOver, type: goto, workflowId: fallback}}
    onFailure:
    - {{name: refresh, type: retry, workflowId: fallback, retryLimit: 3}}
- workflowId: fallback
  steps:
  - stepId: again
    operationId: getReport
    parameters: [{{name: report_id, in: path, value: r2}}]
""")
    done = graph(str(spec), "-w", "main")
    assert done.returncode == 0, done.stderr
    found = edges(done.stdout)
    assert ("w0_fetch", "onSuccess: handOver goto", "w1__start") in found
    assert ("w0_fetch", "onFailure: refresh retry ≤3", "w1__start") in found
    assert '["workflow fallback"]' in done.stdout
