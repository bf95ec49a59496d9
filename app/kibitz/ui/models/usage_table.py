"""The Usage page's table: one row per day, model, provider or conversation of a period."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from kibitz.core.pricing import format_usd
from kibitz.core.store import LedgerTotal

AnyIndex = QModelIndex | QPersistentModelIndex
HEADERS = ("", "Replies", "Prompt", "Cached", "Completion", "Reasoning", "Cost")
COST_COLUMN = len(HEADERS) - 1
UNPRICED_TIP = "Some replies here had no known price; they are not in the cost."


def cost_text(row: LedgerTotal) -> str:
    """The cost, with a * when some replies had no known price."""
    return format_usd(row.cost_nanos) + (" *" if row.unpriced else "")


class UsageTableModel(QAbstractTableModel):
    """Read-only rows of LedgerTotal; the first column's title names the grouping."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[LedgerTotal] = []
        self._group_title = "Day"

    @property
    def rows(self) -> Sequence[LedgerTotal]:
        return self._rows

    def set_rows(self, group_title: str, rows: Sequence[LedgerTotal]) -> None:
        self.beginResetModel()
        self._group_title = group_title
        self._rows = list(rows)
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < len(HEADERS):
            return None
        return self._group_title if section == 0 else HEADERS[section]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.label
            if column == COST_COLUMN:
                return cost_text(row)
            numbers = (
                row.replies,
                row.prompt_tokens,
                row.cached_tokens,
                row.completion_tokens,
                row.reasoning_tokens,
            )
            return f"{numbers[column - 1]:,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COST_COLUMN and row.unpriced:
                return UNPRICED_TIP
            return row.label if column == 0 else None
        return None
