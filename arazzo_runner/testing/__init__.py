"""API testing: contract checks of every response against its OpenAPI operation, the ``test`` command's
suite runner and the pytest plugin. Beside the engine, never under it: the engine is handed a checker."""

from .contract import CHECK_NAMES, ContractChecker, parse_severities

__all__ = ["CHECK_NAMES", "ContractChecker", "parse_severities"]
