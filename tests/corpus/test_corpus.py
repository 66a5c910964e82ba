"""Real-world Arazzo documents from ``../shared``: the spec's examples, the Museum example, the Jentic fixtures.

Every document must load and every Jentic scenario (``test_config.yaml``:
inputs, scripted responses, expected outcome and outputs) must run to its
expected outcome against the loopback server — or be listed in
``tests/corpus_exceptions.yaml`` with the specific reason it cannot, and then
this test checks that our engine *reports that reason* as a clear error
(``load()`` raising with those words, or, for a lookalike expression that
lenient loading keeps as literal text, a warning that strict loading turns
into an error). An exception that no longer fails is reported too, so the
list never goes stale. Nothing from ``../shared`` is copied into the repo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from arazzo_runner import ArazzoError, DocumentError, Limits, load, run_workflow
from arazzo_runner.compile.loader import load_text
from arazzo_runner.sources.fetch import path_to_url
from tests.support.loopback import LoopbackServer, RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT / ".." / "shared").resolve()
SPEC_EXAMPLES = SHARED / "reference" / "arazzo-spec" / "examples" / "1.0.0"
MUSEUM = SHARED / "corpus" / "redocly-museum"
JENTIC = SHARED / "corpus" / "jentic-arazzo-engine-fixtures" / "fixtures"
EXCEPTIONS: dict[str, dict[str, Any]] = {
    entry["id"]: entry
    for entry in yaml.safe_load((Path(__file__).parent / "corpus_exceptions.yaml").read_text(encoding="utf-8")) or []
}

# The spec examples name their OpenAPI descriptions by raw.githubusercontent.com
# URLs; the spec repository holds the same files locally, so the loader reads
# those instead of the network (the document text is changed in memory only).
REMOTE_COPIES = {
    "https://raw.githubusercontent.com/OAI/Arazzo-Specification/main/examples/1.0.0/bnpl-openapi.yaml": (
        "bnpl-openapi.yaml"
    ),
    "https://raw.githubusercontent.com/swagger-api/swagger-petstore/master/src/main/resources/openapi.yaml": (
        "external/swagger-petstore-openapi.yaml"
    ),
}

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"the shared corpus folder {SHARED} is absent (it sits beside the repository)"
)


# -- documents ---------------------------------------------------------------


def _documents() -> list[Any]:
    if not SHARED.is_dir():
        return [pytest.param(None, id="shared-corpus-absent")]
    docs = sorted(SPEC_EXAMPLES.glob("*.yaml"))
    docs = [d for d in docs if _is_arazzo(d)]
    docs += sorted((MUSEUM / "arazzo").glob("*.yaml"))
    docs += [_jentic_document(d) for d in sorted(JENTIC.iterdir()) if d.is_dir() and _jentic_document(d)]
    return [pytest.param(d, id=_doc_id(d)) for d in docs]


def _is_arazzo(path: Path) -> bool:
    return re.search(r"^arazzo\s*:", path.read_text(encoding="utf-8")[:2000], re.M) is not None


def _doc_id(path: Path) -> str:
    if path.is_relative_to(SPEC_EXAMPLES):
        return f"spec/{path.name}"
    if path.is_relative_to(MUSEUM):
        return f"museum/{path.name}"
    return f"jentic/{path.parent.name}/{path.name}"


def _jentic_document(folder: Path) -> Path | None:
    config = _jentic_config(folder)
    named = {w.get("arazzo_spec") for w in config.get("workflows") or [] if w.get("arazzo_spec")}
    if named:
        return folder / sorted(named)[0]
    candidates = [p for p in sorted(folder.iterdir()) if p.suffix in (".yaml", ".yml") and p.name != "test_config.yaml"]
    arazzo = [p for p in candidates if _is_arazzo(p)]
    return arazzo[0] if arazzo else None


def _jentic_config(folder: Path) -> dict[str, Any]:
    path = folder / "test_config.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _load(path: Path, strict: bool = False) -> Any:
    text = path.read_text(encoding="utf-8")
    replaced = text
    for remote, local in REMOTE_COPIES.items():
        if remote in replaced and (path.parent / local).is_file():
            replaced = replaced.replace(remote, local)
    if replaced != text:
        return load_text(replaced, base_uri=path_to_url(str(path)), strict=strict)
    return load(path, strict=strict)


def _assert_reported(exception: Mapping[str, Any], path: Path) -> None:
    """The engine reports the exception's reason: load() raises with those words (maybe only in strict mode)."""
    expected = exception["error_contains"]
    mode = exception.get("when", "load")
    if mode == "strict_load":
        # Lenient loading keeps the lookalike expressions as literal text but warns about each ...
        document = _load(path)
        warnings = "\n".join(d.message for d in document.warnings)
        for text in expected:
            assert text in warnings, f"{text!r} not among the load warnings:\n{warnings}"
    with pytest.raises(DocumentError) as info:
        _load(path, strict=mode == "strict_load")
    errors = getattr(info.value, "diagnostics", None) or []
    everything = str(info.value) + "\n" + "\n".join(d.message for d in errors if d.severity == "error")
    for text in expected:
        assert text in everything, f"{text!r} not in the load error:\n{everything}"


