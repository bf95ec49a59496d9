"""The Usage window: a period and a grouping to choose, the total, a bar chart and the table of
tokens and cost, and Export CSV. Layout only: the usage controller fills it and acts on it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.pricing import format_usd
from kibitz.core.store import LedgerGrouping, LedgerTotal, sum_totals
from kibitz.core.words import count_of
from kibitz.ui.models.usage_table import UsageTableModel
from kibitz.ui.views.usage_chart import UsageChart

# (label, days back from today; None: all time)
PERIODS: tuple[tuple[str, int | None], ...] = (
    ("Last 7 days", 7),
    ("Last 30 days", 30),
    ("Last 90 days", 90),
    ("Last 12 months", 365),
    ("All time", None),
)
DEFAULT_PERIOD = 1
GROUPINGS: tuple[tuple[str, LedgerGrouping], ...] = (
    ("Day", LedgerGrouping.DAY),
    ("Model", LedgerGrouping.MODEL),
    ("Provider", LedgerGrouping.PROVIDER),
    ("Conversation", LedgerGrouping.CONVERSATION),
)
_MEASURED_ROWS = 40
_CHARTED = 20  # the chart shows this many groups at most (days: every one)


class UsageWindow(QDialog):
    """Emits what the user chose; shows what the controller gives it."""

    period_changed = Signal()
    grouping_changed = Signal()
    export_requested = Signal()
    shown = Signal()  # the window was opened (again): time to read the totals

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Usage")
        self.setObjectName("UsageWindow")
        self.resize(820, 600)
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        for label, _ in PERIODS:
            self.period.addItem(label)
        self.period.setCurrentIndex(DEFAULT_PERIOD)
        self.grouping = QComboBox()
        self.grouping.setAccessibleName("Totals per")
        for label, _ in GROUPINGS:
            self.grouping.addItem(f"Per {label.lower()}")
        self.export_button = QPushButton("Export CSV…")
        self.total = QLabel()
        self.total.setObjectName("UsageTotal")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.chart = UsageChart()
        self.model = UsageTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        # Fitting the columns measures only the first rows: measuring a year of days took
        # ~150 ms of the window's opening.
        header.setResizeContentsPrecision(_MEASURED_ROWS)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        choices = QHBoxLayout()
        choices.addWidget(self.period)
        choices.addWidget(self.grouping)
        choices.addStretch(1)
        choices.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addWidget(self.total)
        layout.addWidget(self.chart)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)

        self.period.currentIndexChanged.connect(self.period_changed)
        self.grouping.currentIndexChanged.connect(self.grouping_changed)
        self.export_button.clicked.connect(self.export_requested)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():  # not a window manager's restore of a minimised window
            self.shown.emit()

    @property
    def days(self) -> int | None:
        return PERIODS[self.period.currentIndex()][1]

    @property
    def by(self) -> LedgerGrouping:
        return GROUPINGS[self.grouping.currentIndex()][1]

    def show_totals(
        self, by: LedgerGrouping, rows: Sequence[LedgerTotal], daily: Sequence[LedgerTotal]
    ) -> None:
        """The table of `rows`; the chart of the period's cost per day (`daily`) when the
        table is per day, else of its first groups."""
        title = next(label for label, grouping in GROUPINGS if grouping is by)
        self.model.set_rows(title, rows)
        total = sum_totals(rows)
        tokens = f"{total.tokens:,} tokens"
        self.total.setText(
            f"<b>{format_usd(total.cost_nanos)}</b> · {count_of(total.replies, 'reply', 'replies')}"
            f" · {tokens}"
        )
        charted = daily if by is LedgerGrouping.DAY else rows[:_CHARTED]
        priced = any(r.cost_nanos for r in charted)
        caption = "Cost" if priced else "Tokens"
        caption += " per day" if by is LedgerGrouping.DAY else f" per {title.lower()}"
        self.chart.set_bars(
            [(r.label, float(r.cost_nanos if priced else r.tokens)) for r in charted], caption
        )
        self.note.setText(
            f"{count_of(total.unpriced, 'reply', 'replies')} had no known price (marked *) and "
            "are not in the cost: set their model's price in Settings → Prices."
            if total.unpriced
            else ""
        )
        self.export_button.setEnabled(bool(rows))
