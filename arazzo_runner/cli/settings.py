"""What the command line reads besides its options: inputs, server URLs and credentials.

Each reader raises :class:`UsageError` (exit 2, before any request) naming the option and what is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from ..asyncapi.bindings import broker_url_problem
from ..engine.preflight import is_asyncapi_source, server_url_problem
from ..engine.scope import source_scope
from ..plan.coerce import coerce_input_text, strict_json
from ..plan.model import ArazzoDocument, Workflow
from ..sources.fetch import MAX_DOCUMENT_BYTES

__all__ = [
    "CREDENTIAL_ENV_PREFIX",
    "UsageError",
    "coerce_input",
    "credential_env_name",
    "read_credentials",
    "read_inputs",
    "read_servers",
]

CREDENTIAL_ENV_PREFIX = "ARAZZO_CREDENTIAL_"


class UsageError(Exception):
    pass


def credential_env_name(scheme: str) -> str:
    """The environment variable holding the credential for ``scheme``: ARAZZO_CREDENTIAL_<SCHEME>,
    upper-cased, with every character other than a letter or digit turned into ``_``."""
    return CREDENTIAL_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", scheme).upper()


def read_inputs(args: argparse.Namespace, workflow: Workflow) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    if args.inputs:
        raw = args.inputs
        if raw.startswith("@"):
            path = raw[1:]
            try:
                if os.path.exists(path) and not os.path.isfile(path):  # /dev/zero, a FIFO: never read
                    raise UsageError(f"--inputs: {path} is not a regular file")
                if os.path.getsize(path) > MAX_DOCUMENT_BYTES:
                    raise UsageError(f"--inputs: {path} is larger than {MAX_DOCUMENT_BYTES} bytes")
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except OSError as exc:
                raise UsageError(f"--inputs: cannot read {path}: {exc.strerror}") from None
            except UnicodeDecodeError as exc:
                raise UsageError(f"--inputs: {path} is not UTF-8 text: {exc.reason}") from None
            if path.endswith((".yaml", ".yml")):
                from ..sources.yamlsource import parse_document

                data, _ = parse_document(text, path)
            else:
                data = _json(text, f"--inputs file {path}")
        else:
            if os.path.isfile(raw) and not raw.lstrip().startswith(("{", "[")):
                raise UsageError(f"--inputs takes JSON text or @FILE; to read the file {raw!r}, write --inputs @{raw}")
            data = _json(raw, "--inputs")
        if not isinstance(data, Mapping):
            raise UsageError("--inputs must be a JSON object of input names to values")
        inputs.update(data)
    properties = (workflow.inputs_schema or {}).get("properties") or {}
    for item in args.input:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"-i expects NAME=VALUE, got {item!r}")
        schema = properties.get(name) if isinstance(properties, Mapping) else None
        inputs[name] = coerce_input(name, value, schema)
    return inputs


def _json(text: str, what: str) -> Any:
    try:
        return strict_json(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # NaN or an infinity, or an integer past Python's 4300-digit conversion limit
        words = str(exc) if "JSON can hold" in str(exc) else f"a number is too large to read ({str(exc).split(':')[0]})"
        raise UsageError(f"{what}: {words}") from None
    except RecursionError:
        raise UsageError(f"{what} is nested too deeply to read") from None


def coerce_input(name: str, value: str, schema: Any) -> Any:
    """Read a -i value by the input's schema type: an integer input gets an integer."""
    try:
        return coerce_input_text(name, value, schema)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def read_servers(items: list[str], document: ArazzoDocument) -> str | dict[str, str] | None:
    if not items:
        return None
    default: str | None = None
    per_source: dict[str, str] = {}

    def checked(url: str) -> str:
        problem = server_url_problem(url)
        if problem:
            raise UsageError(f"--server: {problem}")
        return url

    sources = source_scope(document).accepted()  # nested sources by qualified name too (flows.api)
    for item in items:
        name, sep, url = item.partition("=")
        if sep and "://" not in name:
            if name not in sources:
                raise UsageError(f"--server {item!r}: no source named {name!r}; sources: {', '.join(sources)}")
            if name in per_source:
                raise UsageError(f"--server: source {name!r} is given twice ({per_source[name]!r} and {url!r})")
            if is_asyncapi_source(document, name):  # a broker: mqtt://, amqp://, ws:// (docs/async-steps.md)
                problem = broker_url_problem(url)
                if problem:
                    raise UsageError(f"--server: {problem}")
                per_source[name] = url
                continue
            per_source[name] = checked(url)
        elif default is not None:
            raise UsageError(
                f"--server: two URLs for every source ({default!r} and {item!r}); "
                "name the source of each (--server SOURCE=URL)"
            )
        else:
            default = checked(item)
    if default is not None and not per_source:
        return default
    if default is not None:
        for name in sources:
            if not is_asyncapi_source(document, name):
                per_source.setdefault(name, default)
    return per_source


def read_credentials(items: list[str], document: ArazzoDocument, *, strict: bool = True) -> dict[str, Any]:
    """``ARAZZO_CREDENTIAL_*`` variables and ``--credential SCHEME=VALUE`` items for the schemes ``document``'s
    sources define (``SOURCE.SCHEME`` for one source); a JSON object value is read as JSON.

    ``strict`` (``run``): an item naming no scheme of the document, or without ``=``, is a :class:`UsageError`.
    Otherwise (``test`` and the pytest plugin, where one list serves a suite of documents, checked for ``=``
    up front) such an item is left out: it belongs to another document.
    """
    schemes: set[str] = set()
    for source in document.documents.openapi.values():
        schemes.update(source.security_schemes())
    # SOURCE.SCHEME names a scheme of one source (source names have no dots), in any loaded Arazzo document.
    qualified: set[str] = set()
    for source_name, url in source_scope(document).description_urls.items():
        description = document.documents.openapi.get(url)
        if description is not None:
            qualified.update(f"{source_name}.{scheme}" for scheme in description.security_schemes())
    scope = source_scope(document)
    for (_, bare), full in scope.qualified.items():
        if bare != full and bare not in scope.ambiguous and full in scope.description_urls:
            description = document.documents.openapi.get(scope.description_urls[full])
            if description is not None:
                qualified.update(f"{bare}.{scheme}" for scheme in description.security_schemes())
    credentials: dict[str, Any] = {}
    for scheme in sorted(schemes):
        env_value = os.environ.get(credential_env_name(scheme))
        if env_value is not None:
            credentials[scheme] = _credential_value(env_value)
    for item in items:
        name, sep, value = item.partition("=")
        known = name in schemes or name in qualified
        if not strict and not (sep and known):
            continue
        if not sep or not name:
            raise UsageError("--credential expects SCHEME=VALUE or SOURCE.SCHEME=VALUE")
        if schemes and not known:
            raise UsageError(
                f"--credential: no security scheme {name!r}; the sources define: {', '.join(sorted(schemes))} "
                f"(or SOURCE.SCHEME: {', '.join(sorted(qualified))})"
            )
        credentials[name] = _credential_value(value)
    return credentials


def _credential_value(value: str) -> Any:
    """A JSON object (OAuth2 ``{"client_id": …, "client_secret": …}``) is read as JSON; anything else is text."""
    if value.lstrip().startswith("{"):
        try:
            return strict_json(value)
        except (ValueError, RecursionError):
            raise UsageError("--credential: a value starting with '{' must be a JSON object") from None
    return value
