"""The Arazzo 1.1 Selector Object: a JSONPath, XPath or JSON Pointer applied to a context value.

Compiled once at load (:func:`compile_selector`), evaluated per use as a
:class:`CompiledValue`, so a selector sits wherever a runtime expression may:
parameter values, step and workflow outputs, payload replacement values.

What a selector yields (V11-11, DEC-V11-1):

* exactly one match: that value (an XML element gives its string value, an
  attribute its text, an atomic XPath result itself);
* several matches: a list of them, in document order;
* no match: an :class:`UnresolvedExpression` naming the selector and what it
  was applied to (an output is then left out with a warning, a parameter
  fails its step, exactly as an unresolvable runtime expression does).

Versions follow the Expression Type Object: ``jsonpath`` ``rfc9535``
(default) or ``draft-goessner-dispatch-jsonpath-00``; ``xpath`` ``xpath-31``
(default), ``xpath-30``, ``xpath-20``, ``xpath-10``, each parsed and evaluated
by that version's grammar and function library; ``jsonpointer`` ``rfc6901``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import DocumentError, EvaluationError, UnresolvedExpression
from .expressions import EvalContext, Expression, JsonPointer, parse_expression
from .expressions.pointer import describe_value
from .expressions.template import CompiledValue

__all__ = ["DEFAULT_VERSIONS", "SelectorValue", "compile_selector", "selector_type"]

DEFAULT_VERSIONS = {"jsonpath": "rfc9535", "xpath": "xpath-31", "jsonpointer": "rfc6901"}
_VERSIONS = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
    "jsonpointer": ("rfc6901",),
}


def selector_type(kind: Any) -> tuple[str, str]:
    """``(type, version)`` of a selector type written as a string or an Expression Type Object."""
    if isinstance(kind, str):
        if kind not in _VERSIONS:
            raise DocumentError(f"selector type must be jsonpath, xpath or jsonpointer, not {kind!r}")
        return kind, DEFAULT_VERSIONS[kind]
    if isinstance(kind, Mapping):
        inner, version = kind.get("type"), kind.get("version")
        if inner not in _VERSIONS:
            raise DocumentError(f"expression type must be jsonpath, xpath or jsonpointer, not {inner!r}")
        if version is None:
            raise DocumentError(
                f"an Expression Type Object for {inner} needs 'version' ({', '.join(_VERSIONS[inner])})"
            )
        if version not in _VERSIONS[inner]:
            raise DocumentError(f"{inner} version must be {' or '.join(_VERSIONS[inner])}, not {version!r}")
        return str(inner), str(version)
    raise DocumentError(f"a selector type must be a string or an Expression Type Object, not {type(kind).__name__}")


@dataclass(frozen=True, slots=True)
class SelectorValue(CompiledValue):
    """A compiled Selector Object."""

    context: Expression
    selector: str
    type: str
    version: str
    compiled: Any = field(repr=False, compare=False)

    is_literal = False

    def expressions(self) -> Iterator[Expression]:
        yield self.context

    def evaluate(self, ctx: EvalContext) -> Any:
        value = self.context.evaluate(ctx)
        label = f"{self.type} selector {self.selector!r} on {self.context}"
        if self.type == "xpath":
            return self._xpath(value, label)
        from .criteria.matchers import as_json

        ok, document, reason = as_json(value, self.context.value_kind(ctx))
        if not ok:
            raise EvaluationError(f"{label} cannot apply: {reason}", str(self.context))
        if self.type == "jsonpointer":
            pointer: JsonPointer = self.compiled
            return pointer.resolve(document, expression=f"{label}")
        if self.version == "rfc9535":
            import jsonpath_rfc9535  # loaded by the selectors that use it, as the criteria do

            try:
                found = [node.value for node in self.compiled.query.find(document)]
            except (jsonpath_rfc9535.JSONPathError, RecursionError, TypeError) as exc:
                raise EvaluationError(f"{label} failed: {exc}", str(self.context)) from None
        else:
            found = self.compiled.select(document)
        return _one_or_many(found, label, document)

    def _xpath(self, value: Any, label: str) -> Any:
        if isinstance(value, (Mapping, list)):
            raise EvaluationError(f"{label} cannot apply: the context is JSON ({describe_value(value)}), not XML")
        from .criteria.matchers import parse_xml

        document, reason = parse_xml(value)
        if document is None:
            raise EvaluationError(f"{label} cannot apply: {reason}", str(self.context))
        import elementpath

        try:
            result = self.compiled.token.evaluate(elementpath.XPathContext(document))
        except (elementpath.ElementPathError, TypeError, ValueError, ArithmeticError, RecursionError) as exc:
            raise EvaluationError(f"{label} failed: {exc}", str(self.context)) from None
        items = result if isinstance(result, list) else [result]
        return _one_or_many([_xml_item(item) for item in items], label, "the XML document")


def _xml_item(item: Any) -> Any:
    """An XPath result item as a JSON-like value: a node's string value, an atomic value itself."""
    if isinstance(item, (str, bool, int, float)) or item is None:
        return item
    if isinstance(item, Decimal):  # xs:decimal results (sum, div): a JSON number
        return int(item) if item == item.to_integral_value() else float(item)
    text = getattr(item, "string_value", None)  # elementpath's element, attribute and text nodes
    if isinstance(text, str):
        return text
    if hasattr(item, "itertext"):  # a bare lxml element
        return "".join(item.itertext())
    return str(item)


def _one_or_many(found: list[Any], label: str, document: Any) -> Any:
    if not found:
        shown = document if isinstance(document, str) else describe_value(document)
        raise UnresolvedExpression(f"{label} selected nothing in {shown}")
    return found[0] if len(found) == 1 else found


def compile_selector(context: str, selector: str, kind: Any) -> SelectorValue:
    """Compile a Selector Object's three fields; raises :class:`DocumentError` (a syntax error has a caret)."""
    if not isinstance(context, str):
        raise DocumentError("a Selector Object's 'context' must be a runtime expression string")
    if not isinstance(selector, str):
        raise DocumentError("a Selector Object's 'selector' must be a string")
    type_, version = selector_type(kind)
    context_expression = parse_expression(context)
    compiled: Any
    # The JSONPath and XPath engines (and their matchers) load with the first selector that uses them.
    from .criteria.matchers import compile_jsonpath, compile_xpath

    if type_ == "jsonpointer":
        compiled = JsonPointer.parse(selector)
    elif type_ == "jsonpath":
        if version == "rfc9535":
            compiled = compile_jsonpath(selector)
        else:
            from .criteria.goessner import compile_goessner

            compiled = compile_goessner(selector)
    else:
        compiled = compile_xpath(selector, version)
    return SelectorValue(context_expression, selector, type_, version, compiled)
