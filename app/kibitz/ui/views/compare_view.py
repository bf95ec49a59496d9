"""CompareView: one question's replies from two to four models, side by side while they stream.

Each column is a reply as the chat shows it (a MessageWidget: Markdown, folded reasoning,
math, the error card with its action) under a header naming the model and its provider, with
live figures (time to first token, speed, tokens, cost once known), a Stop and "Continue with
this". Columns keep a minimum width; a narrow window scrolls the row sideways. Each column
scrolls on its own, so a long answer does not push the others out of sight.

The question line shows what the question carried, as the composer did: its images as small
thumbnails and its files as chips (the message view's own widgets), each opening on a click.

Streamed pieces are buffered and painted at most every REPAINT_MS, all columns in one pass,
so three streams cost one repaint per tick rather than three per piece.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.errors import KibitzError
from kibitz.core.types import (
    FilePart,
    ImagePart,
    Message,
    MessageStatus,
    Part,
    ReasoningPart,
    TextPart,
)
from kibitz.ui.attachments.thumbnails import ThumbnailLoader
from kibitz.ui.style import SPACE
from kibitz.ui.views.attachment_chip import CHIP_HEIGHT, AttachmentChip, size_text
from kibitz.ui.views.chat_view import REPAINT_MS
from kibitz.ui.views.flow_layout import FlowLayout
from kibitz.ui.views.message_attachments import ImageThumbnail
from kibitz.ui.views.message_parts import muted_label, palette_is_dark

if TYPE_CHECKING:
    from kibitz.ui.views.message_widget import MessageWidget

COLUMN_MIN_WIDTH = 260  # below this a reply's lines get too short to read: scroll sideways
_SLOW_REPAINT_FACTOR = 3
_QUESTION_LINES = 3  # the question above the columns, at most this many lines
_CARD_STYLE = """
#compareColumn { background: palette(base); border: 1px solid palette(mid); border-radius: 8px; }
#compareColumnBody { background: transparent; }
"""


@dataclasses.dataclass(slots=True)
class ColumnFigures:
    """What the column's header says about its reply; None: not known (yet)."""

    first_token_s: float | None = None
    tokens_per_second: float | None = None
    tokens: int | None = None
    cost: str | None = None
    chars: int = 0

    def line(self) -> str:
        parts = []
        if self.first_token_s is not None:
            parts.append(f"TTFT {self.first_token_s:.1f} s")
        if self.tokens_per_second is not None:
            parts.append(f"{self.tokens_per_second:.0f} tok/s")
        if self.tokens is not None:
            parts.append(f"{self.tokens:,} tokens")
        elif self.chars:
            parts.append(f"{self.chars:,} chars")
        if self.cost is not None:
            parts.append(self.cost)
        return " · ".join(parts)


