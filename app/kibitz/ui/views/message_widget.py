"""MessageWidget: one turn of the chat — its reasoning, text, tool calls, header, footer, actions,
errors.

A reply that called tools shows its steps (text before the calls, a card per call) between its
reasoning and its answer; the answer is the text after the last call, and only it streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QEnterEvent, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kibitz.core.errors import Action, CancelledByUserError, KibitzError
from kibitz.core.store import error_record, read_error_record
from kibitz.core.tools import PendingCall
from kibitz.core.types import Message, MessageStatus, Role
from kibitz.ui.attachments.thumbnails import ThumbnailLoader
from kibitz.ui.views.message_actions import MessageActions
from kibitz.ui.views.message_attachments import MessageAttachments, attachment_parts
from kibitz.ui.views.message_notes import has_stored_error, note_text, usage_line
from kibitz.ui.views.message_parts import Bubble, ErrorCard, error_defaults, muted_label
from kibitz.ui.views.message_text import MessageTextView
from kibitz.ui.views.reasoning_section import ReasoningSection, reasoning_seconds
from kibitz.ui.views.reply_layout import LiveCall, ReplyLayout, has_tool_parts, reply_layout
from kibitz.ui.views.reply_steps import ReplySteps

if TYPE_CHECKING:
    from kibitz.core.render.json_reply import JsonReply

_ACCESSIBLE_NAMES = {
    Role.USER: "Your message",
    Role.ASSISTANT: "Assistant reply",
    Role.SYSTEM: "System prompt",
    Role.TOOL: "Tool output",
}
ROLE_LABELS = {
    Role.USER: "You",
    Role.ASSISTANT: "Assistant",
    Role.SYSTEM: "System prompt",
    Role.TOOL: "Tool",
}
# A user's bubble takes at most this share of the column, like the chat clients people know.
_BUBBLE_SHARE = 0.82
_BUBBLE_PADDING = (14, 9, 14, 9)
_FLASH_MS = 1600


class MessageWidget(QWidget):
    """Shows one message; emits what the user asks for, never touches the store itself."""

    regenerate_requested = Signal(int)
    edit_requested = Signal(int)
    continue_requested = Signal(int)
    sibling_step_requested = Signal(int, int)  # message id, -1 or +1
    inspect_requested = Signal(int)
    delete_requested = Signal(int)
    compare_again_requested = Signal(int)  # a question's id: Compare again…
    error_action_requested = Signal(int, object)  # message id, Action
    copy_done = Signal(str)
    link_activated = Signal(QUrl)
    text_rendered = Signal()
    attachment_opened = Signal(object)  # ImagePart | FilePart: clicked
    tool_approval_answered = Signal(int, str, object)  # message id, call id, Approval

    def __init__(
        self,
        message: Message,
        sibling: tuple[int, int] = (0, 1),
        *,
        dark: bool = False,
        width: int = 600,
        thumbnails: ThumbnailLoader | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._message = message
        self._thumbnails = thumbnails
        # Made for a message with images or files: most have none.
        self._attachments: MessageAttachments | None = None
        self._dark = dark
        self._shown_text: str | None = None
        # The failure reported live (its own hint), preferred to the stored "code: headline".
        self._live_error: KibitzError | None = None
        is_user = message.role is Role.USER
        self.setObjectName("userMessage" if is_user else f"{message.role.value}Message")
        self.setProperty("role", message.role.value)
        self.setAccessibleName(_ACCESSIBLE_NAMES.get(message.role, "Message"))

        self._header = muted_label("", self)
        self._header.setAccessibleName("Message header")
        self._bubble = Bubble(self)
        self._bubble.tinted = is_user
        if not is_user:
            # Nothing painted by size (no bubble): a taller reply repaints only its new part.
            self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
            self._bubble.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        # Made when a reply first has reasoning, or tool calls: most messages never need one.
        self._reasoning: ReasoningSection | None = None
        self._steps: ReplySteps | None = None
        self._live_calls: dict[str, LiveCall] = {}
        self._answer = ""  # the text the bubble shows: all of it, or what follows the last call
        self._answer_start = 0  # where that text starts among the parts (see set_message)
        self._json: JsonReply | None = None  # the answer's JSON, when it is all JSON
        self._text = MessageTextView(self._bubble)
        bubble_layout = QVBoxLayout(self._bubble)
        bubble_layout.setContentsMargins(*(_BUBBLE_PADDING if is_user else (0, 0, 0, 0)))
        bubble_layout.addWidget(self._text)
        self._trimming: str | None = None  # what the reply's request left out to fit
        self._note = muted_label("", self)
        self._note.setWordWrap(True)
        self._note.setAccessibleName("Reply note")
        self._error = ErrorCard(self)
        self._error.hide()
        self._build_footer(is_user)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        if is_user:
            self._header.hide()
            self._progress.hide()
        else:
            header = QHBoxLayout()
            header.setContentsMargins(0, 0, 0, 0)
            header.addWidget(self._header)
            header.addWidget(self._progress)
            header.addStretch(1)
            layout.addLayout(header)
        row = self._bubble_row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if is_user:
            row.addStretch(1)
        row.addWidget(self._bubble, 0 if is_user else 1)
        layout.addLayout(row)
        layout.addWidget(self._note)
        layout.addWidget(self._error)
        layout.addWidget(self._footer_bar)

        self._text.copied.connect(self.copy_done)
        self._text.link_opened.connect(self.link_activated)
        self._text.rendered.connect(self.text_rendered)
        self._error.action_clicked.connect(self._on_error_action_clicked)
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.timeout.connect(self._on_flash_timer_timeout)
        self._streaming = False
        self._header_shown = not is_user
        self._sibling = sibling
        self._width = 0
        self.set_width(width)
        self.set_message(message, sibling)

    def _build_footer(self, is_user: bool) -> None:
        actions = self._actions = MessageActions(self, is_user=is_user, parent=self)
        actions.copy_requested.connect(self._on_copy_clicked)
        actions.copy_json_requested.connect(self._on_copy_json_clicked)
        actions.regenerate_requested.connect(
            lambda: self.regenerate_requested.emit(self.message_id)
        )
        actions.edit_requested.connect(lambda: self.edit_requested.emit(self.message_id))
        actions.continue_requested.connect(lambda: self.continue_requested.emit(self.message_id))
        actions.version_step_requested.connect(
            lambda delta: self.sibling_step_requested.emit(self.message_id, delta)
        )
        actions.inspect_requested.connect(lambda: self.inspect_requested.emit(self.message_id))
        actions.delete_requested.connect(lambda: self.delete_requested.emit(self.message_id))
        actions.compare_again_requested.connect(
            lambda: self.compare_again_requested.emit(self.message_id)
        )
        self._progress = muted_label("…", self)
        self._progress.setAccessibleName("Reply in progress")
        self._progress.setToolTip("The reply is still arriving (Esc stops it)")
        self._usage = muted_label("", self)
        self._usage.setAccessibleName("Token usage")
        # Where the room is short (a Compare column) the line wraps instead of being cut off.
        self._usage.setWordWrap(True)
        self._usage.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Shown once a reply is complete: while it streams, actions on it make no sense.
        self._footer_bar = QWidget(self)
        footer = QHBoxLayout(self._footer_bar)
        footer.setContentsMargins(0, 0, 0, 0)
        footer.setSpacing(2)
        if is_user:
            footer.addStretch(1)
        footer.addWidget(actions)
        if not is_user:
            footer.addWidget(self._usage, 1)  # all the room left, right-aligned

    # -- what it shows ------------------------------------------------------------------------

    @property
    def message(self) -> Message:
        return self._message

    @property
    def message_id(self) -> int:
        return int(self._message.id)

    @property
    def text_view(self) -> MessageTextView:
        return self._text

    @property
    def error_card(self) -> ErrorCard:
        return self._error

    @property
    def action_row(self) -> MessageActions:
        """The row of action buttons under the message."""
        return self._actions

    @property
    def attachments_view(self) -> MessageAttachments | None:
        return self._attachments

    @property
    def reasoning_section(self) -> ReasoningSection:
        return self._section()

    def _section(self) -> ReasoningSection:
        """The reasoning section, made (hidden, below the header line) on first use."""
        if self._reasoning is None:
            section = ReasoningSection(dark=self._dark, parent=self)
            section.hide()
            section.set_width(self._width)
            section.copied.connect(self.copy_done)
            section.link_opened.connect(self.link_activated)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(1, section)  # after the "Assistant · model" line
            self._reasoning = section
        return self._reasoning

    def plain_text(self) -> str:
        return self._text.toPlainText()

    def header_text(self) -> str:
        return self._header.text()

    def footer_text(self) -> str:
        """Usage, note and version position as the user reads them."""
        parts = [self._usage.text(), self._note.text() if not self._note.isHidden() else ""]
        if not self._actions.versions.isHidden():
            parts.append(self._actions.versions.text)
        return " ".join(p for p in parts if p)

    def set_message(self, message: Message, sibling: tuple[int, int] = (0, 1)) -> None:
        """Show `message` (same id, maybe newer): text only re-rendered when it changed.

        A streaming message streams (the new part of its reasoning and answer); one that is
        no longer streaming ends the stream with a final render.
        """
        self._message = message
        layout = reply_layout(message.parts) if has_tool_parts(message.parts) else None
        answer = layout.answer if layout is not None else message.content
        answer_start = layout.answer_start if layout is not None else 0
        # A tool call moved the text streamed so far into the steps above: the answer begins
        # again below them.
        moved = answer_start != self._answer_start
        self._answer, self._answer_start = answer, answer_start
        # A reply that is all JSON shows pretty-printed, decided once it is finished: a
        # streaming reply never switches between the two forms.
        finished = message.status is not MessageStatus.STREAMING
        is_reply = message.role is Role.ASSISTANT
        self._json = _json_reply(answer) if finished and is_reply else None
        if message.status is MessageStatus.STREAMING:
            if not self._text.streaming:
                self._live_error = None  # retried in place, or continued: that failure is past
                self.begin_stream()
            elif moved:
                self.begin_stream()
            self._stream_parts(message)
        else:
            if self._text.streaming and not moved and self._json is None:
                self._text.stream_text(answer)
                self._text.end_stream()
                self._shown_text = answer
            elif self._text.streaming or self._shown_text != answer:
                self._text.end_stream()
                self._show_final_text(answer)
            if message.reasoning:
                self._section().settle(message.reasoning, reasoning_seconds(message.parts))
        if self._reasoning is not None or message.reasoning:
            self._section().setVisible(bool(message.reasoning) and message.role is Role.ASSISTANT)
        self._show_steps(layout)
        self._show_attachments(message, layout)
        self.set_siblings(sibling)
        self._update_chrome()

    def _show_attachments(self, message: Message, layout: ReplyLayout | None) -> None:
        """A user's images and files above their words; a reply's below its answer (those a
        tool returned show with its call)."""
        parts = attachment_parts(message.parts)
        if layout is not None and layout.tool_images:
            parts = tuple(p for p in parts if p.blob not in layout.tool_images)
        if self._attachments is None:
            if not parts:
                return
            is_user = message.role is Role.USER
            view = MessageAttachments(parts, self._thumbnails, align_right=is_user, parent=self)
            view.opened.connect(self.attachment_opened)
            column = self.layout()
            assert isinstance(column, QVBoxLayout)
            row = column.indexOf(self._bubble_row)
            column.insertWidget(row if is_user else row + 1, view)
            self._attachments = view
        else:
            self._attachments.set_parts(parts)
        self._attachments.setVisible(bool(parts))

    # -- tool calls ---------------------------------------------------------------------------

    @property
    def steps_view(self) -> ReplySteps | None:
        """The reply's text before its calls and their cards (None: it called no tools)."""
        return self._steps

    def _tool_steps(self) -> ReplySteps:
        if self._steps is None:
            steps = ReplySteps(
                dark=self._dark, width=self._width, thumbnails=self._thumbnails, parent=self
            )
            steps.hide()
            steps.approval_answered.connect(
                lambda call, approval: self.tool_approval_answered.emit(
                    self.message_id, call, approval
                )
            )
            steps.image_opened.connect(self.attachment_opened)
            steps.copied.connect(self.copy_done)
            steps.link_opened.connect(self.link_activated)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(layout.indexOf(self._bubble_row), steps)
            self._steps = steps
        return self._steps

    def _show_steps(self, layout: ReplyLayout | None) -> None:
        if layout is None:
            return
        steps = self._tool_steps()
        streaming = self._message.status is MessageStatus.STREAMING
        steps.set_steps(layout.steps, self._live_calls, streaming=streaming)
        steps.setVisible(bool(layout.steps))

    def set_live_calls(self, live: Mapping[str, LiveCall]) -> None:
        """Which of the reply's calls are waiting for the user or running, since when."""
        if live == self._live_calls:
            return
        self._live_calls = dict(live)
        if self._steps is not None:
            self._show_steps(reply_layout(self._message.parts))

    def show_approval(self, pending: PendingCall, *, offer_always: bool) -> None:
        """The approval card, in the place of the call it asks about."""
        self._tool_steps().ask(pending, offer_always=offer_always)

    def end_approval(self, call_id: str) -> bool:
        """The approval card goes; whether it had the keyboard focus."""
        return self._steps.end_approval(call_id) if self._steps is not None else False

    def hide_header(self) -> None:
        """No "Assistant · model" line (a comparison's column names the model itself)."""
        self._header_shown = False
        self._header.hide()
        self._progress.hide()

    def set_siblings(self, sibling: tuple[int, int]) -> None:
        """Where this message stands among its versions: (index, count)."""
        self._sibling = sibling
        self._actions.set_siblings(*sibling)

    def _show_final_text(self, text: str) -> None:
        # A user's Markdown renders as a reply's does (code, lists, tables), each line break kept
        # as typed; Copy and Edit still take the source.
        is_user = self._message.role is Role.USER
        shown = self._json.markdown if self._json is not None else text
        self._text.set_markdown(shown, self._dark, line_breaks=is_user)
        self._shown_text = text

    def _update_chrome(self) -> None:
        message = self._message
        streaming = message.status is MessageStatus.STREAMING
        self._streaming = streaming
        header = ROLE_LABELS.get(message.role, message.role.value)
        if message.model:
            header += f" · {message.model}"
        self._header.setText(header)
        self._progress.setVisible(streaming and self._header_shown)
        self._footer_bar.setVisible(not streaming)
        # A reply that failed before any text shows only its error card; one still thinking
        # shows only its reasoning, until the answer starts.
        self._bubble.setHidden(not self._answer and (not streaming or bool(message.reasoning)))
        self._actions.set_busy(streaming)
        usage, tip = usage_line(message)
        self._usage.setText(usage)
        self._usage.setToolTip(tip)
        self._actions.set_can_continue(message.status is MessageStatus.LENGTH)
        self._actions.set_json(self._json is not None)
        self._note.setText(note_text(self._message, self._trimming))
        self._note.setVisible(bool(self._note.text()))
        self._update_error_card()

    def set_trimming(self, line: str | None) -> None:
        """Say under the reply what its request left out to fit the model's window ("3 oldest
        messages left out to fit 128k tokens"); None: nothing was."""
        if line != self._trimming:
            self._trimming = line
            self._note.setText(note_text(self._message, self._trimming))
            self._note.setVisible(bool(self._note.text()))

    def _update_error_card(self) -> None:
        status = self._message.status
        failed = status is MessageStatus.ERROR or (
            status is MessageStatus.INTERRUPTED and has_stored_error(self._message)
        )
        error = self._live_error
        stored = self._message.error or ""
        if failed and error is not None and stored in (error_record(error), error.summary()):
            self._error.show_error(error.headline, error.hint, error.action, stored)
        elif failed:
            # A stored failure keeps "code: headline" and the detail; the error tree knows the
            # rest.
            code, headline, _ = read_error_record(stored)
            hint, action = error_defaults(code)
            if action is Action.NONE:
                action = Action.RETRY
            self._error.show_error(headline or code or "The reply failed", hint, action, stored)
        elif status is not MessageStatus.STREAMING:
            self._error.stop_countdown()
            self._error.hide()

    # -- streaming ----------------------------------------------------------------------------

    def begin_stream(self) -> None:
        self._text.begin_stream(self._dark)
        self._shown_text = None

    def _stream_parts(self, message: Message) -> None:
        """One repaint of a streaming reply: its reasoning, then its answer, as far as known."""
        reasoning, answer = message.reasoning, self._answer
        if reasoning and not answer:
            self._end_retry_wait()
            self._section().stream(reasoning)
        elif reasoning:
            # The answer has started: the reasoning folds to "Thought for 12 s".
            self._section().settle(reasoning, reasoning_seconds(message.parts))
        if answer or self._text.document().characterCount() > 1:
            self.stream_text(answer)

    def stream_text(self, text: str) -> None:
        """The answer so far (the part already shown is not rendered again)."""
        if text:
            self._end_retry_wait()
        self._text.stream_text(text)

    def _end_retry_wait(self) -> None:
        if self._error.waiting:  # the retry worked: the reply is arriving
            self._error.stop_countdown()
            self._error.hide()

    def finish(self, message: Message, sibling: tuple[int, int] | None = None) -> None:
        """End streaming: the last text goes in as a final render; status and footer update."""
        self.set_message(message, sibling or self._sibling)

    def show_error(self, error: KibitzError) -> None:
        """Show a failure as reported: its headline, what to do, and a button for its action."""
        if isinstance(error, CancelledByUserError):
            return  # the user pressed Stop: the note under the reply says so, quietly
        self._live_error = error
        details = error_record(error)
        self._error.show_error(error.headline, error.hint, error.action, details)
        self._note.hide()

    def show_retry_countdown(self, seconds: float, reason: str = "") -> None:
        self._error.show_waiting(reason, seconds)

    # -- appearance ---------------------------------------------------------------------------

    def set_dark(self, dark: bool) -> None:
        if dark == self._dark:
            return
        self._dark = dark
        if self._reasoning is not None:
            self._reasoning.set_dark(dark)
        if self._steps is not None:
            self._steps.set_dark(dark)
        if not self._streaming:
            self._shown_text = None
            self._show_final_text(self._answer)

    def render_again(self) -> None:
        """Render the text anew (a setting that changes the HTML, such as math, changed)."""
        if not self._streaming:
            self._shown_text = None
            self._show_final_text(self._answer)

    def flash(self) -> None:
        """Tint the message for a moment (a search hit it jumped to)."""
        self._bubble.highlighted = True
        self._bubble.update()
        self._flash_timer.start(_FLASH_MS)

    @property
    def flashing(self) -> bool:
        return self._bubble.highlighted

    def _on_flash_timer_timeout(self) -> None:
        self._bubble.highlighted = False
        self._bubble.update()

    def set_width(self, width: int) -> None:
        """Lay the text out for a column `width` pixels wide."""
        if width == self._width or width <= 0:
            return
        self._width = width
        if self._message.role is Role.USER:
            left, _, right, _ = _BUBBLE_PADDING
            self._text.set_layout_width(int(width * _BUBBLE_SHARE) - left - right, shrink=True)
        else:
            self._text.set_layout_width(width)
            if self._reasoning is not None:
                self._reasoning.set_width(width)
            if self._steps is not None:
                self._steps.set_width(width)

    def enterEvent(self, event: QEnterEvent) -> None:
        self._actions.set_hovered(True)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._actions.set_hovered(False)
        super().leaveEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.set_width(event.size().width())

    def _on_error_action_clicked(self, action: Action) -> None:
        self.error_action_requested.emit(self.message_id, action)

    def _on_copy_clicked(self) -> None:
        # The answer only: the reasoning is the model's working, copied from its own section.
        QGuiApplication.clipboard().setText(self._message.content)
        self._actions.show_copied()
        self.copy_done.emit("Message copied")

    def _on_copy_json_clicked(self) -> None:
        # The JSON as shown (two-space indents), whether the model wrote it fenced or bare.
        if self._json is None:
            return
        QGuiApplication.clipboard().setText(self._json.pretty)
        self._actions.show_json_copied()
        self.copy_done.emit("JSON copied")


def _json_reply(answer: str) -> JsonReply | None:
    """json_reply, loaded with the first finished reply (the renderer is not part of the start)."""
    from kibitz.core.render.json_reply import json_reply

    return json_reply(answer)
