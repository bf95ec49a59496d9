"""ReasoningSection: a reply's reasoning above its answer, live while the model thinks.

While the reasoning streams it shows under a shimmering "Thinking…" line, muted and behind a
thin rule; once the answer starts it folds to one line ("Thought for 12 s") that opens again
with a click, Enter or Space. The text streams through the same incremental renderer as an
answer (finished blocks once, the open tail per repaint), and is not rendered at all while
folded: a stored reply's reasoning is rendered the first time it is opened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QElapsedTimer, QEvent, QPointF, QRectF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QHideEvent,
    QKeyEvent,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QShowEvent,
)
from PySide6.QtWidgets import QAbstractButton, QSizePolicy, QVBoxLayout, QWidget

from kibitz.core.types import Part, ReasoningPart
from kibitz.ui.style import TYPE_SCALE
from kibitz.ui.views.message_parts import mix, palette_is_dark
from kibitz.ui.views.message_text import MessageTextView

THINKING_LABEL = "Thinking…"
FONT_SCALE = TYPE_SCALE["small"]  # a step below the answer: an aside, still easy at length
_SHIMMER_FRAME_MS = 40  # 25 frames a second: smooth, and a few hundred µs of paint each
_SHIMMER_PERIOD_MS = 1800
_CHEVRON = 4.0  # half the chevron's size, in pixels
_ICON = 11.0  # the spark before the label
_CHIP_LEFT = 9.0  # where the spark starts
_ICON_GAP = 6.0
_CHEVRON_GAP = 7.0
_CHIP_RIGHT = _CHEVRON_GAP + 2 * _CHEVRON + 11.0  # from the label's end to the chip's
_CHIP_PAD_Y = 5


def _label_left() -> float:
    return _CHIP_LEFT + _ICON + _ICON_GAP


# The rule runs down from the spark's middle, and the text lines up with the label's.
_RULE_X = _CHIP_LEFT + _ICON / 2 - 1
_TEXT_INDENT = math.ceil(_label_left())


def reasoning_seconds(parts: Sequence[Part]) -> float | None:
    """How long the model thought: its reasoning parts' times added; None if none was timed."""
    times = [p.seconds for p in parts if isinstance(p, ReasoningPart) and p.seconds is not None]
    return sum(times) if times else None


def thought_label(seconds: float | None) -> str:
    """The folded line: "Thought for 12 s", "… for a moment" under a second, "Reasoning"
    when the time is not known (a reply imported, or from before reasoning was timed)."""
    if seconds is None:
        return "Reasoning"
    if seconds < 1:
        return "Thought for a moment"
    whole = round(seconds)
    if whole < 60:
        return f"Thought for {whole} s"
    minutes, rest = divmod(whole, 60)
    return f"Thought for {minutes} min {rest} s" if rest else f"Thought for {minutes} min"


