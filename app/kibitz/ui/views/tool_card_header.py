"""ToolCardHeader: the one line of a tool card, painted: a status mark (a tick, a cross, a
spinner while it runs), the tool and its server, the arguments in brief elided to the width,
where the call stands, and a chevron; a click, Enter or Space opens the card.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QAbstractButton, QSizePolicy, QWidget

from kibitz.ui.views.message_parts import mix
from kibitz.ui.views.reply_layout import CardState

GREEN = QColor(31, 136, 61)
RED = QColor(207, 34, 46)
AMBER = QColor(191, 135, 0)
RADIUS = 8
PAD_X = 10
PAD_Y = 7
_MARK = 14.0  # the status mark's diameter
_GAP = 8
_CHEVRON = 3.5


class ToolCardHeader(QAbstractButton):
    """The card's one line; checked while the card is open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCardHeader")
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the composer its focus
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.name = ""
        self.server = ""
        self.summary = ""
        self.status = ""
        self.state = CardState.WAITING
        self._spin = 0.0

    def set_content(
        self, name: str, server: str, summary: str, status: str, state: CardState
    ) -> None:
        self.name, self.server, self.summary = name, server, summary
        self.status, self.state = status, state
        where = f" on {server}" if server else ""
        self.setAccessibleName(f"Tool call {name}{where}: {status}")
        self.setToolTip("Show the arguments and the result" if not self.isChecked() else "")
        self.update()

    def advance(self) -> None:
        self._spin = (self._spin + 30.0) % 360.0
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(320, self.fontMetrics().height() + 2 * PAD_Y)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.isAutoRepeat():
            self.click()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect()
        if self.underMouse() or self.hasFocus():
            base = palette.color(QPalette.ColorRole.Base)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(mix(base, text, 0.05))
            painter.drawRoundedRect(QRectF(rect).adjusted(1, 1, -1, -1), RADIUS, RADIUS)
        middle = rect.height() / 2
        self._paint_mark(painter, QRectF(PAD_X, middle - _MARK / 2, _MARK, _MARK))
        x = PAD_X + round(_MARK) + _GAP
        right = rect.width() - PAD_X - round(2 * _CHEVRON) - _GAP
        font = self.font()
        bold = self.font()
        bold.setBold(True)
        metrics, bold_metrics = QFontMetrics(font), QFontMetrics(bold)
        status_width = metrics.horizontalAdvance(self.status)
        right_text = right - status_width
        baseline = int(middle + metrics.ascent() / 2 - metrics.descent() / 2 + 1)
        painter.setFont(bold)
        painter.setPen(text)
        name = bold_metrics.elidedText(self.name, Qt.TextElideMode.ElideRight, right_text - x)
        painter.drawText(QPointF(x, baseline), name)
        x += bold_metrics.horizontalAdvance(name)
        painter.setFont(font)
        painter.setPen(muted)
        rest = " · ".join(p for p in (self.server, self.summary) if p)
        if rest and right_text - x - _GAP > 20:
            shown = metrics.elidedText(
                f"  {rest}", Qt.TextElideMode.ElideRight, right_text - x - _GAP
            )
            painter.drawText(QPointF(x, baseline), shown)
        painter.setPen(self._status_colour(text, muted))
        painter.drawText(QPointF(right_text, baseline), self.status)
        self._paint_chevron(painter, QPointF(rect.width() - PAD_X - _CHEVRON, middle), muted)

    def _status_colour(self, text: QColor, muted: QColor) -> QColor:
        if self.state is CardState.FAILED:
            return RED
        if self.state is CardState.ASKING:
            return AMBER
        return text if self.state is CardState.RUNNING else muted

    def _paint_mark(self, painter: QPainter, box: QRectF) -> None:
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        state = self.state
        inner = box.adjusted(1, 1, -1, -1)
        if state is CardState.RUNNING:
            pen = QPen(accent, 1.8)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawArc(inner, int(-self._spin * 16), 270 * 16)
            return
        filled = {CardState.DONE: GREEN, CardState.FAILED: RED, CardState.ASKING: AMBER}
        colour = filled.get(state)
        if colour is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(inner)
            pen = QPen(QColor(255, 255, 255), 1.6)
        else:
            pen = QPen(muted, 1.3)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(pen)
            painter.drawEllipse(inner)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        c, r = inner.center(), inner.width() / 2
        if state is CardState.DONE:
            tick = QPainterPath(QPointF(c.x() - r * 0.45, c.y()))
            tick.lineTo(c.x() - r * 0.1, c.y() + r * 0.35)
            tick.lineTo(c.x() + r * 0.45, c.y() - r * 0.35)
            painter.drawPath(tick)
        elif state is CardState.FAILED:
            d = r * 0.36
            painter.drawLine(QPointF(c.x() - d, c.y() - d), QPointF(c.x() + d, c.y() + d))
            painter.drawLine(QPointF(c.x() - d, c.y() + d), QPointF(c.x() + d, c.y() - d))
        elif state is CardState.ASKING:
            painter.drawPoint(QPointF(c.x(), c.y() + r * 0.45))
            painter.drawLine(QPointF(c.x(), c.y() - r * 0.5), QPointF(c.x(), c.y() + r * 0.1))
        elif state is CardState.DECLINED:
            d = r * 0.7
            painter.drawLine(QPointF(c.x() - d, c.y() + d), QPointF(c.x() + d, c.y() - d))
        elif state is CardState.NOT_RUN:
            painter.drawLine(QPointF(c.x() - r * 0.4, c.y()), QPointF(c.x() + r * 0.4, c.y()))

    def _paint_chevron(self, painter: QPainter, centre: QPointF, colour: QColor) -> None:
        pen = QPen(colour, 1.4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        d = _CHEVRON
        path = QPainterPath()
        if self.isChecked():  # open: pointing up
            path.moveTo(centre.x() - d, centre.y() + d / 2)
            path.lineTo(centre.x(), centre.y() - d / 2)
            path.lineTo(centre.x() + d, centre.y() + d / 2)
        else:
            path.moveTo(centre.x() - d, centre.y() - d / 2)
            path.lineTo(centre.x(), centre.y() + d / 2)
            path.lineTo(centre.x() + d, centre.y() - d / 2)
        painter.drawPath(path)
