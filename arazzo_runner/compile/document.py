"""Compiling one Arazzo document: the root, its sources, its workflows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import unquote, urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..errors import ArazzoError, Location
from ..language.expressions import CompiledValue, InputExpression
from ..plan.inputs import InputNames, InputsCheck
from ..plan.model import (
    ArazzoDocument,
    SourceDescription,
    Step,
    Workflow,
)
from ..sources.yamlsource import escape_pointer_token, unescape_pointer_token

if TYPE_CHECKING:  # pragma: no cover
    pass
from .base import _NAME_RE, _OUTPUT_KEY_RE, _VERSION_RE, _type_name
from .steps import StepCompiler

_MISSING = object()


class DocumentCompiler(StepCompiler):
    """Compiles one Arazzo document of the set."""

    def compile(self) -> ArazzoDocument | None:
        data = self.data
        if "arazzo" not in data and ("openapi" in data or "swagger" in data):
            # One clear error rather than "missing 'arazzo'" plus every other Arazzo field.
            key = "openapi" if "openapi" in data else "swagger"
            self.error(
                f"/{key}",
                "this is an OpenAPI description, not an Arazzo document; pass the Arazzo document that references it",
                "ARZ001",
            )
            return None
        self.check_fields(data, "root", "")
        version = data.get("arazzo")
        if "arazzo" not in data:
            self.error("", "missing required field 'arazzo' (the Arazzo version, e.g. \"1.0.1\")", "ARZ001")
        elif not isinstance(version, str):
            self.error(
                "/arazzo",
                f"'arazzo' must be a string such as \"1.0.1\", not {_type_name(version)} {version!r} "
                "(quote it in YAML)",
                "ARZ001",
            )
        elif not _VERSION_RE.match(version):
            self.error("/arazzo", f"unsupported Arazzo version {version!r}: this runner reads 1.0.x", "ARZ001")
        info = data.get("info")
        if not isinstance(info, Mapping):
            self.error(
                "" if info is None else "/info",
                "'info' is required and must be an object with 'title' and 'version'",
                "ARZ002",
            )
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
            kept: dict[str, Any] = dict(components)
            for kind in ("inputs", "parameters", "successActions", "failureActions"):
                group = components.get(kind)
                if group is not None and not isinstance(group, Mapping):  # a list or a string: no keys to look up
                    self.error(
                        f"/components/{kind}",
                        f"'components.{kind}' must be an object, not {_type_name(group)}",
                        "ARZ003",
                    )
                    kept[kind] = {}
                    continue
                for key in group or {}:
                    if not _OUTPUT_KEY_RE.match(str(key)):
                        self.error(
                            f"/components/{kind}/{escape_pointer_token(key)}",
                            f"component key {key!r} must match [a-zA-Z0-9.-_]+",
                            "ARZ003",
                        )
            components = kept
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
            try:
                url = urljoin(self.raw.url, raw_url)
            except ValueError as exc:
                self.error(f"{pointer}/url", f"source url is not a valid URL: {exc}", "ARZ003")
                continue
            if kind is not None and kind not in ("openapi", "arazzo"):
                self.error(f"{pointer}/type", f"source type must be 'openapi' or 'arazzo', not {kind!r}", "ARZ003")
                continue
            if kind is None:
                kind = "arazzo" if url in self.loader.raw else self._sniff_type(url, pointer)
                if kind is None:
                    continue
            self.sources[name] = SourceDescription(
                name, url, raw_url, cast(Literal["openapi", "arazzo"], kind), self.loc(pointer)
            )
            if kind == "openapi":
                description = self.loader.openapi(url, self.loc(f"{pointer}/url"))
                if description is not None:
                    self.openapi_sources[name] = description

    def _sniff_type(self, url: str, pointer: str) -> str | None:
        """DEC-36: a source without ``type`` is OpenAPI if it has an openapi/swagger key, Arazzo if an arazzo key."""
        try:
            text = self.loader.read(url)
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
        wf_success = self._actions(
            self.object_list(raw, "successActions", pointer), f"{pointer}/successActions", "success"
        )
        wf_failure = self._actions(
            self.object_list(raw, "failureActions", pointer), f"{pointer}/failureActions", "failure"
        )
        steps_raw = self.object_list(raw, "steps", pointer, required=True)
        if "steps" in raw and not steps_raw:
            self.error(f"{pointer}/steps", "'steps' must list at least one step", "ARZ002")
        step_ids = [s.get("stepId") for s in steps_raw if isinstance(s, Mapping)]
        seen: set[str] = set()
        for j, sid in enumerate(step_ids):
            if isinstance(sid, str):
                if sid in seen:
                    self.error(
                        f"{pointer}/steps/{j}/stepId", f"duplicate stepId {sid!r} in workflow {wf_id!r}", "ARZ005"
                    )
                seen.add(sid)
        steps: list[Step] = []
        for j, step_raw in enumerate(steps_raw):
            step = self._step(step_raw, f"{pointer}/steps/{j}", len(steps), seen, wf_params, wf_success, wf_failure)
            if step is not None:
                steps.append(step)
        outputs = self._outputs(raw.get("outputs"), f"{pointer}/outputs")
        self._check_steps_scope(wf_id, steps, outputs, pointer)
        names = validator.names if validator is not None else None
        if "inputs" not in raw or names is not None:  # a schema that names no inputs says nothing to check
            self._check_inputs_scope(wf_id, names, steps, outputs, pointer)
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
            optional_inputs=names.optional if names is not None else frozenset(),
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

    def _check_inputs_scope(
        self,
        wf_id: str,
        names: InputNames | None,
        steps: list[Step],
        outputs: tuple[tuple[str, CompiledValue], ...],
        pointer: str,
    ) -> None:
        """``$inputs.X`` must name an input the workflow's inputs schema declares (ARZ112, as ``check`` says).

        A schema that lists ``properties`` and lets no other name through makes
        an undeclared name an error: it is a typo, which would otherwise fail a
        step mid-run or be left out silently. A workflow with no inputs schema
        at all gets a warning. Pointers are those ``check`` uses, so its
        finding and ours are one.
        """
        if names is not None and names.open:
            return
        reported: set[tuple[str, str]] = set()

        def check(expressions: Any, where: str) -> None:
            for expression in expressions:
                if not isinstance(expression, InputExpression):
                    continue
                name = expression.input_name
                if (where, name) in reported:
                    continue
                if names is not None:
                    if names.allows(name, dotted=True):
                        continue
                    reported.add((where, name))
                    self.error(
                        where,
                        f"{expression}: workflow {wf_id!r} declares no input {names.unknown_message(name)}",
                        "ARZ112",
                    )
                else:
                    reported.add((where, name))
                    self.warning(
                        where,
                        f"{expression}: workflow {wf_id!r} has no inputs schema listing its inputs, "
                        f"so {name!r} cannot be checked before the run",
                        "ARZ112",
                    )

        def criterion(spec: Any) -> None:
            base = spec.location.pointer if spec.location is not None and spec.location.pointer is not None else pointer
            context = spec.criterion.context_expression
            for expression in spec.criterion.expressions():
                check(
                    [expression], base + ("/context" if context is not None and expression is context else "/condition")
                )

        for step in steps:
            step_pointer = step.location.pointer if step.location is not None and step.location.pointer else pointer
            for param in step.parameters:
                base = param.pointer.pointer if param.pointer is not None and param.pointer.pointer else step_pointer
                check(param.value.expressions(), base + "/value")
            body = step.request_body
            if body is not None:
                body_pointer = (
                    body.location.pointer
                    if body.location is not None and body.location.pointer
                    else step_pointer + "/requestBody"
                )
                if body.payload is not None:
                    check(body.payload.expressions(), body_pointer + "/payload")
                for i, replacement in enumerate(body.replacements):
                    check(replacement.value.expressions(), f"{body_pointer}/replacements/{i}/value")
            for spec in step.success_criteria:
                criterion(spec)
            for action in (*step.on_success, *step.on_failure):
                for spec in action.criteria:
                    criterion(spec)
            for name, value in step.outputs:
                check(value.expressions(), f"{step_pointer}/outputs/{escape_pointer_token(name)}")
        for name, value in outputs:
            check(value.expressions(), f"{pointer}/outputs/{escape_pointer_token(name)}")

    def _inputs_schema(self, schema: Any, pointer: str) -> tuple[Mapping[str, Any] | None, Any, set[str]]:
        if schema is None:
            return None, None, set()
        if not isinstance(schema, Mapping):
            self.error(pointer, f"'inputs' must be a JSON Schema object, not {_type_name(schema)}", "ARZ003")
            return None, None, set()
        memo: dict[str, Any] = {}
        inlined = self._inline_refs(schema, pointer, 0, memo)
        # Checked as written, and each schema a $ref names on its own: the inlined form shares the targets
        # of $refs, and a walk of it as a tree would take exponential time on a fan-out of $refs.
        parts = [(pointer, schema)] + [(ref[1:], self._pointer_target(ref)) for ref in memo if ref.startswith("#/")]
        for where_part, part in parts:
            try:
                Draft202012Validator.check_schema(part)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.path)
                self.error(
                    where_part + ("/" + where if where else ""), f"invalid inputs schema: {exc.message}", "ARZ007"
                )
                return None, None, set()
        # The names of password properties at any depth: their values are masked wherever they sit in the inputs.
        secrets: set[str] = set()

        visited: set[int] = set()  # the inlined schema shares the targets of $refs: each is walked once

        def collect(node: Any, depth: int) -> None:
            if depth > 64 or not isinstance(node, Mapping) or id(node) in visited:
                return
            visited.add(id(node))
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

    def _pointer_target(self, ref: str) -> Any:
        """What the local ``$ref`` (``#/...``) names in this document, or ``_MISSING``."""
        target: Any = self.data
        for token in ref[2:].split("/") if ref.startswith("#/") else []:
            token = unescape_pointer_token(unquote(token))
            if not (isinstance(target, Mapping) and token in target):
                return _MISSING
            target = target[token]
        return target

    def _inline_refs(
        self,
        node: Any,
        pointer: str,
        depth: int,
        _memo: dict[str, Any] | None = None,
        _path: frozenset[str] = frozenset(),
    ) -> Any:
        """Replace ``$ref``s into this document (``#/components/inputs/…``) by their targets (WF-5).

        Each target is inlined once and shared, so a fan-out of ``$ref``s costs its size; a ``$ref`` back
        to a schema being inlined (a recursive schema) becomes ``{}``, as does nesting past 32 levels.
        A ``$ref`` to another file is reported: inputs schemas are checked without fetching anything.
        """
        memo = {} if _memo is None else _memo
        if depth > 32:
            return {}
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                self.error(
                    pointer + "/$ref",
                    f"$ref {ref!r} points outside this document; an inputs schema may only refer into it "
                    "(#/components/inputs/...): copy the schema in",
                    "ARZ022",
                )
                return {}
            if isinstance(ref, str):
                if ref in _path:
                    return {}
                if ref not in memo:
                    target = self._pointer_target(ref)
                    if target is _MISSING:
                        self.error(pointer + "/$ref", f"$ref {ref!r} does not resolve in this document", "ARZ022")
                        return {}
                    memo[ref] = self._inline_refs(target, pointer, depth + 1, memo, _path | {ref})
                resolved = memo[ref]
                rest = {k: v for k, v in node.items() if k != "$ref"}
                if rest and isinstance(resolved, Mapping):
                    return {
                        "allOf": [resolved],
                        **{k: self._inline_refs(v, pointer, depth + 1, memo, _path) for k, v in rest.items()},
                    }
                return resolved
            return {
                k: self._inline_refs(v, f"{pointer}/{escape_pointer_token(k)}", depth + 1, memo, _path)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [self._inline_refs(v, f"{pointer}/{i}", depth + 1, memo, _path) for i, v in enumerate(node)]
        return node
