"""What the operator decides for ``arazzo-runner serve``: documents, servers, secrets and guard rails.

An agent calling the tools can only choose a tool and its arguments; everything
here (where requests go, the credentials they carry, inputs the server fills in,
which workflows are exposed, limits) comes from the command line, the
environment or a configuration file, never from a tool call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..engine.bounded import Limits
from ..engine.preflight import server_url_problem
from ..engine.redact import Redactor
from ..engine.security import Credentials
from ..errors import ArazzoError
from ..plan.model import ArazzoDocument

__all__ = [
    "SECRET_INPUT_ENV_PREFIX",
    "ConfigError",
    "ServeConfig",
    "read_config_file",
    "read_secret_inputs",
    "scheme_names",
    "secret_input_env_name",
    "servers_for",
]

SECRET_INPUT_ENV_PREFIX = "ARAZZO_SECRET_"

# Keys a configuration file may hold; anything else is a typo the operator should hear about.
_FILE_KEYS = frozenset(
    {
        "servers",
        "credentials",
        "inputs",
        "secret_inputs",
        "allow",
        "deny",
        "max_steps",
        "run_timeout",
        "timeout",
        "max_concurrent_runs",
        "max_response_bytes",
        "mock",
        "mock_seed",
    }
)


class ConfigError(ArazzoError):
    """The server's own configuration (command line, environment, file) is invalid."""


def secret_input_env_name(name: str) -> str:
    """The environment variable a secret input is read from: ARAZZO_SECRET_<NAME>, like credentials."""
    return SECRET_INPUT_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


