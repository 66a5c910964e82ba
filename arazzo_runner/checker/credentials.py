"""ARZ133: an expression reads a header that carries a credential of an authenticated request.

``$request.header.Authorization`` (or ``Cookie``, ``Proxy-Authorization``, an apiKey header)
of a step whose operation applies a security scheme reads the caller's credential back: a
document can then copy it elsewhere. The run refuses to send such a value to another host
(docs/security.md); ``check`` says so up front.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..language.expressions import HttpExpression
from ..plan.model import Step
from .report import Report

__all__ = ["credential_header_read"]

_ALWAYS = frozenset({"authorization", "proxy-authorization", "cookie"})


def _credential_headers(step: Step) -> frozenset[str]:
    """The headers a security scheme may set on the step's request (none when it has no security)."""
    assert step.operation is not None
    operation = step.operation.operation
    schemes = operation.description.security_schemes()
    requirements = operation.security
    if requirements is not None and not any(requirements):
        return frozenset()  # no security, or anonymous access only
    names = set(_ALWAYS) if schemes else set()
    for scheme in schemes.values():
        if isinstance(scheme, Mapping) and str(scheme.get("type", "")).lower() == "apikey":
            if scheme.get("in") == "header":
                names.add(str(scheme.get("name", "")).lower())
    return frozenset(names)


def credential_header_read(report: Report, step: Step, pointer: str, expression: HttpExpression) -> None:
    if expression.side != "request" or expression.part != "header" or expression.field is None:
        return
    if expression.field.lower() not in _credential_headers(step):
        return
    report.add(
        "ARZ133",
        f"{expression} reads the credential step {step.step_id!r} sends: a value carrying it is never sent to "
        "another host (the step fails), and results show it masked",
        pointer,
        find=str(expression),
    )
