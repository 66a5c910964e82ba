"""The structural runtime-expression parser (DEC-15).

The 1.0.1 ABNF is greedy and ambiguous (RTE-2), so this parser follows the
structure the spec's examples use:

* ``$steps.<stepId>.outputs.<name>[#ptr]`` and
  ``$workflows.<id>.(inputs|outputs).<name>[#ptr]``: ids match
  ``[A-Za-z0-9_-]+``; step output names match ``[A-Za-z0-9._-]+``;
* ``$inputs.<name>[#ptr]``, ``$outputs.<name>[#ptr]``: a name is a run of
  any characters except whitespace, control characters and
  ``# { } [ ] ( ) < > = ! & | ' "`` (Unicode allowed, RTE-1); dots stay in
  the name and are resolved at evaluation (exact key first, DEC-15);
* ``$sourceDescriptions.<name>.<rest>``: split at the first dot after the name;
* ``$components.(parameters|successActions|failureActions).<key>``, key
  ``[A-Za-z0-9._-]+``;
* ``$request.(header.<token>|query.<name>|path.<name>|body[#ptr])`` and
  ``$response.(header.<token>|body[#ptr])``.

Where an expression ends: for a whole string, at its end (a pointer then runs
to the end of the string, spaces included); inside ``{…}`` at the first
``}``; inside a simple condition at whitespace, a parenthesis or bracket, a
comparison character, a quote, or ``!=``, ``&&``, ``||`` once something
complete has been read. Pointers with spaces, ``}`` or operator characters
cannot be written in those two positions.
"""

from __future__ import annotations

from ...errors import ExpressionSyntaxError
from . import ast as nodes
from .ast import Expression
from .grammar11 import MessageExpression, SelfExpression, current_grammar
from .pointer import JsonPointer

__all__ = ["ROOTS_EXPECTED", "parse_expression", "scan_expression", "try_parse_expression"]

ROOTS_EXPECTED = (
    "one of $url, $method, $statusCode, $request., $response., $inputs., $outputs., "
    "$steps., $workflows., $sourceDescriptions., $components."
)

_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_KEY_CHARS = _ID_CHARS | {"."}
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NAME_STOP = frozenset("#{}[]()<>=!&|'\"")
# In a condition a pointer (or header token) also ends at these characters …
_CONDITION_STOP = frozenset("()[]<>='\"")
# … and before these two-character operators.
_CONDITION_PAIRS = ("!=", "&&", "||")


