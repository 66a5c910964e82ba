"""The public face: ``arazzo_runner.check`` is the function, ``arazzo_runner.checker`` the package behind it."""

from __future__ import annotations

import importlib
import types

import arazzo_runner


def test_check_is_the_function_and_checker_the_package() -> None:
    package = importlib.import_module("arazzo_runner.checker")
    assert isinstance(package, types.ModuleType)
    assert callable(arazzo_runner.check) and not isinstance(arazzo_runner.check, types.ModuleType)
    assert arazzo_runner.check is package.check


def test_every_public_name_is_importable() -> None:
    for name in arazzo_runner.__all__:
        assert getattr(arazzo_runner, name) is not None, name
