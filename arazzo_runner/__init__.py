"""arazzo-runner: run Arazzo 1.0.x workflows against the APIs their OpenAPI descriptions describe.

    from arazzo_runner import load, run_workflow
    doc = load("specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml")
    result = run_workflow(doc, "recovery-codes-rotate", {...}, servers=..., credentials=...)
"""

from .api import Runner, arun_workflow, run_workflow
from .check import check
from .diagnostics import Diagnostic
from .engine import Limits
from .errors import (
    ArazzoError,
    DocumentError,
    EvaluationError,
    ExpressionSyntaxError,
    InputError,
    Location,
    SourceError,
    WorkflowFailed,
    WorkflowNotFound,
)
from .loader import load, load_text
from .model import ArazzoDocument
from .result import Failure, StepResult, WorkflowResult

__version__ = "0.1.0"

__all__ = [
    "load",
    "load_text",
    "check",
    "run_workflow",
    "arun_workflow",
    "Runner",
    "Limits",
    "ArazzoDocument",
    "WorkflowResult",
    "StepResult",
    "Failure",
    "Diagnostic",
    "ArazzoError",
    "DocumentError",
    "SourceError",
    "ExpressionSyntaxError",
    "InputError",
    "EvaluationError",
    "WorkflowNotFound",
    "WorkflowFailed",
    "Location",
    "__version__",
]
