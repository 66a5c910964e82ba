"""Request validation against the OpenAPI operation, with openapi-core.

openapi-core's spec object is built lazily, once per loaded description (a
weak cache keyed by the :class:`OpenAPIDescription`: derived, immutable data,
dropped with the description). Building it costs well under a millisecond
even for the 1.4 MB Stytch B2B description, because openapi-core resolves
``$ref`` on demand and the spec itself is not validated here (the loader
already indexed it; validating a 1.4 MB spec would cost seconds). A request
costs about half a millisecond to validate.

The operation is already known (see :mod:`.router`), so openapi-core is
handed the path *pattern* and the path parameters: it cannot then pick a
different operation, whatever host or ``servers=`` override the request used.

Swagger 2.0 descriptions are not validated (openapi-core reads OpenAPI 3.0
and 3.1 only). Each problem becomes one sentence; :func:`validate_request` returns them all,
and whether they are about credentials (answered 401) or the request (400).
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import ArazzoError
from ..openapi.index import OpenAPIDescription, Operation

__all__ = ["RequestProblems", "ValidationInput", "validate_request"]

_SPECS: weakref.WeakKeyDictionary[OpenAPIDescription, Any] = weakref.WeakKeyDictionary()
# warnings.catch_warnings swaps the process-wide filter list: serialised, so that two threads of the mock
# server cannot interleave and leave "ignore" installed for good.
_QUIET = threading.Lock()


@contextmanager
def _third_party_quiet() -> Iterator[None]:
    """Silence the warnings openapi-core and its dependencies emit while they run.

    openapi-core warns through :mod:`warnings` about what it does not support
    (``UserWarning: Unsupported scheme type`` for an oauth2 scheme, deprecations
    of its own API): noise on the user's terminal that says nothing about the
    workflow. Only openapi-core code runs inside this block; our own messages are
    written after it, never through :mod:`warnings`.
    """
    with _QUIET, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@dataclass(frozen=True)
class ValidationInput:
    """What openapi-core needs of one request, independent of httpx or http.server."""

    method: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    path_params: Mapping[str, str]


@dataclass
class RequestProblems:
    problems: list[str] = field(default_factory=list)
    unauthorized: bool = False  # the request lacks the credentials the operation's security asks for

    def __bool__(self) -> bool:
        return bool(self.problems)


def _spec_for(description: OpenAPIDescription) -> Any:
    spec = _SPECS.get(description)
    if spec is None:
        from openapi_core import Config, OpenAPI

        config = Config(spec_validator_cls=None, schema_validators_factory=_bounded_factory(description))
        spec = OpenAPI.from_dict(dict(description.data), config=config, base_uri=description.url)
        _SPECS[description] = spec
    return spec


class _SlowPattern(Exception):
    """A ``pattern`` only a backtracking engine can check, left to be decided outside the lock."""

    def __init__(self, pattern: str, instance: str) -> None:
        super().__init__(pattern)
        self.pattern = pattern
        self.instance = instance


def _bounded_pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """The ``pattern`` keyword in bounded time: RE2 when the pattern means the same there, else decided later.

    openapi-core's own check runs a backtracking engine that holds the interpreter while it matches:
    ``^(a+)+$`` against 40 characters would stop every client of the mock for ever.
    """
    from jsonschema.exceptions import ValidationError

    if not isinstance(instance, str) or not isinstance(pattern, str):
        return
    try:
        matcher = _regex(pattern)
    except ArazzoError:
        yield ValidationError(f"{pattern!r} is not a valid regular expression")
        return
    if matcher.linear is not None:
        if not matcher.linear.find(instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")
        return
    error = ValidationError(f"{instance!r} does not match {pattern!r}")
    error.cause = _SlowPattern(pattern, instance)  # decided by _settle, in the worker, without the lock
    yield error


@lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:
    from ..language.criteria.matchers import compile_regex

    return compile_regex(pattern)


def _settle(error: Any) -> str | None:
    """For a schema error left by :func:`_bounded_pattern`: None if the value matches after all, else the problem."""
    slow = getattr(error, "cause", None)
    if not isinstance(slow, _SlowPattern):
        return error.message if hasattr(error, "message") else str(error)
    passed, explanation = _regex(slow.pattern).check(slow.instance, "text")
    if passed:
        return None
    if "criterion_timeout" in explanation:
        return f"the pattern {slow.pattern!r} could not be checked: {explanation.split(': ', 1)[-1]}"
    return error.message if hasattr(error, "message") else str(error)


@lru_cache(maxsize=8)
def _validator_with_bounded_pattern(cls: Any) -> Any:
    from jsonschema.validators import extend

    return extend(cls, {"pattern": _bounded_pattern})


def _bounded_factory(description: OpenAPIDescription) -> Any:
    """openapi-core's schema validators for the description's version, with :func:`_bounded_pattern`."""
    from openapi_core.validation.schemas import (
        oas30_write_schema_validators_factory,
        oas31_schema_validators_factory,
        oas32_schema_validators_factory,
    )
    from openapi_core.validation.schemas.factories import SchemaValidatorsFactory

    version = str(description.data.get("openapi", ""))
    base = oas30_write_schema_validators_factory
    if version.startswith("3.1"):
        base = oas31_schema_validators_factory
    elif version.startswith("3.2"):
        base = oas32_schema_validators_factory

    class Bounded(SchemaValidatorsFactory):
        def get_validator_cls(self, spec: Any, schema: Any) -> Any:
            cls: Any = base.get_validator_cls(spec, schema)
            return _validator_with_bounded_pattern(cls)

    return Bounded(base.schema_validator_cls, base.format_checker)


class _CoreRequest:
    """The openapi-core Request protocol (plus ``path_pattern``) over a :class:`ValidationInput`."""

    def __init__(self, operation: Operation, request: ValidationInput) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        server = operation.servers[0] if operation.servers else ""
        split = urlsplit(server)
        if operation.description.is_swagger2:
            split = urlsplit(str(operation.description.data.get("basePath") or ""))
        self.host_url = f"{split.scheme}://{split.netloc}" if split.scheme and split.netloc else "http://mock.invalid"
        base_path = split.path.rstrip("/")
        template = operation.path if operation.path.startswith("/") else "/" + operation.path
        self.path_pattern = base_path + template
        filled = template
        for name, value in request.path_params.items():
            filled = filled.replace("{" + name + "}", value)
        self.path = base_path + filled
        self.method = request.method.lower()
        self.body: bytes | None = request.body or None
        headers = Headers(request.headers)
        self.content_type = (headers.get("Content-Type") or "").lower()
        cookies: dict[str, str] = {}
        for raw in headers.getlist("Cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            cookies.update({key: morsel.value for key, morsel in jar.items()})
        self.parameters = RequestParameters(
            path=dict(request.path_params),
            query=ImmutableMultiDict(parse_qsl(request.query, keep_blank_values=True)),
            header=headers,
            cookie=ImmutableMultiDict(cookies),
        )


_CORE_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def validate_request(operation: Operation, request: ValidationInput) -> RequestProblems:
    """Every way ``request`` breaks what ``operation`` declares, one sentence each."""
    result = RequestProblems()
    if operation.description.is_swagger2:
        return result  # openapi-core reads OpenAPI 3.x only: Swagger 2.0 requests are answered unchecked
    if operation.method not in _CORE_METHODS or any(p.location == "querystring" for p in operation.parameters):
        return result  # OpenAPI 3.2 additions (querystring, QUERY, other methods) openapi-core does not know
    with _third_party_quiet():  # its first import may warn too
        from openapi_core.validation.request.exceptions import SecurityValidationError

        spec = _spec_for(operation.description)
        errors = list(spec.request_validator.iter_errors(_CoreRequest(operation, request)))
    for error in errors:
        if isinstance(error, SecurityValidationError):
            result.unauthorized = True
            result.problems.append(_security_sentence(operation))
        else:
            result.problems.extend(_sentences(error))
    return result


def _security_sentence(operation: Operation) -> str:
    options = [" + ".join(sorted(requirement)) or "(none)" for requirement in operation.security or ()]
    return f"missing credentials: {operation.label} needs one of: {', '.join(options)}"


def _sentences(error: Exception) -> list[str]:
    """openapi-core's error as sentences naming the parameter or the body, one per schema violation."""
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.validation.request.exceptions import (
        MissingRequiredParameter,
        MissingRequiredRequestBody,
        ParameterValidationError,
        RequestBodyValidationError,
    )

    cause = error.__cause__
    if isinstance(error, MissingRequiredParameter):
        return [f"missing required {error.location} parameter {error.name!r}"]
    if isinstance(error, MissingRequiredRequestBody):
        return ["missing required request body"]
    if isinstance(error, ParameterValidationError):
        what = f"{error.location} parameter {error.name!r}"
    elif isinstance(error, RequestBodyValidationError):
        what = "request body"
        if isinstance(cause, MediaTypeNotFound):
            allowed = ", ".join(cause.availableMimetypes)
            return [f"request body: content type {cause.mimetype or '(none)'!r} is not accepted; expected {allowed}"]
    else:
        return [str(error)]
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        out = []
        for schema_error in schema_errors:
            message = _settle(schema_error)  # a backtracking pattern is decided here, with no lock held
            if message is None:
                continue
            pointer = "/" + "/".join(str(p) for p in schema_error.absolute_path)
            at = f" at {pointer}" if pointer != "/" else ""
            out.append(f"{what}{at}: {message}")
        return out
    return [f"{what}: {cause or error}"]
