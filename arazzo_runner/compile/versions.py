"""Arazzo versions: which specification a document follows, and what each one allows.

A document says its version in ``arazzo``; 1.0.x and 1.1.x are read, each
by its own rules. 1.1 adds fields (``$self``, step ``timeout``/``dependsOn``,
AsyncAPI step fields, action ``parameters``, ``targetSelectorType``), values
(``in: querystring``, source ``type: asyncapi``, Expression Type versions
``rfc9535``/``xpath-31``/``rfc6901``) and the Selector Object. A 1.0 document
using any of them gets one error per use naming the feature and the fix
(V11-02): the field tables below are what both ``load()`` and ``check`` use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

from ..plan.rules import VERSION_RE

__all__ = [
    "FIELDS_11",
    "SELECTOR_TYPES",
    "VERSION_RE",
    "base_uri",
    "find_11_features",
    "is_selector_object",
    "minor_version",
    "version_feature_message",
]


#: Fields each object gains in 1.1 (added to the 1.0 tables; the ``kind`` names are the compiler's).
FIELDS_11: dict[str, frozenset[str]] = {
    "root": frozenset({"$self"}),
    "step": frozenset({"timeout", "dependsOn", "channelPath", "action", "correlationId"}),
    "successAction": frozenset({"parameters"}),
    "failureAction": frozenset({"parameters"}),
    "replacement": frozenset({"targetSelectorType"}),
}

#: Expression Type Object: allowed versions per type, the first one the default (V11-10).
SELECTOR_TYPES: dict[str, tuple[str, ...]] = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-31", "xpath-30", "xpath-20", "xpath-10"),
    "jsonpointer": ("rfc6901",),
}
# Versions a 1.0 Criterion Expression Type Object did not have.
_NEW_VERSIONS = frozenset({"rfc9535", "xpath-31", "rfc6901"})
_SELECTOR_KEYS = frozenset({"context", "selector", "type"})


def minor_version(version: Any) -> str | None:
    """``"1.0"`` or ``"1.1"`` for a supported ``arazzo`` value, else ``None``."""
    if isinstance(version, str) and VERSION_RE.match(version):
        return version[:3]
    return None


def is_selector_object(value: Any) -> bool:
    """A mapping written as a Selector Object: ``context`` and ``selector`` and nothing but ``type``/``x-``."""
    if not isinstance(value, Mapping) or "context" not in value or "selector" not in value:
        return False
    return all(key in _SELECTOR_KEYS or (isinstance(key, str) and key.startswith("x-")) for key in value)


def version_feature_message(feature: str, version: str) -> str:
    return (
        f"{feature} is an Arazzo 1.1 feature, but this document declares arazzo: {version}; "
        "set 'arazzo' to \"1.1.0\" to use it (`arazzo-runner upgrade` rewrites a 1.0 document as 1.1)"
    )


def _p(pointer: str, key: str | int) -> str:
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _items(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


def find_11_features(data: Any) -> list[tuple[str, str]]:
    """Every use of a 1.1-only feature in a raw document: ``(pointer, feature)`` in document order."""
    found: list[tuple[str, str]] = []
    if not isinstance(data, Mapping):
        return found
    if "$self" in data:
        found.append(("/$self", "'$self'"))
    for i, src in _items(data.get("sourceDescriptions")):
        if isinstance(src, Mapping) and src.get("type") == "asyncapi":
            found.append((_p(_p("/sourceDescriptions", i), "type"), "an AsyncAPI source (type: asyncapi)"))
    for i, wf in _items(data.get("workflows")):
        if not isinstance(wf, Mapping):
            continue
        here = _p("/workflows", i)
        _parameters(wf.get("parameters"), _p(here, "parameters"), found)
        _actions(wf.get("successActions"), _p(here, "successActions"), found)
        _actions(wf.get("failureActions"), _p(here, "failureActions"), found)
        _outputs(wf.get("outputs"), _p(here, "outputs"), found)
        for j, step in _items(wf.get("steps")):
            if isinstance(step, Mapping):
                _step(step, _p(_p(here, "steps"), j), found)
    components = data.get("components")
    if isinstance(components, Mapping):
        for group, fn in (("parameters", _parameter), ("successActions", _action), ("failureActions", _action)):
            entries = components.get(group)
            if isinstance(entries, Mapping):
                for key, entry in entries.items():
                    fn(entry, _p(_p("/components", group), key), found)
    return found


def _step(step: Mapping[str, Any], here: str, found: list[tuple[str, str]]) -> None:
    for key, feature in (
        ("timeout", "step 'timeout'"),
        ("dependsOn", "step-level 'dependsOn'"),
        ("channelPath", "an AsyncAPI step ('channelPath')"),
        ("action", "an AsyncAPI step ('action')"),
        ("correlationId", "an AsyncAPI step ('correlationId')"),
    ):
        if key in step:
            found.append((_p(here, key), feature))
    _parameters(step.get("parameters"), _p(here, "parameters"), found)
    body = step.get("requestBody")
    if isinstance(body, Mapping):
        for k, rep in _items(body.get("replacements")):
            if not isinstance(rep, Mapping):
                continue
            at = _p(_p(_p(here, "requestBody"), "replacements"), k)
            if "targetSelectorType" in rep:
                found.append((_p(at, "targetSelectorType"), "'targetSelectorType'"))
            if is_selector_object(rep.get("value")):
                found.append((_p(at, "value"), "a Selector Object as a replacement value"))
    for key in ("successCriteria",):
        _criteria(step.get(key), _p(here, key), found)
    _actions(step.get("onSuccess"), _p(here, "onSuccess"), found)
    _actions(step.get("onFailure"), _p(here, "onFailure"), found)
    _outputs(step.get("outputs"), _p(here, "outputs"), found)


def _parameters(items: Any, here: str, found: list[tuple[str, str]]) -> None:
    for i, param in _items(items):
        _parameter(param, _p(here, i), found)


def _parameter(param: Any, here: str, found: list[tuple[str, str]]) -> None:
    if not isinstance(param, Mapping):
        return
    if param.get("in") == "querystring":
        found.append((_p(here, "in"), "'in: querystring'"))
    if is_selector_object(param.get("value")):
        found.append((_p(here, "value"), "a Selector Object as a parameter value"))


def _actions(items: Any, here: str, found: list[tuple[str, str]]) -> None:
    for i, action in _items(items):
        _action(action, _p(here, i), found)


def _action(action: Any, here: str, found: list[tuple[str, str]]) -> None:
    if not isinstance(action, Mapping):
        return
    if "parameters" in action:
        found.append((_p(here, "parameters"), "'parameters' on a success or failure action"))
    _criteria(action.get("criteria"), _p(here, "criteria"), found)


def _criteria(items: Any, here: str, found: list[tuple[str, str]]) -> None:
    for i, crit in _items(items):
        if not isinstance(crit, Mapping):
            continue
        kind = crit.get("type")
        if isinstance(kind, Mapping):
            if kind.get("type") == "jsonpointer":
                found.append((_p(_p(here, i), "type"), "the jsonpointer Expression Type"))
            elif kind.get("version") in _NEW_VERSIONS:
                found.append((_p(_p(_p(here, i), "type"), "version"), f"expression version {kind['version']!r}"))


def _outputs(outputs: Any, here: str, found: list[tuple[str, str]]) -> None:
    if isinstance(outputs, Mapping):
        for key, value in outputs.items():
            if is_selector_object(value):
                found.append((_p(here, key), "a Selector Object as an output value"))


def base_uri(data: Any, retrieval_url: str) -> str:
    """The base for a document's relative references (V11-04, the spec's "Establishing the Base URI").

    A 1.1 document's ``$self`` is its identity and its base: an absolute one
    is used as is, a relative one is first resolved against the retrieval URL.
    Without ``$self`` (and in every 1.0 document) the retrieval URL is the base.
    A ``$self`` with a fragment is an error reported elsewhere and not used.
    """
    if not isinstance(data, Mapping) or minor_version(data.get("arazzo")) != "1.1":
        return retrieval_url
    identity = data.get("$self")
    if not isinstance(identity, str) or not identity or "#" in identity:
        return retrieval_url
    try:
        return urljoin(retrieval_url, identity)
    except ValueError:
        return retrieval_url
