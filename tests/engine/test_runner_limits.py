"""The Runner keeps every field of the Limits it is given; only an unset request timeout takes ``timeout=``."""

from __future__ import annotations

import dataclasses

from arazzo_runner import Limits, Runner


def _changed() -> Limits:
    """Limits with every field away from its default, whatever fields Limits has."""
    values = {}
    for f in dataclasses.fields(Limits):
        default = f.default
        values[f.name] = (default or 1) * 3 if isinstance(default, (int, float)) else 7.0
    return Limits(**values)


def test_every_limit_field_is_kept() -> None:
    given = _changed()
    assert Runner(limits=given, timeout=99.0).limits == given


def test_timeout_fills_an_unset_request_timeout_only() -> None:
    given = dataclasses.replace(_changed(), request_timeout=None)
    assert Runner(limits=given, timeout=4.5).limits == dataclasses.replace(given, request_timeout=4.5)
    assert Runner(timeout=4.5).limits == Limits(request_timeout=4.5)
