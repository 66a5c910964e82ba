"""Microseconds per evaluation of a compiled condition and a compiled expression.

Run: python benchmarks/bench_expressions.py
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from arazzo_runner.language.criteria import compile_condition, compile_criterion
from arazzo_runner.language.expressions import EvalContext, HttpView, compile_value, parse_expression

CONDITION = "$statusCode == 200 && $response.body#/status == 'active'"
EXPRESSION = "$response.body#/a/0/b"
TEMPLATE = "https://{$inputs.host}/items/{$response.body#/a/0/b}"


def _per_call_us(statement: object, number: int) -> float:
    best = min(timeit.repeat(statement, number=number, repeat=7))  # type: ignore[arg-type]
    return best / number * 1e6


def main() -> None:
    ctx = EvalContext(
        inputs={"host": "api.example"},
        status_code=200,
        response=HttpView(
            headers={"content-type": "application/json"},
            body={"status": "ACTIVE", "a": [{"b": 42}]},
            body_kind="json",
        ),
    )
    condition = compile_condition(CONDITION)
    criterion = compile_criterion(CONDITION)
    expression = parse_expression(EXPRESSION)
    template = compile_value(TEMPLATE)
    assert condition.evaluate(ctx) is True
    assert expression.evaluate(ctx) == 42
    number = 200_000
    rows = [
        (f"condition  {CONDITION}  (Condition.evaluate)", _per_call_us(lambda: condition.evaluate(ctx), number)),
        (f"criterion  {CONDITION}  (Criterion.evaluate)", _per_call_us(lambda: criterion.evaluate(ctx), number)),
        (f"expression {EXPRESSION}  (Expression.evaluate)", _per_call_us(lambda: expression.evaluate(ctx), number)),
        (f"template   {TEMPLATE}  (CompiledValue.evaluate)", _per_call_us(lambda: template.evaluate(ctx), number)),
        (
            f"parse      {CONDITION}  (compile_condition, load time)",
            _per_call_us(lambda: compile_condition(CONDITION), 5_000),
        ),
    ]
    for label, micros in rows:
        print(f"{micros:8.3f} us  {label}")


if __name__ == "__main__":
    main()
