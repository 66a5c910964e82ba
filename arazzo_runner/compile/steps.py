"""Compiling steps and their parts: parameters, actions, criteria, request bodies, outputs (DEC-07, DEC-08)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from ..errors import ArazzoError, ExpressionSyntaxError
from ..language.criteria import compile_criterion
from ..language.expressions import CompiledValue, parse_expression
from ..plan.model import (
    Action,
    CriterionSpec,
    OperationTarget,
    Parameter,
    Replacement,
    RequestBody,
    Step,
    WorkflowRef,
)
from ..plan.rules import OUTPUT_KEY_RE
from ..sources.pointer import escape_pointer_token
from ..sources.values import type_name
from .asyncsteps import async_step
from .base import DocumentScope
from .references import ReferenceResolver
from .selectors import replacement_with_target_type
from .steps11 import action_parameters, asyncapi_step, asyncapi_target, depends_on, step_timeout


class StepCompiler:
    """Compiles the parts of a workflow that steps are made of."""

    def __init__(self, scope: DocumentScope, refs: ReferenceResolver) -> None:
        self.scope = scope
        self.refs = refs

    def outputs(self, raw: Any, pointer: str) -> tuple[tuple[str, CompiledValue], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, Mapping):
            self.scope.error(pointer, "'outputs' must map names to runtime expressions", "ARZ003")
            return ()
        result = []
        for key, value in raw.items():
            target = f"{pointer}/{escape_pointer_token(key)}"
            if not OUTPUT_KEY_RE.match(key):
                self.scope.error(target, f"output name {key!r} must match [a-zA-Z0-9.-_]+", "ARZ003")
                continue
            selector = self.scope.version == "1.1" and isinstance(value, Mapping)  # a Selector Object (V11-09)
            if selector or self._output_is_expression(key, value, target):
                result.append((key, self.scope.compile_value(value, target)))
        return tuple(result)

    def _output_is_expression(self, key: str, value: Any, pointer: str) -> bool:
        """STEP-22/WF-13: an output value MUST be a runtime expression; anything else is a document error.

        A ``{$…}`` template is accepted (it is made of runtime expressions); plain
        text, a number, or a string that starts like an expression but does not
        parse (``$respons.body#/id``, ``$input.id``) would silently become the
        output's value, so it is refused with the place and a caret.
        """
        if not isinstance(value, str):
            message = f"output {key!r} must be a runtime expression string, not {type_name(value)}"
            self.scope.error(pointer, message, "ARZ003")
            return False
        if value.startswith("$"):
            try:
                parse_expression(value)
            except ExpressionSyntaxError as exc:
                exc.message = f"output {key!r} must be a runtime expression: {exc.message}"
                self.scope.diag.from_exception(exc, self.scope.loc(pointer), "ARZ020")
                return False
            return True
        if "{$" not in value:
            message = (
                f"output {key!r} must be a runtime expression such as $response.body#/id, "
                f"not the literal text {value!r}"
            )
            self.scope.error(pointer, message, "ARZ020")
            return False
        return True

    # -- references -----------------------------------------------------

    def parameters(self, items: list[Any], pointer: str) -> list[Parameter]:
        result: list[Parameter] = []
        for i, raw in enumerate(items):
            p = f"{pointer}/{i}"
            if not isinstance(raw, Mapping):
                self.scope.error(p, "a parameter must be an object", "ARZ003")
                continue
            if "reference" in raw:
                resolved = self.refs.resolve_reusable(raw, p, "parameters")
                if resolved is None:
                    continue
                raw = resolved
            else:
                self.scope.check_fields(raw, "parameter", p)
            name = self.scope.required_str(raw, "name", p, "parameter")
            location = raw.get("in")
            if location == "querystring" and self.scope.version == "1.1":
                pass  # V11-21: the whole query string as one value
            elif location is not None and location not in ("path", "query", "header", "cookie"):
                extra = " ('body' was dropped in Arazzo 1.0.1: use requestBody)" if location == "body" else ""
                self.scope.error(
                    f"{p}/in",
                    f"parameter 'in' must be path, query, header or cookie, not {location!r}{extra}",
                    "ARZ003",
                )
                continue
            if "value" not in raw:
                self.scope.error(p, f"parameter {name!r} is missing required field 'value'", "ARZ002")
                continue
            if name is None:
                continue
            result.append(
                Parameter(name, location, self.scope.compile_value(raw["value"], f"{p}/value"), self.scope.loc(p))
            )
        seen: set[tuple[str, str | None]] = set()
        for i, param in enumerate(result):
            key = _param_identity(param, by_name_only=False)
            if key in seen:
                self.scope.error(
                    f"{pointer}/{i}", f"duplicate parameter {param.name!r} (in: {param.location})", "ARZ005"
                )
            seen.add(key)
        return result

    def actions(self, items: list[Any], pointer: str, kind: str) -> list[Action]:
        result: list[Action] = []
        component_kind = "successActions" if kind == "success" else "failureActions"
        for i, raw in enumerate(items):
            p = f"{pointer}/{i}"
            if not isinstance(raw, Mapping):
                self.scope.error(p, "an action must be an object", "ARZ003")
                continue
            if "reference" in raw:
                resolved = self.refs.resolve_reusable(raw, p, component_kind)
                if resolved is None:
                    continue
                raw = resolved
            else:
                self.scope.check_fields(raw, f"{kind}Action", p)
            action = self._action(raw, p, kind)
            if action is not None:
                if any(a.name == action.name for a in result):
                    self.scope.error(p, f"duplicate action name {action.name!r}", "ARZ005")
                result.append(action)
        return result

    def _action(self, raw: Mapping[str, Any], pointer: str, kind: str) -> Action | None:
        name = self.scope.required_str(raw, "name", pointer, f"{kind} action")
        action_type = self.scope.required_str(raw, "type", pointer, f"{kind} action")
        allowed = ("end", "goto") if kind == "success" else ("end", "goto", "retry")
        if action_type is not None and action_type not in allowed:
            self.scope.error(
                f"{pointer}/type",
                f"{kind} action type must be one of {', '.join(allowed)}, not {action_type!r}",
                "ARZ003",
            )
            return None
        if name is None or action_type is None:
            return None
        step_id = self.scope.optional_str(raw, "stepId", pointer)
        workflow = None
        if "workflowId" in raw:
            workflow = self.refs.workflow_ref(raw["workflowId"], f"{pointer}/workflowId")
        if step_id is not None and "workflowId" in raw:
            self.scope.error(pointer, "an action names either 'stepId' or 'workflowId', not both", "ARZ003")
        if action_type == "goto" and step_id is None and "workflowId" not in raw:
            self.scope.error(pointer, f"goto action {name!r} needs a 'stepId' or a 'workflowId'", "ARZ002")
        if action_type == "end" and (step_id is not None or "workflowId" in raw):
            self.scope.warning(
                pointer, "'stepId'/'workflowId' only matter for goto and retry; ignored on end", "ARZ024"
            )
        retry_after = raw.get("retryAfter")
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, (int, float))
            or not math.isfinite(retry_after)  # .nan and .inf would make the retry sleep never end
            or retry_after < 0
        ):
            self.scope.error(
                f"{pointer}/retryAfter", f"'retryAfter' must be a number of seconds >= 0, not {retry_after!r}", "ARZ003"
            )
            retry_after = None
        retry_limit = raw.get("retryLimit")
        if retry_limit is not None and (
            isinstance(retry_limit, bool) or not isinstance(retry_limit, int) or retry_limit < 0
        ):
            self.scope.error(
                f"{pointer}/retryLimit", f"'retryLimit' must be an integer >= 0, not {retry_limit!r}", "ARZ003"
            )
            retry_limit = None
        criteria = self._criteria(self.scope.object_list(raw, "criteria", pointer), f"{pointer}/criteria")
        parameters = action_parameters(self, raw, pointer, workflow is not None) if self.scope.version == "1.1" else ()
        return Action(
            name=name,
            kind=cast(Any, action_type),
            step_id=step_id,
            workflow=workflow,
            retry_after=float(retry_after) if retry_after is not None else None,
            retry_limit=retry_limit,
            criteria=tuple(criteria),
            location=self.scope.loc(pointer),
            parameters=parameters,
        )

    def _criteria(self, items: list[Any], pointer: str) -> list[CriterionSpec]:
        result = []
        for i, raw in enumerate(items):
            p = f"{pointer}/{i}"
            if not isinstance(raw, Mapping):
                self.scope.error(p, "a criterion must be an object with a 'condition'", "ARZ003")
                continue
            self.scope.check_fields(raw, "criterion", p)
            condition = self.scope.required_str(raw, "condition", p, "criterion")
            if condition is None:
                continue
            context = raw.get("context")
            if context is not None and not isinstance(context, str):
                self.scope.error(f"{p}/context", "'context' must be a runtime expression string", "ARZ003")
                continue
            try:
                criterion = compile_criterion(
                    condition, raw.get("type"), context, strict=self.scope.strict, arazzo11=self.scope.version == "1.1"
                )
            except ArazzoError as exc:
                self.scope.diag.from_exception(exc, self.scope.loc(f"{p}/condition"), "ARZ021")
                continue
            for warning in criterion.warnings:
                self.scope.warning(f"{p}/condition", warning, "ARZ025")  # where --strict reports it (ARZ021)
            result.append(CriterionSpec(criterion, condition, self.scope.loc(p)))
        return result

    # -- steps ----------------------------------------------------------
    def step(
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
            self.scope.error(pointer, "a step must be an object", "ARZ003")
            return None
        self.scope.check_fields(raw, "step", pointer)
        step_id = self.scope.required_str(raw, "stepId", pointer, "step")
        if (
            self.scope.version == "1.1"
            and step_id is not None
            and asyncapi_target(self.scope, raw, pointer) is not None
        ):
            if self.scope.asyncapi_sources:
                return async_step(self, raw, pointer, index, step_id, wf_success, wf_failure)
            return asyncapi_step(self, raw, pointer, index, step_id, wf_success, wf_failure)
        targets = [k for k in ("operationId", "operationPath", "workflowId") if k in raw]
        if len(targets) != 1:
            what = "none" if not targets else " and ".join(targets)
            self.scope.error(
                pointer, f"a step needs exactly one of operationId, operationPath or workflowId; found {what}", "ARZ008"
            )
            return None
        if step_id is None:
            return None
        operation: OperationTarget | None = None
        workflow: WorkflowRef | None = None
        if "operationId" in raw:
            operation = self.refs.operation_by_id(raw["operationId"], f"{pointer}/operationId")
        elif "operationPath" in raw:
            operation = self.refs.operation_by_path(raw["operationPath"], f"{pointer}/operationPath")
        else:
            workflow = self.refs.workflow_ref(raw["workflowId"], f"{pointer}/workflowId")
        step_params = self.parameters(self.scope.object_list(raw, "parameters", pointer), f"{pointer}/parameters")
        for i, param in enumerate(step_params):
            if workflow is None and "workflowId" not in raw and param.location is None:
                self.scope.error(
                    f"{pointer}/parameters/{i}",
                    f"parameter {param.name!r} needs 'in' (path, query, header or cookie) on an operation step",
                    "ARZ002",
                )
        parameters = self._merge_parameters(wf_params, step_params, "workflowId" in raw, pointer)
        request_body = None
        if "requestBody" in raw:
            if "workflowId" in raw:
                self.scope.error(
                    f"{pointer}/requestBody",
                    "a workflowId step cannot have a requestBody (DEC-32); pass parameters instead",
                    "ARZ009",
                )
            else:
                request_body = self._request_body(raw["requestBody"], f"{pointer}/requestBody")
                if operation is not None and operation.operation.method in ("get", "head", "delete"):
                    self.scope.warning(
                        f"{pointer}/requestBody",
                        f"a request body on {operation.operation.method.upper()} has no defined meaning (RFC "
                        "9110); it is sent anyway",
                        "ARZ026",
                    )
        criteria_raw = self.scope.object_list(raw, "successCriteria", pointer)
        if "successCriteria" in raw and isinstance(raw["successCriteria"], list) and not criteria_raw:
            if self.scope.version == "1.1":  # V11-23: 1.1 requires an entry
                message = "'successCriteria' must list at least 1 entry (Arazzo 1.1)"
                self.scope.error(f"{pointer}/successCriteria", message, "ARZ002")
            else:
                self.scope.warning(
                    f"{pointer}/successCriteria", "an empty successCriteria list is treated as absent", "ARZ027"
                )
        success_criteria = self._criteria(criteria_raw, f"{pointer}/successCriteria")
        on_success = self.actions(self.scope.object_list(raw, "onSuccess", pointer), f"{pointer}/onSuccess", "success")
        on_failure = self.actions(self.scope.object_list(raw, "onFailure", pointer), f"{pointer}/onFailure", "failure")
        merged_success = merge_actions(on_success, wf_success)
        merged_failure = merge_actions(on_failure, wf_failure)
        for action_list, _label in ((merged_success, "onSuccess"), (merged_failure, "onFailure")):
            for action in action_list:
                if action.step_id is not None and action.step_id not in step_ids:
                    where = action.location
                    if where is not None and where.pointer is not None:
                        where = self.scope.loc(where.pointer + "/stepId")
                    self.scope.diag.error(
                        "ARZ015",
                        f"action {action.name!r} names step {action.step_id!r}, which is not a step of this "
                        f"workflow; steps: {', '.join(sorted(step_ids))}",
                        where,
                    )
        outputs = self.outputs(raw.get("outputs"), f"{pointer}/outputs")
        return Step(
            step_id=step_id,
            index=index,
            description=self.scope.optional_str(raw, "description", pointer),
            operation=operation,
            workflow=workflow,
            parameters=tuple(parameters),
            request_body=request_body,
            success_criteria=tuple(success_criteria),
            on_success=tuple(merged_success),
            on_failure=tuple(merged_failure),
            outputs=outputs,
            location=self.scope.loc(pointer),
            timeout_ms=step_timeout(self.scope, raw, pointer) if self.scope.version == "1.1" else None,
            depends_on=depends_on(self.scope, raw, pointer) if self.scope.version == "1.1" else (),
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
                self.scope.error(
                    pointer,
                    f"workflow parameter {param.name!r} has no 'in', but this step calls an operation",
                    "ARZ002",
                )
                continue
            if _param_identity(param, by_name_only=workflow_step) not in step_keys:
                merged.append(param)
        merged.extend(step_params)
        return merged

    def _request_body(self, raw: Any, pointer: str) -> RequestBody | None:
        if not isinstance(raw, Mapping):
            self.scope.error(pointer, "'requestBody' must be an object", "ARZ003")
            return None
        self.scope.check_fields(raw, "requestBody", pointer)
        content_type = self.scope.optional_str(raw, "contentType", pointer)
        payload = (  # a payload is the body as written, even an object with a "selector" member (DEC-V11-5)
            self.scope.compile_value(raw["payload"], f"{pointer}/payload", selectable=False)
            if "payload" in raw
            else None
        )
        replacements = []
        for i, rep in enumerate(self.scope.object_list(raw, "replacements", pointer)):
            p = f"{pointer}/replacements/{i}"
            if not isinstance(rep, Mapping):
                self.scope.error(p, "a replacement must be an object with 'target' and 'value'", "ARZ003")
                continue
            self.scope.check_fields(rep, "replacement", p)
            target = self.scope.required_str(rep, "target", p, "replacement")
            if "value" not in rep:
                self.scope.error(p, "replacement is missing required field 'value'", "ARZ002")
                continue
            if target is not None:
                value = self.scope.compile_value(rep["value"], f"{p}/value")
                if self.scope.version == "1.1" and "targetSelectorType" in rep:
                    replacements.append(replacement_with_target_type(self.scope, rep, target, value, p))
                else:
                    replacements.append(Replacement(target, value))
        return RequestBody(content_type, payload, tuple(replacements), self.scope.loc(pointer))


def _param_identity(param: Parameter, *, by_name_only: bool) -> tuple[str, str | None]:
    if by_name_only:
        return (param.name, None)
    if param.location == "header":
        return (param.name.lower(), "header")
    return (param.name, param.location)


def merge_actions(step_actions: list[Action], workflow_actions: list[Action]) -> list[Action]:
    """DEC-07: the step's actions in order, then the workflow's that the step did not override by name."""
    names = {a.name for a in step_actions}
    return [*step_actions, *(a for a in workflow_actions if a.name not in names)]
