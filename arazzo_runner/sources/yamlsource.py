"""Reading YAML and JSON text into plain data, with positions where we need them.

Arazzo documents are read node by node so that every value keeps its line
and column (a :class:`Positions` map from JSON pointer to location). OpenAPI
descriptions can be megabytes; they are read with libyaml's C parser and no
position bookkeeping.

Both use the YAML 1.2 core schema (GEN-4): ``yes``/``on`` stay strings,
dates stay strings, only ``true``/``false`` are booleans and ``null``/``~``
null. Arazzo documents must have string keys and no duplicate keys.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import DocumentError, Location
from .pointer import escape_pointer_token, unescape_pointer_token

try:  # libyaml is in every PyYAML wheel we install; fall back quietly if not.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = [
    "Positions",
    "escape_pointer_token",
    "locate_text",
    "parse_document",
    "parse_fast",
    "unescape_pointer_token",
]

# Most nodes any one document may expand to: a guard against alias bombs (SEC-2).
# A million nodes is far beyond any real Arazzo document and is rejected in about a second.
MAX_NODES = 1_000_000
# Deepest nesting of collections an Arazzo document may have (far below Python's recursion limit).
MAX_DEPTH = 128
# Most nodes an OpenAPI description may have: several times the largest public descriptions.
MAX_OPENAPI_NODES = 4_000_000


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _check_node_count(text: str, file: str, limit: int, what: str) -> None:
    """Refuse a text with more than ``limit`` nodes before building it (the tree would take gigabytes).

    Every node needs a separator in the text (a line break, ``,``, ``:``, ``-``, a bracket), so their count
    bounds the node count and most documents pass on it alone. Past that bound, JSON is counted from its
    text with the strings blanked out (values are separated by commas or open a container); YAML from the
    parser's event stream (keys count as nodes there), which holds nothing in memory.
    """
    if sum(text.count(c) for c in "\n,:-[{") < limit:
        return
    too_many = DocumentError(f"{what} has more than {limit} nodes: too large to load", Location(file, 1, 1, None))
    if text.lstrip().startswith(("{", "[")):
        bare = _JSON_STRING.sub("", text)
        if sum(bare.count(c) for c in ",[{") + 1 > limit:
            raise too_many
        return
    count = 0
    counted = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)
    parser: Any = _BaseLoader(text)  # used for its event stream only
    try:
        while parser.check_event():
            if isinstance(parser.get_event(), counted):
                count += 1
                if count > limit:
                    raise too_many
    except yaml.YAMLError:
        return  # the real parse reports it, with its place
    finally:
        parser.dispose()


class _CoreSchemaLoader(_BaseLoader):
    """A safe loader whose implicit scalar types follow the YAML 1.2 core schema."""


_CoreSchemaLoader.yaml_implicit_resolvers = {}
_CoreSchemaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreSchemaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_CoreSchemaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_CoreSchemaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> bool:
    return str(node.value).lower() == "true"


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    text = str(node.value).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _construct_str(loader: Any, node: yaml.ScalarNode) -> str:
    return str(node.value)


def _construct_mapping_str_keys(loader: Any, node: yaml.MappingNode) -> dict[str, Any]:
    # OpenAPI descriptions write status codes as bare keys (`200:`); keys are always strings there.
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key if isinstance(key, str) else _scalar_key_text(key_node, key)] = loader.construct_object(
            value_node, deep=True
        )
    return result


def _scalar_key_text(node: yaml.Node, key: Any) -> str:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return json.dumps(key, sort_keys=True, default=str)


for _tag, _fn in (
    ("tag:yaml.org,2002:bool", _construct_bool),
    ("tag:yaml.org,2002:int", _construct_int),
    ("tag:yaml.org,2002:float", _construct_float),
    ("tag:yaml.org,2002:timestamp", _construct_str),
):
    _CoreSchemaLoader.add_constructor(_tag, _fn)


class _OpenAPILoader(_CoreSchemaLoader):
    """Core-schema loader that turns every mapping key into a string."""


_OpenAPILoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_str_keys)


@dataclass
class Positions:
    """Line and column (1-based) of each node of one document, by JSON pointer."""

    file: str
    by_pointer: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Where the text holds a number JSON cannot (.nan, .inf, 1e400): reported when the document is compiled.
    non_finite: list[str] = field(default_factory=list)

    def location(self, pointer: str) -> Location:
        """The location of ``pointer``, or of its nearest ancestor that has one."""
        probe = pointer
        while True:
            pos = self.by_pointer.get(probe)
            if pos is not None:
                return Location(self.file, pos[0], pos[1], pointer)
            if not probe:
                return Location(self.file, None, None, pointer)
            probe = probe.rsplit("/", 1)[0]


def locate_text(location: Location, lines: Sequence[str], find: str | None) -> Location:
    """``location`` moved to where ``find`` is written on its line (an expression inside a string), if it is there."""
    if find and location.line is not None and location.column is not None and 0 < location.line <= len(lines):
        at = lines[location.line - 1].find(find, location.column - 1)
        if at >= 0:
            return Location(location.file, location.line, at + 1, location.pointer)
    return location


def _yaml_error(exc: yaml.YAMLError, file: str) -> DocumentError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is not None:
        return DocumentError(message, Location(file, mark.line + 1, mark.column + 1, None))
    return DocumentError(message, Location(file))


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


class _Builder:
    """Turns a composed YAML node tree into plain data, recording positions."""

    def __init__(self, file: str, loader: _CoreSchemaLoader) -> None:
        self.file = file
        self.loader = loader
        self.positions = Positions(file)
        self.count = 0
        # The collection nodes from the root to the node being built: an alias that
        # points back at one of them is recursive and would expand forever.
        self._path: set[int] = set()

    def _error(self, node: yaml.Node, pointer: str, message: str) -> DocumentError:
        mark = node.start_mark
        return DocumentError(message, Location(self.file, mark.line + 1, mark.column + 1, pointer))

    def build(self, node: yaml.Node, pointer: str) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(node, pointer, f"document expands to more than {MAX_NODES} nodes (alias bomb?)")
        mark = node.start_mark
        self.positions.by_pointer[pointer] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise self._error(
                    node, pointer, f"YAML tag {node.tag!r} is not allowed; use plain JSON-compatible values"
                )
            try:
                value = self.loader.construct_object(node)
            except ValueError as exc:  # an integer past Python's 4300-digit conversion limit
                raise self._error(node, pointer, f"number too large to read ({exc.args[0].split(':')[0]})") from None
            if value.__class__ is float and not math.isfinite(value):
                self.positions.non_finite.append(pointer)
            return value
        if id(node) in self._path:
            raise self._error(node, pointer, "recursive YAML alias: an alias refers to a collection that contains it")
        if len(self._path) >= MAX_DEPTH:
            raise self._error(node, pointer, f"the document is nested too deeply (more than {MAX_DEPTH} levels)")
        self._path.add(id(node))
        try:
            return self._build_collection(node, pointer)
        finally:
            self._path.discard(id(node))

    def _build_collection(self, node: yaml.Node, pointer: str) -> Any:
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self._error(node, pointer, f"YAML tag {node.tag!r} is not allowed")
            return [self.build(child, f"{pointer}/{i}") for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                raise self._error(node, pointer, f"YAML tag {node.tag!r} is not allowed")
            self.loader.flatten_mapping(node)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                    raise self._error(
                        key_node,
                        pointer,
                        f"mapping keys must be strings; {shown!r} is not (quote it)",
                    )
                key = str(key_node.value)
                if key in result:
                    raise self._error(key_node, pointer, f"duplicate key {key!r}")
                result[key] = self.build(value_node, f"{pointer}/{escape_pointer_token(key)}")
            return result
        raise self._error(node, pointer, "unsupported YAML node")  # pragma: no cover


def parse_document(text: str, file: str) -> tuple[Any, Positions]:
    """Parse an Arazzo document (YAML or JSON) keeping the position of every node."""
    _check_node_count(text, file, MAX_NODES, "the document")
    loader = _CoreSchemaLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DocumentError("the document is empty", Location(file, 1, 1, ""))
        builder = _Builder(file, loader)
        return builder.build(node, ""), builder.positions
    except yaml.YAMLError as exc:
        raise (_json_error(text, file) or _yaml_error(exc, file)) from None
    except RecursionError:
        raise DocumentError("the document is nested too deeply to read", Location(file)) from None
    finally:
        loader.dispose()


def _json_error(text: str, file: str) -> DocumentError | None:
    """For a JSON document the YAML parser rejected, the JSON parser's own words and place.

    YAML's message for a missing comma ("did not find expected node content") does not
    tell a JSON author what is wrong; ``json`` does ("Expecting ',' delimiter").
    """
    if not (file.lower().endswith(".json") or text.lstrip().startswith(("{", "["))):
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return DocumentError(f"invalid JSON: {exc.msg}", Location(file, exc.lineno, exc.colno, None))
    except (RecursionError, ValueError):  # too deep, or a number past 4300 digits: the YAML message stands
        return None
    return None  # valid JSON the YAML parser still rejects: its message stands


def parse_fast(text: str, file: str) -> Any:
    """Parse a (possibly large) OpenAPI description without position bookkeeping."""
    stripped = text.lstrip()
    _check_node_count(text, file, MAX_OPENAPI_NODES, "the description")
    try:
        if stripped.startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                pass  # YAML flow mappings also start with "{": let the YAML parser judge.
        return yaml.load(text, Loader=_OpenAPILoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    except ValueError as exc:  # an integer past Python's 4300-digit conversion limit
        raise DocumentError(f"number too large to read ({str(exc).split(':')[0]})", Location(file)) from None
    except RecursionError:
        raise DocumentError("the document is nested too deeply to read", Location(file)) from None
