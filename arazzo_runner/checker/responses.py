"""What an operation answers, as the checker reads it: the statuses a step's criteria accept, the
response entries those statuses select, and the schemas of a response's media types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ArazzoError
from ..language.criteria.condition_ast import Comparison, ExpressionRef, Literal, Logical, Node
from ..language.expressions import StatusCodeExpression
from ..openapi.index import OpenAPIDescription, Operation
from ..plan.model import CriterionSpec

__all__ = [
    "ALL_STATUSES",
    "JSON_TYPES",
    "accepted_statuses",
    "media_schemas",
    "operation_responses",
    "response_keys",
    "status_set",
]

ALL_STATUSES = frozenset(range(100, 600))
JSON_TYPES = re.compile(r"^application/(.+\+)?json$|^\*/\*$")


# -- which statuses do criteria accept ----------------------------------------
def status_set(node: Node) -> frozenset[int]:
    if isinstance(node, Logical):
        left, right = status_set(node.left), status_set(node.right)
        return left & right if node.op == "&&" else left | right
    if isinstance(node, Comparison):
        sides = (node.left, node.right)
        status = [s for s in sides if isinstance(s, ExpressionRef) and isinstance(s.expression, StatusCodeExpression)]
        number = [
            s
            for s in sides
            if isinstance(s, Literal) and isinstance(s.value, (int, float, str)) and not isinstance(s.value, bool)
        ]
        if len(status) == 1 and len(number) == 1:
            try:
                n = float(number[0].value)  # type: ignore[arg-type]
            except ValueError:
                return ALL_STATUSES
            op = node.op
            if sides[0] is number[0]:  # 200 == $statusCode: mirror the operator
                op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            tests = {
                "==": lambda s: s == n,
                "!=": lambda s: s != n,
                "<": lambda s: s < n,
                "<=": lambda s: s <= n,
                ">": lambda s: s > n,
                ">=": lambda s: s >= n,
            }
            return frozenset(s for s in ALL_STATUSES if tests[op](s))
    return ALL_STATUSES


def accepted_statuses(criteria: Iterable[CriterionSpec]) -> frozenset[int]:
    """The statuses for which all ``criteria`` can pass (every status when they do not constrain it)."""
    result = ALL_STATUSES
    for spec in criteria:
        crit = spec.criterion
        if crit.simple is not None:
            result &= status_set(crit.simple.node)
        elif (
            crit.type == "regex"
            and isinstance(crit.context_expression, StatusCodeExpression)
            and crit.matcher is not None
        ):
            try:
                result &= frozenset(s for s in ALL_STATUSES if crit.matcher.check(s, "json")[0])
            except ArazzoError:  # a matcher problem leaves the set unconstrained
                pass
    return result


def operation_responses(operation: Operation) -> Mapping[str, Any]:
    # Resolved from the file the operation is written in: its $refs are relative to that file.
    responses = operation.description.resolve_deep(operation.data.get("responses"), base=operation.document_url or None)
    return responses if isinstance(responses, Mapping) else {}


def response_keys(operation: Operation, statuses: frozenset[int]) -> list[str]:
    responses = operation_responses(operation)
    keys: list[str] = []
    for status in sorted(statuses):
        for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
            if key in responses:
                if key not in keys:
                    keys.append(key)
                break
    return keys


def media_schemas(description: OpenAPIDescription, holder: Any) -> list[Any] | None:
    """The schemas of the JSON-like media types of a response/request body; [] when it has no content; None unknown."""
    holder = description.resolve(holder)
    if not isinstance(holder, Mapping):
        return None
    if description.is_swagger2:
        return [holder["schema"]] if "schema" in holder else []
    content = holder.get("content")
    if not isinstance(content, Mapping) or not content:
        return []
    schemas = [
        media.get("schema", True)
        for mt, media in content.items()
        if isinstance(media, Mapping) and JSON_TYPES.match(str(mt).split(";")[0].strip())
    ]
    if not schemas:
        return None  # not JSON: a pointer cannot be judged here
    return schemas