class _Scanner:
    __slots__ = ("end", "in_condition", "pos", "text")

    def __init__(self, text: str, start: int, end: int, in_condition: bool) -> None:
        self.text = text
        self.pos = start
        self.end = end
        self.in_condition = in_condition

    # -- helpers ---------------------------------------------------------
    def error(self, message: str, position: int, expected: str | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, self.text, position, expected=expected)

    def found(self, position: int) -> str:
        if position >= self.end:
            return "the end of the expression"
        return repr(self.text[position])

    def expect(self, literal: str, what: str | None = None) -> None:
        if self.text.startswith(literal, self.pos) and self.pos + len(literal) <= self.end:
            self.pos += len(literal)
            return
        want = what or repr(literal)
        raise self.error(f"expected {want}, found {self.found(self.pos)}", self.pos, want)

    def word(self) -> str:
        """ASCII letters (a root or keyword)."""
        start = self.pos
        text, end = self.text, self.end
        pos = start
        while pos < end and ("a" <= text[pos] <= "z" or "A" <= text[pos] <= "Z"):
            pos += 1
        self.pos = pos
        return text[start:pos]

    def run(self, allowed: frozenset[str], what: str) -> str:
        start = pos = self.pos
        text, end = self.text, self.end
        while pos < end and text[pos] in allowed:
            pos += 1
        if pos == start:
            raise self.error(f"expected {what}, found {self.found(pos)}", pos, what)
        self.pos = pos
        return text[start:pos]

    def _stops_in_condition(self, pos: int) -> bool:
        ch = self.text[pos]
        if ch.isspace() or ch in _CONDITION_STOP:
            return True
        return self.text.startswith(_CONDITION_PAIRS, pos) and pos + 1 < self.end

    def name(self, what: str) -> str:
        start = pos = self.pos
        text, end = self.text, self.end
        while pos < end:
            ch = text[pos]
            if ch in _NAME_STOP or ch.isspace() or not ch.isprintable():
                break
            pos += 1
        if pos == start:
            raise self.error(f"expected {what}, found {self.found(pos)} (names may not be empty)", pos, what)
        self.pos = pos
        return text[start:pos]

    def identifier(self, what: str) -> str:
        """An input or output name: any name in 1.0 (RTE-1), ``[A-Za-z0-9._-]+`` in 1.1 (V11-06)."""
        if current_grammar() is None:
            return self.name(what)
        return self.run(_KEY_CHARS, f"{what} ([A-Za-z0-9._-]+ in Arazzo 1.1)")

    def token(self) -> str:
        start = pos = self.pos
        text, end = self.text, self.end
        while pos < end and text[pos] in _TCHARS:
            if self.in_condition and pos > start and self._stops_in_condition(pos):
                break
            pos += 1
        if pos == start:
            what = "a header name (an RFC 9110 token)"
            raise self.error(f"expected {what}, found {self.found(pos)}", pos, what)
        self.pos = pos
        return text[start:pos]

    def optional_pointer(self) -> JsonPointer | None:
        if self.pos >= self.end or self.text[self.pos] != "#":
            return None
        self.pos += 1
        start = pos = self.pos
        if self.in_condition:
            while pos < self.end and not self._stops_in_condition(pos):
                pos += 1
        else:
            pos = self.end
        self.pos = pos
        if current_grammar() is not None:  # 1.1: '{' and '}' are not reference-token characters (V11-07)
            for at in range(start, pos):
                if self.text[at] in "{}":
                    raise self.error(
                        f"{self.text[at]!r} cannot appear in a JSON pointer in Arazzo 1.1", at, "a JSON pointer"
                    )
        return JsonPointer.parse(self.text[start:pos], source=self.text, offset=start)

    # -- the grammar -----------------------------------------------------
    def expression(self) -> Expression:
        start = self.pos
        if self.pos >= self.end or self.text[self.pos] != "$":
            raise self.error(
                f"expected a runtime expression starting with '$', found {self.found(start)}", start, ROOTS_EXPECTED
            )
        self.pos += 1
        root_at = self.pos
        root = self.word()
        if root == "url":
            return nodes.UrlExpression()
        if root == "method":
            return nodes.MethodExpression()
        if root == "statusCode":
            return nodes.StatusCodeExpression()
        if root in ("request", "response"):
            return self.http(root)
        if root in ("inputs", "outputs"):
            self.expect(".")
            what = "an input name" if root == "inputs" else "an output name"
            name = self.identifier(what)
            pointer = self.optional_pointer()
            if root == "inputs":
                return nodes.InputExpression(name, pointer)
            return nodes.OutputExpression(name, pointer)
        if root == "steps":
            self.expect(".")
            step = self.run(_ID_CHARS, "a step id ([A-Za-z0-9_-]+)")
            self.expect(".outputs.", "'.outputs.' (only step outputs can be read)")
            name = self.run(_KEY_CHARS, "an output name ([A-Za-z0-9._-]+)")
            return nodes.StepOutputExpression(step, name, self.optional_pointer())
        if root == "workflows":
            return self.workflows()
        if root == "sourceDescriptions":
            self.expect(".")
            source = self.run(_ID_CHARS, "a source description name ([A-Za-z0-9_-]+)")
            self.expect(".", "'.' and a field (url, or an operationId or workflowId)")
            return nodes.SourceDescriptionExpression(source, self.name("a field name"))
        if root == "components":
            return self.components()
        if root in ("self", "message") and current_grammar() is not None:
            return self.arazzo11(root)
        if root == "message":
            raise self.error("$message expressions were removed in Arazzo 1.0.1 (DIFF-4)", root_at, ROOTS_EXPECTED)
        if not root:
            raise self.error(
                f"expected {ROOTS_EXPECTED}, found {self.found(root_at)} after '$'", root_at, ROOTS_EXPECTED
            )
        raise self.error(f"unknown runtime expression '${root}': expected {ROOTS_EXPECTED}", root_at, ROOTS_EXPECTED)

    def arazzo11(self, root: str) -> Expression:
        """``$self`` and ``$message.(header.<token>|payload[#ptr])``: Arazzo 1.1 documents only (V11-05)."""
        grammar = current_grammar()
        assert grammar is not None
        if root == "self":
            return SelfExpression(grammar.self_uri)
        self.expect(".")
        part_at = self.pos
        part = self.word()
        if part == "payload":
            return MessageExpression("payload", None, self.optional_pointer())
        if part == "header":
            self.expect(".")
            return MessageExpression("header", self.token())
        shown = repr(part) if part else self.found(part_at)
        raise self.error(f"expected header. or payload after $message., found {shown}", part_at, "header. or payload")

    def http(self, side: str) -> Expression:
        self.expect(".")
        part_at = self.pos
        part = self.word()
        if part == "body":
            return nodes.HttpExpression(side, "body", None, self.optional_pointer())  # type: ignore[arg-type]
        if part == "header":
            self.expect(".")
            return nodes.HttpExpression(side, "header", self.token())  # type: ignore[arg-type]
        if part in ("query", "path"):
            if side == "response":
                raise self.error(
                    f"$response.{part} means nothing: a response has no {part} parameters (RTE-16)",
                    part_at,
                    "header. or body",
                )
            self.expect(".")
            return nodes.HttpExpression(side, part, self.name(f"a {part} parameter name"))  # type: ignore[arg-type]
        expected = "header., query., path. or body" if side == "request" else "header. or body"
        shown = repr(part) if part else self.found(part_at)
        raise self.error(f"expected {expected} after ${side}., found {shown}", part_at, expected)

    def workflows(self) -> Expression:
        self.expect(".")
        workflow = self.run(_ID_CHARS, "a workflow id ([A-Za-z0-9_-]+)")
        self.expect(".")
        kind_at = self.pos
        kind = self.word()
        if kind not in ("inputs", "outputs"):
            shown = repr(kind) if kind else self.found(kind_at)
            raise self.error(
                f"expected 'inputs' or 'outputs' after $workflows.{workflow}., found {shown}",
                kind_at,
                "inputs or outputs",
            )
        self.expect(".")
        if kind == "outputs":
            name = self.run(_KEY_CHARS, "an output name ([A-Za-z0-9._-]+)")
        else:
            name = self.identifier("an input name")
        return nodes.WorkflowExpression(workflow, kind, name, self.optional_pointer())  # type: ignore[arg-type]

    def components(self) -> Expression:
        self.expect(".")
        kind_at = self.pos
        kind = self.word()
        if kind == "inputs":
            raise self.error(
                "$components.inputs cannot be a runtime expression: component inputs are schemas, not values (DEC-48)",
                kind_at,
                "parameters, successActions or failureActions",
            )
        if kind not in ("parameters", "successActions", "failureActions"):
            shown = repr(kind) if kind else self.found(kind_at)
            raise self.error(
                f"expected parameters, successActions or failureActions, found {shown}",
                kind_at,
                "parameters, successActions or failureActions",
            )
        self.expect(".")
        key = self.run(_KEY_CHARS, "a component key ([A-Za-z0-9._-]+)")
        return nodes.ComponentExpression(kind, key)  # type: ignore[arg-type]


