"""Runtime-expression AST: one frozen node per expression source.

Every node is an :class:`Expression`. For static analysis each node answers
the same questions (``None`` where they do not apply):

``root``
    which source it reads: ``"url"``, ``"method"``, ``"statusCode"``,
    ``"request.header"`` / ``"request.query"`` / ``"request.path"`` /
    ``"request.body"``, ``"response.header"`` / ``"response.body"``,
    ``"inputs"``, ``"outputs"``, ``"steps"``, ``"workflows"``,
    ``"sourceDescriptions"``, ``"components"``.
``name``
    the input, output, parameter or header name; the field after a source
    description name (``url``, an operationId); the component key.
``step_id`` / ``workflow_id``
    for ``$steps.<id>…`` and ``$workflows.<id>…``.
``scope``
    ``"inputs"``/``"outputs"`` for ``$workflows``, the component kind
    (``"parameters"``, ``"successActions"``, ``"failureActions"``) for
    ``$components``, the source-description name for ``$sourceDescriptions``.
``pointer``
    the :class:`JsonPointer` after ``#`` (``None`` when there is no ``#``).

``str(node)`` is the canonical text; ``parse_expression(str(node)) == node``.
Evaluation raises :class:`UnresolvedExpression` when what the expression
selects does not exist, and :class:`EvaluationError` for a type problem.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from ...errors import EvaluationError, UnresolvedExpression
from .context import EvalContext, HttpView
from .pointer import JsonPointer, describe_value

__all__ = [
    "AtomExpression",
    "ComponentExpression",
    "ExchangeExpression",
    "Expression",
    "HttpExpression",
    "InputExpression",
    "MethodExpression",
    "OutputExpression",
    "PartExpression",
    "SourceDescriptionExpression",
    "StatusCodeExpression",
    "StepOutputExpression",
    "UrlExpression",
    "WorkflowExpression",
    "lookup_dotted",
]

_MISSING: Any = object()


def lookup_dotted(mapping: Mapping[str, Any], name: str) -> Any:
    """``mapping[name]`` with the DEC-15 dotted-name rule, or ``_MISSING``.

    The exact key wins; otherwise the longest dotted prefix that is a key is
    taken and the rest is looked up in its value by the same rule (so
    ``a.b.c`` finds ``{"a.b": {"c": 1}}`` and ``{"a": {"b": {"c": 1}}}``).
    """
    try:
        return mapping[name]
    except KeyError:
        pass
    except TypeError:
        return _MISSING
    cut = name.rfind(".")
    while cut > 0:
        head = mapping.get(name[:cut], _MISSING)
        if head is not _MISSING and isinstance(head, Mapping):
            found = lookup_dotted(head, name[cut + 1 :])
            if found is not _MISSING:
                return found
        cut = name.rfind(".", 0, cut)
    return _MISSING


class Expression:
    """Base of every runtime-expression node (see the module docstring)."""

    __slots__ = ()

    root: str = ""

    @property
    def name(self) -> str | None:
        return None

    @property
    def step_id(self) -> str | None:
        return None

    @property
    def workflow_id(self) -> str | None:
        return None

    @property
    def scope(self) -> str | None:
        return None

    @property
    def pointer(self) -> JsonPointer | None:
        return None

    @property
    def absorbs_dots(self) -> bool:
        """True when a ``.x`` written right after this expression would become part of it."""
        return True

    def evaluate(self, ctx: EvalContext) -> Any:  # pragma: no cover - every node overrides
        raise NotImplementedError

    def value_kind(self, ctx: EvalContext) -> str:
        """How the value this expression selects was parsed (``json`` but for a whole request or response body:
        then its body kind, ``xml``, ``text``, ...), for criteria and selectors that read it."""
        return "json"

    def _resolve_pointer(self, value: Any, pointer: JsonPointer | None) -> Any:
        if pointer is None or not pointer.tokens:
            return value
        return pointer.resolve(value, expression=self)  # its text is made only for a miss

    def _unresolved(self, detail: str) -> UnresolvedExpression:
        text = str(self)
        return UnresolvedExpression(f"{text}: {detail}", text)


def _pointer_suffix(pointer: JsonPointer | None) -> str:
    return "" if pointer is None else "#" + str(pointer)


class AtomExpression(Expression):
    """A bare ``$name`` (``$url``, ``$method``, ``$statusCode``, 1.1's ``$self``): its text is ``$`` and its
    root, and nothing written after it (``.x``) becomes part of it."""

    __slots__ = ()

    @property
    def absorbs_dots(self) -> bool:
        return False

    def __str__(self) -> str:
        return "$" + self.root


class ExchangeExpression(AtomExpression):
    """An atom whose value is one field of the exchange (``context_field`` of the :class:`EvalContext`);
    unresolved with ``missing`` as the reason while there is none."""

    __slots__ = ()

    context_field: ClassVar[str]
    missing: ClassVar[str] = "no request has been sent yet"

    def evaluate(self, ctx: EvalContext) -> Any:
        value = getattr(ctx, self.context_field)
        if value is None:
            raise self._unresolved(self.missing)
        return value


@dataclass(frozen=True, slots=True)
class UrlExpression(ExchangeExpression):
    """``$url``: the absolute URL of the request sent (DEC-26)."""

    root = "url"
    context_field = "url"


@dataclass(frozen=True, slots=True)
class MethodExpression(ExchangeExpression):
    """``$method``: the HTTP method of the request sent, upper case."""

    root = "method"
    context_field = "method"


@dataclass(frozen=True, slots=True)
class StatusCodeExpression(ExchangeExpression):
    """``$statusCode``: the HTTP status of the response, an int."""

    root = "statusCode"
    context_field = "status_code"
    missing = "there is no response (the request was not sent or got no answer)"


class PartExpression(Expression):
    """Reads a named part (``field``: a header or parameter) or the body (at ``body_pointer``) of a request,
    a response or a message."""

    __slots__ = ()

    field: str | None
    body_pointer: JsonPointer | None

    @property
    def name(self) -> str | None:
        return self.field

    @property
    def pointer(self) -> JsonPointer | None:
        return self.body_pointer


@dataclass(frozen=True, slots=True)
class HttpExpression(PartExpression):
    """``$request.<part>…`` and ``$response.<part>…``.

    ``side`` is ``"request"`` or ``"response"``; ``part`` is ``"header"``,
    ``"query"``, ``"path"`` or ``"body"``; ``field`` is the header or
    parameter name (``None`` for the body); ``body_pointer`` is the pointer
    after ``body#``. Header names are matched case-insensitively.
    """

    side: Literal["request", "response"]
    part: Literal["header", "query", "path", "body"]
    field: str | None = None
    body_pointer: JsonPointer | None = None

    @property
    def root(self) -> str:  # type: ignore[override]
        return f"{self.side}.{self.part}"

    @property
    def absorbs_dots(self) -> bool:
        return self.part != "body" or self.body_pointer is not None

    def value_kind(self, ctx: EvalContext) -> str:
        if self.part == "body" and not (self.body_pointer is not None and self.body_pointer.tokens):
            view = ctx.request if self.side == "request" else ctx.response
            if view is not None:
                return view.body_kind
        return "json"

    def __str__(self) -> str:
        if self.part == "body":
            return f"${self.side}.body{_pointer_suffix(self.body_pointer)}"
        return f"${self.side}.{self.part}.{self.field}"

    def evaluate(self, ctx: EvalContext) -> Any:
        view: HttpView | None = ctx.request if self.side == "request" else ctx.response
        if view is None:
            what = "no request has been sent yet" if self.side == "request" else "there is no response"
            raise self._unresolved(what)
        part = self.part
        if part == "body":
            return self._body(view)
        assert self.field is not None
        if part == "header":
            value = view.headers.get(self.field.lower(), _MISSING)
            if value is _MISSING:
                value = _header_fallback(view.headers, self.field)
            what = "header"
        else:
            source = view.query if part == "query" else view.path
            value = source.get(self.field, _MISSING)
            what = f"{part} parameter"
        if value is _MISSING:
            raise self._unresolved(f"the {self.side} has no {what} {self.field!r}")
        return value

    def _body(self, view: HttpView) -> Any:
        pointer = self.body_pointer
        if pointer is None or not pointer.tokens:
            return view.body
        kind = view.body_kind
        if kind != "json":
            if kind == "empty":
                raise self._unresolved(f"the {self.side} body is empty")
            text = str(self)
            raise EvaluationError(
                f"{text}: the {self.side} body is not JSON (it was kept as {kind}), "
                "so a JSON pointer cannot apply to it",
                text,
            )
        return pointer.resolve(view.body, expression=self)


def _header_fallback(headers: Mapping[str, str], name: str) -> Any:
    # Contexts built by hand may keep the original case; be forgiving.
    folded = name.lower()
    for key, value in headers.items():
        if key.lower() == folded:
            return value
    return _MISSING


@dataclass(frozen=True, slots=True)
class InputExpression(Expression):
    """``$inputs.<name>[#ptr]``: an input of the current workflow (DEC-15 dotted names)."""

    input_name: str
    input_pointer: JsonPointer | None = None

    root = "inputs"

    @property
    def name(self) -> str | None:
        return self.input_name

    @property
    def pointer(self) -> JsonPointer | None:
        return self.input_pointer

    def __str__(self) -> str:
        return f"$inputs.{self.input_name}{_pointer_suffix(self.input_pointer)}"

    def evaluate(self, ctx: EvalContext) -> Any:
        value = lookup_dotted(ctx.inputs, self.input_name)
        if value is _MISSING:
            raise self._unresolved(f"the workflow has no input {self.input_name!r}")
        return self._resolve_pointer(value, self.input_pointer)


@dataclass(frozen=True, slots=True)
class OutputExpression(Expression):
    """``$outputs.<name>[#ptr]``: a workflow output, in the DEC-14 scope."""

    output_name: str
    output_pointer: JsonPointer | None = None

    root = "outputs"

    @property
    def name(self) -> str | None:
        return self.output_name

    @property
    def pointer(self) -> JsonPointer | None:
        return self.output_pointer

    def __str__(self) -> str:
        return f"$outputs.{self.output_name}{_pointer_suffix(self.output_pointer)}"

    def evaluate(self, ctx: EvalContext) -> Any:
        if ctx.outputs is None:
            text = str(self)
            raise EvaluationError(
                f"{text}: $outputs is only available in workflow outputs and in a workflowId step",
                text,
            )
        value = lookup_dotted(ctx.outputs, self.output_name)
        if value is _MISSING:
            raise self._unresolved(f"there is no output {self.output_name!r} (yet)")
        return self._resolve_pointer(value, self.output_pointer)


@dataclass(frozen=True, slots=True)
class StepOutputExpression(Expression):
    """``$steps.<stepId>.outputs.<name>[#ptr]``."""

    step: str
    output_name: str
    output_pointer: JsonPointer | None = None

    root = "steps"

    @property
    def step_id(self) -> str | None:
        return self.step

    @property
    def name(self) -> str | None:
        return self.output_name

    @property
    def pointer(self) -> JsonPointer | None:
        return self.output_pointer

    def __str__(self) -> str:
        return f"$steps.{self.step}.outputs.{self.output_name}{_pointer_suffix(self.output_pointer)}"

    def evaluate(self, ctx: EvalContext) -> Any:
        outputs = ctx.steps.get(self.step)
        if outputs is None:
            raise self._unresolved(f"step {self.step!r} has not run (or has no outputs)")
        value = lookup_dotted(outputs, self.output_name)
        if value is _MISSING:
            raise self._unresolved(f"step {self.step!r} has no output {self.output_name!r}")
        return self._resolve_pointer(value, self.output_pointer)


@dataclass(frozen=True, slots=True)
class WorkflowExpression(Expression):
    """``$workflows.<id>.inputs.<name>[#ptr]`` and ``$workflows.<id>.outputs.<name>[#ptr]``."""

    workflow: str
    kind: Literal["inputs", "outputs"]
    field_name: str
    field_pointer: JsonPointer | None = None

    root = "workflows"

    @property
    def workflow_id(self) -> str | None:
        return self.workflow

    @property
    def scope(self) -> str | None:
        return self.kind

    @property
    def name(self) -> str | None:
        return self.field_name

    @property
    def pointer(self) -> JsonPointer | None:
        return self.field_pointer

    def __str__(self) -> str:
        return f"$workflows.{self.workflow}.{self.kind}.{self.field_name}{_pointer_suffix(self.field_pointer)}"

    def evaluate(self, ctx: EvalContext) -> Any:
        record = ctx.workflows.get(self.workflow)
        if record is None:
            raise self._unresolved(f"workflow {self.workflow!r} has not run in this execution")
        source = record.inputs if self.kind == "inputs" else record.outputs
        value = lookup_dotted(source, self.field_name)
        if value is _MISSING:
            singular = self.kind[:-1]
            raise self._unresolved(f"workflow {self.workflow!r} has no {singular} {self.field_name!r}")
        return self._resolve_pointer(value, self.field_pointer)


@dataclass(frozen=True, slots=True)
class SourceDescriptionExpression(Expression):
    """``$sourceDescriptions.<source>.<field>``: split at the first dot after the source name.

    Evaluates to ``ctx.source_descriptions[source][field]`` (``url`` is the
    resolved absolute URL, DEC-47). The engine resolves the operationId /
    workflowId form itself at load time.
    """

    source: str
    field: str

    root = "sourceDescriptions"

    @property
    def scope(self) -> str | None:
        return self.source

    @property
    def name(self) -> str | None:
        return self.field

    def __str__(self) -> str:
        return f"$sourceDescriptions.{self.source}.{self.field}"

    def evaluate(self, ctx: EvalContext) -> Any:
        fields = ctx.source_descriptions.get(self.source)
        if fields is None:
            raise self._unresolved(f"there is no source description {self.source!r}")
        value = fields.get(self.field, _MISSING)
        if value is _MISSING:
            raise self._unresolved(f"source description {self.source!r} has no field {self.field!r}")
        return value


@dataclass(frozen=True, slots=True)
class ComponentExpression(Expression):
    """``$components.(parameters|successActions|failureActions).<key>``."""

    kind: Literal["parameters", "successActions", "failureActions"]
    key: str

    root = "components"

    @property
    def scope(self) -> str | None:
        return self.kind

    @property
    def name(self) -> str | None:
        return self.key

    def __str__(self) -> str:
        return f"$components.{self.kind}.{self.key}"

    def evaluate(self, ctx: EvalContext) -> Any:
        group = ctx.components.get(self.kind)
        value = _MISSING if group is None else lookup_dotted(group, self.key)
        if value is _MISSING:
            found = describe_value(group) if group is not None else "absent"
            raise self._unresolved(f"there is no component {self.kind}.{self.key} ({self.kind} is {found})")
        # A copy: what a run does with the value (an output the caller edits) never reaches the document.
        return copy.deepcopy(value)
