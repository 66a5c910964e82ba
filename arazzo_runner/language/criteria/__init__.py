"""Criteria: simple conditions, regex, JSONPath and XPath, compiled once at load time."""

from __future__ import annotations

from .condition import Condition, compile_condition
from .criterion import GOESSNER_VERSION, Criterion, CriterionResult, compile_criterion

__all__ = [
    "GOESSNER_VERSION",
    "Condition",
    "Criterion",
    "CriterionResult",
    "compile_condition",
    "compile_criterion",
]
