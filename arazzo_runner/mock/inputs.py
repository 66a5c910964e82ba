"""Made-up workflow inputs for mock runs: from the workflow's inputs schema, deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, TextIO

from ..model import Workflow
from .generate import ValueGenerator

__all__ = ["generate_inputs", "complete_inputs"]


def generate_inputs(
    workflow: Workflow,
    seed: int = 0,
    *,
    given: Mapping[str, Any] | None = None,
    optional: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """``given`` completed with generated values: (inputs, names of the inputs made up, in schema order).

    Optional inputs are made up too unless ``optional`` is false: a step that
    references an input the run was not given cannot build its request, so a
    mock run that should get through needs every input its steps use.
    """
    schema = workflow.inputs_schema or {}
    inputs = dict(given or {})
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return inputs, []
    required = set(workflow.required_inputs())
    rng = random.Random(f"{seed}|inputs|{workflow.workflow_id}")
    generator = ValueGenerator(lambda node: node, rng)  # inputs schemas are resolved by the loader
    made_up: list[str] = []
    for name, prop in properties.items():
        if name in inputs or not (optional or name in required):
            continue
        inputs[name] = generator.generate(prop, str(name))
        made_up.append(str(name))
    return inputs, made_up


def complete_inputs(workflow: Workflow, inputs: Mapping[str, Any], seed: int = 0, out: TextIO | None = None) -> dict[str, Any]:
    """For ``run --mock``: the required inputs not given are made up, and each is named on ``out``."""
    completed, made_up = generate_inputs(workflow, seed, given=inputs)
    if out is not None:
        for name in made_up:
            shown = "(hidden)" if name in workflow.secret_inputs else repr(completed[name])
            out.write(f"mock: input {name!r} not given; made up {shown}\n")
    return completed