class ReasoningHeader(QAbstractButton):
    """The one line that folds the reasoning: a label, a chevron, a shimmer while thinking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCheckable(True)
        self.setObjectName("reasoningHeader")
        # Tab reaches it; a click does not take the focus from the composer.
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setAccessibleDescription("Shows or hides the model's reasoning")
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
        self.setFont(font)
        self._thinking = False
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(_SHIMMER_FRAME_MS)
        self._timer.timeout.connect(self.update)
        self.toggled.connect(self._on_toggled)
        self.set_state(THINKING_LABEL, thinking=False)

    @property
    def thinking(self) -> bool:
        return self._thinking

    def set_state(self, label: str, *, thinking: bool) -> None:
        if label != self.text():
            self.setText(label)
            self.setAccessibleName(label)
            self.updateGeometry()
        self._thinking = thinking
        self._update_animation()
        self._on_toggled(self.isChecked())
        self.update()

    def _on_toggled(self, checked: bool) -> None:
        self.setToolTip("Hide the reasoning" if checked else "Show the reasoning")

    def _update_animation(self) -> None:
        run = self._thinking and self.isVisible()
        if run and not self._timer.isActive():
            self._clock.start()
            self._timer.start()
        elif not run:
            self._timer.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_animation()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._update_animation()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Space is a button's own key; Enter opens it too, as on a disclosure in a web page.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.isAutoRepeat():
            self.click()
            return
        super().keyPressEvent(event)

    def sizeHint(self) -> QSize:
        metrics = QFontMetricsF(self.font())
        width = _label_left() + metrics.horizontalAdvance(self.text()) + _CHIP_RIGHT
        return QSize(math.ceil(width), math.ceil(metrics.height()) + 2 * _CHIP_PAD_Y)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        dark = palette_is_dark(palette)
        strong = self.underMouse() or self.hasFocus() or self.isDown()
        colour = mix(text, base, (0.25 if strong else 0.4) if dark else (0.22 if strong else 0.42))
        fill = mix(base, text, (0.12 if strong else 0.075) if dark else (0.08 if strong else 0.045))
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # A chip, not bare text: it reads as something to click, and apart from the
        # "Assistant · model" line above it.
        chip = QRectF(self.rect()).adjusted(0.75, 0.75, -0.75, -0.75)
        radius = chip.height() / 2
        if self.hasFocus():
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1.5))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(chip, radius, radius)
        metrics = QFontMetricsF(self.font())
        left = _label_left()
        label_width = metrics.horizontalAdvance(self.text())
        middle = chip.center().y()
        baseline = middle + (metrics.ascent() - metrics.descent()) / 2
        lit = mix(colour, text, 0.75)
        pulse = self._pulse() if self._thinking else 0.0
        self._paint_spark(painter, mix(colour, lit, pulse), _CHIP_LEFT + _ICON / 2, middle)
        painter.setFont(self.font())
        if self._thinking:
            painter.setPen(QPen(QBrush(self._shimmer(colour, text, left, label_width)), 1))
        else:
            painter.setPen(colour)
        painter.drawText(QPointF(left, baseline), self.text())
        self._paint_chevron(painter, colour, left + label_width + _CHEVRON_GAP + _CHEVRON, middle)

    def _pulse(self) -> float:
        """0..1..0 over a shimmer period: how lit the spark is."""
        phase = (self._clock.elapsed() % _SHIMMER_PERIOD_MS) / _SHIMMER_PERIOD_MS
        return 0.5 - 0.5 * math.cos(2 * math.pi * phase)

    def _paint_spark(self, painter: QPainter, colour: QColor, x: float, y: float) -> None:
        # A four-pointed spark with curved sides: the mark chat clients use for "thinking".
        r = _ICON / 2
        path = QPainterPath(QPointF(x, y - r))
        for dx, dy in ((r, 0), (0, r), (-r, 0), (0, -r)):
            end = QPointF(x + dx, y + dy)
            path.quadTo(QPointF(x, y), end)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPath(path)

    def _shimmer(
        self, colour: QColor, bright: QColor, left: float, width: float
    ) -> QLinearGradient:
        """A band of brighter text sweeping left to right: the model is at work."""
        phase = (self._clock.elapsed() % _SHIMMER_PERIOD_MS) / _SHIMMER_PERIOD_MS
        band = 0.22
        centre = -band + phase * (1 + 2 * band)
        gradient = QLinearGradient(left, 0, left + max(1.0, width), 0)
        gradient.setColorAt(0, colour)
        lit = mix(colour, bright, 0.75)
        for offset, shade in ((-band, colour), (0.0, lit), (band, colour)):
            at = centre + offset
            if 0 < at < 1:
                gradient.setColorAt(at, shade)
        gradient.setColorAt(1, colour)
        if not 0 < centre < 1:
            # The band's middle is off the text: tint the edge it is nearest, fading in.
            edge = 0.0 if centre <= 0 else 1.0
            gradient.setColorAt(edge, mix(colour, lit, max(0.0, 1 - abs(centre - edge) / band)))
        return gradient

    def _paint_chevron(self, painter: QPainter, colour: QColor, x: float, y: float) -> None:
        # › folded, ⌄ open: drawn, so it is the same in every font.
        path = QPainterPath()
        size = _CHEVRON * 0.8
        if self.isChecked():
            path.moveTo(x - size, y - size / 2)
            path.lineTo(x, y + size / 2)
            path.lineTo(x + size, y - size / 2)
        else:
            path.moveTo(x - size / 2, y - size)
            path.lineTo(x + size / 2, y)
            path.lineTo(x - size / 2, y + size)
        pen = QPen(colour, 1.4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)


class _ReasoningBody(QWidget):
    """The reasoning text, indented behind a thin rule, so it reads apart from the answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Growing while the reasoning streams must repaint only the new strip, not the text
        # already shown (the text view, the section and the message do the same).
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        painter = QPainter(self)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mix(base, text, 0.2 if palette_is_dark(palette) else 0.16))
        # To the bottom edge: a strip added below continues it without a seam.
        painter.drawRect(QRectF(_RULE_X, 2, 2, max(0, self.height() - 2)))


