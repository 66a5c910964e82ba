"""Resolving references while compiling: workflows, components, operations by id and by path (DEC-37, DEC-38)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..openapi.index import OpenAPIDescription, Operation
from ..plan.model import OperationTarget, SourceDescription, WorkflowRef
from ..plan.rules import REUSABLE_RE, as_list, close_matches
from ..sources.pointer import pointer_tokens
from ..sources.values import type_name
from .base import DocumentScope


class ReferenceResolver:
    """Turns the references a document writes into the things they name, reporting what does not resolve."""

    def __init__(self, scope: DocumentScope) -> None:
        self.scope = scope

    def workflow_ref(self, text: Any, pointer: str) -> WorkflowRef | None:
        if not isinstance(text, str):
            self.scope.error(pointer, f"a workflow reference must be a string, not {type_name(text)}", "ARZ003")
            return None
        if text.startswith("$sourceDescriptions."):
            name, _, wf_id = text[len("$sourceDescriptions.") :].partition(".")
            source = self._declared_source(text, name, pointer, "ARZ014")
            if source is None:
                return None
            if source.type != "arazzo":
                self.scope.error(
                    pointer, f"{text!r}: source {name!r} is {source.type}, not an arazzo document", "ARZ014"
                )
                return None
            raw = self.scope.context.documents.get(source.url)
            if raw is None:
                return None  # its loading error was already reported
            ids = [w.get("workflowId") for w in as_list(raw.data.get("workflows")) if isinstance(w, Mapping)]
            if wf_id not in ids:
                self.scope.error(
                    pointer,
                    f"{text!r}: no workflow {wf_id!r} in {raw.display}; it defines: "
                    f"{', '.join(map(str, ids)) or '(none)'}",
                    "ARZ014",
                )
                return None
            return WorkflowRef(source.url, wf_id, text)
        ids = [w.get("workflowId") for w in as_list(self.scope.data.get("workflows")) if isinstance(w, Mapping)]
        if text not in ids:
            hint = ""
            for name, source in self.scope.sources.items():
                raw = self.scope.context.documents.get(source.url)
                if raw and text in [
                    w.get("workflowId") for w in as_list(raw.data.get("workflows")) if isinstance(w, Mapping)
                ]:
                    hint = f"; it is in source {name!r}: write $sourceDescriptions.{name}.{text}"
            self.scope.error(
                pointer,
                f"no workflow {text!r} in this document (workflows: {', '.join(map(str, ids))}){hint}",
                "ARZ014",
            )
            return None
        return WorkflowRef(self.scope.parsed.url, text, text)

    def resolve_reusable(self, raw: Mapping[str, Any], pointer: str, kind: str) -> Mapping[str, Any] | None:
        reference = raw.get("reference")
        if not isinstance(reference, str):
            self.scope.error(pointer, "a Reusable Object needs a 'reference' string", "ARZ002")
            return None
        match = REUSABLE_RE.match(reference)
        if not match:
            self.scope.error(
                f"{pointer}/reference",
                f"{reference!r} is not a component reference ($components.{kind}.<key>)",
                "ARZ022",
            )
            return None
        found_kind, key = match.groups()
        if found_kind != kind:
            self.scope.error(
                f"{pointer}/reference", f"{reference!r} refers to {found_kind}, but {kind} are expected here", "ARZ022"
            )
            return None
        target = (self.scope.components.get(kind) or {}).get(key)
        if not isinstance(target, Mapping):
            known = ", ".join(self.scope.components.get(kind) or {}) or "(none)"
            self.scope.error(
                f"{pointer}/reference", f"{reference!r}: no {kind} component {key!r}; defined: {known}", "ARZ022"
            )
            return None
        if "value" in raw:
            if kind == "parameters":
                return {**target, "value": raw["value"]}  # REUSE-3: a copy; the component is unchanged
            self.scope.warning(f"{pointer}/value", "'value' only applies to parameter references; ignored", "ARZ023")
        return target

    def _declared_source(self, text: str, name: str, pointer: str, code: str) -> SourceDescription | None:
        """The source ``$sourceDescriptions.<name>`` names, or None after saying it is not declared."""
        source = self.scope.sources.get(name)
        if source is None:
            declared = ", ".join(self.scope.sources) or "(none)"
            self.scope.error(
                pointer, f"{text!r} names source {name!r}, which is not declared; sources: {declared}", code
            )
        return source

    def operation_by_id(self, text: Any, pointer: str) -> OperationTarget | None:
        if not isinstance(text, str):
            self.scope.error(pointer, "'operationId' must be a string", "ARZ003")
            return None
        if text.startswith("$sourceDescriptions."):
            name, _, op_id = text[len("$sourceDescriptions.") :].partition(".")
            source = self._declared_source(text, name, pointer, "ARZ011")
            if source is None:
                return None
            description = self.scope.openapi_sources.get(name)
            if description is None:
                if source.type != "openapi":
                    self.scope.error(pointer, f"{text!r}: source {name!r} is not an OpenAPI description", "ARZ011")
                return None
            return self._find_operation(name, description, op_id, pointer)
        candidates = [n for n, s in self.scope.sources.items() if s.type == "openapi"]
        if len(candidates) > 1:
            having = [
                n
                for n in candidates
                if n in self.scope.openapi_sources and text in self.scope.openapi_sources[n].operations_by_id
            ]
            hint = f"; it is defined in {', '.join(having)}" if having else ""
            self.scope.error(
                pointer,
                f"operationId {text!r} must be qualified as $sourceDescriptions.<name>.{text} because there are "
                f"several OpenAPI sources ({', '.join(candidates)}){hint}",
                "ARZ012",
            )
            return None
        if not candidates:
            self.scope.error(pointer, f"operationId {text!r}: the document has no OpenAPI source description", "ARZ011")
            return None
        name = candidates[0]
        description = self.scope.openapi_sources.get(name)
        if description is None:
            return None  # the source failed to load; already reported
        return self._find_operation(name, description, text, pointer)

    def _find_operation(
        self, source: str, description: OpenAPIDescription, op_id: str, pointer: str
    ) -> OperationTarget | None:
        op = description.operations_by_id.get(op_id)
        if op is None:
            close = close_matches(op_id, list(description.operations_by_id))
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            self.scope.error(
                pointer,
                f"operationId {op_id!r} is not defined in source {source!r} ({description.display}){hint}",
                "ARZ011",
            )
            return None
        if op_id in description.duplicate_operation_ids:
            self.scope.error(pointer, f"operationId {op_id!r} is not unique in source {source!r}", "ARZ011")
            return None
        return OperationTarget(source, op)

    def operation_by_path(self, text: Any, pointer: str) -> OperationTarget | None:
        """DEC-38: ``{$sourceDescriptions.<name>.url}#/paths/<template>/<method>``."""
        if not isinstance(text, str):
            self.scope.error(pointer, "'operationPath' must be a string", "ARZ003")
            return None
        match = re.match(r"^\{\$sourceDescriptions\.([^.}]+)\.url\}(.*)$", text)
        name: str | None = None
        fragment = ""
        if match:
            name, rest = match.group(1), match.group(2)
            if name not in self.scope.sources:
                close = [n for n in self.scope.sources if n.lower() == name.lower()]
                hint = f" (source names are case-sensitive: did you mean {close[0]!r}?)" if close else ""
                self.scope.error(pointer, f"operationPath names source {name!r}, which is not declared{hint}", "ARZ013")
                return None
            if not rest.startswith("#"):
                self.scope.error(
                    pointer, "operationPath must continue with '#' and a JSON pointer after the source URL", "ARZ013"
                )
                return None
            fragment = rest[1:]
        else:
            base, _, fragment = text.partition("#")
            for n, s in self.scope.sources.items():
                if base in (s.raw_url, s.url):
                    name = n
            if name is None:
                self.scope.error(pointer, "operationPath must start with {$sourceDescriptions.<name>.url}#", "ARZ013")
                return None
            self.scope.warning(
                pointer, "operationPath should name its source with {$sourceDescriptions.<name>.url}", "ARZ013"
            )
        description = self.scope.openapi_sources.get(name)
        if description is None:
            if self.scope.sources[name].type != "openapi":
                self.scope.error(pointer, f"operationPath: source {name!r} is not an OpenAPI description", "ARZ013")
            return None
        tokens = pointer_tokens(fragment, percent_encoded=True)
        found = description.operation_at(tokens)
        if isinstance(found, Operation):
            return OperationTarget(name, found)
        if isinstance(found, Mapping):
            ops = [op for op in description.operations if len(tokens) > 1 and op.path == tokens[1]]
            if len(ops) == 1 and not self.scope.strict:
                self.scope.warning(
                    pointer,
                    f"operationPath points to a path item, not an operation; using its only operation {ops[0].label}",
                    "ARZ013",
                )
                return OperationTarget(name, ops[0])
            self.scope.error(pointer, "operationPath points to a path item; add the method (…/get)", "ARZ013")
            return None
        self.scope.error(
            pointer, f"operationPath {fragment!r} does not point to an operation in {description.display}", "ARZ013"
        )
        return None
