"""The Usage window as a user meets it: opened from View → Usage and cost, the period and the
grouping chosen, the totals, the chart, unpriced replies flagged, and Export CSV written with
the same numbers. Real window, real store file.

Screenshots usage-{light,dark}.png go to $KIBITZ_TEST_SCREENSHOTS.
"""

from __future__ import annotations

import csv
import io
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from tests.support.ledger_data import fill_ledger
from tests.support.main_window import shown_window
from tests.support.screenshots import shots_dir

from kibitz.core.paths import AppPaths
from kibitz.core.pricing import format_usd
from kibitz.core.store import LedgerGrouping, Store, sum_totals
from kibitz.ui.controllers.usage_controller import UsageController, usage_window
from kibitz.ui.views.usage_view import GROUPINGS, PERIODS, UsageWindow

WAIT_MS = 10_000


def _opened(qtbot: QtBot, store: Store) -> tuple[UsageWindow, UsageController, ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(max_workers=1)
    window = usage_window(store, executor)
    qtbot.addWidget(window)
    controller = window.findChild(UsageController)
    assert controller is not None
    with qtbot.waitSignal(controller.loaded, timeout=WAIT_MS):
        window.show()
    return window, controller, executor


def _choose(qtbot: QtBot, window: UsageWindow, controller: UsageController, **what: int) -> None:
    with qtbot.waitSignal(controller.loaded, timeout=WAIT_MS):
        if "period" in what:
            window.period.setCurrentIndex(what["period"])
        if "grouping" in what:
            window.grouping.setCurrentIndex(what["grouping"])


def test_view_menu_opens_the_usage_window(qtbot: QtBot, store: Store, paths: AppPaths) -> None:
    with shown_window(qtbot, store, paths) as main:
        view_menu = next(a.menu() for a in main.menuBar().actions() if a.text() == "&View")
        assert isinstance(view_menu, QMenu)
        entry = next(a for a in view_menu.actions() if a.text() == "&Usage and cost")
        entry.trigger()
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, UsageWindow))
        qtbot.waitUntil(window.isVisible, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: "0 replies" in window.total.text(), timeout=WAIT_MS)
        assert window.chart.bars == []
        entry.trigger()  # a second time raises the same window
        assert sum(isinstance(w, UsageWindow) for w in QApplication.topLevelWidgets()) == 1
        window.close()


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_totals_per_day_and_per_model_match_the_ledger(
    qtbot: QtBot, store: Store, scheme: str, tmp_path: Path, qtmodeltester: ModelTester
) -> None:
    fill_ledger(store, 4000, days=120, conversations=50)
    window, controller, executor = _opened(qtbot, store)
    try:
        window.resize(900, 640)
        assert PERIODS[window.period.currentIndex()][0] == "Last 30 days"
        days = window.model.rows
        assert len(days) == 30
        expected = store.usage_totals(LedgerGrouping.DAY, since=_midnight(days[0].key))
        assert [d.key for d in days] == [d.key for d in expected]
        total = sum_totals(days)
        assert format_usd(total.cost_nanos) in window.total.text()
        assert f"{total.replies:,} replies" in window.total.text()
        assert len(window.chart.bars) == 30
        assert "no known price" in window.note.text()  # the generated data has such replies
        qtmodeltester.check(window.model)
        window.grab().save(str(shots_dir(tmp_path) / f"usage-{scheme}.png"))

        model_row = [label for label, g in GROUPINGS].index("Model")
        _choose(qtbot, window, controller, grouping=model_row, period=len(PERIODS) - 1)
        models = window.model.rows
        assert [m.label for m in models] == [
            m.label for m in store.usage_totals(LedgerGrouping.MODEL)
        ]
        assert window.model.headerData(0, Qt.Orientation.Horizontal) == "Model"
        unpriced = next(r for r in range(len(models)) if models[r].unpriced)
        assert window.model.index(unpriced, 6).data().endswith("*")
        assert sum_totals(models).replies == 4000
    finally:
        window.close()
        executor.shutdown(wait=True)


def test_export_csv_writes_the_rows_on_show(qtbot: QtBot, store: Store, tmp_path: Path) -> None:
    fill_ledger(store, 500, days=10, conversations=5)
    window, controller, executor = _opened(qtbot, store)
    try:
        conversation_row = [label for label, g in GROUPINGS].index("Conversation")
        _choose(qtbot, window, controller, grouping=conversation_row)
        target = tmp_path / "usage.csv"
        controller.export_to(target)
        rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
        assert len(rows) == 5
        on_show = {r.key: r for r in window.model.rows}
        for row in rows:
            shown = on_show[row["conversation_id"]]
            assert row["title"] == shown.label
            assert int(row["replies"]) == shown.replies
            assert Decimal(row["cost_usd"]) == Decimal(shown.cost_nanos) / 10**9

        controller.export_to(tmp_path / "missing-folder" / "usage.csv")
        assert "Could not write" in window.note.text()
    finally:
        window.close()
        executor.shutdown(wait=True)


def _midnight(day: str) -> float:
    return time.mktime(time.strptime(day, "%Y-%m-%d"))
