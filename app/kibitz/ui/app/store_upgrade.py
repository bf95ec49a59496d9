"""Opening the store at start-up: an older database is upgraded behind a small progress window,
never behind a frozen start.

The upgrade runs on a worker thread (it takes seconds for a large history: ~2 s for 100,000
messages, tests/bench/bench_migration.py) while the UI thread keeps this window painted. The
worker only sets plain fields; the UI thread reads them on a timer, so no Qt object is touched
off its thread.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QProgressBar, QVBoxLayout, QWidget

from kibitz import APP_NAME
from kibitz.core.store.opening import StoreOpening
from kibitz.core.store.schema import needs_upgrade

_POLL_S = 0.03


class UpgradeWindow(QWidget):
    """“Upgrading your conversations…” with a busy bar and the step being run."""

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Dialog)
        self.setWindowTitle(f"{APP_NAME}: upgrading your conversations")
        self.setAccessibleName("Upgrading the conversation database")
        self.setMinimumWidth(420)
        title = QLabel("Upgrading your conversations…")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        title.setFont(font)
        self.step = QLabel("A copy of the database is made first; nothing is lost.")
        self.step.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: SQLite gives no per-row progress we could trust
        self.bar.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)

    def show_step(self, number: int, total: int, what: str) -> None:
        self.step.setText(f"Step {number} of {total}: {what}. This runs once.")


class _Upgrade:
    """The store opened on a worker thread: its result or its error, and the step it is at."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store: StoreOpening | None = None
        self.error: BaseException | None = None
        self.step: tuple[int, int, str] | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kibitz-upgrade", daemon=True)

    def _run(self) -> None:
        try:
            self.store = StoreOpening.open(self.path, progress=self._on_step, check_later=True)
        except BaseException as exc:  # noqa: BLE001 - handed to the UI thread, raised there
            self.error = exc
        finally:
            self.done.set()

    def _on_step(self, number: int, total: int, what: str) -> None:
        self.step = (number, total, what)


def open_store(path: Path, app: QApplication) -> StoreOpening:
    """StoreOpening.open(path) (the Store comes from it after the first frame), showing
    UpgradeWindow while an older database is upgraded."""
    if not needs_upgrade(path):
        # A large file's integrity check waits until the window shows (store_check).
        return StoreOpening.open(path, check_later=True)
    window = UpgradeWindow()
    window.show()
    upgrade = _Upgrade(path)
    upgrade.thread.start()
    shown: tuple[int, int, str] | None = None
    try:
        while not upgrade.done.wait(_POLL_S):
            if upgrade.step is not None and upgrade.step != shown:
                shown = upgrade.step
                window.show_step(*shown)
            app.processEvents()
            time.sleep(0)
    finally:
        window.close()
        window.deleteLater()
    upgrade.thread.join()
    if upgrade.error is not None:
        raise upgrade.error
    assert upgrade.store is not None
    return upgrade.store
