"""A package's lazily handed-out names (kibitz.core.lazy_names), on a real package on disk: a
name's module loads when the name is first asked for, and only that module."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def package(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        "from kibitz.core.lazy_names import lazy_names\n"
        "__getattr__ = lazy_names(__name__, {'ONE': 'one', 'TWO': 'two'}, globals())\n"
    )
    (root / "one.py").write_text("ONE = 1\n")
    (root / "two.py").write_text("TWO = 2\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield "lazypkg"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "lazypkg" or m.startswith("lazypkg.")]:
            del sys.modules[name]


def test_a_name_loads_its_module_when_first_asked_for_and_is_kept(package: str) -> None:
    pkg = importlib.import_module(package)
    assert f"{package}.one" not in sys.modules

    assert pkg.ONE == 1

    assert f"{package}.one" in sys.modules
    assert f"{package}.two" not in sys.modules
    assert vars(pkg)["ONE"] == 1  # kept: the next lookup does not come back here


def test_an_unknown_name_is_an_attribute_error_naming_the_package(package: str) -> None:
    pkg = importlib.import_module(package)
    with pytest.raises(AttributeError, match="module 'lazypkg' has no attribute 'THREE'"):
        _ = pkg.THREE
    assert not hasattr(pkg, "THREE")