def scan_expression(text: str, start: int = 0, *, in_condition: bool = True) -> tuple[Expression, int]:
    """Read one runtime expression at ``text[start]`` and return it with the offset just after it.

    With ``in_condition`` (the default) the expression ends where DEC-15
    says it does inside a simple condition; otherwise it runs to the end of
    ``text``. Raises :class:`ExpressionSyntaxError` (positions index ``text``).
    """
    scanner = _Scanner(text, start, len(text), in_condition)
    expression = scanner.expression()
    return expression, scanner.pos


def parse_span(text: str, start: int, end: int) -> Expression:
    """Parse ``text[start:end]`` as exactly one expression; errors point into ``text``."""
    scanner = _Scanner(text, start, end, False)
    expression = scanner.expression()
    if scanner.pos != end:
        raise scanner.error(
            f"unexpected {scanner.found(scanner.pos)} after the runtime expression {text[start : scanner.pos]!r}",
            scanner.pos,
            "the end of the expression",
        )
    return expression


def parse_expression(text: str) -> Expression:
    """Parse ``text``, which must be exactly one runtime expression."""
    return parse_span(text, 0, len(text))


def try_parse_expression(text: str) -> Expression | None:
    """The expression ``text`` is when the whole string parses as one, else ``None`` (DEC-16)."""
    if not text.startswith("$"):
        return None
    try:
        return parse_expression(text)
    except ExpressionSyntaxError:
        return None