@needs_shared
@pytest.mark.parametrize("path", _documents())
def test_document_loads(path: Path, record_property: Any) -> None:
    doc_id = _doc_id(path)
    exception = EXCEPTIONS.get(doc_id)
    if exception is not None:
        record_property("exception", exception["reason"])
        _assert_reported(exception, path)
        return
    document = _load(path)
    assert document.workflows


# -- the Jentic scenarios --------------------------------------------------------


def _scenarios() -> list[Any]:
    if not SHARED.is_dir():
        return [pytest.param(None, None, id="shared-corpus-absent")]
    params = []
    for folder in sorted(JENTIC.iterdir()):
        if not folder.is_dir():
            continue
        config = _jentic_config(folder)
        seen: dict[str, int] = {}
        for index, scenario in enumerate(config.get("workflows") or []):
            wf = str(scenario["id"])
            seen[wf] = seen.get(wf, 0) + 1
            suffix = f"#{seen[wf]}" if seen[wf] > 1 else ""
            params.append(pytest.param(folder, index, id=f"jentic/{folder.name}/{wf}{suffix}"))
    return params


def _wire_path(url_or_path: str, base_url: str | None) -> str:
    if "://" in url_or_path:
        return urlsplit(url_or_path).path or "/"
    base_path = urlsplit(base_url).path.rstrip("/") if base_url else ""
    if base_path and url_or_path.startswith(base_path + "/"):
        return url_or_path
    return base_path + url_or_path


def _mock_list(config: Mapping[str, Any], scenario: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(wire path, mock) pairs, the scenario's own mocks first (they take precedence)."""
    base_urls: Mapping[str, str] = config.get("base_urls") or {}
    default_base = next(iter(base_urls.values()), None)
    pairs: list[tuple[str, dict[str, Any]]] = []

    def add(mocks: Any, base: str | None) -> None:
        for mock in mocks or []:
            where = mock.get("path") or mock.get("url")
            if where:
                pairs.append((_wire_path(str(where), base), mock))

    own = scenario.get("custom_mocks")
    if isinstance(own, Mapping):
        for source, mocks in own.items():
            add(mocks, base_urls.get(source, default_base))
    else:
        add(own, default_base)
    for source, mocks in (config.get("custom_mocks") or {}).items():
        add(mocks, base_urls.get(source, default_base))
    return pairs


def _template_match(template: str, path: str) -> bool:
    pattern = "".join(
        "[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}/]+\})", template)
    )
    return re.fullmatch(pattern, path) is not None


def _mock_matches(mock: Mapping[str, Any], request: RecordedRequest) -> bool:
    for name, value in (mock.get("query_params") or {}).items():
        got = request.query.get(name)
        if got is None:
            return False
        wanted = [
            str(v).lower() if isinstance(v, bool) else str(v) for v in (value if isinstance(value, list) else [value])
        ]
        joined = ",".join(got).split(",") if len(got) == 1 and len(wanted) > 1 else got
        if joined != wanted:
            return False
    body = mock.get("request_body")
    if body is not None:
        try:
            sent = request.json()
        except ValueError:
            return False
        if not isinstance(sent, Mapping) or any(sent.get(k) != v for k, v in body.items()):
            return False
    return True


def _reply(mock: Mapping[str, Any]) -> Reply:
    if "text" in mock:
        body: Any = str(mock["text"])
    else:
        body = mock.get("response")
    return Reply(status=int(mock.get("status_code", 200)), headers=dict(mock.get("headers") or {}), body=body)


