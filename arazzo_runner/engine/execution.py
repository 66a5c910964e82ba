"""The workflow state machine: a step pointer, retry budgets, limits, nested workflows.

One :class:`Execution` per ``run_workflow`` call holds all per-run state (workflow records for
``$workflows``, the step counter, OAuth2 tokens); the loaded document is only read. Steps run one at a
time (DEC-43)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from ..errors import ArazzoError, EvaluationError, InputError, RequestBuildError, UnresolvedExpression
from ..language.criteria.budget import NEEDS_WORKER, evaluate_unblocked, without_blocking
from ..language.expressions import EvalContext, WorkflowRecord
from ..language.expressions.template import is_absent_optional_input
from ..openapi.index import Operation
from ..plan.inputs import secret_values, unknown_inputs, validate_inputs
from ..plan.model import (
    ArazzoDocument,
    CriterionSpec,
    OperationTarget,
    Step,
    Workflow,
)
from ..result import CheckResult, Failure, NextAction, StepResult, WorkflowResult
from .bounded import CRITERION_TIMEOUT, DEFAULT_LIMITS, Limits, RequestDeadline, run_timeout_words
from .guard import CredentialGuard
from .logmask import masking_logs
from .nested import goto_workflow, retry_workflow
from .observe import Observer, server_origin
from .redact import MIN_SECRET_LENGTH, Redactor, url_secrets, without_userinfo
from .request import prepare_request
from .scope import SourceScope, source_scope
from .security import (
    TOKEN_RESPONSES,
    Credentials,
    TokenCache,
    apply_fixed_security,
    apply_security,
    shared_scheme_names,
)
from .state import (
    Frame,
    LimitExceeded,
    StepOutcome,
    WorkflowOutcome,
    built,
    describe_action,
    invalid_inputs,
    redact_failure,
    select_action,
    server_base_url,
    settle_outputs,
    step_failure,
    step_record,
    unrun_step_reason,
)
from .steps11 import async_step_hook, guarded_step, ready, refused_outcome
from .transport import Exchange, build_request, retry_delay, send, transport_reason
from .views import request_view, response_view

__all__ = ["Execution", "Limits", "ServerMap"]

ServerMap = str | Mapping[str, str] | None
# Checks one response against its operation: (operation, status, lower-cased headers, parsed body, body kind).
ResponseChecker = Callable[[Operation, int, Mapping[str, str], Any, str], tuple[CheckResult, ...]]
Sleep = Callable[[float], Awaitable[None]]
_NEXT, _STOP = NextAction("next"), NextAction("stop")


class Execution:
    """All the state of one run: created per ``run_workflow`` call, never shared."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        servers: ServerMap = None,
        credentials: Credentials | None = None,
        limits: Limits = DEFAULT_LIMITS,
        workflow_inputs: Mapping[str, Mapping[str, Any]] | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        redactor: Redactor | None = None,
        tokens: TokenCache | None = None,
        follow_redirects: bool = False,
        response_checker: ResponseChecker | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.client = client
        # Contract checks of each response (arazzo_runner.testing): handed in, never imported here.
        self.response_checker = response_checker
        self.servers = servers
        self.credentials = credentials or Credentials()
        self.limits = limits
        self.workflow_inputs = dict(workflow_inputs or {})
        self.sleep = sleep
        self.clock = clock
        self.redactor = redactor or self.credentials.redactor()
        self.tokens = tokens or TokenCache.shared()
        # The transport answers whatever host a URL names (an offline mock): a server URL
        # with an undefined variable is then sent as written instead of failing the step.
        self.follow_redirects = follow_redirects  # DEC-35: off unless asked; $statusCode then sees the 3xx
        self.records: dict[str, WorkflowRecord] = {}
        self.completed: dict[tuple[str, str], WorkflowOutcome] = {}
        self.steps_executed = 0
        self.running: tuple[str, str] | None = None  # (workflow id, step id) of the step running now
        self.root_frame: Frame | None = None
        self.step_results: list[StepResult] = []
        self.warnings: list[str] = []
        self._sources_cache: dict[str, dict[str, dict[str, Any]]] = {}
        self.observer = observer  # None: nobody listens, and no event is built
        self.guard = CredentialGuard(self.credentials)
        self.scope: SourceScope | None = None
        self.deadline = RequestDeadline()  # one timer for the deadlines of all the run's requests

    # -- the public entry -------------------------------------------------
    async def run(self, document: ArazzoDocument, workflow_id: str, inputs: Mapping[str, Any]) -> WorkflowResult:
        workflow = document.workflow(workflow_id)
        self.scope = source_scope(document)
        problems = unknown_inputs(document, workflow, inputs, self.workflow_inputs) + validate_inputs(workflow, inputs)
        if problems:
            raise InputError(
                f"invalid inputs for workflow {workflow_id!r}: " + "; ".join(map(str, problems)), problems=problems
            )
        started = time.perf_counter()
        CRITERION_TIMEOUT.set(self.limits.criterion_timeout)  # this run's task, and the tasks it starts, see it
        sink = None
        if self.observer is not None:
            self.observer.run_started(document.display, workflow, inputs)  # its password inputs masked from here
            sink = TOKEN_RESPONSES.set(self.observer.token_responses)  # token exchanges of this run only
        with masking_logs(self.redactor):  # httpx logs request URLs: an apiKey may be in one
            try:
                if self.limits.run_timeout is not None:
                    outcome = await asyncio.wait_for(
                        self.start_workflow(document, workflow, dict(inputs), 0), self.limits.run_timeout
                    )
                else:
                    outcome = await self.start_workflow(document, workflow, dict(inputs), 0)
            except LimitExceeded as exc:
                outcome = WorkflowOutcome("failed", exc.outputs, exc.failure, None)
            except asyncio.TimeoutError:
                # The running step is named (DEC-42); the root workflow keeps its finished steps' outputs (DEC-13).
                wf_id, step_id, message = run_timeout_words(self.limits.run_timeout, self.running, workflow_id)
                outputs = self._workflow_outputs(self.root_frame) if self.root_frame is not None else {}
                outcome = WorkflowOutcome("failed", outputs, Failure("run_timeout", message, wf_id, step_id), None)
            finally:
                self.deadline.close()
                if sink is not None:
                    TOKEN_RESPONSES.reset(sink)
        error = outcome.error
        if error is not None:
            error = redact_failure(error, self.redactor)
        if self.redactor.unmaskable:
            self.warnings.append(
                f"a credential or password input is shorter than {MIN_SECRET_LENGTH} characters and cannot be "
                "masked: it may appear in messages and results"
            )
        result = built(
            WorkflowResult,
            workflow_id=workflow_id,
            status="succeeded" if outcome.status == "succeeded" else "failed",
            outputs=self.redactor.mask_value(outcome.outputs),
            steps=tuple(self.step_results),
            error=error,
            warnings=tuple(map(self.redactor.mask, self.warnings)) if self.warnings else (),
            duration=time.perf_counter() - started,
        )
        if self.observer is not None:
            self.observer.run_finished(result)
        return result

    # -- workflows ----------------------------------------------------------
    def start_workflow(
        self, document: ArazzoDocument, workflow: Workflow, inputs: dict[str, Any], depth: int
    ) -> Awaitable[WorkflowOutcome]:
        """Run ``workflow`` at nesting ``depth`` (0: the run's own); the awaitable of its outcome."""
        run = self._run_workflow_unobserved(document, workflow, inputs, depth)
        return run if self.observer is None else self.observer.around_workflow(workflow, depth, run)

    async def _run_workflow_unobserved(
        self, document: ArazzoDocument, workflow: Workflow, inputs: dict[str, Any], depth: int
    ) -> WorkflowOutcome:
        wf_id = workflow.workflow_id
        if depth > self.limits.max_depth:
            raise LimitExceeded(
                Failure(
                    "limit_exceeded",
                    f"workflow {wf_id!r} was not started: it would nest workflow calls deeper than "
                    f"max_depth ({self.limits.max_depth}) (a workflow calling itself?)",
                    wf_id,
                )
            )
        # Every workflow the run starts (child, dependsOn, goto and retry targets) has its own password inputs.
        self.redactor.add_many(secret_values(inputs, workflow.secret_inputs))
        for ref in workflow.depends_on:
            key = (ref.document_url, ref.workflow_id)
            done = self.completed.get(key)
            if done is None:
                dep_doc, dep_wf = document.resolve_workflow(ref)
                dep_inputs = dict(self.workflow_inputs.get(ref.workflow_id, inputs))
                invalid = invalid_inputs(
                    self.redactor, dep_wf, dep_inputs, f"workflow {ref.workflow_id!r}", ref.workflow_id
                )
                if invalid is not None:
                    done = WorkflowOutcome("failed", {}, invalid, None)
                else:
                    done = await self.start_workflow(dep_doc, dep_wf, dep_inputs, depth + 1)
            if done.status != "succeeded":
                cause = done.error.message if done.error else "it failed"
                return WorkflowOutcome(
                    "failed",
                    {},
                    Failure(
                        "dependency_failed",
                        f"workflow {wf_id!r} was not run: it depends on {ref.text!r}, which failed: {cause}",
                        wf_id,
                    ),
                    None,
                )
        frame = Frame(document, workflow, inputs, depth)
        self.root_frame = frame if depth == 0 else self.root_frame
        try:
            status, error = await self._run_steps(frame)
        except LimitExceeded as exc:
            exc.outputs = self._workflow_outputs(frame)
            self.records[wf_id] = WorkflowRecord(inputs=inputs, outputs=exc.outputs)
            raise
        outputs = self._workflow_outputs(frame)
        outcome = WorkflowOutcome(status, outputs, error, frame.last_exchange)
        self.records[wf_id] = WorkflowRecord(inputs=inputs, outputs=outputs)
        self.completed[(document.url, wf_id)] = outcome
        return outcome

    async def _run_steps(self, frame: Frame) -> tuple[str, Failure | None]:
        workflow = frame.workflow
        steps = workflow.steps
        pointer = 0
        budgets: dict[str, int] = {}
        attempt = 1
        while pointer < len(steps):
            step = steps[pointer]
            self._count_step(workflow, step)
            self.running = (workflow.workflow_id, step.step_id)
            started = time.perf_counter()
            outcome = await self._execute_step(frame, step, attempt)
            frame.step_outputs[step.step_id] = outcome.outputs
            frame.last_exchange = outcome.exchange
            ctx = outcome.ctx or self._context(frame, outcome.exchange)
            ex = outcome.exchange
            if outcome.succeeded:
                if not step.on_success and self.observer is None:
                    action = None  # nothing to choose from, nobody told: the next step
                else:
                    chosen = evaluate_unblocked(select_action, step.on_success, ctx, None, self.observer)
                    action = (
                        chosen
                        if chosen is not NEEDS_WORKER
                        else await without_blocking(select_action, step.on_success, ctx, None, self.observer)
                    )
                self._record(workflow, step, outcome, attempt, started, describe_action(action) if action else _NEXT)
                if action is None:
                    pointer += 1
                    budgets, attempt = {}, 1
                    continue
                if action.kind == "end":
                    return "succeeded", None
                if action.step_id is not None:
                    pointer = workflow.step_index(action.step_id)
                    budgets, attempt = {}, 1
                    continue
                return await goto_workflow(self, frame, action, ctx)
            chosen = evaluate_unblocked(select_action, step.on_failure, ctx, budgets, self.observer)
            action = (
                chosen
                if chosen is not NEEDS_WORKER
                else await without_blocking(select_action, step.on_failure, ctx, budgets, self.observer)
            )
            self._record(workflow, step, outcome, attempt, started, describe_action(action) if action else _STOP)
            if action is None:
                return "failed", step_failure(frame, step, outcome, None, self.redactor)
            if action.kind == "end":
                return "failed", step_failure(frame, step, outcome, action, self.redactor)
            if action.kind == "goto":
                if action.step_id is not None:
                    pointer = workflow.step_index(action.step_id)
                    budgets, attempt = {}, 1
                    continue
                return await goto_workflow(self, frame, action, ctx)
            # retry: spend one unit of this action's budget, wait, run the target, then the step again
            budgets[action.name] = budgets.get(action.name, action.effective_retry_limit) - 1
            delay = retry_delay(outcome.exchange.retry_after_header, action.retry_after, self.clock)
            if delay > self.limits.max_retry_delay:
                raise LimitExceeded(
                    Failure(
                        "limit_exceeded",
                        f"step {step.step_id!r}: retry {action.name!r} asks to wait {delay:g}s, "
                        f"more than max_retry_delay ({self.limits.max_retry_delay:g}s)",
                        workflow.workflow_id,
                        step.step_id,
                        ex.status_code,
                    )
                )
            # Slept even when 0, so every retry wait is visible to an injected sleep (T-17).
            if self.observer is not None:
                self.observer.retry_waiting(delay, outcome.exchange.retry_after_header, action)
            await self.sleep(delay)
            if action.step_id is not None:
                target = workflow.steps[workflow.step_index(action.step_id)]
                self._count_step(workflow, target)
                target_started = time.perf_counter()
                pre = await self._execute_step(frame, target)
                frame.step_outputs[target.step_id] = pre.outputs
                self._record(workflow, target, pre, 1, target_started, NextAction("back", step.step_id))
            elif action.workflow is not None:
                failure = await retry_workflow(self, frame, step, action, ctx)
                if failure is not None:
                    return "failed", failure
            attempt += 1
        return "succeeded", None

    def _count_step(self, workflow: Workflow, step: Step) -> None:
        self.steps_executed += 1
        if self.steps_executed > self.limits.max_steps:
            raise LimitExceeded(
                Failure(
                    "limit_exceeded",
                    f"stopped before step {step.step_id!r} of workflow {workflow.workflow_id!r}: the run already "
                    f"executed max_steps ({self.limits.max_steps}) steps (a goto loop without an exit?)",
                    workflow.workflow_id,
                    step.step_id,
                )
            )

    def _record(
        self,
        workflow: Workflow,
        step: Step,
        outcome: StepOutcome,
        attempt: int,
        started: float,
        next_action: NextAction,
    ) -> None:
        """The one place a step record is made (masked there: see :func:`.state.step_record`)."""
        outcome = settle_outputs(step, outcome, next_action, self.observer)  # a retried attempt reports no outputs
        record = step_record(workflow, step, outcome, attempt, started, next_action, self.redactor)
        self.step_results.append(record)
        if self.observer is not None:
            self.observer.step_finished(record, outcome)

    # -- one step ----------------------------------------------------------
    def _execute_step(self, frame: Frame, step: Step, attempt: int = 1) -> Awaitable[StepOutcome]:
        """The step's work, awaited by the run loop itself: a coroutine between the two costs on every await."""
        if self.observer is not None:
            self.observer.step_started(step, attempt)
        refused = refused_outcome(step, self.step_results)  # Arazzo 1.1: unmet dependsOn, unread AsyncAPI source
        if refused is not None:
            return ready(refused)
        if step.operation is not None:
            work = self._execute_operation(frame, step, step.operation)
        else:
            work = self._execute_workflow_step(frame, step)
        work = async_step_hook(self, frame, step, work)  # Arazzo 1.1: AsyncAPI steps (engine/async_steps.py)
        return work if step.timeout_ms is None else guarded_step(step, work)  # Arazzo 1.1: timeout

    async def _execute_operation(self, frame: Frame, step: Step, target: OperationTarget) -> StepOutcome:
        ctx = frame.base_context or self._context(frame, None)
        exchange = Exchange()
        names = self.scope.names(frame.document.url, target.source) if self.scope else (target.source,)
        try:
            base_url = server_base_url(self.servers, target, names)
        except ArazzoError as exc:  # a server URL that cannot be used: fail before sending anything
            return StepOutcome(False, exchange, {}, exc.message, reason="request_error")
        if base_url is None:
            message = (
                f"no server URL for {target.source!r}: its description has no usable servers entry; "
                "pass servers= (--server on the command line)"
            )
            return StepOutcome(False, exchange, {}, message, reason="request_error")
        self.redactor.add_many(url_secrets(base_url))  # a user:password@ server URL
        if self.observer is not None:
            self.observer.server_resolved(target.source, base_url, server_origin(self.servers, target, names))
        try:
            prepared = prepare_request(step, target, ctx, base_url)
            shared = self._shared_scheme_names(frame.document)
            if not apply_fixed_security(
                prepared, target.operation, self.credentials, source=names, shared_schemes=shared
            ):
                await apply_security(
                    prepared,
                    target.operation,
                    self.credentials,
                    self.tokens,
                    self.client,
                    source=names,
                    shared_schemes=shared,
                )
            if self.tokens.tokens:
                self.redactor.add_many(self.tokens.secret_values())  # fetched OAuth2 tokens are secrets too
            forwarded = self.guard.check(prepared)
            if forwarded is not None:
                raise RequestBuildError(forwarded)
            request = build_request(self.client, prepared, self.limits.request_timeout)
        except ArazzoError as exc:
            if self.observer is not None:
                self.observer.tokens_fetched()  # a token endpoint that refused is part of the story
            return StepOutcome(
                False, exchange, {}, f"could not build the request: {exc.message}", reason="request_error"
            )
        except (httpx.InvalidURL, ValueError) as exc:  # e.g. a server URL with a bad port or host
            message = f"could not build the request (server URL {base_url!r}): {exc}"
            return StepOutcome(False, exchange, {}, message, reason="request_error")
        exchange.url = without_userinfo(str(request.url))
        exchange.method = request.method
        exchange.request = request_view(
            request, prepared.body_value, prepared.path_values, prepared.query_values, prepared.sent_content_type
        )
        if self.observer is not None:
            self.observer.request_sent(request)
        try:
            response = await send(
                self.client,
                request,
                prepared,
                follow_redirects=self.follow_redirects,
                timeout=self.limits.request_timeout,
                max_bytes=self.limits.max_response_bytes,
                carries_secret=lambda text: self.redactor.mask(text) != text,
                on_redirect=self.observer.redirected if self.observer is not None else None,
                deadline=self.deadline,
            )  # reads the body
        except httpx.TimeoutException:
            return StepOutcome(
                False,
                exchange,
                {},
                f"{request.method} {exchange.url} timed out"
                + (f" after {self.limits.request_timeout:g}s" if self.limits.request_timeout else ""),
                reason="transport_error",
                warnings=prepared.warnings,
            )
        except httpx.HTTPError as exc:
            detail = str(exc) or type(exc).__name__
            return StepOutcome(
                False,
                exchange,
                {},
                f"{request.method} {exchange.url} failed: {transport_reason(exc, detail)}",
                reason="transport_error",
                warnings=prepared.warnings,
            )
        if self.observer is not None:
            self.observer.response_received(response)
        exchange.status_code = response.status_code
        exchange.response = response_view(response)
        exchange.raw_response = response
        if self.response_checker is not None:
            view = exchange.response
            exchange.checks = self.response_checker(
                target.operation, response.status_code, view.headers, view.body, view.body_kind
            )
        finished = evaluate_unblocked(self._finish_step, frame, step, exchange, None, prepared.warnings)
        if finished is NEEDS_WORKER:
            return await without_blocking(self._finish_step, frame, step, exchange, None, prepared.warnings)
        return finished

    async def _execute_workflow_step(self, frame: Frame, step: Step) -> StepOutcome:
        assert step.workflow is not None
        ctx = self._context(frame, None)
        child_inputs: dict[str, Any] = {}
        for param in step.parameters:
            try:
                child_inputs[param.name] = param.value.evaluate(ctx)
            except EvaluationError as exc:
                if isinstance(exc, UnresolvedExpression) and is_absent_optional_input(param.value, ctx):
                    continue  # exactly an optional input this run was not given: the child does not get it either
                return StepOutcome(
                    False, Exchange(), {}, f"parameter {param.name!r}: {exc.message}", reason="request_error"
                )
        child_doc, child_wf = frame.document.resolve_workflow(step.workflow)
        invalid = invalid_inputs(
            self.redactor, child_wf, child_inputs, f"workflow {child_wf.workflow_id!r}", child_wf.workflow_id
        )
        if invalid is not None:
            return StepOutcome(False, Exchange(), {}, invalid.message, reason="invalid_inputs")
        outcome = await self.start_workflow(child_doc, child_wf, child_inputs, frame.depth + 1)
        exchange = outcome.last_exchange or Exchange()
        result = await without_blocking(self._finish_step, frame, step, exchange, outcome.outputs, [])
        if outcome.status != "succeeded":
            cause = outcome.error.message if outcome.error else "it failed"
            result.succeeded = False
            result.error = f"workflow {child_wf.workflow_id!r} failed: {cause}"
            result.child_failure = outcome.error
        return result

    def _finish_step(
        self,
        frame: Frame,
        step: Step,
        exchange: Exchange,
        child_outputs: Mapping[str, Any] | None,
        warnings: list[str],
    ) -> StepOutcome:
        ctx = self._context(frame, exchange, child_outputs)
        failed: CriterionSpec | None = None
        explanation = ""
        verdicts = []  # all evaluated before anything is told: under without_blocking this may run again
        for spec in step.success_criteria:
            verdict = spec.criterion.evaluate(ctx)
            verdicts.append((spec, verdict))
            if not verdict.passed:
                failed, explanation = spec, verdict.explanation
                break
        if self.observer is not None:
            for spec, verdict in verdicts:
                self.observer.criterion(spec, verdict.passed, verdict.explanation, "success")
        outputs: dict[str, Any] = {}
        held: list[str] = []  # "left out" warnings: a failed attempt reports them only if final (settle_outputs)
        for name, value in step.outputs:
            try:
                outputs[name] = value.evaluate(ctx)
            except EvaluationError as exc:  # an unresolvable output is left out, never failing the step
                held.append(f"output {name!r} left out: {exc.message}")
        broken = next((check for check in exchange.checks if check.is_error), None) if exchange.checks else None
        if failed is None and broken is None:
            warn = [*warnings, *held]
            if self.observer is not None:
                self.observer.outputs(step.outputs, outputs, warn)
            return StepOutcome(True, exchange, outputs, None, warnings=warn, ctx=ctx)
        status = f"{exchange.status_code}" if exchange.status_code is not None else "no response"
        shown = exchange.excerpt(self.redactor.mask)
        excerpt = f": {shown}" if shown else ""
        if failed is None:
            # A contract check at severity error fails the step as an unmet criterion does (same actions).
            assert broken is not None
            error = f"contract check {broken.name!r} failed ({broken.message}); response {status}{excerpt}"
            criterion = f"contract:{broken.name}"
        else:
            error = f"success criterion {failed.text!r} not met ({explanation}); response {status}{excerpt}"
            criterion = failed.text
            location = exchange.response.headers.get("location") if exchange.response is not None else None
            if location and not self.follow_redirects and 300 <= (exchange.status_code or 0) < 400:
                error += (
                    f" (a redirect to {self.redactor.mask(location)}, not followed: pass follow_redirects=True, "
                    "or --follow-redirects on the command line, to follow it)"
                )
        return StepOutcome(
            False, exchange, outputs, error, failed_criterion=criterion, warnings=list(warnings), ctx=ctx, left_out=held
        )

    def _workflow_outputs(self, frame: Frame) -> dict[str, Any]:
        """DEC-13: evaluated leniently; what cannot be resolved is left out with a warning."""
        outputs: dict[str, Any] = {}
        ctx = self._context(frame, None, outputs)  # $outputs sees the outputs evaluated so far (DEC-14)
        for name, value in frame.workflow.outputs:
            try:
                outputs[name] = value.evaluate(ctx)
            except EvaluationError as exc:
                why = unrun_step_reason(frame, value, ctx, self.step_results) or exc.message
                self.warnings.append(f"workflow {frame.workflow.workflow_id!r}: output {name!r} left out: {why}")
        if self.observer is not None:
            self.observer.outputs(frame.workflow.outputs, outputs, self.warnings, workflow=True)
        return outputs

    def _context(
        self, frame: Frame, exchange: Exchange | None, outputs: Mapping[str, Any] | None = None
    ) -> EvalContext:
        doc = frame.document  # its $sourceDescriptions fields: once per document per run, kept in the run
        fields = self._sources_cache.get(doc.url)
        if fields is None:
            fields = self._sources_cache[doc.url] = doc.source_fields()
        return frame.context(exchange, outputs, self.records, fields)

    def _shared_scheme_names(self, doc: ArazzoDocument) -> frozenset[str]:
        """Scheme names several OpenAPI sources of the loaded documents define."""
        cache = doc.documents.__dict__  # the loaded descriptions do not change: worked out once per load
        shared: frozenset[str] | None = cache.get("shared_scheme_names")
        if shared is None:
            shared = cache["shared_scheme_names"] = shared_scheme_names(doc.documents.openapi.values())
        return shared
