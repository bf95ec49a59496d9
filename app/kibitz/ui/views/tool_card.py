"""ToolCallCard: one tool call in a reply, as a compact card that opens on click.

Folded, it is one line: a status mark, the tool and its server, the arguments in brief, and
where the call stands ("Running… 1.2 s", "Done in 0.4 s", "Declined"). Opened, it shows the
arguments and the result as plain text in scrolling boxes, made the first time it opens (a
conversation of many calls builds none of them). A long result shows its start, with a note
and "Show all". Images the call returned show below the line, as a message's images do.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFrame, QLabel, QToolButton, QVBoxLayout, QWidget

from kibitz.ui.attachments.thumbnails import ThumbnailLoader
from kibitz.ui.views.message_attachments import MessageAttachments
from kibitz.ui.views.message_parts import mix, muted_label, small_button
from kibitz.ui.views.reply_layout import CardState, LiveCall, ToolStep, card_state
from kibitz.ui.views.text_box import TextBox
from kibitz.ui.views.tool_card_header import PAD_X, PAD_Y, RADIUS, ToolCardHeader
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

_TICK_MS = 100  # a running call's clock and spinner
_BOX_HEIGHT = 240  # arguments and result scroll past this


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
            self._images.setContentsMargins(PAD_X, 0, PAD_X, PAD_Y)
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
        column.setContentsMargins(PAD_X, 0, PAD_X, PAD_Y + 2)
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
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