def _servers(document: Any, base_url: str) -> dict[str, str]:
    servers: dict[str, str] = {}
    for doc in document.documents.arazzo.values():
        for name, source in doc.sources.items():
            if source.type != "openapi":
                continue
            description = document.documents.openapi.get(source.url)
            path = ""
            if description is not None:
                for operation in description.iter_operations():
                    if operation.servers:
                        path = urlsplit(operation.servers[0]).path.rstrip("/")
                    break
            servers[name] = base_url + path
    return servers


@needs_shared
@pytest.mark.parametrize(("folder", "index"), _scenarios())
def test_jentic_scenario(folder: Path, index: int, record_property: Any) -> None:
    config = _jentic_config(folder)
    scenario = config["workflows"][index]
    path = _jentic_document(folder)
    repeat = sum(1 for w in config["workflows"][:index] if str(w["id"]) == str(scenario["id"]))
    scenario_id = f"jentic/{folder.name}/{scenario['id']}" + (f"#{repeat + 1}" if repeat else "")
    exception = EXCEPTIONS.get(scenario_id) or EXCEPTIONS.get(f"jentic/{folder.name}")
    if path is None or (path is not None and _doc_id(path) in EXCEPTIONS):
        document_exception = EXCEPTIONS.get(_doc_id(path)) if path else None
        if document_exception is not None and document_exception.get("when", "load") != "run":
            exception = document_exception  # a document that does not load covers every scenario of it
        exception = exception or document_exception
    if exception is not None:
        record_property("exception", exception["reason"])
        if path is None:
            assert exception.get("when") == "not_runnable", f"{scenario_id}: {exception}"
            return
        if exception.get("when", "load") != "run":
            _assert_reported(exception, path)
            return
    assert path is not None, f"{folder.name}: no Arazzo document"
    document = _load(path)
    inputs = scenario.get("inputs") or scenario.get("params") or {}
    mocks = _mock_list(config, scenario)
    with LoopbackServer() as server:

        def answer(request: RecordedRequest) -> Reply:
            for wire, mock in mocks:
                if str(mock.get("method", "get")).upper() != request.method:
                    continue
                if wire != request.path and not _template_match(wire, request.path):
                    continue
                if _mock_matches(mock, request):
                    return _reply(mock)
            return Reply(status=404, body={"error": "no mock", "path": request.path})

        for wire, mock in mocks:
            server.script(str(mock.get("method", "get")).upper(), wire, answer)

        async def no_sleep(delay: float) -> None:
            return None

        try:
            result = run_workflow(
                document,
                str(scenario["id"]),
                inputs,
                servers=_servers(document, server.url),
                sleep=no_sleep,
                limits=Limits(request_timeout=5.0, max_steps=200),
            )
        except ArazzoError as exc:
            if exception is None:
                raise
            for text in exception.get("error_contains") or []:
                assert text in str(exc), f"{text!r} not in {exc}"
            assert not server.requests, "an input error must stop the run before any request"
            return
        received = server.requests
    if exception is not None:
        # A documented divergence: the run must stop the way the exception says, for that reason.
        message = result.error.message if result.error is not None else ""
        for text in exception.get("error_contains") or []:
            assert text in message, f"{text!r} not in the run's error: {message!r}"
        if "steps" in exception:
            assert [s.step_id for s in result.steps] == exception["steps"], result.to_dict()
        if "next" in exception:
            assert str(result.steps[-1].next_action) == exception["next"], result.to_dict()
        if "status" in exception:
            assert result.status == exception["status"], result.to_dict()
        return
    summary = f"{result.status}: {result.error}\nrequests: {[f'{r.method} {r.target}' for r in received]}"
    expected_success = scenario.get("expect_success", True)
    assert result.succeeded == expected_success, summary
    if "expected_api_calls" in scenario:
        assert len(received) == scenario["expected_api_calls"], summary
    for key, value in (scenario.get("expected_outputs") or {}).items():
        if key in result.outputs:
            assert result.outputs[key] == value, f"output {key}: {result.outputs[key]!r} != {value!r}"
            continue
        step_id, _, name = str(key).partition(".")
        runs = [s for s in result.steps if s.step_id == step_id]
        assert runs and runs[-1].outputs.get(name) == value, (
            f"output {key!r} missing or wrong: {result.outputs}; {summary}"
        )
