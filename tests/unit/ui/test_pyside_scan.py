"""PySide6's after-import question ("does this module use PySide6?") answered from the source
file's bytes: the same answers as PySide6's own rule, and the hook takes ours once installed."""

from __future__ import annotations

import importlib
import inspect
import linecache
import sys
from types import ModuleType

import pytest

from kibitz.ui.app import pyside_scan
from kibitz.ui.app.pyside_scan import install, uses_pyside


def pyside_rule(module: ModuleType) -> bool:
    """PySide6's own rule (shibokensupport.feature): the source, as inspect finds it, says
    "PySide6"; no source (built in, extension, frozen) says no."""
    try:
        return "PySide6" in inspect.getsource(module)
    except (TypeError, OSError, SyntaxError):
        return False


@pytest.mark.parametrize(
    "name",
    [
        "kibitz.ui.notify",  # ours, with Qt
        "kibitz.core.render.sanitize",  # ours, without
        "json",  # the standard library
        "sys",  # built in
        "_sqlite3",  # an extension module
        "PySide6.QtCore",  # PySide6's own extension
        "pyside_scan",  # imports nothing from Qt but names it in its text
    ],
)
def test_the_answers_are_pyside6s_own(name: str) -> None:
    module = pyside_scan if name == "pyside_scan" else importlib.import_module(name)
    assert uses_pyside(module) is pyside_rule(module)


def test_the_answers_differ_where_they_should() -> None:
    assert uses_pyside(importlib.import_module("kibitz.ui.notify"))
    assert not uses_pyside(importlib.import_module("json"))


def test_a_module_whose_file_is_gone_does_not_use_pyside() -> None:
    ghost = ModuleType("ghost")
    ghost.__spec__ = importlib.machinery.ModuleSpec("ghost", None, origin="/no/such/ghost.py")
    assert not uses_pyside(ghost)


def test_install_swaps_the_hook_pyside6_calls() -> None:
    importlib.import_module("PySide6.QtCore")
    assert install()
    feature = sys.modules["shibokensupport.feature"]
    assert feature._mod_uses_pyside is uses_pyside
    # The hook runs after every import statement from here: a new module is answered.
    sys.modules.pop("colorsys", None)
    feature.pyside_feature_dict.pop("colorsys", None)
    import colorsys  # noqa: F401

    assert feature.pyside_feature_dict["colorsys"] == -1  # "ignore": it does not use PySide6
    assert sys.modules["colorsys"].__file__ not in linecache.cache  # its source not kept
