"""ToolCallCard: one tool call in a reply, as a compact card that opens on click.

Folded, it is one line: a status mark, the tool and its server, the arguments in brief, and
where the call stands ("Running… 1.2 s", "Done in 0.4 s", "Declined"). Opened, it shows the
arguments and the result as plain text in scrolling boxes, made the first time it opens (a
conversation of many calls builds none of them). A long result shows its start, with a note
and "Show all". Images the call returned show below the line, as a message's images do.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
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
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.ui.attachments.thumbnails import ThumbnailLoader
from kibitz.ui.views.message_attachments import MessageAttachments
from kibitz.ui.views.message_parts import mix, muted_label, small_button
from kibitz.ui.views.reply_layout import CardState, LiveCall, ToolStep, card_state
from kibitz.ui.views.text_box import TextBox
from kibitz.ui.views.tool_text import (
    SHOWN_ALL_CHARS,
    SHOWN_RESULT_CHARS,
    arguments_summary,
    capped,
    cut_note,
    pretty_arguments,
    status_text,
    tool_label,
)

GREEN = QColor(31, 136, 61)
RED = QColor(207, 34, 46)
AMBER = QColor(191, 135, 0)
_TICK_MS = 100  # a running call's clock and spinner
_MARK = 14.0  # the status mark's diameter
_PAD_X = 10
_PAD_Y = 7
_GAP = 8
_CHEVRON = 3.5
_BOX_HEIGHT = 240  # arguments and result scroll past this
_RADIUS = 8


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
        return QSize(320, self.fontMetrics().height() + 2 * _PAD_Y)

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
            painter.drawRoundedRect(QRectF(rect).adjusted(1, 1, -1, -1), _RADIUS, _RADIUS)
        middle = rect.height() / 2
        self._paint_mark(painter, QRectF(_PAD_X, middle - _MARK / 2, _MARK, _MARK))
        x = _PAD_X + round(_MARK) + _GAP
        right = rect.width() - _PAD_X - round(2 * _CHEVRON) - _GAP
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
        self._paint_chevron(painter, QPointF(rect.width() - _PAD_X - _CHEVRON, middle), muted)

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


class ToolCallCard(QFrame):
    """A call, its status and, opened, its arguments and result."""

    image_opened = Signal(object)  # an ImagePart the call returned, clicked

    def __init__(
        self,
        step: ToolStep,
        *,
        thumbnails: ThumbnailLoader | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toolCallCard")
        self._step = step
        self._thumbnails = thumbnails
        self._state = CardState.WAITING
        self._live: LiveCall | None = None
        self.header = ToolCardHeader(self)
        self.header.toggled.connect(self._on_header_toggled)
        self._images: MessageAttachments | None = None
        self._details: QWidget | None = None  # made when first opened
        self._arguments: TextBox | None = None
        self._result: TextBox | None = None
        self._result_note: QLabel | None = None
        self._show_all: QToolButton | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(1, 1, 1, 1)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.header)
        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.set_step(step, None, streaming=False)

    # -- what it shows ------------------------------------------------------------------------

    @property
    def step(self) -> ToolStep:
        return self._step

    @property
    def state(self) -> CardState:
        return self._state

    @property
    def status(self) -> str:
        return self.header.status

    @property
    def is_open(self) -> bool:
        return self.header.isChecked()

    def set_open(self, open_: bool) -> None:
        self.header.setChecked(open_)

    def arguments_text(self) -> str:
        return self._arguments.toPlainText() if self._arguments is not None else ""

    def result_text(self) -> str:
        return self._result.toPlainText() if self._result is not None else ""

    def result_note(self) -> str:
        note = self._result_note
        return note.text() if note is not None and not note.isHidden() else ""

    def set_step(self, step: ToolStep, live: LiveCall | None, *, streaming: bool) -> None:
        changed_result = step.result != self._step.result
        self._step, self._live = step, live
        self._state = card_state(step, live, streaming)
        self._update_header()
        if self._state is CardState.RUNNING:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()
        self._show_images()
        if changed_result and self._details is not None:
            self._fill_result(SHOWN_RESULT_CHARS)

    def _update_header(self) -> None:
        step = self._step
        seconds = step.result.seconds if step.result is not None else None
        if self._state is CardState.RUNNING and self._live is not None:
            seconds = time.monotonic() - self._live.since
        self.header.set_content(
            tool_label(step.call),
            step.call.server or "",
            arguments_summary(step.call.arguments),
            status_text(self._state, seconds),
            self._state,
        )

    def _show_images(self) -> None:
        images = self._step.images
        if not images:
            if self._images is not None:
                self._images.hide()
            return
        if self._images is None:
            self._images = MessageAttachments(
                images, self._thumbnails, align_right=False, parent=self
            )
            self._images.setContentsMargins(_PAD_X, 0, _PAD_X, _PAD_Y)
            self._images.opened.connect(self.image_opened)
            self._layout.insertWidget(1, self._images)
        else:
            self._images.set_parts(images)
        self._images.show()

    # -- opening ------------------------------------------------------------------------------

    def _on_header_toggled(self, checked: bool) -> None:
        if checked and self._details is None:
            self._build_details()
        if self._details is not None:
            self._details.setVisible(checked)
        self.header.setToolTip("" if checked else "Show the arguments and the result")

    def _build_details(self) -> None:
        details = QWidget(self)
        details.setObjectName("toolCallDetails")
        column = QVBoxLayout(details)
        column.setContentsMargins(_PAD_X, 0, _PAD_X, _PAD_Y + 2)
        column.setSpacing(4)
        column.addWidget(muted_label("Arguments", details))
        self._arguments = TextBox(_BOX_HEIGHT, details)
        self._arguments.setAccessibleName("Tool call arguments")
        self._arguments.set_plain(pretty_arguments(self._step.call.arguments))
        column.addWidget(self._arguments)
        column.addSpacing(4)
        column.addWidget(muted_label("Result", details))
        self._result = TextBox(_BOX_HEIGHT, details)
        self._result.setAccessibleName("Tool call result")
        column.addWidget(self._result)
        self._result_note = muted_label("", details)
        self._result_note.setAccessibleName("Result note")
        self._show_all = small_button(
            "Show all", "Show the whole result", "Show all of the result", details
        )
        self._show_all.clicked.connect(self._on_show_all_clicked)
        column.addWidget(self._result_note)
        column.addWidget(self._show_all, 0, Qt.AlignmentFlag.AlignLeft)
        self._details = details
        self._layout.addWidget(details)
        self._fill_result(SHOWN_RESULT_CHARS)

    def _fill_result(self, limit: int) -> None:
        assert self._result is not None
        result = self._step.result
        if result is None:
            self._result.set_plain(
                "Not run." if self._state is CardState.NOT_RUN else "No result yet."
            )
            shown = None
        else:
            shown = capped(result.content, limit)
            self._result.set_plain(shown.text.rstrip("\n") or "(empty)")
        assert self._result_note is not None
        assert self._show_all is not None
        cut = shown is not None and shown.cut
        self._result_note.setText(cut_note(shown) if shown is not None and cut else "")
        self._result_note.setVisible(cut)
        self._show_all.setVisible(cut and limit < SHOWN_ALL_CHARS)

    def _on_show_all_clicked(self) -> None:
        self._fill_result(SHOWN_ALL_CHARS)

    def _on_timer_timeout(self) -> None:
        self.header.advance()
        self._update_header()

    # -- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(mix(base, text, 0.14), 1))
        painter.setBrush(mix(base, text, 0.025))
        painter.drawRoundedRect(
            QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), _RADIUS, _RADIUS
        )
