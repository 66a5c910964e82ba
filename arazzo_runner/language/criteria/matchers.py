"""Regex, JSONPath and XPath conditions: compiled at load, applied to a context value.

Each matcher's :meth:`check` takes the context value and the kind of body it
came from (``json``, ``text``, ``binary``, ``empty``; ``json`` for values that
are not a whole body) and returns ``(passed, explanation)``. It never raises:
a value the matcher cannot use fails the criterion with a reason (DEC-18).
Library exceptions are wrapped at load time into :class:`ExpressionSyntaxError`.

The engines (regress, jsonpath-rfc9535, elementpath and lxml) are imported when a
document first uses them, so documents with plain conditions never pay for loading them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import ExpressionSyntaxError
from ..expressions import to_text
from ..expressions.pointer import describe_value
from .budget import CriterionTimeout, evaluate_bounded

if TYPE_CHECKING:  # our JSONPath engine and RE2 load when a document first uses them, as the others do
    from .goessner import GoessnerQuery
    from .linear import LinearRegex

__all__ = [
    "XPATH_VERSIONS",
    "GoessnerMatcher",
    "JsonPathMatcher",
    "RegexMatcher",
    "XPathMatcher",
    "compile_jsonpath",
    "compile_regex",
    "compile_xpath",
]

_SHOW = 80
# Inputs this large go to the bounded worker for the matchers that can take polynomial time on them.
BOUNDED_NODES = 1000
BOUNDED_XML_BYTES = 4096


def larger_than(value: Any, limit: int) -> bool:
    """Whether the JSON ``value`` has more than ``limit`` nodes (counting stops as soon as it knows)."""
    stack = [value]
    count = 0
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else to_text(value)
    return text if len(text) <= _SHOW else text[: _SHOW - 2] + '…"'  # '…' marks a cut (see redact.py)


# -- regex (DEC-20) ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RegexMatcher:
    """An ECMA-262 pattern (``regress``), search semantics, no flags."""

    pattern: str
    regex: Any
    linear: LinearRegex | None = None  # the same pattern in RE2, when it means the same there
    bounded: bool = True  # False in the worker process, which runs the backtracking engine itself

    def check(self, value: Any, kind: str) -> tuple[bool, str]:
        if value is None:
            return False, f"regex /{self.pattern}/ cannot apply: the context is null or empty"
        text = to_text(value)
        if self.linear is not None:
            found = self.linear.find(text)
        elif self.bounded:  # backreferences, lookaround: backtracking, so in the worker within the budget
            try:
                return evaluate_bounded("regex", self.pattern, "", text, kind)
            except CriterionTimeout as exc:
                return False, f"regex /{self.pattern}/ was stopped: {exc}"
        else:
            found = self.regex.find(text) is not None
        if found:
            return True, f"regex /{self.pattern}/ matched {_show(text)}"
        return False, f"regex /{self.pattern}/ did not match {_show(text)}"


def compile_regex(pattern: str, *, linear: bool = True) -> RegexMatcher:
    """``pattern`` checked by ``regress`` (ECMA-262); matched by RE2 in linear time when it means the same there.

    ``linear=False`` (the worker process) keeps the backtracking engine, unbounded.
    """
    import regress

    try:
        compiled = regress.Regex(pattern)
    except (regress.RegressError, ValueError, TypeError) as exc:
        raise ExpressionSyntaxError(
            f"invalid ECMA-262 regular expression: {exc}", pattern, 0, expected="an ECMA-262 regular expression"
        ) from None
    if not linear:
        return RegexMatcher(pattern, compiled, None, bounded=False)
    from .linear import linear_regex

    return RegexMatcher(pattern, compiled, linear_regex(pattern))


# -- JSON contexts ------------------------------------------------------------------
def as_json(value: Any, kind: str) -> tuple[bool, Any, str]:
    """``(ok, json_value, reason)``: the context as JSON, or why it is not JSON (DEC-21, T-27)."""
    if kind == "empty":
        return False, None, "the context is an empty body, not JSON"
    if kind in ("text", "binary"):
        raw = value
        if isinstance(raw, (bytes, bytearray)):
            try:
                raw = bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                return False, None, "the context is binary data, not JSON"
        if isinstance(raw, str):
            try:
                return True, json.loads(raw), ""
            except (ValueError, RecursionError):
                return False, None, f"the context is not JSON (the body was kept as {kind}: {_show(raw)})"
        return False, None, f"the context is not JSON (the body was kept as {kind})"
    if isinstance(value, (bytes, bytearray)):
        return False, None, "the context is binary data, not JSON"
    return True, value, ""


@dataclass(frozen=True, slots=True)
class JsonPathMatcher:
    """An RFC 9535 query (``jsonpath-rfc9535``); passes on a non-empty node list (DEC-21)."""

    query_text: str
    query: Any
    bounded: bool = True

    def check(self, value: Any, kind: str) -> tuple[bool, str]:
        ok, document, reason = as_json(value, kind)
        if not ok:
            return False, f"jsonpath {self.query_text} cannot apply: {reason}"
        import jsonpath_rfc9535

        if self.bounded and "?" in self.query_text and larger_than(document, BOUNDED_NODES):
            # A filter over a large document can take polynomial time: in the worker, within the budget.
            try:
                return evaluate_bounded("jsonpath", self.query_text, "", document, "json")
            except CriterionTimeout as exc:
                return False, f"jsonpath {self.query_text} was stopped: {exc}"
        try:
            nodes = self.query.find(document)
        except (jsonpath_rfc9535.JSONPathError, RecursionError, TypeError) as exc:
            return False, f"jsonpath {self.query_text} failed: {exc}"
        count = len(nodes)
        if count:
            values = ", ".join(_show(node.value) for node in list(nodes)[:3])
            return True, f"jsonpath {self.query_text} selected {count} node{'s' if count != 1 else ''} ({values})"
        hint = ""
        if "[?" in self.query_text and isinstance(document, dict):
            hint = (
                "; note: under RFC 9535 a filter applies to the members of the value it follows, "
                "so $[?…] on an object tests its member values, not the object (CRIT-17)"
            )
        return False, f"jsonpath {self.query_text} selected nothing in {describe_value(document)}{hint}"


@dataclass(frozen=True, slots=True)
class GoessnerMatcher:
    """A ``draft-goessner-dispatch-jsonpath-00`` query, our own engine (see :mod:`.goessner`)."""

    query: GoessnerQuery
    bounded: bool = True

    def check(self, value: Any, kind: str) -> tuple[bool, str]:
        text = self.query.source
        ok, document, reason = as_json(value, kind)
        if not ok:
            return False, f"jsonpath {text} cannot apply: {reason}"
        if self.bounded and "?" in text and larger_than(document, BOUNDED_NODES):
            # ``..`` inside a filter visits every subtree from every node: in the worker, within the budget.
            try:
                return evaluate_bounded("goessner", text, "", document, "json")
            except CriterionTimeout as exc:
                return False, f"jsonpath {text} was stopped: {exc}"
        try:
            passed, nodes = self.query.matches(document)
        except RecursionError:  # pragma: no cover - pathological depth
            return False, f"jsonpath {text} failed: the value is nested too deeply"
        shown = ", ".join(_show(node) for node in nodes[:3]) or "nothing"
        if self.query.op is None:
            return passed, f"jsonpath {text} selected {shown}"
        verdict = "holds" if passed else "does not hold"
        return passed, f"jsonpath {text}: the path selected {shown}; the comparison {verdict}"


def compile_jsonpath(query: str) -> JsonPathMatcher:
    import jsonpath_rfc9535

    try:
        compiled = jsonpath_rfc9535.compile(query)
    except jsonpath_rfc9535.JSONPathError as exc:
        token = getattr(exc, "token", None)
        position = getattr(token, "index", 0) if token is not None else 0
        detail = getattr(token, "message", None) or str(exc)
        position = max(0, min(int(position), len(query)))
        raise ExpressionSyntaxError(
            f"invalid RFC 9535 JSONPath query: {detail}", query, position, expected="an RFC 9535 query"
        ) from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise ExpressionSyntaxError(
            f"invalid RFC 9535 JSONPath query: {exc}", query, 0, expected="an RFC 9535 query"
        ) from None
    return JsonPathMatcher(query, compiled)


# -- XPath (DEC-22) ----------------------------------------------------------------
XPATH_VERSIONS = ("xpath-31", "xpath-30", "xpath-20", "xpath-10")


def _xpath_parser(version: str) -> type[Any]:
    if version == "xpath-31":
        from elementpath.xpath31 import XPath31Parser

        return XPath31Parser
    if version == "xpath-30":
        from elementpath.xpath30 import XPath30Parser

        return XPath30Parser
    import elementpath

    if version == "xpath-20":
        return elementpath.XPath2Parser
    if version == "xpath-10":
        return elementpath.XPath1Parser
    raise KeyError(version)


def parse_xml(value: Any) -> tuple[Any, str]:
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        return None, f"the context is not XML (it is {describe_value(value)})"
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return None, f"the context is not well-formed XML ({exc}): {_show(value)}"
    if root is None:
        return None, "the context is not XML"
    return etree.ElementTree(root), ""


@dataclass(frozen=True, slots=True)
class XPathMatcher:
    """An XPath expression (``elementpath``); passes on the effective boolean value of its result."""

    expression: str
    version: str
    token: Any
    bounded: bool = True

    def check(self, value: Any, kind: str) -> tuple[bool, str]:
        label = f"xpath {self.expression}"
        if value is None:
            return False, f"{label} cannot apply: the context is null or empty"
        if kind == "json" and isinstance(value, (dict, list)):
            return False, f"{label} cannot apply: the context is JSON ({describe_value(value)}), not XML"
        if self.bounded and isinstance(value, (str, bytes, bytearray)) and len(value) > BOUNDED_XML_BYTES:
            try:  # XPath over a large document can take polynomial time: in the worker, within the budget
                return evaluate_bounded("xpath", self.expression, self.version, value, kind)
            except CriterionTimeout as exc:
                return False, f"{label} was stopped: {exc}"
        document, reason = parse_xml(value)
        if document is None:
            return False, f"{label} cannot apply: {reason}"
        import elementpath

        try:
            result = self.token.evaluate(elementpath.XPathContext(document))
            passed = bool(self.token.boolean_value(result))
        except (elementpath.ElementPathError, TypeError, ValueError, ArithmeticError, RecursionError) as exc:
            return False, f"{label} failed: {exc}"
        return passed, f"{label} gave {_describe_xpath(result)} (effective boolean value {str(passed).lower()})"


def _describe_xpath(result: Any) -> str:
    if isinstance(result, list):
        return f"a sequence of {len(result)} item{'s' if len(result) != 1 else ''}"
    return repr(result)[:_SHOW]


def compile_xpath(expression: str, version: str = "xpath-31") -> XPathMatcher:
    import elementpath

    parser_class = _xpath_parser(version)
    try:
        token = parser_class().parse(expression)
    except elementpath.ElementPathError as exc:
        token_obj = getattr(exc, "token", None)
        position = 0
        span = getattr(token_obj, "span", None)
        if isinstance(span, tuple) and span and isinstance(span[0], int):
            position = max(0, min(span[0], len(expression)))
        message = getattr(exc, "message", None) or str(exc)
        raise ExpressionSyntaxError(
            f"invalid XPath ({version}): {message}", expression, position, expected=f"an {version} expression"
        ) from None
    except (TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        raise ExpressionSyntaxError(
            f"invalid XPath ({version}): {exc}", expression, 0, expected=f"an {version} expression"
        ) from None
    return XPathMatcher(expression, version, token)
