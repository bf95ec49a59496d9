"""Fills the Usage window from the store's ledger (on the worker thread) and writes its CSV."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from kibitz.core.errors import StoreError
from kibitz.core.pricing import period_start
from kibitz.core.pricing.report import to_csv
from kibitz.core.store import LedgerGrouping, LedgerTotal, Store
from kibitz.ui.views.usage_view import UsageWindow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Loaded:
    ask: int  # which request this answers: an older one is dropped
    by: LedgerGrouping
    rows: list[LedgerTotal]
    daily: list[LedgerTotal]


class UsageController(QObject):
    """Reads the ledger when the window opens and when its period or grouping changes; the sums
    of a year of replies take tens of milliseconds, off the UI thread."""

    _loaded = Signal(object)  # _Loaded, from the worker thread
    loaded = Signal()  # the window shows what was asked last (tests and benchmarks wait on it)

    def __init__(
        self,
        store: Store,
        window: UsageWindow,
        executor: Executor,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._window = window
        self._executor = executor
        self._asked = 0
        window.period_changed.connect(self.refresh)
        window.grouping_changed.connect(self.refresh)
        window.export_requested.connect(self.choose_export)
        window.shown.connect(self.refresh)  # each opening shows the latest replies
        self._loaded.connect(self._on_loaded)

    def refresh(self) -> None:
        """Read the totals of the window's period and grouping again (once it is shown: the
        choices made before that are read when it opens)."""
        if not self._window.isVisible():
            return
        self._asked += 1
        ask, by, days = self._asked, self._window.by, self._window.days
        since = period_start(f"{days}d") if days is not None else None
        self._executor.submit(self._load, ask, by, since)

    def _load(self, ask: int, by: LedgerGrouping, since: float | None) -> None:
        try:
            rows = self._store.usage_totals(by, since)
            daily = rows if by is LedgerGrouping.DAY else []
        except StoreError as e:
            log.warning("could not read the usage totals: %s", e)
            rows, daily = [], []
        self._loaded.emit(_Loaded(ask, by, rows, daily))

    def _on_loaded(self, loaded: _Loaded) -> None:
        if loaded.ask != self._asked:
            return  # the user chose again meanwhile
        self._window.show_totals(loaded.by, loaded.rows, loaded.daily)
        self.loaded.emit()

    def choose_export(self) -> None:
        by = self._window.by
        path, _ = QFileDialog.getSaveFileName(
            self._window, "Export usage", f"kibitz-usage-by-{by}.csv", "CSV files (*.csv)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the rows on show as CSV (the same columns as `kibitz usage --csv`)."""
        text = to_csv(str(self._window.by), self._window.model.rows)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            log.warning("could not write %s: %s", path, e)
            self._window.note.setText(
                f"Could not write {path}: {e.strerror or e}. Choose another folder and try again."
            )


def usage_window(store: Store, executor: Executor, parent: QWidget | None = None) -> UsageWindow:
    """A Usage window with its controller (which lives as long as the window)."""
    window = UsageWindow(parent)
    UsageController(store, window, executor, window)
    return window
