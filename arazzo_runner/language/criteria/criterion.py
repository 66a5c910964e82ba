"""The Criterion Object compiled at load time (CRIT-1..CRIT-19, CET-1..CET-6).

``type`` may be omitted (simple), a string (``simple``, ``regex``,
``jsonpath``, ``xpath``) or a Criterion Expression Type Object
(``{type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}``,
``{type: xpath, version: xpath-30|xpath-20|xpath-10}``).

Load-time rules:

* ``regex``, ``jsonpath``, ``xpath`` need a ``context`` (DEC-23, error);
* ``type: simple`` without a context is accepted with a warning (an error in
  strict mode); a ``context`` on a simple condition is ignored with a warning;
* plain ``type: jsonpath`` must be RFC 9535. A condition that is not RFC 9535
  but parses as Goessner JSONPath (``$.results.length > 0``, as real Stytch
  documents write) is compiled with the Goessner engine and a warning; strict
  mode rejects it;
* an unknown type or version is "unsupported expression version" (CET-4).

At run time :meth:`Criterion.evaluate` never raises: a problem fails the
criterion and the explanation says why.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import ArazzoError, DocumentError, EvaluationError, ExpressionSyntaxError
from ...sources.values import type_name
from ..expressions import EvalContext, Expression, parse_expression
from .condition import Condition, compile_condition

__all__ = ["GOESSNER_VERSION", "Criterion", "CriterionResult", "compile_criterion"]

GOESSNER_VERSION = "draft-goessner-dispatch-jsonpath-00"
_TYPES = ("simple", "regex", "jsonpath", "xpath")
_XPATH_VERSIONS = ("xpath-30", "xpath-20", "xpath-10")


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """Whether a criterion passed, and a sentence a human can read saying why."""

    passed: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class Criterion:
    """A compiled criterion.

    ``type`` is ``simple``, ``regex``, ``jsonpath`` or ``xpath``; ``version``
    is the declared Criterion Expression Type version (or ``None``);
    ``dialect`` is what actually evaluates it: ``simple``, ``ecma-262``,
    ``rfc9535``, ``draft-goessner-dispatch-jsonpath-00``, ``xpath-31`` …
    """

    condition: str
    type: str
    context: str | None
    version: str | None
    dialect: str
    warnings: tuple[str, ...]
    context_expression: Expression | None = None
    simple: Condition | None = field(default=None, repr=False)
    matcher: Any = field(default=None, repr=False, compare=False)
    # The result of a simple condition that holds: the same every time, so made once.
    held: CriterionResult = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "held", CriterionResult(True, f"{self.condition.strip()} was true"))

    def expressions(self) -> Iterator[Expression]:
        """The runtime expressions this criterion reads (its context, or those in a simple condition)."""
        if self.context_expression is not None:
            yield self.context_expression
        if self.simple is not None:
            yield from self.simple.expressions()

    def evaluate(self, ctx: EvalContext) -> CriterionResult:
        """Evaluate against ``ctx``; never raises for a runtime problem."""
        try:
            if self.simple is not None:
                if self.simple.evaluate(ctx):
                    return self.held
                return CriterionResult(False, self.simple.explain(ctx, False))
            return self._evaluate_typed(ctx)
        except (ArazzoError, TypeError, ValueError, RecursionError) as exc:  # a bug or a pathological value
            return CriterionResult(False, f"{self.condition.strip()} could not be evaluated: {exc}")

    def _evaluate_typed(self, ctx: EvalContext) -> CriterionResult:
        expression = self.context_expression
        assert expression is not None
        try:
            value = expression.evaluate(ctx)
        except EvaluationError as exc:
            return CriterionResult(
                False, f"{self.type} condition {self.condition} failed: its context could not be read: {exc.message}"
            )
        passed, explanation = self.matcher.check(value, expression.value_kind(ctx))
        return CriterionResult(passed, f"{explanation} (context {expression})")


def _normalise_type(
    type_: str | Mapping[str, Any] | None, warnings: list[str], arazzo11: bool = False
) -> tuple[str, str | None]:
    if type_ is None:
        return "simple", None
    if isinstance(type_, str):
        if type_ not in _TYPES:
            raise DocumentError(
                f"unknown criterion type {type_!r}: expected simple, regex, jsonpath, xpath "
                "or a Criterion Expression Type Object"
            )
        return type_, None
    if isinstance(type_, Mapping):
        kind = type_.get("type")
        version = type_.get("version")
        for key in type_:
            if key not in ("type", "version") and not (isinstance(key, str) and key.startswith("x-")):
                warnings.append(f"unknown field {key!r} in the Criterion Expression Type Object was ignored")
        if kind == "jsonpointer" and arazzo11:
            raise DocumentError("a criterion condition cannot be a JSON Pointer: use jsonpath or xpath (V11-10)")
        if kind not in ("jsonpath", "xpath"):
            raise DocumentError(
                f"a Criterion Expression Type Object's type must be jsonpath or xpath, not {kind!r} (CET-1)"
            )
        if version is None:
            raise DocumentError(f"a Criterion Expression Type Object for {kind} needs a version (CET-2)")
        allowed: tuple[str, ...] = (GOESSNER_VERSION,) if kind == "jsonpath" else _XPATH_VERSIONS
        if arazzo11:  # the 1.1 Expression Type Object names the defaults too (V11-10)
            allowed = ("rfc9535", GOESSNER_VERSION) if kind == "jsonpath" else ("xpath-31", *_XPATH_VERSIONS)
        if version not in allowed:
            raise DocumentError(
                f"unsupported expression version {version!r} for {kind}: expected "
                f"{' or '.join(allowed)} (CET-4); for RFC 9535 or XPath 3.1 write type: {kind}"
            )
        return kind, str(version)
    raise DocumentError(
        f"a criterion type must be a string or a Criterion Expression Type Object, not {type(type_).__name__}"
    )


def _compile_plain_jsonpath(condition: str, strict: bool, warnings: list[str]) -> tuple[Any, str]:
    from .goessner import compile_goessner
    from .matchers import GoessnerMatcher, compile_jsonpath

    try:
        return compile_jsonpath(condition), "rfc9535"
    except ExpressionSyntaxError as rfc_error:
        try:
            goessner = compile_goessner(condition)
        except ExpressionSyntaxError:
            raise rfc_error from None
        if strict:
            raise ExpressionSyntaxError(
                f"{rfc_error.message}; it is Goessner JSONPath, which must be declared with "
                f"type: {{type: jsonpath, version: {GOESSNER_VERSION}}} (CRIT-6)",
                condition,
                rfc_error.position,
                expected=rfc_error.expected,
            ) from None
        warnings.append(
            f"the jsonpath condition {condition!r} is not RFC 9535 ({rfc_error.message}); it was evaluated as "
            f"Goessner JSONPath ({GOESSNER_VERSION}). Declare that version with a Criterion Expression Type "
            "Object, or write an RFC 9535 query (CRIT-6)"
        )
        return GoessnerMatcher(goessner), GOESSNER_VERSION


def compile_criterion(
    condition: str,
    type: str | Mapping[str, Any] | None = None,
    context: str | None = None,
    *,
    strict: bool = False,
    arazzo11: bool = False,
) -> Criterion:
    """Compile one Criterion Object; raises :class:`DocumentError` / :class:`ExpressionSyntaxError` at load."""
    if not isinstance(condition, str):
        raise DocumentError(f"a criterion condition must be a string, not {type_name(condition)}")
    if context is not None and not isinstance(context, str):
        raise DocumentError(f"a criterion context must be a runtime expression string, not {type_name(context)}")
    warnings: list[str] = []
    kind, version = _normalise_type(type, warnings, arazzo11)
    if kind == "simple":
        if type is not None and context is None:
            if strict:
                raise DocumentError(
                    "type: simple is given without a context, which the schema requires (CRIT-3, DEC-23)"
                )
            warnings.append("type: simple is given without a context; accepted (CRIT-3, DEC-23)")
        if context is not None:
            warnings.append(f"the context {context!r} of a simple condition is ignored (DEC-23)")
        compiled = compile_condition(condition, strict=strict)
        warnings.extend(compiled.warnings)
        return Criterion(condition, "simple", context, None, "simple", tuple(warnings), None, compiled)
    if context is None:
        raise DocumentError(
            f"a {kind} criterion needs a context: the runtime expression its condition applies to (CRIT-4, DEC-23)"
        )
    context_expression = parse_expression(context)
    # The matchers and their engines load only for documents that use them (plain conditions need neither).
    from .goessner import compile_goessner
    from .matchers import GoessnerMatcher, compile_regex, compile_xpath

    matcher: Any
    if kind == "regex":
        matcher, dialect = compile_regex(condition), "ecma-262"
    elif kind == "jsonpath":
        if version == GOESSNER_VERSION:
            matcher, dialect = GoessnerMatcher(compile_goessner(condition)), GOESSNER_VERSION
        elif version == "rfc9535" or arazzo11:  # 1.1: jsonpath means RFC 9535, no Goessner fallback (V11-12)
            matcher, dialect = _compile_plain_jsonpath(condition, True, warnings)  # strict: the error names the fix
        else:
            matcher, dialect = _compile_plain_jsonpath(condition, strict, warnings)
    else:
        dialect = version or "xpath-31"
        matcher = compile_xpath(condition, dialect)
    return Criterion(condition, kind, context, version, dialect, tuple(warnings), context_expression, None, matcher)
