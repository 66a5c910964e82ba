"""Compiling one Arazzo document: the root, its sources, its workflows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast
from urllib.parse import urljoin

from ..plan.inputs import InputsCheck, plainly_valid_schema
from ..plan.model import (
    ArazzoDocument,
    SourceDescription,
    Step,
    Workflow,
)
from ..plan.rules import NAME_RE, OUTPUT_KEY_RE, VERSION_RE
from ..sources.pointer import PointerMiss, escape_pointer_token, resolve_local
from ..sources.values import type_name
from .base import DocumentScope
from .context import CompileContext, ParsedDocument
from .references import ReferenceResolver
from .scope import check_input_scope, check_step_scope
from .steps import StepCompiler
from .steps11 import order_steps
from .versions import base_uri, find_11_features, version_feature_message


class DocumentCompiler:
    """Compiles one Arazzo document of the set: its root and sources, then its workflows."""

    def __init__(self, context: CompileContext, parsed: ParsedDocument) -> None:
        self.scope = DocumentScope(context, parsed)
        self.refs = ReferenceResolver(self.scope)
        self.steps = StepCompiler(self.scope, self.refs)

    def compile(self) -> ArazzoDocument | None:
        data = self.scope.data
        if "arazzo" not in data and ("openapi" in data or "swagger" in data):
            # One clear error rather than "missing 'arazzo'" plus every other Arazzo field.
            key = "openapi" if "openapi" in data else "swagger"
            self.scope.error(
                f"/{key}",
                "this is an OpenAPI description, not an Arazzo document; pass the Arazzo document that references it",
                "ARZ001",
            )
            return None
        self.scope.check_fields(data, "root", "")
        version = data.get("arazzo")
        if "arazzo" not in data:
            self.scope.error("", "missing required field 'arazzo' (the Arazzo version, e.g. \"1.0.1\")", "ARZ001")
        elif not isinstance(version, str):
            self.scope.error(
                "/arazzo",
                f"'arazzo' must be a string such as \"1.0.1\", not {type_name(version)} {version!r} (quote it in YAML)",
                "ARZ001",
            )
        elif not VERSION_RE.match(version):
            self.scope.error(
                "/arazzo", f"unsupported Arazzo version {version!r}: this runner reads 1.0.x and 1.1.x", "ARZ001"
            )
        elif self.scope.version == "1.1" and "#" in str(data.get("$self", "")):
            self.scope.error(
                "/$self", "'$self' must not contain a fragment ('#'): it is the document's identity", "ARZ156"
            )
        elif self.scope.version == "1.0":
            for pointer, feature in find_11_features(data):  # V11-02
                self.scope.error(pointer, version_feature_message(feature, version), "ARZ150")
        info = data.get("info")
        if not isinstance(info, Mapping):
            self.scope.error(
                "" if info is None else "/info",
                "'info' is required and must be an object with 'title' and 'version'",
                "ARZ002",
            )
            info = {}
        else:
            self.scope.check_fields(info, "info", "/info")
            self.scope.required_str(info, "title", "/info", "info")
            self.scope.required_str(info, "version", "/info", "info")
            for key in ("summary", "description"):
                self.scope.optional_str(info, key, "/info")
        components = data.get("components") or {}
        if not isinstance(components, Mapping):
            self.scope.error("/components", "'components' must be an object", "ARZ003")
            components = {}
        else:
            self.scope.check_fields(components, "components", "/components")
            for kind in ("inputs", "parameters", "successActions", "failureActions"):
                for key in components.get(kind) or {}:
                    if not OUTPUT_KEY_RE.match(str(key)):
                        self.scope.error(
                            f"/components/{kind}/{escape_pointer_token(key)}",
                            f"component key {key!r} must match [a-zA-Z0-9.-_]+",
                            "ARZ003",
                        )
        self.scope.components = components
        self._sources()
        workflows_raw = self.scope.object_list(data, "workflows", "", required=True)
        if "workflows" in data and not workflows_raw:
            self.scope.error("/workflows", "'workflows' must list at least one workflow", "ARZ002")
        workflows: dict[str, Workflow] = {}
        seen_ids: set[str] = set()
        for i, wf_raw in enumerate(workflows_raw):
            pointer = f"/workflows/{i}"
            if not isinstance(wf_raw, Mapping):
                self.scope.error(pointer, "a workflow must be an object", "ARZ003")
                continue
            wf_id = wf_raw.get("workflowId")
            if isinstance(wf_id, str):
                if wf_id in seen_ids:
                    self.scope.error(f"{pointer}/workflowId", f"duplicate workflowId {wf_id!r}", "ARZ005")
                seen_ids.add(wf_id)
            workflow = self._workflow(wf_raw, pointer)
            if workflow is not None and workflow.workflow_id not in workflows:
                workflows[workflow.workflow_id] = workflow
        return ArazzoDocument(
            url=self.scope.parsed.url,
            display=self.scope.parsed.display,
            arazzo_version=version if isinstance(version, str) else "",
            info=info,
            sources=self.scope.sources,
            workflows=workflows,
            components=components,
            diagnostics=tuple(
                d for d in self.scope.diag.items if d.location is None or d.location.file == self.scope.parsed.display
            ),
            documents=self.scope.context.document_set,
            data=data,
        )

    def _sources(self) -> None:
        entries = self.scope.object_list(self.scope.data, "sourceDescriptions", "", required=True)
        if "sourceDescriptions" in self.scope.data and not entries:
            self.scope.error("/sourceDescriptions", "'sourceDescriptions' must list at least one source", "ARZ002")
        for i, src in enumerate(entries):
            pointer = f"/sourceDescriptions/{i}"
            if not isinstance(src, Mapping):
                self.scope.error(pointer, "a source description must be an object", "ARZ003")
                continue
            self.scope.check_fields(src, "source", pointer)
            name = self.scope.required_str(src, "name", pointer, "source description")
            raw_url = self.scope.required_str(src, "url", pointer, "source description")
            kind = src.get("type")
            if name is None or raw_url is None:
                continue
            if not NAME_RE.match(name):
                self.scope.warning(f"{pointer}/name", f"source name {name!r} should match [A-Za-z0-9_-]+", "ARZ006")
            if name in self.scope.sources:
                self.scope.error(f"{pointer}/name", f"duplicate source description name {name!r}", "ARZ005")
                continue
            try:
                url = urljoin(base_uri(self.scope.data, self.scope.parsed.url), raw_url)  # $self: the 1.1 base
            except ValueError as exc:
                self.scope.error(f"{pointer}/url", f"source url is not a valid URL: {exc}", "ARZ003")
                continue
            if kind == "asyncapi" and self.scope.version == "1.1":  # V11-19: named, not read (not executed yet)
                self.scope.sources[name] = SourceDescription(name, url, raw_url, "asyncapi", self.scope.loc(pointer))
                continue
            if kind is not None and kind not in ("openapi", "arazzo"):
                self.scope.error(
                    f"{pointer}/type", f"source type must be 'openapi' or 'arazzo', not {kind!r}", "ARZ003"
                )
                continue
            if kind is None:
                kind = "arazzo" if url in self.scope.context.documents else self.scope.context.source_types.get(url)
                if kind is None:
                    continue  # the loader could not tell, and said why
            self.scope.sources[name] = SourceDescription(
                name, url, raw_url, cast(Literal["openapi", "arazzo"], kind), self.scope.loc(pointer)
            )
            if kind == "openapi":
                description = self.scope.context.openapi(url, self.scope.loc(f"{pointer}/url"))
                if description is not None:
                    self.scope.openapi_sources[name] = description

    # -- workflows ------------------------------------------------------
    def _workflow(self, raw: Mapping[str, Any], pointer: str) -> Workflow | None:
        self.scope.check_fields(raw, "workflow", pointer)
        wf_id = self.scope.required_str(raw, "workflowId", pointer, "workflow")
        if wf_id is None:
            return None
        if not NAME_RE.match(wf_id):
            self.scope.warning(f"{pointer}/workflowId", f"workflowId {wf_id!r} should match [A-Za-z0-9_-]+", "ARZ006")
        schema, validator, secrets = self._inputs_schema(raw.get("inputs"), f"{pointer}/inputs")
        depends_on = []
        for j, dep in enumerate(self.scope.object_list(raw, "dependsOn", pointer)):
            ref = self.refs.workflow_ref(dep, f"{pointer}/dependsOn/{j}")
            if ref is not None:
                depends_on.append(ref)
        wf_params = self.steps.parameters(self.scope.object_list(raw, "parameters", pointer), f"{pointer}/parameters")
        wf_success = self.steps.actions(
            self.scope.object_list(raw, "successActions", pointer), f"{pointer}/successActions", "success"
        )
        wf_failure = self.steps.actions(
            self.scope.object_list(raw, "failureActions", pointer), f"{pointer}/failureActions", "failure"
        )
        steps_raw = self.scope.object_list(raw, "steps", pointer, required=True)
        if "steps" in raw and not steps_raw:
            self.scope.error(f"{pointer}/steps", "'steps' must list at least one step", "ARZ002")
        step_ids = [s.get("stepId") for s in steps_raw if isinstance(s, Mapping)]
        seen: set[str] = set()
        for j, sid in enumerate(step_ids):
            if isinstance(sid, str):
                if sid in seen:
                    self.scope.error(
                        f"{pointer}/steps/{j}/stepId", f"duplicate stepId {sid!r} in workflow {wf_id!r}", "ARZ005"
                    )
                seen.add(sid)
        steps: list[Step] = []
        for j, step_raw in enumerate(steps_raw):
            step = self.steps.step(
                step_raw, f"{pointer}/steps/{j}", len(steps), seen, wf_params, wf_success, wf_failure
            )
            if step is not None:
                steps.append(step)
        if self.scope.version == "1.1":
            steps = order_steps(self.scope, wf_id, steps, pointer)  # V11-16
        outputs = self.steps.outputs(raw.get("outputs"), f"{pointer}/outputs")
        names = validator.names if validator is not None else None
        workflow = Workflow(
            workflow_id=wf_id,
            summary=self.scope.optional_str(raw, "summary", pointer),
            description=self.scope.optional_str(raw, "description", pointer),
            inputs_schema=schema,
            inputs_check=validator,
            secret_inputs=frozenset(secrets),
            depends_on=tuple(depends_on),
            steps=tuple(steps),
            outputs=outputs,
            document_url=self.scope.parsed.url,
            location=self.scope.loc(pointer),
            optional_inputs=names.optional if names is not None else frozenset(),
        )
        check_step_scope(self.scope, workflow)
        if "inputs" not in raw or names is not None:  # a schema that names no inputs says nothing to check
            check_input_scope(self.scope, workflow, names)
        return workflow

    def _inputs_schema(self, schema: Any, pointer: str) -> tuple[Mapping[str, Any] | None, Any, set[str]]:
        if schema is None:
            return None, None, set()
        if not isinstance(schema, Mapping):
            self.scope.error(pointer, f"'inputs' must be a JSON Schema object, not {type_name(schema)}", "ARZ003")
            return None, None, set()
        inlined = self._inline_refs(schema, pointer, 0)
        if not plainly_valid_schema(inlined):  # a flat typed schema needs no meta-schema check (nor jsonschema)
            from jsonschema import Draft202012Validator
            from jsonschema.exceptions import SchemaError

            try:
                Draft202012Validator.check_schema(inlined)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.path)
                self.scope.error(
                    pointer + ("/" + where if where else ""), f"invalid inputs schema: {exc.message}", "ARZ007"
                )
                return None, None, set()
        # The names of password properties at any depth: their values are masked wherever they sit in the inputs.
        secrets: set[str] = set()

        def collect(node: Any, depth: int) -> None:
            if depth > 64 or not isinstance(node, Mapping):
                return
            properties = node.get("properties")
            if isinstance(properties, Mapping):
                for name, prop in properties.items():
                    if isinstance(prop, Mapping) and prop.get("format") == "password":
                        secrets.add(str(name))
                    collect(prop, depth + 1)
            for keyword in ("items", "prefixItems", "allOf", "anyOf", "oneOf", "additionalProperties"):
                sub = node.get(keyword)
                for branch in sub if isinstance(sub, list) else [sub]:
                    collect(branch, depth + 1)

        collect(inlined, 0)
        return inlined, InputsCheck(inlined, frozenset(secrets)), secrets

    def _inline_refs(self, node: Any, pointer: str, depth: int) -> Any:
        """Replace ``$ref``s into this document (``#/components/inputs/…``) by their targets (WF-5)."""
        if depth > 32:
            return {}
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                try:
                    target = resolve_local(self.scope.data, ref[1:], percent_encoded=True)
                except PointerMiss:
                    self.scope.error(pointer + "/$ref", f"$ref {ref!r} does not resolve in this document", "ARZ022")
                    return {}
                rest = {k: v for k, v in node.items() if k != "$ref"}
                resolved = self._inline_refs(target, pointer, depth + 1)
                if rest and isinstance(resolved, Mapping):
                    return {
                        "allOf": [resolved],
                        **{k: self._inline_refs(v, pointer, depth + 1) for k, v in rest.items()},
                    }
                return resolved
            return {k: self._inline_refs(v, f"{pointer}/{escape_pointer_token(k)}", depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self._inline_refs(v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(node)]
        return node
