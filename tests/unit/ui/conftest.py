"""Fixtures the widget tests share: the fake OpenAI server, a data folder (no key from the
developer's environment), its store, and the palette of a scheme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from tests.support.fake_openai import FakeOpenAI

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.ui.style import dark_palette


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return resolve_paths(tmp_path / "home").ensure()


@pytest.fixture
def store(paths: AppPaths) -> Iterator[Store]:
    with Store.open(paths.database) as opened:
        yield opened


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
