"""Fixtures for the transfer tests: real SQLite files in tmp_path, a clock that always moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from transfer_helpers import StepClock

from kibitz.core.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data" / "kibitz.sqlite3", clock=StepClock())
    yield s
    s.close()


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[Store]:
    """A second, empty data folder: where exports are imported back."""
    s = Store.open(tmp_path / "elsewhere" / "kibitz.sqlite3")
    yield s
    s.close()