@dataclass
class ServeConfig:
    """Everything the operator sets for one ``serve`` process.

    ``servers``: ``--server`` items (``URL`` or ``SOURCE=URL``). ``credentials``: by
    security scheme (``SOURCE.SCHEME`` for one source). ``inputs``: values the server
    fills in for every workflow declaring that input (not secret; shown nowhere else).
    ``secret_inputs``: the same for secrets: masked in every result and message.
    ``allow``/``deny``: workflowIds to expose or hide (``allow`` empty: all).
    """

    specs: list[str] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    credentials: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    secret_inputs: dict[str, Any] = field(default_factory=dict)
    allow: set[str] = field(default_factory=set)
    deny: set[str] = field(default_factory=set)
    limits: Limits = field(default_factory=Limits)
    timeout: float = 30.0
    max_concurrent_runs: int = 4
    max_response_bytes: int | None = None  # per response of a run: Limits.max_response_bytes; None: its default
    mock: bool = False
    mock_seed: int = 0
    sources: dict[str, str] = field(default_factory=dict)
    strict: bool = False

    def __repr__(self) -> str:  # the values of credentials and secret inputs never appear
        return (
            f"ServeConfig(specs={self.specs!r}, servers={self.servers!r}, credentials={sorted(self.credentials)!r}, "
            f"secret_inputs={sorted(self.secret_inputs)!r}, allow={sorted(self.allow)!r}, deny={sorted(self.deny)!r})"
        )

    def run_limits(self) -> Limits:
        """The engine's limits for every run: ``limits``, with ``max_response_bytes`` when one is set."""
        if self.max_response_bytes is None:
            return self.limits
        return replace(self.limits, max_response_bytes=self.max_response_bytes)

    def filled_inputs(self) -> dict[str, Any]:
        """Every input the server supplies itself, secret or not."""
        return {**self.inputs, **self.secret_inputs}

    def redactor(self) -> Redactor:
        """Masks every credential and secret input value, in every form it takes in text."""
        redactor = Redactor(Credentials(self.credentials).secrets())
        for value in self.secret_inputs.values():
            if isinstance(value, str):
                redactor.add(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                redactor.add(str(value))
        return redactor

    def exposes(self, workflow_id: str) -> bool:
        if workflow_id in self.deny:
            return False
        return not self.allow or workflow_id in self.allow


def read_config_file(path: str, config: ServeConfig) -> None:
    """Merge the YAML or JSON file at ``path`` into ``config`` (the command line, read after, wins)."""
    from ..sources.yamlsource import parse_document

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"--config: cannot read {path}: {exc.strerror}") from None
    data, _ = parse_document(text, path)
    if data is None:
        return
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: the configuration must be a mapping of settings")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}; settings: {', '.join(sorted(_FILE_KEYS))}")
    servers = data.get("servers")
    if isinstance(servers, str):
        config.servers.append(servers)
    elif isinstance(servers, Mapping):
        config.servers.extend(f"{name}={url}" for name, url in servers.items())
    elif servers is not None:
        raise ConfigError(f"{path}: 'servers' must be a URL or a mapping of source name to URL")
    for key in ("credentials", "inputs", "secret_inputs"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: {key!r} must be a mapping of names to values")
        target: dict[str, Any] = getattr(config, key)
        for name, item in value.items():
            target[str(name)] = _credential_value(item) if key == "credentials" else item
    for key in ("allow", "deny"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: {key!r} must be a list of workflowIds")
        getattr(config, key).update(value)
    limits = config.limits
    config.limits = Limits(
        max_steps=_positive(data, "max_steps", limits.max_steps, path, integer=True),
        max_depth=limits.max_depth,
        max_retry_delay=limits.max_retry_delay,
        request_timeout=limits.request_timeout,
        run_timeout=_positive(data, "run_timeout", limits.run_timeout, path),
    )
    config.timeout = _positive(data, "timeout", config.timeout, path)
    config.max_concurrent_runs = _positive(data, "max_concurrent_runs", config.max_concurrent_runs, path, integer=True)
    config.max_response_bytes = _positive(data, "max_response_bytes", config.max_response_bytes, path, integer=True)
    if "mock" in data:
        if not isinstance(data["mock"], bool):
            raise ConfigError(f"{path}: 'mock' must be true or false")
        config.mock = data["mock"]
    if "mock_seed" in data:
        config.mock_seed = int(_positive(data, "mock_seed", 0, path, integer=True, zero=True))


def _credential_value(value: Any) -> Any:
    """A basic-auth credential may be written ``{user: …, password: …}`` in the file."""
    if isinstance(value, Mapping) and set(value) == {"user", "password"}:
        return (str(value["user"]), str(value["password"]))
    return value


def _positive(
    data: Mapping[str, Any], key: str, default: Any, path: str, *, integer: bool = False, zero: bool = False
) -> Any:
    if key not in data:
        return default
    value = data[key]
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not ok or isinstance(value, bool) or value < 0 or (value == 0 and not zero):
        kind = "integer" if integer else "number"
        raise ConfigError(f"{path}: {key!r} must be a positive {kind}, not {value!r}")
    return value


def read_secret_inputs(items: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``--secret-input NAME`` items: each value comes from the environment (ARAZZO_SECRET_<NAME>).

    A value never goes on the command line, where process listings would show it.
    """
    values: dict[str, str] = {}
    for name in items:
        if not name or "=" in name:
            raise ConfigError(
                f"--secret-input takes an input name, not a value (got {name.split('=')[0]!r}=…); "
                f"put the value in {secret_input_env_name(name.split('=')[0] or 'NAME')}"
            )
        variable = secret_input_env_name(name)
        if variable not in environ:
            raise ConfigError(f"--secret-input {name}: set the environment variable {variable} to its value")
        values[name] = environ[variable]
    return values


def servers_for(items: Iterable[str], document: ArazzoDocument, known_elsewhere: set[str]) -> Any:
    """The ``servers=`` value for one served document from ``--server`` items shared by all documents.

    ``SOURCE=URL`` applies to the documents that have that source; a source no served
    document has is an error (``known_elsewhere`` lists every document's sources).
    """
    default: str | None = None
    per_source: dict[str, str] = {}
    sources = document.all_source_names()
    for item in items:
        name, sep, url = item.partition("=")
        if sep and "://" not in name:
            if name not in known_elsewhere:
                raise ConfigError(
                    f"--server {item!r}: no served document has a source named {name!r}; "
                    f"sources: {', '.join(sorted(known_elsewhere))}"
                )
            if name in sources:
                per_source[name] = _checked_url(url)
        else:
            default = _checked_url(item)
    if default is not None and not per_source:
        return default
    if default is not None:
        for name in sources:
            per_source.setdefault(name, default)
    return per_source or None


def _checked_url(url: str) -> str:
    problem = server_url_problem(url)
    if problem:
        raise ConfigError(f"--server: {problem}")
    return url


def scheme_names(document: ArazzoDocument) -> tuple[set[str], set[str]]:
    """The security schemes a credential may name for ``document``: bare, and as ``SOURCE.SCHEME``."""
    schemes: set[str] = set()
    qualified: set[str] = set()
    for description in document.documents.openapi.values():
        schemes.update(description.security_schemes())
    for arazzo in document.documents.arazzo.values():
        for source_name, named in arazzo.sources.items():
            found = document.documents.openapi.get(named.url) if named.type == "openapi" else None
            if found is not None:
                qualified.update(f"{source_name}.{scheme}" for scheme in found.security_schemes())
    return schemes, qualified
