"""What loading documents may touch: the fetch policy, checked before anything is read.

* ``network=False`` (``load(fetch=False)``, ``--offline``) refuses every ``http(s)`` fetch; the
  error names the URL and how to supply a local copy (``sources=`` / ``--source URL=PATH``).
* A document fetched over the network never makes the runner read a local file: a ``file:``
  URL it names (a source, a ``$ref``) is refused.
* A fetch that redirects to another origin (scheme, host, port) is refused unless
  ``cross_origin_redirects`` allows it; each hop is checked like the first URL.
* A host that is, or resolves to, a link-local address (169.254.0.0/16, where cloud metadata
  services answer, and fe80::/10) is refused before any connection, unless ``link_local`` allows it.

The policy in force is a context variable: :func:`fetch_policy` sets it for a block.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import Location, SourceError

__all__ = ["FetchPolicy", "check_fetch", "check_redirect", "check_reference", "current_policy", "fetch_policy"]


@dataclass(frozen=True)
class FetchPolicy:
    network: bool = True
    cross_origin_redirects: bool = False
    link_local: bool = False


_DEFAULT = FetchPolicy()
_POLICY: contextvars.ContextVar[FetchPolicy | None] = contextvars.ContextVar("arazzo_fetch_policy", default=None)


def current_policy() -> FetchPolicy:
    return _POLICY.get() or _DEFAULT


@contextmanager
def fetch_policy(policy: FetchPolicy) -> Iterator[None]:
    token = _POLICY.set(policy)
    try:
        yield
    finally:
        _POLICY.reset(token)


def _resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (replaced in tests, which never send traffic to such addresses)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []  # unresolvable: the fetch itself fails with a connection error
    return [str(info[4][0]) for info in infos]


resolve: Callable[[str, int], list[str]] = _resolve


def _link_local(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_link_local


def check_fetch(url: str, shown: str) -> None:
    """Raise :class:`SourceError` when the policy forbids fetching ``url`` (before any connection)."""
    policy = current_policy()
    if not policy.network:
        raise SourceError(
            f"cannot fetch {shown}: fetching over the network is off (--offline, or fetch=False); save a copy "
            f"and give it with --source {shown}=PATH (sources={{url: path}} in Python)",
            Location(shown),
        )
    if policy.link_local:
        return
    split = urlsplit(url)
    host = split.hostname or ""
    port = split.port or (443 if split.scheme == "https" else 80)
    addresses = [host] if _is_address(host) else resolve(host, port)
    if any(_link_local(address) for address in addresses):
        raise SourceError(
            f"cannot fetch {shown}: {host} is a link-local address (169.254.0.0/16 or fe80::/10, where cloud "
            "metadata services answer); documents are not fetched from there unless allowed explicitly",
            Location(shown),
        )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _origin(url: str) -> tuple[str, str, int | None]:
    split = urlsplit(url)
    default = {"http": 80, "https": 443}.get(split.scheme)
    return (split.scheme, (split.hostname or "").lower(), split.port or default)


def check_redirect(from_url: str, to_url: str, shown: str) -> None:
    """A fetch's redirect stays on its origin unless allowed; the new URL is checked like the first."""
    if _origin(from_url) != _origin(to_url) and not current_policy().cross_origin_redirects:
        target = urlsplit(to_url)
        where = f"{target.scheme}://{target.netloc.rpartition('@')[2]}"
        raise SourceError(
            f"cannot fetch {shown}: it redirects to another origin ({where}), "
            "which is not followed for documents; fetch it from there directly, or allow cross-origin redirects",
            Location(shown),
        )
    check_fetch(to_url, shown)


def check_reference(referrer: str, target: str, shown: str) -> None:
    """A document fetched over the network may not name a local file."""
    if urlsplit(referrer).scheme in ("http", "https") and urlsplit(target).scheme == "file":
        raise SourceError(
            f"{shown} names a local file ({target}), and was itself fetched over the network: a downloaded "
            "document never reads local files; map the file with --source (sources= in Python) if you mean it",
            Location(shown),
        )
