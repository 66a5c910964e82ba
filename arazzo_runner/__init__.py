"""arazzo-runner: run Arazzo 1.0.x and 1.1.x workflows against the APIs their OpenAPI descriptions describe.

from arazzo_runner import load, run_workflow
doc = load("specs/stytch/arazzo/stytch-b2b-recovery-codes-rotate-workflow.yml")
result = run_workflow(doc, "recovery-codes-rotate", {...}, servers=..., credentials=...)
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - type checkers and IDEs see every public name as a plain import
    from . import events
    from .api import Runner, arun_workflow, run_workflow
    from .checker import check
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

# Where each public name lives. `import arazzo_runner` loads none of them (nor httpx, asyncio or YAML):
# a name's module is imported on first use (PEP 562), so a command line or a script pays only for what it
# touches. The checker in particular loads only for `check`; running workflows never needs it.
_ERRORS = (
    "ArazzoError",
    "DocumentError",
    "EvaluationError",
    "ExpressionSyntaxError",
    "InputError",
    "InputProblem",
    "Location",
    "SourceError",
    "WorkflowFailed",
    "WorkflowNotFound",
)
_HOMES: dict[str, str] = {
    "Runner": "api",
    "arun_workflow": "api",
    "run_workflow": "api",
    "check": "checker",
    "load": "compile.loader",
    "load_text": "compile.loader",
    "Diagnostic": "diagnostics",
    "Limits": "engine.bounded",
    **dict.fromkeys(_ERRORS, "errors"),
    "Event": "events",
    "EventListener": "events",
    "ArazzoDocument": "plan.model",
    "Failure": "result",
    "NextAction": "result",
    "StepResult": "result",
    "WorkflowResult": "result",
    "UpgradeResult": "upgrade",
    "upgrade_text": "upgrade",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "events":
        return importlib.import_module(".events", __name__)
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
