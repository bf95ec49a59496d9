"""A bar chart of the Usage page's rows, painted with QPainter (no chart library)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

_LABELLED_BARS = 16  # more bars than this go without labels under them
_GAP = 0.2  # of a bar's slot left empty between bars


class UsageChart(QWidget):
    """Bars of (label, value), in order, scaled to the largest; the caption names the values."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[tuple[str, float]] = []
        self._caption = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(150)

    @property
    def bars(self) -> Sequence[tuple[str, float]]:
        return self._bars

    def set_bars(self, bars: Sequence[tuple[str, float]], caption: str) -> None:
        self._bars = list(bars)
        self._caption = caption
        self.setAccessibleDescription(f"{caption}: {len(self._bars)} bars")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 170)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        faint = QColor(text)
        faint.setAlphaF(0.55)
        metrics = self.fontMetrics()
        line = metrics.height()
        labelled = 0 < len(self._bars) <= _LABELLED_BARS
        area = QRectF(self.rect()).adjusted(4, line + 6, -4, -(line + 4 if labelled else 4))
        painter.setPen(faint)
        painter.drawText(QRectF(4, 0, self.width() - 8, line + 2), self._caption)
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        top = max((value for _, value in self._bars), default=0.0)
        if not self._bars or top <= 0:
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter), "Nothing in this period")
            return
        slot = area.width() / len(self._bars)
        bar_width = max(1.0, slot * (1 - _GAP)) if slot >= 3 else slot
        color = palette.color(QPalette.ColorRole.Highlight)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, slot >= 3)
        for i, (label, value) in enumerate(self._bars):
            height = area.height() * value / top
            x = area.left() + i * slot + (slot - bar_width) / 2
            painter.fillRect(QRectF(x, area.bottom() - height, bar_width, height), color)
            if labelled:
                painter.setPen(faint)
                cell = QRectF(area.left() + i * slot, area.bottom() + 2, slot, line)
                shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(slot) - 2)
                painter.drawText(cell, int(Qt.AlignmentFlag.AlignHCenter), shown)