class CompareColumn(QFrame):
    """One model's reply in the comparison."""

    stop_requested = Signal(int)  # the column's index
    continue_requested = Signal(int)
    error_action_requested = Signal(int, object)  # message id, Action

    def __init__(
        self, index: int, model: str, provider: str, *, dark: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compareColumn")
        self.setMinimumWidth(COLUMN_MIN_WIDTH)
        self.setAccessibleName(f"Reply of {model}")
        self.index = index
        self.model_name = model
        self.provider = provider
        self._dark = dark
        self._started = time.monotonic()
        self.figures = ColumnFigures()
        self._message: Message | None = None
        self._reasoning = ""
        self._answer = ""
        self._dirty = False
        self.due = 0.0  # monotonic time before which the column does not repaint again
        self.widget: MessageWidget | None = None

        self._title = QLabel(model, self)
        self._title.setObjectName("compareModel")
        font = self._title.font()
        font.setBold(True)
        self._title.setFont(font)
        self._provider = muted_label(provider, self)
        self._figures = muted_label("waiting…", self)
        self._figures.setAccessibleName("Reply figures")
        self._stop = QPushButton("Stop", self)
        self._stop.setObjectName("stopColumn")
        self._stop.setToolTip(f"Stop the reply of {model}")
        self._stop.setCursor(Qt.CursorShape.PointingHandCursor)
        self._stop.clicked.connect(lambda: self.stop_requested.emit(self.index))
        self._continue = QPushButton("Continue with this", self)
        self._continue.setObjectName("continueWithThis")
        self._continue.setCursor(Qt.CursorShape.PointingHandCursor)
        self._continue.clicked.connect(lambda: self.continue_requested.emit(self.index))
        self._continue.setEnabled(False)
        shortcut = f" (Alt+{index + 1})" if index < 4 else ""
        self._continue.setToolTip(
            f"Make this reply the conversation's branch; the others stay as versions{shortcut}"
        )

        header = QVBoxLayout()
        header.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(SPACE[1])
        top.addWidget(self._title)
        top.addWidget(self._provider)
        top.addStretch(1)
        top.addWidget(self._stop)
        header.addLayout(top)
        header.addWidget(self._figures)

        self._body = QWidget()
        self._body_layout = QVBoxLayout(self._body)
        self._body_layout.setContentsMargins(0, 0, SPACE[1], 0)
        self._body_layout.addStretch(1)
        self._scroll = QScrollArea(self)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._body)
        self._body.setObjectName("compareColumnBody")
        # The card's colour shows through (a scroll area paints its viewport by default).
        self._scroll.viewport().setAutoFillBackground(False)
        self._body.setAutoFillBackground(False)

        column = QVBoxLayout(self)
        column.setContentsMargins(SPACE[2], SPACE[1], SPACE[1], SPACE[1])
        column.setSpacing(SPACE[1])
        column.addLayout(header)
        column.addWidget(self._scroll, 1)
        column.addWidget(self._continue, 0, Qt.AlignmentFlag.AlignLeft)

    # -- what it shows --------------------------------------------------------------------------

    @property
    def message(self) -> Message | None:
        return self._message

    @property
    def dirty(self) -> bool:
        """Text arrived that is not painted yet."""
        return self._dirty

    @property
    def streaming(self) -> bool:
        return self._message is None or self._message.status is MessageStatus.STREAMING

    def header_text(self) -> str:
        return f"{self._title.text()} · {self._provider.text()} — {self._figures.text()}"

    def plain_text(self) -> str:
        return self.widget.plain_text() if self.widget is not None else ""

    def restart(self) -> None:
        """The model is asked again (Retry): figures start afresh."""
        self._started = time.monotonic()
        self.figures = ColumnFigures()
        self._figures.setText("waiting…")
        self._stop.show()
        self._continue.setEnabled(False)

    def begin(self, message: Message) -> None:
        """The reply's row exists: shown, streaming."""
        self._message = message
        self._reasoning, self._answer = message.reasoning, message.content
        if self.widget is None:
            from kibitz.ui.views.message_widget import MessageWidget  # see ChatView

            widget = MessageWidget(message, dark=self._dark, width=self._text_width())
            widget.error_action_requested.connect(self.error_action_requested)
            widget.hide_header()
            # Versions and deleting belong to the chat, once one reply is chosen.
            widget.action_row.versions.hide()
            self._body_layout.insertWidget(0, widget)
            self.widget = widget
        else:
            self.widget.set_message(message)

    def append(self, text: str, *, reasoning: bool = False) -> None:
        """More of the reply (buffered: painted by paint())."""
        if not text:
            return
        if self.figures.first_token_s is None:
            self.figures.first_token_s = time.monotonic() - self._started
        if reasoning:
            self._reasoning += text
        else:
            self._answer += text
        self.figures.chars += len(text)
        self._dirty = True

    def paint(self) -> bool:
        """Show what arrived since the last paint; whether there was anything."""
        if not self._dirty or self._message is None or self.widget is None:
            return False
        self._dirty = False
        parts: list[Part] = []
        if self._reasoning:
            parts.append(ReasoningPart(self._reasoning))
        parts.append(TextPart(self._answer))
        live = dataclasses.replace(self._message, parts=tuple(parts))
        self.widget.set_message(live)
        self._figures.setText(self.figures.line())
        return True

    def finish(self, message: Message, figures: ColumnFigures | None = None) -> None:
        """The reply's row as stored at its end, with the figures its exchange recorded."""
        self._dirty = False
        self._message = message
        if message.usage is not None:
            self.figures.tokens = message.usage.completion_tokens
        if message.cost_nanos is not None:
            from kibitz.core.pricing import format_usd

            self.figures.cost = format_usd(message.cost_nanos)
        if figures is not None:
            figures.chars = self.figures.chars
            if figures.first_token_s is None:
                figures.first_token_s = self.figures.first_token_s
            self.figures = figures
        if self.widget is None:
            self.begin(message)
        assert self.widget is not None
        self.widget.finish(message)
        self.widget.action_row.versions.hide()
        self._stop.hide()
        ok = message.status in (MessageStatus.COMPLETE, MessageStatus.LENGTH)
        usable = ok or (message.status is MessageStatus.INTERRUPTED and bool(message.content))
        self._continue.setEnabled(usable)
        self._figures.setText(self.figures.line() or _status_word(message))

    def show_error(self, error: KibitzError) -> None:
        if self.widget is not None:
            self.widget.show_error(error)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        if self.widget is not None:
            self.widget.set_dark(dark)

    def _text_width(self) -> int:
        return max(COLUMN_MIN_WIDTH - 2 * SPACE[2], self._scroll.viewport().width() - SPACE[1])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.widget is not None:
            self.widget.set_width(self._text_width())