class ReasoningSection(QWidget):
    """A reply's reasoning: the header line and, when open, the text (selectable, copyable)."""

    copied = Signal(str)  # a code block's Copy link was used
    link_opened = Signal(QUrl)

    def __init__(self, *, dark: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reasoningSection")
        self.setAccessibleName("Reasoning")
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self._dark = dark
        self._source = ""  # the reasoning known so far
        self._shown: str | None = None  # what the text view holds (None: nothing yet)
        self._seconds: float | None = None
        self._thinking = False
        self._user_toggled = False  # the user opened or closed it: no automatic fold then
        self._width = 0

        self._header = ReasoningHeader(self)
        self._body = _ReasoningBody(self)
        self._text = MessageTextView(self._body)
        self._text.setAccessibleName("Reasoning text")
        font = self._text.font()
        font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
        self._text.setFont(font)
        body_layout = QVBoxLayout(self._body)
        body_layout.setContentsMargins(_TEXT_INDENT, 2, 0, 4)
        body_layout.addWidget(self._text)
        self._body.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 8)
        layout.setSpacing(8)
        # The header is only as wide as its words: a click beside them does nothing.
        layout.addWidget(self._header, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self._body)
        self._apply_colours()
        self._header.clicked.connect(self._on_header_clicked)
        self._text.copied.connect(self.copied)
        self._text.link_opened.connect(self.link_opened)

    # -- what it shows ------------------------------------------------------------------------

    @property
    def header(self) -> ReasoningHeader:
        return self._header

    @property
    def text_view(self) -> MessageTextView:
        return self._text

    @property
    def label(self) -> str:
        return self._header.text()

    @property
    def expanded(self) -> bool:
        return self._header.isChecked()

    @property
    def thinking(self) -> bool:
        return self._thinking

    @property
    def text(self) -> str:
        """The reasoning as the model wrote it (Markdown source)."""
        return self._source

    def plain_text(self) -> str:
        """What the open section shows, as plain text ("" while it was never opened)."""
        return self._text.toPlainText() if self._shown is not None else ""

    # -- streaming and final text -------------------------------------------------------------

    def stream(self, text: str) -> None:
        """The reasoning so far, while the model is still thinking (no answer yet)."""
        self._source = text
        if not self._thinking:
            self._thinking = True
            self._header.set_state(THINKING_LABEL, thinking=True)
            if not self._user_toggled:
                self._set_expanded(True)
        if self.expanded:
            self._render_stream()

    def settle(self, text: str, seconds: float | None) -> None:
        """Thinking is over (the answer started, or the reply ended): fold to one line,
        unless the user opened or closed it themselves; a stored reply comes in here too."""
        if not self._thinking and text is self._source and seconds == self._seconds:
            return  # called on every repaint of the answer: nothing to do again
        was_thinking = self._thinking
        self._source = text
        self._seconds = seconds
        self._thinking = False
        self._header.set_state(thought_label(seconds), thinking=False)
        if self._text.streaming:
            if self.expanded:
                self._text.stream_text(text)
                self._shown = text
            self._text.end_stream()
        if was_thinking and not self._user_toggled:
            self._set_expanded(False)
        elif self.expanded and self._shown != text:
            self._render_final()

    def set_expanded(self, expanded: bool) -> None:
        """Open or fold the text, as a click on the header does."""
        self._user_toggled = True
        self._set_expanded(expanded)

    def _on_header_clicked(self) -> None:
        # The button has toggled itself already; show what it now says.
        self._user_toggled = True
        self._set_expanded(self._header.isChecked())

    def _set_expanded(self, expanded: bool) -> None:
        self._header.setChecked(expanded)
        self._header.set_state(self._header.text(), thinking=self._thinking)
        if expanded:
            if self._thinking:
                self._render_stream()
            elif self._shown != self._source:
                self._render_final()
        self._body.setVisible(expanded)

    def _render_stream(self) -> None:
        if not self._text.streaming:
            self._text.begin_stream(self._dark)
        self._text.stream_text(self._source)
        self._shown = self._source

    def _render_final(self) -> None:
        if self._text.streaming:
            self._text.end_stream()
        self._text.set_markdown(self._source, self._dark)
        self._shown = self._source

    # -- appearance ---------------------------------------------------------------------------

    def set_dark(self, dark: bool) -> None:
        if dark == self._dark:
            return
        self._dark = dark
        self._apply_colours()
        if not self._thinking and self._shown is not None:
            if self.expanded:
                self._render_final()
            else:
                self._shown = None  # rendered again, in the new colours, when opened

    def set_width(self, width: int) -> None:
        """Lay the text out for a reply `width` pixels wide."""
        if width == self._width or width <= 0:
            return
        self._width = width
        self._text.set_layout_width(width - _TEXT_INDENT)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()

    def _apply_colours(self) -> None:
        # Muted, not faint: long reasoning must stay readable in both schemes.
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        muted = mix(text, base, 0.36 if palette_is_dark(palette) else 0.4)
        own = self._text.palette()
        if own.color(QPalette.ColorRole.Text) != muted:
            own.setColor(QPalette.ColorRole.Text, muted)
            self._text.setPalette(own)
