"""arazzo-runner: run Arazzo 1.0.x and 1.1.x workflows against the APIs their OpenAPI descriptions describe.

from arazzo_runner import load, run_workflow
doc = load("specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml")
result = run_workflow(doc, "recovery-codes-rotate", {...}, servers=..., credentials=...)
"""

from typing import TYPE_CHECKING, Any

from . import events
from .api import Runner, arun_workflow, run_workflow
from .compile.loader import load, load_text
from .diagnostics import Diagnostic
from .engine.bounded import Limits
from .errors import (
    ArazzoError,
    DocumentError,
    EvaluationError,
    ExpressionSyntaxError,
    InputError,
    InputProblem,
    Location,
    SourceError,
    WorkflowFailed,
    WorkflowNotFound,
)
from .events import Event, EventListener
from .plan.model import ArazzoDocument
from .result import Failure, NextAction, StepResult, WorkflowResult
from .upgrade import UpgradeResult, upgrade_text

if TYPE_CHECKING:  # pragma: no cover
    from .checker import check

__version__ = "0.1.0"

__all__ = [
    "ArazzoDocument",
    "ArazzoError",
    "Diagnostic",
    "DocumentError",
    "EvaluationError",
    "Event",
    "EventListener",
    "ExpressionSyntaxError",
    "Failure",
    "InputError",
    "InputProblem",
    "Limits",
    "Location",
    "NextAction",
    "Runner",
    "SourceError",
    "StepResult",
    "UpgradeResult",
    "WorkflowFailed",
    "WorkflowNotFound",
    "WorkflowResult",
    "__version__",
    "arun_workflow",
    "check",
    "events",
    "load",
    "load_text",
    "run_workflow",
    "upgrade_text",
]


def __getattr__(name: str) -> Any:
    # The checker (the `check` command's analysis) loads on first use: running workflows never needs it.
    if name == "check":
        from .checker import check

        return check
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