def _status_word(message: Message) -> str:
    if message.status is MessageStatus.ERROR:
        return "failed"
    if message.status is MessageStatus.INTERRUPTED:
        return "stopped"
    return ""


class QuestionAttachments(QWidget):
    """The question's images as small square thumbnails, then its files as chips, in one
    wrapping row; emits `opened(part)` when one is clicked."""

    opened = Signal(object)  # ImagePart | FilePart

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareQuestionAttachments")
        self.setAccessibleName("Attachments of your question")
        self.thumbnails: ThumbnailLoader | None = None
        self._flow = FlowLayout(self, spacing=SPACE[1])
        self._items: list[ImageThumbnail | AttachmentChip] = []
        self.hide()

    @property
    def items(self) -> list[ImageThumbnail | AttachmentChip]:
        return list(self._items)

    def set_parts(self, parts: Sequence[ImagePart | FilePart]) -> None:
        while self._flow.count():
            self._flow.takeAt(0)
        for old in self._items:
            old.hide()
            old.deleteLater()
        self._items = []
        images = [p for p in parts if isinstance(p, ImagePart)]
        files = [p for p in parts if isinstance(p, FilePart)]
        for image in images:
            # The composer's chip height: the question looks as it did before it was sent.
            thumb = ImageThumbnail(image, QSize(CHIP_HEIGHT, CHIP_HEIGHT), self.thumbnails, self)
            thumb.activated.connect(lambda p=image: self.opened.emit(p))
            self._add(thumb)
        for file in files:
            chip = AttachmentChip(
                file.name, image=False, size=file.size, mime_type=file.mime_type,
                clickable=True, parent=self,
            )  # fmt: skip
            chip.setToolTip(f"{file.name} ({size_text(file.size)})\nClick to open")
            chip.activated.connect(lambda p=file: self.opened.emit(p))
            self._add(chip)
        self.setVisible(bool(self._items))
        self.updateGeometry()

    def _add(self, item: ImageThumbnail | AttachmentChip) -> None:
        self._flow.addWidget(item)
        self._items.append(item)
        item.show()


