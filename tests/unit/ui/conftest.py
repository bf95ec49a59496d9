"""Fixtures the widget tests share: a store in a fresh file, and the palette of a scheme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from kibitz.core.store import Store
from kibitz.ui.style import dark_palette


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "kibitz.sqlite3")
    yield s
    s.close()


@pytest.fixture
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    """The application's palette for the scheme given by indirect parametrisation ("light" or
    "dark"), restored afterwards."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QPalette(app.palette())
    if request.param == "dark":
        app.setPalette(dark_palette())
    yield str(request.param)
    app.setPalette(before)
