"""Start-up with an older database: the upgrade runs behind a progress window, the window
stays responsive, and a failed upgrade is raised on the UI thread with the v1 file untouched."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from kibitz.core.errors import StoreError
from kibitz.core.store import MIGRATIONS, Store
from kibitz.ui.app.store_upgrade import UpgradeWindow, open_store

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "store" / "v1-kibitz-0.1.0.sqlite"
sys.path.insert(0, str(REPO / "tests" / "bench"))
from bench_migration import build_v1  # noqa: E402


def _upgrade_windows() -> list[QWidget]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, UpgradeWindow) and w.isVisible()
    ]


def test_a_current_database_opens_without_the_window(qapp: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "kibitz.sqlite3"
    Store.open(path).close()
    seen: list[int] = []
    QTimer.singleShot(0, lambda: seen.append(len(_upgrade_windows())))
    with open_store(path, qapp).finish() as store:
        assert store.migration_backup is None
    assert seen in ([], [0])


def test_an_older_database_upgrades_behind_a_progress_window(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "kibitz.sqlite3"
    build_v1(path, 20_000)  # big enough to take a while on any machine
    snapshots: list[tuple[str, str]] = []
    ticks: list[int] = []

    def look() -> None:  # runs on the UI thread while the upgrade works: it is not frozen
        ticks.append(1)
        for window in _upgrade_windows():
            assert isinstance(window, UpgradeWindow)
            snapshots.append((window.windowTitle(), window.step.text()))

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(5)
    try:
        with open_store(path, qapp).finish() as store:
            assert store.migration_backup is not None
            assert len(store.search("python")) > 0
    finally:
        timer.stop()
    assert snapshots, "no progress window was seen during the upgrade"
    assert snapshots[0][0] == "Kibitz: upgrading your conversations"
    steps = len(MIGRATIONS) - 1  # a version 1 file takes every later step
    first = f"Step 1 of {steps}: messages made of parts"
    assert any(text.startswith(first) for _, text in snapshots)
    assert len(ticks) >= 2
    assert _upgrade_windows() == []


def test_a_failed_upgrade_is_raised_and_the_old_file_kept(
    qapp: QApplication, tmp_path: Path
) -> None:
    path = tmp_path / "kibitz.sqlite3"
    shutil.copy(FIXTURE, path)
    # A v1 file that already has a table the upgrade creates: the upgrade fails part way.
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE blobs (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as info:
        open_store(path, qapp)
    assert info.value.headline == "The conversation database could not be upgraded"
    assert "still at version 1" in info.value.hint
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 13
    finally:
        conn.close()
    assert _upgrade_windows() == []