class CompareView(QWidget):
    """The question and its replies in columns. Emits what the user asks; never touches the
    store."""

    stop_requested = Signal(int)  # a column's index
    stop_all_requested = Signal()
    continue_requested = Signal(int)  # a column's index
    error_action_requested = Signal(int, object)  # message id, Action
    attachment_opened = Signal(object)  # ImagePart | FilePart of the question, clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self.setAccessibleName("Comparison")
        self._dark = palette_is_dark(self.palette())
        self._columns: list[CompareColumn] = []
        self._next = 0  # the column whose turn it is to repaint
        self._question = QLabel(self)
        self._question.setObjectName("compareQuestion")
        self._question.setWordWrap(True)
        self._question.setTextFormat(Qt.TextFormat.PlainText)
        self._question.setAccessibleName("Your question")
        self._attachments = QuestionAttachments(self)
        self._attachments.opened.connect(self.attachment_opened)
        self._hint = muted_label("", self)
        self._stop_all = QPushButton("Stop all", self)
        self._stop_all.setObjectName("stopAll")
        self._stop_all.setToolTip("Stop every reply (Esc)")
        self._stop_all.clicked.connect(self.stop_all_requested)

        self._row = QWidget()
        self._row_layout = QHBoxLayout(self._row)
        self._row_layout.setContentsMargins(0, 0, 0, 0)
        self._row_layout.setSpacing(SPACE[2])
        self._scroll = QScrollArea(self)
        self._scroll.setObjectName("compareColumns")
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setWidgetResizable(True)
        self._scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._row)

        top = QHBoxLayout()
        top.addWidget(self._hint, 1)
        top.addWidget(self._stop_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE[3], SPACE[3], SPACE[3], SPACE[1])
        layout.setSpacing(SPACE[2])
        layout.addWidget(self._question)
        layout.addWidget(self._attachments)
        layout.addLayout(top)
        layout.addWidget(self._scroll, 1)

        # Cards on the chat's own background, as chat clients show parallel answers.
        self.setStyleSheet(_CARD_STYLE)
        font = self._question.font()
        font.setBold(True)
        self._question.setFont(font)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.paint)

    @property
    def columns(self) -> list[CompareColumn]:
        return list(self._columns)

    def column(self, index: int) -> CompareColumn:
        return self._columns[index]

    def question_text(self) -> str:
        return self._question.text()

    @property
    def question_attachments(self) -> QuestionAttachments:
        return self._attachments

    def set_thumbnails(self, thumbnails: ThumbnailLoader | None) -> None:
        """Where the question's images get their thumbnails (None: placeholders)."""
        self._attachments.thumbnails = thumbnails

    def start(
        self,
        question: str,
        models: list[tuple[str, str]],
        attachments: Sequence[ImagePart | FilePart] = (),
    ) -> None:
        """A new comparison: the question (its text, and the images and files it carried) and
        an empty column per (model, provider)."""
        for old in self._columns:
            old.deleteLater()
        self._columns = []
        lines = question.strip().splitlines() or [""]
        shown = "\n".join(lines[:_QUESTION_LINES]) + ("…" if len(lines) > _QUESTION_LINES else "")
        self._question.setText(shown)
        self._question.setVisible(bool(question.strip()) or not attachments)
        self._attachments.set_parts(attachments)
        for index, (model, provider) in enumerate(models):
            column = CompareColumn(index, model, provider, dark=self._dark, parent=self._row)
            column.stop_requested.connect(self.stop_requested)
            column.continue_requested.connect(self.continue_requested)
            column.error_action_requested.connect(self.error_action_requested)
            self._row_layout.addWidget(column, 1)
            self._columns.append(column)
        self.set_running(True)

    def set_running(self, running: bool) -> None:
        self._stop_all.setVisible(running)
        self._hint.setText(
            "Replies arriving side by side…"
            if running
            else "Pick the reply to continue with; the others stay as versions (‹ 2/3 ›)."
        )

    # -- streaming ------------------------------------------------------------------------------

    def begin(self, index: int, message: Message) -> None:
        self._columns[index].begin(message)

    def restart(self, index: int) -> None:
        self._columns[index].restart()

    def append(self, index: int, text: str, *, reasoning: bool = False) -> None:
        self._columns[index].append(text, reasoning=reasoning)
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(max(1, REPAINT_MS // max(1, len(self._columns))))

    def paint(self) -> None:
        """Paint the next column with news whose turn it is (the timer does).

        One column per event-loop turn, in rotation, so the window never waits for three
        renders at once; each column repaints at most every REPAINT_MS, or three times as
        long as its last repaint took (a huge open paragraph), like the chat view."""
        now = time.monotonic()
        count = len(self._columns)
        for step in range(count):
            index = (self._next + step) % count
            column = self._columns[index]
            if column.dirty and column.due <= now:
                self._next = index + 1
                column.paint()
                spent = time.monotonic() - now
                column.due = now + max(REPAINT_MS / 1000, _SLOW_REPAINT_FACTOR * spent)
                break
        if any(c.dirty for c in self._columns):
            self._schedule()

    def paint_all(self) -> None:
        """Paint every column with news now."""
        for column in self._columns:
            column.paint()

    def finish(self, index: int, message: Message, figures: ColumnFigures | None = None) -> None:
        self._columns[index].paint()
        self._columns[index].finish(message, figures)

    def show_error(self, index: int, error: KibitzError) -> None:
        self._columns[index].show_error(error)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            dark = palette_is_dark(self.palette())
            if dark != self._dark:
                self._dark = dark
                for column in self._columns:
                    column.set_dark(dark)
