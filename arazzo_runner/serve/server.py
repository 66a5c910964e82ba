"""The MCP server: one tool per exposed workflow, plus list, describe and check.

Built on the official ``mcp`` SDK's low-level ``Server`` (the tool list is made
from the documents at start-up). A tool call runs the workflow with the
operator's servers, credentials and limits; the arguments are only the
workflow's own inputs. A run the client cancels is cancelled (its task, and the
HTTP request in flight, with it).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from ..api import Runner
from ..compile.loader import load
from ..engine.preflight import check_credentials, check_servers
from ..engine.security import Credentials
from ..errors import ArazzoError, InputError
from ..plan.model import ArazzoDocument, Workflow
from .config import ConfigError, ServeConfig, scheme_names, servers_for
from .progress import Progress, ProgressRelay
from .tools import (
    FIXED_TOOLS,
    WorkflowTool,
    as_text,
    assign_names,
    describe,
    filled_inputs,
    input_problems,
    result_payload,
    tool_description,
    tool_input_schema,
    workflow_summary,
)

__all__ = ["WorkflowServer"]

SLOT_WAIT = 5.0  # seconds a call waits for a run to finish when max_concurrent_runs are in progress

_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["succeeded", "failed"]},
        "workflowId": {"type": "string"},
        "outputs": {"type": "object"},
        "steps": {"type": "array", "items": {"type": "object"}},
        "error": {
            "type": "object",
            "description": "why the run failed: reason, message, stepId, criterion, statusCode, responseExcerpt",
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["status", "outputs"],
}


class WorkflowServer:
    """The served documents and the tools made from them; ``mcp_server()`` is what a transport runs.

    Raises :class:`ArazzoError` at construction when a document does not load or the
    configuration does not fit the documents (unknown source, credential, workflowId).
    """

    def __init__(
        self, config: ServeConfig, *, documents: list[ArazzoDocument] | None = None, log: TextIO | None = None
    ) -> None:
        self.config = config
        self.log = log if log is not None else sys.stderr
        self.redactor = config.redactor()
        # ``documents``: the specs already loaded, in order (the command line loads them to read their schemes).
        self.documents: list[ArazzoDocument] = documents or [
            load(spec, strict=config.strict, sources=config.sources) for spec in config.specs
        ]
        self.runners: dict[int, Runner] = {}
        self._setup_runners()
        self.tools: dict[str, WorkflowTool] = {}
        self._build_tools()
        self.active_runs = 0
        self.slot_wait = SLOT_WAIT

    # -- start-up -----------------------------------------------------------
    def _setup_runners(self) -> None:
        config = self.config
        every_source = {name for document in self.documents for name in document.all_source_names()}
        every_scheme: set[str] = set()
        for document in self.documents:
            for names in scheme_names(document):
                every_scheme |= names
        unknown = sorted(set(config.credentials) - every_scheme)
        if unknown:
            raise ConfigError(
                f"credential {unknown[0]!r} names no security scheme of the served documents; "
                f"schemes: {', '.join(sorted(every_scheme)) or '(none)'}"
            )
        for document in self.documents:
            servers = servers_for(config.servers, document, every_source)
            credentials: Mapping[str, Any] = self._credentials_for(document)
            if config.mock:
                from ..mock import placeholder_credentials

                credentials, _ = placeholder_credentials(document, credentials)
            check_servers(servers, document)
            check_credentials(Credentials(credentials), document)
            self.runners[id(document)] = Runner(
                servers=servers,
                credentials=credentials,
                timeout=config.timeout,
                limits=config.run_limits(),
                mock={"seed": config.mock_seed} if config.mock else False,
            )

    def _credentials_for(self, document: ArazzoDocument) -> dict[str, Any]:
        """The configured credentials this document's sources define (a scheme of another served document is
        not this one's concern)."""
        schemes, qualified = scheme_names(document)
        schemes |= qualified
        return {name: value for name, value in self.config.credentials.items() if name in schemes}

    def _build_tools(self) -> None:
        config = self.config
        known = {wf_id for document in self.documents for wf_id in document.workflows}
        unknown = sorted((config.allow | config.deny) - known)
        if unknown:
            raise ConfigError(
                f"--allow/--deny: no served document has a workflow {unknown[0]!r}; "
                f"workflows: {', '.join(sorted(known))}"
            )
        pairs = [
            (document, workflow)
            for document in self.documents
            for workflow in document.workflows.values()
            if config.exposes(workflow.workflow_id)
        ]
        configured = set(config.filled_inputs())
        for name, document, workflow in assign_names(pairs):
            filled = filled_inputs(workflow, configured)
            missing = sorted(
                input_name
                for input_name in workflow.secret_inputs & set(workflow.required_inputs())
                if input_name not in configured
            )
            if missing and not config.mock:
                self.note(
                    f"workflow {workflow.workflow_id!r} is not served: its secret input(s) {', '.join(missing)} "
                    "have no value; give them with --secret-input NAME (value in the environment) or the config file"
                )
                continue
            self.tools[name] = WorkflowTool(name, document, workflow, filled, self._typed_values(workflow, filled))
        if not self.tools:
            self.note("no workflow is served (see above); only the list, describe and check tools are available")

    def _typed_values(self, workflow: Workflow, filled: frozenset[str]) -> dict[str, Any]:
        """The configured inputs ``workflow`` takes; a ``--input`` text is read by the input's schema type."""
        from ..cli.app import UsageError, coerce_input

        properties = (workflow.inputs_schema or {}).get("properties") or {}
        values: dict[str, Any] = {}
        for name, value in self.config.filled_inputs().items():
            if name not in filled:
                continue
            if isinstance(value, str) and name in self.config.inputs:
                try:
                    value = coerce_input(name, value, properties.get(name))
                except UsageError as exc:
                    raise ConfigError(f"--input for workflow {workflow.workflow_id!r}: {exc}") from None
            values[name] = value
        return values

    def note(self, message: str) -> None:
        print(f"arazzo-runner serve: {self.redactor.mask(message)}", file=self.log, flush=True)

    # -- tools --------------------------------------------------------------
    def list_tools(self) -> list[types.Tool]:
        tools = [
            types.Tool(
                name=tool.name,
                title=tool.workflow.summary or tool.workflow.workflow_id,
                description=tool_description(tool.workflow, tool.filled),
                input_schema=tool_input_schema(tool.workflow, tool.filled),
                output_schema=_RESULT_SCHEMA,
                annotations=types.ToolAnnotations(open_world_hint=not self.config.mock),
            )
            for tool in self.tools.values()
        ]
        read_only = types.ToolAnnotations(read_only_hint=True, open_world_hint=False)
        names = ", ".join(self.tools) or "(none)"
        tools.append(
            types.Tool(
                name=FIXED_TOOLS[0],
                description="List the workflows this server runs as tools, with their inputs and outputs.",
                input_schema={"type": "object", "properties": {}, "additionalProperties": False},
                annotations=read_only,
            )
        )
        tools.append(
            types.Tool(
                name=FIXED_TOOLS[1],
                description="Describe one workflow: its steps, the operation each calls, and its graph in Mermaid. "
                f"Tools: {names}.",
                input_schema={
                    "type": "object",
                    "properties": {"tool": {"type": "string", "description": "the tool name or workflowId"}},
                    "required": ["tool"],
                    "additionalProperties": False,
                },
                annotations=read_only,
            )
        )
        documents = [document.display for document in self.documents]
        tools.append(
            types.Tool(
                name=FIXED_TOOLS[2],
                description="Check the served Arazzo documents without sending a request: every problem found "
                "(file, line, code, message) as data. Documents: " + ", ".join(documents) + ".",
                input_schema={
                    "type": "object",
                    "properties": {
                        "document": {
                            "type": "string",
                            "enum": documents,
                            "description": "one served document (default: all)",
                        }
                    },
                    "additionalProperties": False,
                },
                annotations=read_only,
            )
        )
        return tools

    async def call(
        self, name: str, arguments: Mapping[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        """Run tool ``name``; invalid arguments and unknown tools are tool errors, a failed run a normal result."""
        arguments = dict(arguments or {})
        if name == FIXED_TOOLS[0]:
            return _result({"workflows": [workflow_summary(tool) for tool in self.tools.values()]})
        if name == FIXED_TOOLS[1]:
            return self._describe(arguments)
        if name == FIXED_TOOLS[2]:
            return self._check(arguments)
        tool = self.tools.get(name)
        if tool is None:
            return _error(f"no tool {name!r}; tools: {', '.join([*self.tools, *FIXED_TOOLS])}")
        return await self._run(tool, arguments, progress)

    def _describe(self, arguments: Mapping[str, Any]) -> types.CallToolResult:
        wanted = arguments.get("tool")
        for tool in self.tools.values():
            if wanted in (tool.name, tool.workflow.workflow_id):
                return _result(describe(tool))
        return _error(f"no served workflow {wanted!r}; tools: {', '.join(self.tools) or '(none)'}")

    def _check(self, arguments: Mapping[str, Any]) -> types.CallToolResult:
        from ..checker import Checker

        wanted = arguments.get("document")
        pairs = [(spec, document) for spec, document in zip(self.config.specs, self.documents, strict=True)]
        if wanted is not None:
            pairs = [(spec, document) for spec, document in pairs if document.display == wanted]
            if not pairs:
                served = ", ".join(document.display for document in self.documents)
                return _error(f"{wanted!r} is not a served document; documents: {served}")
        checker = Checker(strict=self.config.strict, sources=self.config.sources)
        files = []
        for spec, document in pairs:
            found = checker.check(spec)
            files.append(
                {
                    "document": document.display,
                    "errors": len(found.errors),
                    "diagnostics": [d.as_dict() for d in found.diagnostics],
                }
            )
        return _result({"documents": files})

    async def _run(
        self, tool: WorkflowTool, arguments: dict[str, Any], progress: Progress | None
    ) -> types.CallToolResult:
        config = self.config
        smuggled = sorted(set(arguments) & tool.filled)
        if smuggled:
            return _error(
                f"input(s) {', '.join(smuggled)} are supplied by the server and cannot be given as arguments; "
                "no request was sent",
                {
                    "problems": [
                        {"pointer": f"/{n}", "rule": "suppliedByServer", "message": "not an argument"} for n in smuggled
                    ]
                },
            )
        problems = input_problems(tool_input_schema(tool.workflow, tool.filled), arguments)
        if problems:
            listed = "; ".join(f"{p['pointer']}: {p['message']} (rule {p['rule']})" for p in problems)
            return _error(f"invalid arguments for {tool.name!r}, no request was sent: {listed}", {"problems": problems})
        # A slot freed by a run that is just ending (a cancelled one unwinds its HTTP client) is worth a short
        # wait; a server still busy after it refuses, rather than leaving the agent hanging.
        deadline = time.monotonic() + self.slot_wait
        while self.active_runs >= config.max_concurrent_runs:
            if time.monotonic() >= deadline:
                return _error(
                    f"{self.active_runs} workflow runs are in progress, the most this server allows "
                    f"(max_concurrent_runs {config.max_concurrent_runs}); try again when one has finished"
                )
            await asyncio.sleep(0.02)
        inputs = {**arguments, **tool.values}
        if config.mock:
            from ..mock import complete_inputs

            inputs = complete_inputs(tool.workflow, inputs, config.mock_seed)
        self.active_runs += 1
        started = time.perf_counter()
        outcome = "cancelled"
        try:
            if progress is not None:
                await progress(0, f"workflow {tool.workflow.workflow_id} started")
            result = await self._execute(tool, inputs, progress)
            outcome = result.status
            payload = result_payload(result, self.redactor)
            if progress is not None:
                await progress(len(result.steps), f"workflow {tool.workflow.workflow_id} {result.status}")
            return _result(payload)
        except InputError as exc:
            outcome = "invalid inputs"
            problems = [
                {"pointer": p.pointer, "rule": p.rule, "message": self.redactor.mask(p.message)} for p in exc.problems
            ]
            return _error(f"{self.redactor.mask(exc.message)}; no request was sent", {"problems": problems})
        except ArazzoError as exc:
            outcome = "refused"
            return _error(self.redactor.mask(str(exc)))
        except Exception as exc:  # a bug of ours: the agent gets no detail, the operator's log gets it masked
            outcome = f"internal error ({type(exc).__name__}: {exc})"
            return _error("internal error while running the workflow; the server log has the details")
        finally:
            self.active_runs -= 1
            elapsed = (time.perf_counter() - started) * 1000
            self.note(f"{tool.name}: {outcome} in {elapsed:.0f} ms")

    async def _execute(self, tool: WorkflowTool, inputs: dict[str, Any], progress: Progress | None) -> Any:
        runner = self.runners[id(tool.document)]
        if progress is None:
            return await runner.arun(tool.document, tool.workflow.workflow_id, inputs)
        # Each request a step sends and each response, from the engine's events, as progress notifications.
        relay = ProgressRelay(progress, self.redactor)
        try:
            result = await runner.arun(tool.document, tool.workflow.workflow_id, inputs, on_event=relay)
        except BaseException:
            await relay.close(drain=False)
            raise
        await relay.close()
        return result

    # -- the MCP server -----------------------------------------------------
    def mcp_server(self) -> Server[Any]:
        from .. import __version__

        async def on_list_tools(
            ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
        ) -> types.ListToolsResult:
            return types.ListToolsResult(tools=self.list_tools())

        async def on_call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
            async def progress(done: float, message: str) -> None:
                try:
                    await ctx.session.report_progress(done, None, message)
                except Exception:  # a client that went away must not fail the run
                    pass

            return await self.call(params.name, params.arguments, progress)

        return Server(
            "arazzo-runner",
            version=__version__,
            instructions="Each tool runs one Arazzo workflow (a tested sequence of API calls) and returns its "
            "status and outputs. Credentials are configured on the server, never passed as arguments. "
            "Use arazzo_list_workflows and arazzo_describe_workflow to see what each workflow does.",
            on_list_tools=on_list_tools,
            on_call_tool=on_call_tool,
        )


def _result(data: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=as_text(data))], structured_content=data, is_error=False
    )


def _error(message: str, data: dict[str, Any] | None = None) -> types.CallToolResult:
    structured = {"status": "error", "message": message, **(data or {})}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], structured_content=structured, is_error=True
    )
