"""``load()``: parse an Arazzo document, load its sources, compile everything once.

Two passes. The first reads the entry document and, recursively, every
``arazzo`` source it names (so cross-document references can be checked);
OpenAPI sources are read and indexed once per URL. The second compiles each
document: steps bound to operations or workflows, expressions and criteria
parsed, workflow-level parameters and actions merged into the steps.

Problems are collected as diagnostics with locations; if any is an error,
``load()`` raises a :class:`DocumentError` for the first one, carrying all of
them in ``.diagnostics``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urljoin, urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .criteria import compile_criterion
from .diagnostics import Diagnostic
from .errors import ArazzoError, DocumentError, Location, SourceError
from .expressions import CompiledValue, compile_value, parse_expression
from .inputs import InputsCheck
from .fetch import display_name, path_to_url, read_url
from .model import (
    Action,
    ArazzoDocument,
    CriterionSpec,
    DocumentSet,
    OperationTarget,
    Parameter,
    Replacement,
    RequestBody,
    SourceDescription,
    Step,
    Workflow,
    WorkflowRef,
)
from .openapi import OpenAPIDescription, Operation, load_openapi_cached
from .yamlsource import Positions, escape_pointer_token, parse_document

__all__ = ["load", "LoadOptions"]

_VERSION_RE = re.compile(r"^1\.0\.\d+(-.+)?$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
_OUTPUT_KEY_RE = re.compile(r"^[a-zA-Z0-9.\-_]+$")
_EXPRESSION_LOOKALIKE = re.compile(
    r"^\$(url|method|statusCode|request\.|response\.|inputs\.|outputs\.|steps\.|workflows\.|sourceDescriptions\.|components\.)"
)
_REUSABLE_RE = re.compile(r"^\$components\.(parameters|successActions|failureActions|inputs)\.(.+)$")

_FIELDS: dict[str, frozenset[str]] = {
    "root": frozenset({"arazzo", "info", "sourceDescriptions", "workflows", "components"}),
    "info": frozenset({"title", "summary", "description", "version"}),
    "source": frozenset({"name", "url", "type"}),
    "workflow": frozenset(
        {"workflowId", "summary", "description", "inputs", "dependsOn", "steps", "successActions",
         "failureActions", "outputs", "parameters"}
    ),
    "step": frozenset(
        {"description", "stepId", "operationId", "operationPath", "workflowId", "parameters", "requestBody",
         "successCriteria", "onSuccess", "onFailure", "outputs"}
    ),
    "parameter": frozenset({"name", "in", "value"}),
    "successAction": frozenset({"name", "type", "workflowId", "stepId", "criteria"}),
    "failureAction": frozenset({"name", "type", "workflowId", "stepId", "retryAfter", "retryLimit", "criteria"}),
    "components": frozenset({"inputs", "parameters", "successActions", "failureActions"}),
    "criterion": frozenset({"context", "condition", "type"}),
    "requestBody": frozenset({"contentType", "payload", "replacements"}),
    "replacement": frozenset({"target", "value"}),
}


@dataclass(frozen=True)
class LoadOptions:
    """How strictly to read documents (DEC-41): strict turns unknown fields and lenient fallbacks into errors."""

    strict: bool = False


@dataclass
class _Raw:
    url: str
    display: str
    data: Mapping[str, Any]
    positions: Positions


class _Diagnostics:
    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, code: str, message: str, location: Location | None) -> None:
        self.items.append(Diagnostic("error", code, message, location))

    def warning(self, code: str, message: str, location: Location | None) -> None:
        self.items.append(Diagnostic("warning", code, message, location))

    def from_exception(self, exc: ArazzoError, location: Location | None, code: str = "ARZ020") -> None:
        loc = location
        if exc.location is not None and exc.location.file and exc.location.line:
            loc = exc.location
        text = exc.message
        if exc.source_text is not None and exc.source_offset is not None:
            text = f"{exc.message}\n" + "\n".join(exc.caret_lines())
        self.items.append(Diagnostic("error", exc.code or code, text, loc))


def load(
    spec: str | os.PathLike[str],
    *,
    base_uri: str | None = None,
    strict: bool = False,
) -> ArazzoDocument:
    """Load an Arazzo document from a path or URL, with every source it references.

    Everything is parsed, resolved and compiled here, once: running a workflow
    afterwards only evaluates. Raises :class:`DocumentError` (naming the file,
    line and JSON pointer) when the document or a source is invalid.
    """
    loader = _Loader(LoadOptions(strict=strict))
    return loader.load_entry(spec, base_uri)


def load_collecting(
    text: str,
    url: str,
    *,
    strict: bool = False,
    openapi_cache: dict[str, OpenAPIDescription] | None = None,
) -> tuple[ArazzoDocument | None, list[Diagnostic], Positions | None]:
    """Load like :func:`load_text` but never raise for document problems (for ``check``).

    Returns the entry document (None when it could not be parsed), every
    diagnostic, and the entry document's positions. ``openapi_cache`` maps
    absolute URLs to loaded descriptions; it is read and filled, so one
    caller checking many documents loads each shared OpenAPI file once.
    """
    loader = _Loader(LoadOptions(strict=strict))
    if openapi_cache is not None:
        loader.documents.openapi = openapi_cache
    document = loader.collect(text, url)
    raw = loader.raw.get(url)
    return document, list(loader.diagnostics.items), raw.positions if raw is not None else None


def load_text(text: str, *, base_uri: str | None = None, strict: bool = False) -> ArazzoDocument:
    """Load an Arazzo document given as text; relative source URLs resolve against ``base_uri`` (default: cwd)."""
    loader = _Loader(LoadOptions(strict=strict))
    url = base_uri or path_to_url(os.path.join(os.getcwd(), "arazzo.yaml"))
    return loader.load_entry_text(text, url)


class _Loader:
    def __init__(self, options: LoadOptions) -> None:
        self.options = options
        self.documents = DocumentSet()
        self.raw: dict[str, _Raw] = {}
        self.diagnostics = _Diagnostics()

    # -- entry points ---------------------------------------------------
    def load_entry(self, spec: str | os.PathLike[str], base_uri: str | None) -> ArazzoDocument:
        text_spec = os.fspath(spec)
        if urlsplit(text_spec).scheme in ("http", "https", "file"):
            url = text_spec
        else:
            url = urljoin(base_uri, text_spec) if base_uri else path_to_url(text_spec)
        try:
            text = read_url(url)
        except SourceError as exc:
            raise DocumentError(exc.message, exc.location) from None
        return self.load_entry_text(text, url)

    def load_entry_text(self, text: str, url: str) -> ArazzoDocument:
        self.collect(text, url)
        errors = [d for d in self.diagnostics.items if d.severity == "error"]
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
            exc = DocumentError(first.message + more, first.location, code=first.code)
            exc.diagnostics = list(self.diagnostics.items)  # type: ignore[attr-defined]
            raise exc
        return self.documents.arazzo[url]

    def collect(self, text: str, url: str) -> ArazzoDocument | None:
        """Both passes without raising: the entry document (None if unreadable); findings in ``self.diagnostics``."""
        self._read_arazzo(url, text, None)
        for raw in list(self.raw.values()):
            self._compile(raw)
        self._check_depends_on_cycles()
        return self.documents.arazzo.get(url)

    # -- pass 1: read documents ----------------------------------------
    def _read_arazzo(self, url: str, text: str | None, referrer: Location | None) -> None:
        if url in self.raw:
            return
        display = display_name(url)
        try:
            if text is None:
                text = read_url(url)
            data, positions = parse_document(text, display)
        except ArazzoError as exc:
            self.diagnostics.from_exception(exc, exc.location or referrer, "ARZ010")
            return
        if not isinstance(data, Mapping):
            self.diagnostics.error("ARZ002", "an Arazzo document must be an object at the top level", positions.location(""))
            return
        raw = _Raw(url, display, data, positions)
        self.raw[url] = raw
        for i, source in enumerate(_list(data.get("sourceDescriptions"))):
            if not isinstance(source, Mapping) or not isinstance(source.get("url"), str):
                continue
            source_url = urljoin(url, source["url"])
            pointer = f"/sourceDescriptions/{i}"
            kind = source.get("type")
            if kind == "arazzo":
                self._read_arazzo(source_url, None, positions.location(pointer + "/url"))

    # -- pass 2: compile ------------------------------------------------
    def _compile(self, raw: _Raw) -> None:
        compiler = _DocumentCompiler(self, raw)
        doc = compiler.compile()
        if doc is not None:
            self.documents.arazzo[raw.url] = doc

    def openapi(self, url: str, location: Location) -> OpenAPIDescription | None:
        if url in self.documents.openapi:
            return self.documents.openapi[url]
        try:
            description = load_openapi_cached(url, display_name(url))
        except ArazzoError as exc:
            self.diagnostics.error("ARZ010", f"cannot load source description: {exc.message}", location)
            return None
        self.documents.openapi[url] = description
        return description

    def _check_depends_on_cycles(self) -> None:
        graph: dict[tuple[str, str], list[tuple[WorkflowRef, Location | None]]] = {}
        for doc in self.documents.arazzo.values():
            for wf in doc.workflows.values():
                graph[(doc.url, wf.workflow_id)] = [(ref, wf.location) for ref in wf.depends_on]
        state: dict[tuple[str, str], int] = {}

        def visit(node: tuple[str, str], path: list[str]) -> None:
            state[node] = 1
            for ref, loc in graph.get(node, []):
                nxt = (ref.document_url, ref.workflow_id)
                if state.get(nxt) == 1:
                    cycle = " -> ".join([*path, ref.workflow_id])
                    self.diagnostics.error("ARZ016", f"dependsOn cycle: {cycle}", loc)
                elif state.get(nxt) is None and nxt in graph:
                    visit(nxt, [*path, ref.workflow_id])
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node, [node[1]])


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _DocumentCompiler:
    """Compiles one Arazzo document of the set."""

    def __init__(self, loader: _Loader, raw: _Raw) -> None:
        self.loader = loader
        self.raw = raw
        self.data = raw.data
        self.diag = loader.diagnostics
        self.strict = loader.options.strict
        self.sources: dict[str, SourceDescription] = {}
        self.openapi_sources: dict[str, OpenAPIDescription] = {}
        self.components: Mapping[str, Any] = {}

    def loc(self, pointer: str) -> Location:
        return self.raw.positions.location(pointer)

    def error(self, pointer: str, message: str, code: str) -> None:
        self.diag.error(code, message, self.loc(pointer))

    def warning(self, pointer: str, message: str, code: str) -> None:
        self.diag.warning(code, message, self.loc(pointer))

    # -- small typed readers --------------------------------------------
    def check_fields(self, obj: Mapping[str, Any], kind: str, pointer: str) -> None:
        allowed = _FIELDS[kind]
        for key in obj:
            if key not in allowed and not key.startswith("x-"):
                message = f"unknown field {key!r} in {kind} object (allowed: {', '.join(sorted(allowed))}, or x- extensions)"
                target = f"{pointer}/{escape_pointer_token(key)}"
                if self.strict:
                    self.error(target, message, "ARZ004")
                else:
                    self.warning(target, message, "ARZ004")

    def required_str(self, obj: Mapping[str, Any], key: str, pointer: str, what: str) -> str | None:
        if key not in obj:
            self.error(pointer, f"{what} is missing required field {key!r}", "ARZ002")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.error(f"{pointer}/{key}", f"{key!r} must be a string, not {_type_name(value)}", "ARZ003")
            return None
        return value

    def optional_str(self, obj: Mapping[str, Any], key: str, pointer: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(f"{pointer}/{key}", f"{key!r} must be a string, not {_type_name(value)}", "ARZ003")
            return None
        return value

    def object_list(self, obj: Mapping[str, Any], key: str, pointer: str, *, required: bool = False) -> list[Any]:
        if key not in obj:
            if required:
                self.error(pointer, f"missing required field {key!r}", "ARZ002")
            return []
        value = obj[key]
        if not isinstance(value, list):
            self.error(f"{pointer}/{key}", f"{key!r} must be a list, not {_type_name(value)}", "ARZ003")
            return []
        return value

    def compile_value(self, value: Any, pointer: str) -> CompiledValue:
        try:
            compiled = compile_value(value)
        except ArazzoError as exc:
            self.diag.from_exception(exc, self.loc(pointer))
            return compile_value(None)
        self._lint_literal_expressions(value, pointer)
        return compiled

    def _lint_literal_expressions(self, value: Any, pointer: str) -> None:
        """A string that looks like a runtime expression but does not parse stays literal text (DEC-16).

        That is almost always a typo or a non-standard form (``$response.body.id``,
        ``$steps.x.id`` without ``.outputs.``), so say so: a warning, an error in strict mode.
        """
        if isinstance(value, Mapping):
            for key, item in value.items():
                self._lint_literal_expressions(item, f"{pointer}/{escape_pointer_token(str(key))}")
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self._lint_literal_expressions(item, f"{pointer}/{i}")
            return
        if not isinstance(value, str) or not _EXPRESSION_LOOKALIKE.match(value):
            return
        try:
            parse_expression(value)
        except ArazzoError as exc:
            message = (
                f"{value!r} looks like a runtime expression but does not parse ({exc.message}), "
                "so it is used as literal text"
            )
            if self.strict:
                self.error(pointer, message, "ARZ019")
            else:
                self.warning(pointer, message, "ARZ019")

    # -- the document -------------------------------------------------
    def compile(self) -> ArazzoDocument | None:
        data = self.data
        self.check_fields(data, "root", "")
        version = data.get("arazzo")
        if "arazzo" not in data:
            self.error("", "missing required field 'arazzo' (the Arazzo version, e.g. \"1.0.1\")", "ARZ001")
        elif not isinstance(version, str):
            self.error("/arazzo", f"'arazzo' must be a string such as \"1.0.1\", not {_type_name(version)} {version!r} (quote it in YAML)", "ARZ001")
        elif not _VERSION_RE.match(version):
            self.error("/arazzo", f"unsupported Arazzo version {version!r}: this runner reads 1.0.x", "ARZ001")
        info = data.get("info")
        if not isinstance(info, Mapping):
            self.error("" if info is None else "/info", "'info' is required and must be an object with 'title' and 'version'", "ARZ002")
            info = {}
        else:
            self.check_fields(info, "info", "/info")
            self.required_str(info, "title", "/info", "info")
            self.required_str(info, "version", "/info", "info")
        components = data.get("components") or {}
        if not isinstance(components, Mapping):
            self.error("/components", "'components' must be an object", "ARZ003")
            components = {}
        else:
            self.check_fields(components, "components", "/components")
            for kind in ("inputs", "parameters", "successActions", "failureActions"):
                for key in (components.get(kind) or {}):
                    if not _OUTPUT_KEY_RE.match(str(key)):
                        self.error(f"/components/{kind}/{escape_pointer_token(key)}", f"component key {key!r} must match [a-zA-Z0-9.-_]+", "ARZ003")
        self.components = components
        self._sources()
        workflows_raw = self.object_list(data, "workflows", "", required=True)
        if "workflows" in data and not workflows_raw:
            self.error("/workflows", "'workflows' must list at least one workflow", "ARZ002")
        workflows: dict[str, Workflow] = {}
        seen_ids: set[str] = set()
        for i, wf_raw in enumerate(workflows_raw):
            pointer = f"/workflows/{i}"
            if not isinstance(wf_raw, Mapping):
                self.error(pointer, "a workflow must be an object", "ARZ003")
                continue
            wf_id = wf_raw.get("workflowId")
            if isinstance(wf_id, str):
                if wf_id in seen_ids:
                    self.error(f"{pointer}/workflowId", f"duplicate workflowId {wf_id!r}", "ARZ005")
                seen_ids.add(wf_id)
            workflow = self._workflow(wf_raw, pointer)
            if workflow is not None and workflow.workflow_id not in workflows:
                workflows[workflow.workflow_id] = workflow
        return ArazzoDocument(
            url=self.raw.url,
            display=self.raw.display,
            arazzo_version=version if isinstance(version, str) else "",
            info=info,
            sources=self.sources,
            workflows=workflows,
            components=components,
            diagnostics=tuple(d for d in self.diag.items if d.location is None or d.location.file == self.raw.display),
            documents=self.loader.documents,
            data=data,
        )

    def _sources(self) -> None:
        entries = self.object_list(self.data, "sourceDescriptions", "", required=True)
        if "sourceDescriptions" in self.data and not entries:
            self.error("/sourceDescriptions", "'sourceDescriptions' must list at least one source", "ARZ002")
        for i, src in enumerate(entries):
            pointer = f"/sourceDescriptions/{i}"
            if not isinstance(src, Mapping):
                self.error(pointer, "a source description must be an object", "ARZ003")
                continue
            self.check_fields(src, "source", pointer)
            name = self.required_str(src, "name", pointer, "source description")
            raw_url = self.required_str(src, "url", pointer, "source description")
            kind = src.get("type")
            if name is None or raw_url is None:
                continue
            if not _NAME_RE.match(name):
                self.warning(f"{pointer}/name", f"source name {name!r} should match [A-Za-z0-9_-]+", "ARZ006")
            if name in self.sources:
                self.error(f"{pointer}/name", f"duplicate source description name {name!r}", "ARZ005")
                continue
            url = urljoin(self.raw.url, raw_url)
            if kind is not None and kind not in ("openapi", "arazzo"):
                self.error(f"{pointer}/type", f"source type must be 'openapi' or 'arazzo', not {kind!r}", "ARZ003")
                continue
            if kind is None:
                kind = "arazzo" if url in self.loader.raw else self._sniff_type(url, pointer)
                if kind is None:
                    continue
            self.sources[name] = SourceDescription(name, url, raw_url, kind, self.loc(pointer))
            if kind == "openapi":
                description = self.loader.openapi(url, self.loc(f"{pointer}/url"))
                if description is not None:
                    self.openapi_sources[name] = description

    def _sniff_type(self, url: str, pointer: str) -> str | None:
        """DEC-36: a source without ``type`` is OpenAPI if it has an openapi/swagger key, Arazzo if an arazzo key."""
        try:
            text = read_url(url)
        except ArazzoError as exc:
            self.error(f"{pointer}/url", f"cannot load source description: {exc.message}", "ARZ010")
            return None
        head = text[:4096]
        if re.search(r"^\s*[\"']?(openapi|swagger)[\"']?\s*:", head, re.M):
            return "openapi"
        if re.search(r"^\s*[\"']?arazzo[\"']?\s*:", head, re.M):
            self.loader._read_arazzo(url, text, self.loc(pointer))
            # The document was read late: compile it too.
            if url in self.loader.raw and url not in self.loader.documents.arazzo:
                self.loader._compile(self.loader.raw[url])
            return "arazzo"
        self.error(f"{pointer}/type", "source has no 'type' and is neither OpenAPI nor Arazzo; set type", "ARZ010")
        return None

    # -- workflows ------------------------------------------------------
    def _workflow(self, raw: Mapping[str, Any], pointer: str) -> Workflow | None:
        self.check_fields(raw, "workflow", pointer)
        wf_id = self.required_str(raw, "workflowId", pointer, "workflow")
        if wf_id is None:
            return None
        if not _NAME_RE.match(wf_id):
            self.warning(f"{pointer}/workflowId", f"workflowId {wf_id!r} should match [A-Za-z0-9_-]+", "ARZ006")
        schema, validator, secrets = self._inputs_schema(raw.get("inputs"), f"{pointer}/inputs")
        depends_on = []
        for j, dep in enumerate(self.object_list(raw, "dependsOn", pointer)):
            ref = self._workflow_ref(dep, f"{pointer}/dependsOn/{j}")
            if ref is not None:
                depends_on.append(ref)
        wf_params = self._parameters(self.object_list(raw, "parameters", pointer), f"{pointer}/parameters")
        wf_success = self._actions(self.object_list(raw, "successActions", pointer), f"{pointer}/successActions", "success")
        wf_failure = self._actions(self.object_list(raw, "failureActions", pointer), f"{pointer}/failureActions", "failure")
        steps_raw = self.object_list(raw, "steps", pointer, required=True)
        if "steps" in raw and not steps_raw:
            self.error(f"{pointer}/steps", "'steps' must list at least one step", "ARZ002")
        step_ids = [s.get("stepId") for s in steps_raw if isinstance(s, Mapping)]
        seen: set[str] = set()
        for j, sid in enumerate(step_ids):
            if isinstance(sid, str):
                if sid in seen:
                    self.error(f"{pointer}/steps/{j}/stepId", f"duplicate stepId {sid!r} in workflow {wf_id!r}", "ARZ005")
                seen.add(sid)
        steps = []
        for j, step_raw in enumerate(steps_raw):
            step = self._step(step_raw, f"{pointer}/steps/{j}", len(steps), seen, wf_params, wf_success, wf_failure)
            if step is not None:
                steps.append(step)
        outputs = self._outputs(raw.get("outputs"), f"{pointer}/outputs")
        self._check_steps_scope(wf_id, steps, outputs, pointer)
        return Workflow(
            workflow_id=wf_id,
            summary=raw.get("summary") if isinstance(raw.get("summary"), str) else None,
            description=raw.get("description") if isinstance(raw.get("description"), str) else None,
            inputs_schema=schema,
            inputs_check=validator,
            secret_inputs=frozenset(secrets),
            depends_on=tuple(depends_on),
            steps=tuple(steps),
            outputs=outputs,
            document_url=self.raw.url,
            location=self.loc(pointer),
        )

    def _check_steps_scope(
        self, wf_id: str, steps: list[Step], outputs: tuple[tuple[str, CompiledValue], ...], pointer: str
    ) -> None:
        """DEC-14/T-59: ``$steps.X`` must name a step of this workflow (a child's steps are out of scope)."""
        declared = {step.step_id: {name for name, _ in step.outputs} for step in steps}
        reported: set[tuple[str, str]] = set()

        def check(expressions: Any, where: Location | None) -> None:
            for expression in expressions:
                step_id = expression.step_id if expression.root == "steps" else None
                if step_id is None:
                    continue
                key = (step_id, str(expression))
                if key in reported:
                    continue
                reported.add(key)
                if step_id not in declared:
                    known = ", ".join(declared) or "(none)"
                    self.diag.error(
                        "ARZ017",
                        f"{expression} names step {step_id!r}, which is not a step of workflow {wf_id!r} "
                        f"(steps: {known}); $steps only reaches the current workflow's steps — "
                        "expose a child workflow's values through its outputs and $outputs/$workflows",
                        where,
                    )
                    continue
                name = expression.name or ""
                names = declared[step_id]
                if name not in names and not any(name.startswith(n + ".") for n in names):
                    self.diag.warning(
                        "ARZ018",
                        f"{expression}: step {step_id!r} declares no output {name!r} "
                        f"(outputs: {', '.join(sorted(names)) or '(none)'})",
                        where,
                    )

        for step in steps:
            for param in step.parameters:
                check(param.value.expressions(), param.pointer or step.location)
            body = step.request_body
            if body is not None:
                if body.payload is not None:
                    check(body.payload.expressions(), body.location)
                for replacement in body.replacements:
                    check(replacement.value.expressions(), body.location)
            for spec in step.success_criteria:
                check(spec.criterion.expressions(), spec.location)
            for action in (*step.on_success, *step.on_failure):
                for spec in action.criteria:
                    check(spec.criterion.expressions(), spec.location)
            for name, value in step.outputs:
                where = step.location
                if where is not None and where.pointer is not None:
                    where = self.loc(f"{where.pointer}/outputs/{escape_pointer_token(name)}")
                check(value.expressions(), where)
        for name, value in outputs:
            check(value.expressions(), self.loc(f"{pointer}/outputs/{escape_pointer_token(name)}"))

    def _inputs_schema(self, schema: Any, pointer: str) -> tuple[Mapping[str, Any] | None, Any, set[str]]:
        if schema is None:
            return None, None, set()
        if not isinstance(schema, Mapping):
            self.error(pointer, f"'inputs' must be a JSON Schema object, not {_type_name(schema)}", "ARZ003")
            return None, None, set()
        inlined = self._inline_refs(schema, pointer, 0)
        try:
            Draft202012Validator.check_schema(inlined)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.path)
            self.error(pointer + ("/" + where if where else ""), f"invalid inputs schema: {exc.message}", "ARZ007")
            return None, None, set()
        secrets = {
            str(name)
            for name, prop in (inlined.get("properties") or {}).items()
            if isinstance(prop, Mapping) and prop.get("format") == "password"
        }
        return inlined, InputsCheck(inlined, frozenset(secrets)), secrets

    def _inline_refs(self, node: Any, pointer: str, depth: int) -> Any:
        """Replace ``$ref``s into this document (``#/components/inputs/…``) by their targets (WF-5)."""
        if depth > 32:
            return {}
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target: Any = self.data
                for token in ref[2:].split("/"):
                    token = unquote(token).replace("~1", "/").replace("~0", "~")
                    if isinstance(target, Mapping) and token in target:
                        target = target[token]
                    else:
                        self.error(pointer + "/$ref", f"$ref {ref!r} does not resolve in this document", "ARZ022")
                        return {}
                rest = {k: v for k, v in node.items() if k != "$ref"}
                resolved = self._inline_refs(target, pointer, depth + 1)
                if rest and isinstance(resolved, Mapping):
                    return {"allOf": [resolved], **{k: self._inline_refs(v, pointer, depth + 1) for k, v in rest.items()}}
                return resolved
            return {k: self._inline_refs(v, f"{pointer}/{escape_pointer_token(k)}", depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self._inline_refs(v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(node)]
        return node

    def _outputs(self, raw: Any, pointer: str) -> tuple[tuple[str, CompiledValue], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, Mapping):
            self.error(pointer, "'outputs' must map names to runtime expressions", "ARZ003")
            return ()
        result = []
        for key, value in raw.items():
            target = f"{pointer}/{escape_pointer_token(key)}"
            if not _OUTPUT_KEY_RE.match(key):
                self.error(target, f"output name {key!r} must match [a-zA-Z0-9.-_]+", "ARZ003")
                continue
            result.append((key, self.compile_value(value, target)))
        return tuple(result)

    # -- references -----------------------------------------------------
    def _workflow_ref(self, text: Any, pointer: str) -> WorkflowRef | None:
        if not isinstance(text, str):
            self.error(pointer, f"a workflow reference must be a string, not {_type_name(text)}", "ARZ003")
            return None
        if text.startswith("$sourceDescriptions."):
            rest = text[len("$sourceDescriptions."):]
            name, _, wf_id = rest.partition(".")
            source = self.sources.get(name)
            if source is None:
                self.error(pointer, f"{text!r} names source {name!r}, which is not declared; sources: {', '.join(self.sources) or '(none)'}", "ARZ014")
                return None
            if source.type != "arazzo":
                self.error(pointer, f"{text!r}: source {name!r} is {source.type}, not an arazzo document", "ARZ014")
                return None
            raw = self.loader.raw.get(source.url)
            if raw is None:
                return None  # its loading error was already reported
            ids = [w.get("workflowId") for w in _list(raw.data.get("workflows")) if isinstance(w, Mapping)]
            if wf_id not in ids:
                self.error(pointer, f"{text!r}: no workflow {wf_id!r} in {raw.display}; it defines: {', '.join(map(str, ids)) or '(none)'}", "ARZ014")
                return None
            return WorkflowRef(source.url, wf_id, text)
        ids = [w.get("workflowId") for w in _list(self.data.get("workflows")) if isinstance(w, Mapping)]
        if text not in ids:
            hint = ""
            for name, source in self.sources.items():
                raw = self.loader.raw.get(source.url)
                if raw and text in [w.get("workflowId") for w in _list(raw.data.get("workflows")) if isinstance(w, Mapping)]:
                    hint = f"; it is in source {name!r}: write $sourceDescriptions.{name}.{text}"
            self.error(pointer, f"no workflow {text!r} in this document (workflows: {', '.join(map(str, ids))}){hint}", "ARZ014")
            return None
        return WorkflowRef(self.raw.url, text, text)

    def _resolve_reusable(self, raw: Mapping[str, Any], pointer: str, kind: str) -> Mapping[str, Any] | None:
        reference = raw.get("reference")
        if not isinstance(reference, str):
            self.error(pointer, "a Reusable Object needs a 'reference' string", "ARZ002")
            return None
        match = _REUSABLE_RE.match(reference)
        if not match:
            self.error(f"{pointer}/reference", f"{reference!r} is not a component reference ($components.{kind}.<key>)", "ARZ022")
            return None
        found_kind, key = match.groups()
        if found_kind != kind:
            self.error(f"{pointer}/reference", f"{reference!r} refers to {found_kind}, but {kind} are expected here", "ARZ022")
            return None
        target = (self.components.get(kind) or {}).get(key)
        if not isinstance(target, Mapping):
            known = ", ".join(self.components.get(kind) or {}) or "(none)"
            self.error(f"{pointer}/reference", f"{reference!r}: no {kind} component {key!r}; defined: {known}", "ARZ022")
            return None
        if "value" in raw:
            if kind == "parameters":
                return {**target, "value": raw["value"]}  # REUSE-3: a copy; the component is unchanged
            self.warning(f"{pointer}/value", "'value' only applies to parameter references; ignored", "ARZ023")
        return target

    def _parameters(self, items: list[Any], pointer: str) -> list[Parameter]:
        result: list[Parameter] = []
        for i, raw in enumerate(items):
            p = f"{pointer}/{i}"
            if not isinstance(raw, Mapping):
                self.error(p, "a parameter must be an object", "ARZ003")
                continue
            if "reference" in raw:
                resolved = self._resolve_reusable(raw, p, "parameters")
                if resolved is None:
                    continue
                raw = resolved
            else:
                self.check_fields(raw, "parameter", p)
            name = self.required_str(raw, "name", p, "parameter")
            location = raw.get("in")
            if location is not None and location not in ("path", "query", "header", "cookie"):
                extra = " ('body' was dropped in Arazzo 1.0.1: use requestBody)" if location == "body" else ""
                self.error(f"{p}/in", f"parameter 'in' must be path, query, header or cookie, not {location!r}{extra}", "ARZ003")
                continue
            if "value" not in raw:
                self.error(p, f"parameter {name!r} is missing required field 'value'", "ARZ002")
                continue
            if name is None:
                continue
            result.append(Parameter(name, location, self.compile_value(raw["value"], f"{p}/value"), self.loc(p)))
        seen: set[tuple[str, str | None]] = set()
        for i, param in enumerate(result):
            key = _param_identity(param, by_name_only=False)
            if key in seen:
                self.error(f"{pointer}/{i}", f"duplicate parameter {param.name!r} (in: {param.location})", "ARZ005")
            seen.add(key)
        return result

    def _actions(self, items: list[Any], pointer: str, kind: str) -> list[Action]:
        result: list[Action] = []
        component_kind = "successActions" if kind == "success" else "failureActions"
        for i, raw in enumerate(items):
            p = f"{pointer}/{i}"
            if not isinstance(raw, Mapping):
                self.error(p, "an action must be an object", "ARZ003")
                continue
            if "reference" in raw:
                resolved = self._resolve_reusable(raw, p, component_kind)
                if resolved is None:
                    continue
                raw = resolved
            else:
                self.check_fields(raw, f"{kind}Action", p)
            action = self._action(raw, p, kind)
            if action is not None:
                if any(a.name == action.name for a in result):
                    self.error(p, f"duplicate action name {action.name!r}", "ARZ005")
                result.append(action)
        return result

    def _action(self, raw: Mapping[str, Any], pointer: str, kind: str) -> Action | None:
        name = self.required_str(raw, "name", pointer, f"{kind} action")
        action_type = self.required_str(raw, "type", pointer, f"{kind} action")
        allowed = ("end", "goto") if kind == "success" else ("end", "goto", "retry")
        if action_type is not None and action_type not in allowed:
            self.error(f"{pointer}/type", f"{kind} action type must be one of {', '.join(allowed)}, not {action_type!r}", "ARZ003")
            return None
        if name is None or action_type is None:
            return None
        step_id = self.optional_str(raw, "stepId", pointer)
        workflow = None
        if "workflowId" in raw:
            workflow = self._workflow_ref(raw["workflowId"], f"{pointer}/workflowId")
        if step_id is not None and "workflowId" in raw:
            self.error(pointer, "an action names either 'stepId' or 'workflowId', not both", "ARZ003")
        if action_type == "goto" and step_id is None and "workflowId" not in raw:
            self.error(pointer, f"goto action {name!r} needs a 'stepId' or a 'workflowId'", "ARZ002")
        if action_type == "end" and (step_id is not None or "workflowId" in raw):
            self.warning(pointer, "'stepId'/'workflowId' only matter for goto and retry; ignored on end", "ARZ024")
        retry_after = raw.get("retryAfter")
        if retry_after is not None and (isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)) or retry_after < 0):
            self.error(f"{pointer}/retryAfter", f"'retryAfter' must be a number of seconds >= 0, not {retry_after!r}", "ARZ003")
            retry_after = None
        retry_limit = raw.get("retryLimit")
        if retry_limit is not None and (isinstance(retry_limit, bool) or not isinstance(retry_limit, int) or retry_limit < 0):
            self.error(f"{pointer}/retryLimit", f"'retryLimit' must be an integer >= 0, not {retry_limit!r}", "ARZ003")
            retry_limit = None
        criteria = self._criteria(self.object_list(raw, "criteria", pointer), f"{pointer}/criteria")
        return Action(
            name=name,
            kind=cast(Any, action_type),
            step_id=step_id,
            workflow=workflow,
            retry_after=float(retry_after) if retry_after is not None else None,
            retry_limit=retry_limit,
            criteria=tuple(criteria),
            location=self.loc(pointer),
        )

    def _criteria(self, items: list[Any], pointer: str) -> list[CriterionSpec]:
        result = []
        for i, raw in enumerate(items):
            p = f"{pointer}/{i}"
            if not isinstance(raw, Mapping):
                self.error(p, "a criterion must be an object with a 'condition'", "ARZ003")
                continue
            self.check_fields(raw, "criterion", p)
            condition = self.required_str(raw, "condition", p, "criterion")
            if condition is None:
                continue
            context = raw.get("context")
            if context is not None and not isinstance(context, str):
                self.error(f"{p}/context", "'context' must be a runtime expression string", "ARZ003")
                continue
            try:
                criterion = compile_criterion(condition, raw.get("type"), context, strict=self.strict)
            except ArazzoError as exc:
                self.diag.from_exception(exc, self.loc(f"{p}/condition"), "ARZ021")
                continue
            for warning in criterion.warnings:
                self.warning(p, warning, "ARZ025")
            result.append(CriterionSpec(criterion, condition, self.loc(p)))
        return result

    # -- steps ----------------------------------------------------------
    def _step(
        self,
        raw: Any,
        pointer: str,
        index: int,
        step_ids: set[str],
        wf_params: list[Parameter],
        wf_success: list[Action],
        wf_failure: list[Action],
    ) -> Step | None:
        if not isinstance(raw, Mapping):
            self.error(pointer, "a step must be an object", "ARZ003")
            return None
        self.check_fields(raw, "step", pointer)
        step_id = self.required_str(raw, "stepId", pointer, "step")
        targets = [k for k in ("operationId", "operationPath", "workflowId") if k in raw]
        if len(targets) != 1:
            what = "none" if not targets else " and ".join(targets)
            self.error(pointer, f"a step needs exactly one of operationId, operationPath or workflowId; found {what}", "ARZ008")
            return None
        if step_id is None:
            return None
        operation: OperationTarget | None = None
        workflow: WorkflowRef | None = None
        if "operationId" in raw:
            operation = self._operation_by_id(raw["operationId"], f"{pointer}/operationId")
        elif "operationPath" in raw:
            operation = self._operation_by_path(raw["operationPath"], f"{pointer}/operationPath")
        else:
            workflow = self._workflow_ref(raw["workflowId"], f"{pointer}/workflowId")
        step_params = self._parameters(self.object_list(raw, "parameters", pointer), f"{pointer}/parameters")
        for i, param in enumerate(step_params):
            if workflow is None and "workflowId" not in raw and param.location is None:
                self.error(f"{pointer}/parameters/{i}", f"parameter {param.name!r} needs 'in' (path, query, header or cookie) on an operation step", "ARZ002")
        parameters = self._merge_parameters(wf_params, step_params, "workflowId" in raw, pointer)
        request_body = None
        if "requestBody" in raw:
            if "workflowId" in raw:
                self.error(f"{pointer}/requestBody", "a workflowId step cannot have a requestBody (DEC-32); pass parameters instead", "ARZ009")
            else:
                request_body = self._request_body(raw["requestBody"], f"{pointer}/requestBody")
                if operation is not None and operation.operation.method in ("get", "head", "delete"):
                    self.warning(f"{pointer}/requestBody", f"a request body on {operation.operation.method.upper()} has no defined meaning (RFC 9110); it is sent anyway", "ARZ026")
        criteria_raw = self.object_list(raw, "successCriteria", pointer)
        if "successCriteria" in raw and isinstance(raw["successCriteria"], list) and not criteria_raw:
            self.warning(f"{pointer}/successCriteria", "an empty successCriteria list is treated as absent", "ARZ027")
        success_criteria = self._criteria(criteria_raw, f"{pointer}/successCriteria")
        on_success = self._actions(self.object_list(raw, "onSuccess", pointer), f"{pointer}/onSuccess", "success")
        on_failure = self._actions(self.object_list(raw, "onFailure", pointer), f"{pointer}/onFailure", "failure")
        merged_success = _merge_actions(on_success, wf_success)
        merged_failure = _merge_actions(on_failure, wf_failure)
        for action_list, label in ((merged_success, "onSuccess"), (merged_failure, "onFailure")):
            for action in action_list:
                if action.step_id is not None and action.step_id not in step_ids:
                    where = action.location
                    if where is not None and where.pointer is not None:
                        where = self.loc(where.pointer + "/stepId")
                    self.diag.error(
                        "ARZ015",
                        f"action {action.name!r} names step {action.step_id!r}, which is not a step of this workflow; steps: {', '.join(sorted(step_ids))}",
                        where,
                    )
        outputs = self._outputs(raw.get("outputs"), f"{pointer}/outputs")
        return Step(
            step_id=step_id,
            index=index,
            description=raw.get("description") if isinstance(raw.get("description"), str) else None,
            operation=operation,
            workflow=workflow,
            parameters=tuple(parameters),
            request_body=request_body,
            success_criteria=tuple(success_criteria),
            on_success=tuple(merged_success),
            on_failure=tuple(merged_failure),
            outputs=outputs,
            location=self.loc(pointer),
        )

    def _merge_parameters(
        self, wf_params: list[Parameter], step_params: list[Parameter], workflow_step: bool, pointer: str
    ) -> list[Parameter]:
        """DEC-08: step parameters override workflow ones with the same identity; the rest stay."""
        merged: list[Parameter] = []
        step_keys = {_param_identity(p, by_name_only=workflow_step) for p in step_params}
        for param in wf_params:
            if workflow_step:
                if param.location is not None:
                    continue  # HTTP placement: meaningless for a child workflow's inputs
            elif param.location is None:
                self.error(pointer, f"workflow parameter {param.name!r} has no 'in', but this step calls an operation", "ARZ002")
                continue
            if _param_identity(param, by_name_only=workflow_step) not in step_keys:
                merged.append(param)
        merged.extend(step_params)
        return merged

    def _request_body(self, raw: Any, pointer: str) -> RequestBody | None:
        if not isinstance(raw, Mapping):
            self.error(pointer, "'requestBody' must be an object", "ARZ003")
            return None
        self.check_fields(raw, "requestBody", pointer)
        content_type = self.optional_str(raw, "contentType", pointer)
        payload = self.compile_value(raw["payload"], f"{pointer}/payload") if "payload" in raw else None
        replacements = []
        for i, rep in enumerate(self.object_list(raw, "replacements", pointer)):
            p = f"{pointer}/replacements/{i}"
            if not isinstance(rep, Mapping):
                self.error(p, "a replacement must be an object with 'target' and 'value'", "ARZ003")
                continue
            self.check_fields(rep, "replacement", p)
            target = self.required_str(rep, "target", p, "replacement")
            if "value" not in rep:
                self.error(p, "replacement is missing required field 'value'", "ARZ002")
                continue
            if target is not None:
                replacements.append(Replacement(target, self.compile_value(rep["value"], f"{p}/value")))
        return RequestBody(content_type, payload, tuple(replacements), self.loc(pointer))

    def _operation_by_id(self, text: Any, pointer: str) -> OperationTarget | None:
        if not isinstance(text, str):
            self.error(pointer, "'operationId' must be a string", "ARZ003")
            return None
        if text.startswith("$sourceDescriptions."):
            name, _, op_id = text[len("$sourceDescriptions."):].partition(".")
            source = self.sources.get(name)
            if source is None:
                self.error(pointer, f"{text!r} names source {name!r}, which is not declared; sources: {', '.join(self.sources) or '(none)'}", "ARZ011")
                return None
            description = self.openapi_sources.get(name)
            if description is None:
                if source.type != "openapi":
                    self.error(pointer, f"{text!r}: source {name!r} is not an OpenAPI description", "ARZ011")
                return None
            return self._find_operation(name, description, op_id, pointer)
        candidates = [n for n, s in self.sources.items() if s.type == "openapi"]
        if len(candidates) > 1:
            having = [n for n in candidates if n in self.openapi_sources and text in self.openapi_sources[n].operations_by_id]
            hint = f"; it is defined in {', '.join(having)}" if having else ""
            self.error(pointer, f"operationId {text!r} must be qualified as $sourceDescriptions.<name>.{text} because there are several OpenAPI sources ({', '.join(candidates)}){hint}", "ARZ012")
            return None
        if not candidates:
            self.error(pointer, f"operationId {text!r}: the document has no OpenAPI source description", "ARZ011")
            return None
        name = candidates[0]
        description = self.openapi_sources.get(name)
        if description is None:
            return None  # the source failed to load; already reported
        return self._find_operation(name, description, text, pointer)

    def _find_operation(self, source: str, description: OpenAPIDescription, op_id: str, pointer: str) -> OperationTarget | None:
        op = description.operations_by_id.get(op_id)
        if op is None:
            close = _close_matches(op_id, list(description.operations_by_id))
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            self.error(pointer, f"operationId {op_id!r} is not defined in source {source!r} ({description.display}){hint}", "ARZ011")
            return None
        if op_id in description.duplicate_operation_ids:
            self.error(pointer, f"operationId {op_id!r} is not unique in source {source!r}", "ARZ011")
            return None
        return OperationTarget(source, op)

    def _operation_by_path(self, text: Any, pointer: str) -> OperationTarget | None:
        """DEC-38: ``{$sourceDescriptions.<name>.url}#/paths/<template>/<method>``."""
        if not isinstance(text, str):
            self.error(pointer, "'operationPath' must be a string", "ARZ003")
            return None
        match = re.match(r"^\{\$sourceDescriptions\.([^.}]+)\.url\}(.*)$", text)
        name: str | None = None
        fragment = ""
        if match:
            name, rest = match.group(1), match.group(2)
            if name not in self.sources:
                close = [n for n in self.sources if n.lower() == name.lower()]
                hint = f" (source names are case-sensitive: did you mean {close[0]!r}?)" if close else ""
                self.error(pointer, f"operationPath names source {name!r}, which is not declared{hint}", "ARZ013")
                return None
            if not rest.startswith("#"):
                self.error(pointer, "operationPath must continue with '#' and a JSON pointer after the source URL", "ARZ013")
                return None
            fragment = rest[1:]
        else:
            base, _, fragment = text.partition("#")
            for n, s in self.sources.items():
                if base in (s.raw_url, s.url):
                    name = n
            if name is None:
                self.error(pointer, "operationPath must start with {$sourceDescriptions.<name>.url}#", "ARZ013")
                return None
            self.warning(pointer, "operationPath should name its source with {$sourceDescriptions.<name>.url}", "ARZ013")
        description = self.openapi_sources.get(name)
        if description is None:
            if self.sources[name].type != "openapi":
                self.error(pointer, f"operationPath: source {name!r} is not an OpenAPI description", "ARZ013")
            return None
        tokens = [unquote(t).replace("~1", "/").replace("~0", "~") for t in fragment.lstrip("/").split("/")] if fragment else []
        found = description.operation_at(tokens)
        if isinstance(found, Operation):
            return OperationTarget(name, found)
        if isinstance(found, Mapping):
            ops = [op for op in description.operations if len(tokens) > 1 and op.path == tokens[1]]
            if len(ops) == 1 and not self.strict:
                self.warning(pointer, f"operationPath points to a path item, not an operation; using its only operation {ops[0].label}", "ARZ013")
                return OperationTarget(name, ops[0])
            self.error(pointer, "operationPath points to a path item; add the method (…/get)", "ARZ013")
            return None
        self.error(pointer, f"operationPath {fragment!r} does not point to an operation in {description.display}", "ARZ013")
        return None


def _param_identity(param: Parameter, *, by_name_only: bool) -> tuple[str, str | None]:
    if by_name_only:
        return (param.name, None)
    if param.location == "header":
        return (param.name.lower(), "header")
    return (param.name, param.location)


def _merge_actions(step_actions: list[Action], workflow_actions: list[Action]) -> list[Action]:
    """DEC-07: the step's actions in order, then the workflow's that the step did not override by name."""
    names = {a.name for a in step_actions}
    return [*step_actions, *(a for a in workflow_actions if a.name not in names)]


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _close_matches(word: str, candidates: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, candidates, n=3, cutoff=0.7)
