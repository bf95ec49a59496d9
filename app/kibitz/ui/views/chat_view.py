"""ChatView: the conversation column — message widgets, streamed replies and paging.

Only a window of rows has widgets: when a conversation opens, the newest ones that fill the
screen (and a little more); as the user scrolls towards either end of the window it grows by
about a screenful, so opening 2,000 messages renders and lays out only a handful.

The widgets follow the message model (which follows the store): rows inserted at the end of
the window get widgets, removed rows lose theirs, changed rows update. A streaming row's
changes are painted at most every REPAINT_MS.

While a turn calls tools, the view also knows which calls wait for the user or run (told by the
controller, kept here so a widget made later shows them too) and shows a call's approval card
where the call is.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from kibitz.core.errors import KibitzError, StoreError
from kibitz.core.store import Store
from kibitz.core.tools import PendingCall
from kibitz.core.types import ConversationId, Message, MessageId, MessageStatus
from kibitz.ui.attachments.thumbnails import ThumbnailLoader
from kibitz.ui.models.messages import MessageListModel, MessageRole
from kibitz.ui.views.message_parts import palette_is_dark
from kibitz.ui.views.message_widget import MessageWidget
from kibitz.ui.views.reply_layout import CallPhase, LiveCall

log = logging.getLogger(__name__)

COLUMN_WIDTH = 760  # a readable line length, like the chat clients people know
INITIAL_ROWS = 24  # at most, when a conversation opens; fewer when they fill the screen
PAGE_ROWS = 20  # at most, per page loaded while scrolling
REPAINT_MS = 50  # a streamed reply repaints at most this often
EDGE_PX = 600  # load the next page when the view comes this close to an end of the window
_MIN_VIEWPORT_PX = 400  # what to fill before the view has its real size
_BOTTOM_SLACK_PX = 8
_TARGET_TOP_PX = 24  # where scroll_to_message puts the message, from the top
_SLOW_REPAINT_FACTOR = 3
_SETTLE_ROUNDS = 12  # text view, bubble, message, column, container, scroll area: ~2 each


class ChatView(QWidget):
    """Shows one conversation's current branch; the controller streams replies into it."""

    regenerate_requested = Signal(int)
    edit_requested = Signal(int)
    continue_requested = Signal(int)
    sibling_step_requested = Signal(int, int)  # message id, -1 (‹) or +1 (›)
    inspect_requested = Signal(int)  # message id
    delete_requested = Signal(int)  # message id: it and the replies after it
    compare_again_requested = Signal(int)  # a question's id
    error_action_requested = Signal(int, object)  # message id, Action
    copy_done = Signal(str)
    link_activated = Signal(QUrl)
    attachment_opened = Signal(object)  # ImagePart | FilePart of a message, clicked
    tool_approval_answered = Signal(int, str, object)  # message id, call id, Approval

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        thumbnails: ThumbnailLoader | None = None,
    ) -> None:
        """`thumbnails`: where messages' images get their thumbnails (None: placeholders)."""
        super().__init__(parent)
        self._store = store
        self._thumbnails = thumbnails
        self._model = MessageListModel(store, self)
        self._dark = palette_is_dark(self.palette())
        self._widgets: dict[MessageId, MessageWidget] = {}
        self._first = 0  # rows [first, last) have widgets
        self._last = 0
        self._dirty: set[MessageId] = set()
        # Failures reported live, by reply: a widget made later (scrolled to) shows them too.
        self._errors: dict[MessageId, KibitzError] = {}
        self._trimmed: dict[MessageId, str] = {}  # replies whose request left messages out
        # Calls of streaming replies that wait for the user or run; the approval asked, by reply.
        self._live_calls: dict[MessageId, dict[str, LiveCall]] = {}
        self._approvals: dict[MessageId, tuple[PendingCall, bool]] = {}
        self._last_flush = 0.0
        self._repaint_ms = 0.0  # what the last streamed repaint cost
        self._at_bottom = True
        self._anchor: tuple[QWidget, int] | None = None
        self._adjusting = False
        self._deletable = True  # no message is deleted while a reply is arriving

        self._scroll = QScrollArea(self)
        self._scroll.setObjectName("chatScroll")
        self._scroll.setAccessibleName("Conversation")
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A viewport of our own: wrapping Qt's built-in one (the first viewport() call) makes
        # PySide6 load every widget class it could be (~15 ms of the start).
        viewport = QWidget(self._scroll)
        viewport.setBackgroundRole(QPalette.ColorRole.Base)
        viewport.setAutoFillBackground(True)
        self._scroll.setViewport(viewport)
        self._container = QWidget()
        self._container.setObjectName("chatContainer")
        # Opaque, so following a stream scrolls by moving pixels instead of repainting all.
        self._container.setBackgroundRole(QPalette.ColorRole.Base)
        self._container.setAutoFillBackground(True)
        # Top-aligned and growing at the bottom: a resize repaints only what it uncovers.
        self._container.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        outer = QHBoxLayout(self._container)
        outer.setContentsMargins(24, 20, 24, 32)
        outer.addStretch(1)
        self._column = QWidget(self._container)
        self._column.setObjectName("chatColumn")
        self._column.setMaximumWidth(COLUMN_WIDTH)
        self._column.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        outer.addWidget(self._column, 1000)
        outer.addStretch(1)
        self._rows = QVBoxLayout(self._column)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.setSpacing(22)
        self._rows.addStretch(1)
        self._scroll.setWidget(self._container)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._scroll)

        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._repaint_timer.timeout.connect(self._on_repaint_timer_timeout)
        self._edge_timer = QTimer(self)
        self._edge_timer.setSingleShot(True)
        self._edge_timer.setInterval(0)
        self._edge_timer.timeout.connect(self._on_edge_timer_timeout)
        bar = self._scroll.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrollbar_value_changed)
        bar.rangeChanged.connect(self._on_scrollbar_range_changed)
        model = self._model
        model.modelReset.connect(self._on_model_reset)
        model.rowsAboutToBeRemoved.connect(self._on_model_rows_about_to_be_removed)
        model.rowsRemoved.connect(self._on_model_rows_removed)
        model.rowsInserted.connect(self._on_model_rows_inserted)
        model.dataChanged.connect(self._on_model_data_changed)

    # -- what it shows ------------------------------------------------------------------------

    @property
    def model(self) -> MessageListModel:
        return self._model

    @property
    def scroll_area(self) -> QScrollArea:
        return self._scroll

    @property
    def conversation_id(self) -> ConversationId | None:
        return self._model.conversation_id

    def message_widgets(self) -> list[MessageWidget]:
        """The widgets that exist, top to bottom (a window of the branch, not all of it)."""
        rows = self._model.messages()[self._first : self._last]
        return [self._widgets[m.id] for m in rows if m.id in self._widgets]

    def message_widget(self, message_id: int) -> MessageWidget | None:
        return self._widgets.get(MessageId(message_id))

    def show_conversation(self, conversation_id: int | None) -> None:
        """Show a conversation's current branch, scrolled to its end; None clears the view."""
        self._dirty.clear()
        self._errors.clear()
        self._live_calls.clear()
        self._approvals.clear()
        wanted = None if conversation_id is None else ConversationId(conversation_id)
        self._read_trimming(wanted)  # before the model makes the widgets
        self._model.set_conversation(wanted)

    def refresh_trimming(self) -> None:
        """Read again which replies had messages left out to fit, and say so under them."""
        self._read_trimming(self._model.conversation_id)
        for mid, widget in self._widgets.items():
            widget.set_trimming(self._trimmed.get(mid))

    def _read_trimming(self, conversation_id: ConversationId | None) -> None:
        """Which replies of the conversation had messages left out to fit (one query)."""
        self._trimmed = {}
        if conversation_id is None:
            return
        try:
            notes = self._store.trimming_notes(conversation_id)
        except StoreError:
            log.exception("could not read what trimming left out")
            return
        self._trimmed = {mid: note.trimming_line() or "" for mid, note in notes.items()}

    def reload(self) -> None:
        """Read the branch again, after the user's own change (a message sent, a branch
        chosen): the view follows the store by itself, so this mostly confirms it; widgets
        of rows that stay are kept, and a window that does not reach the end jumps there."""
        self._model.reload()
        if self._last < self._model.rowCount():
            self._show_end()

    def scroll_to_message(self, message_id: int) -> bool:
        """Bring a message of the current branch into view and flash it; False if not on it."""
        row = self._model.row_of(message_id)
        if row is None:
            return False
        if not self._first <= row < self._last:
            self._clear_widgets()
            self._first = self._last = row
            self._grow_down(self._viewport_height() + EDGE_PX, INITIAL_ROWS)
            self._grow_up(EDGE_PX, PAGE_ROWS)
        widget = self._widgets[MessageId(message_id)]
        self._at_bottom = False
        self._anchor = (widget, _TARGET_TOP_PX)
        self._settle_layout()
        self._apply_anchor()
        widget.flash()
        return True

    def set_theme_from_palette(self) -> None:
        """Re-render for a light/dark switch (code colours come from the renderer's theme)."""
        dark = palette_is_dark(self.palette())
        if dark == self._dark:
            return
        self._dark = dark
        for widget in self._widgets.values():
            widget.set_dark(dark)

    def render_again(self) -> None:
        """Render the shown messages anew (math turned on or off in Settings)."""
        for widget in self._widgets.values():
            widget.render_again()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.set_theme_from_palette()

    # -- streaming (the controller calls these) -----------------------------------------------

    def begin_reply(self, message: Message) -> None:
        """A reply has started (or a stopped one continues): shown, marked as arriving, and
        from now on its text comes from append_reply_reasoning and append_reply_text."""
        self._errors.pop(message.id, None)
        self._model.begin_stream(message)

    def append_reply_reasoning(self, message_id: int, text: str) -> None:
        """More of a reply's reasoning: shown above the answer, painted at most every
        REPAINT_MS."""
        self._model.append_reasoning(MessageId(message_id), text)

    def append_reply_text(self, message_id: int, text: str) -> None:
        """More of a reply's answer: buffered, and painted at most every REPAINT_MS."""
        self._model.append_text(MessageId(message_id), text)

    def finish_reply(self, message: Message) -> None:
        """The reply ended (complete, length, content_filter, interrupted or error)."""
        self._dirty.discard(message.id)
        self._live_calls.pop(message.id, None)
        self._approvals.pop(message.id, None)
        widget = self._widgets.get(message.id)
        if widget is not None:
            widget.set_live_calls({})
        if self._model.row_of(message.id) is None:
            self._model.refresh_siblings()  # an n>1 alternative: only the "1/3" changes
            return
        self._model.update_message(message)

    # -- tool calls (the controller calls these) ------------------------------------------------

    def sync_reply(self, message: Message) -> None:
        """A streaming reply as stored now (a tool call or result was added): its parts are
        taken from the store, and the text that streams next goes after them."""
        self._model.begin_stream(message)

    def answer_was_reasoning(self, message: Message) -> None:
        """A streaming reply's answer so far was its reasoning (a `</think>` came without
        `<think>`), stored so now: shown again, the text under its reasoning header, and the
        answer that streams next starts afresh."""
        widget = self._widgets.get(message.id)
        if widget is not None:
            widget.begin_stream()  # the answer's text box, rendered so far, starts empty
        self._model.begin_stream(message)

    def set_call_phase(self, message_id: int, call_id: str, phase: CallPhase | None) -> None:
        """A call of a streaming reply now waits for the user, runs, or neither (None)."""
        mid = MessageId(message_id)
        calls = self._live_calls.setdefault(mid, {})
        if phase is None:
            calls.pop(call_id, None)
        else:
            calls[call_id] = LiveCall(phase, time.monotonic())
        widget = self._widgets.get(mid)
        if widget is not None:
            widget.set_live_calls(calls)

    def ask_approval(self, message_id: int, pending: PendingCall, *, offer_always: bool) -> None:
        """Show the approval card where the call is, and bring it into view."""
        mid = MessageId(message_id)
        self._approvals[mid] = (pending, offer_always)
        self.set_call_phase(mid, pending.call_id, CallPhase.ASKING)
        self._repaint_now(mid)
        widget = self._widgets.get(mid)
        if widget is None:
            return
        widget.show_approval(pending, offer_always=offer_always)
        self._settle_layout()
        card = widget.steps_view.approval_card if widget.steps_view is not None else None
        if card is not None:
            self._scroll.ensureWidgetVisible(card, 0, 24)

    def end_approval(self, message_id: int, call_id: str) -> bool:
        """The approval card goes (answered, or the turn stopped); whether it had the focus."""
        mid = MessageId(message_id)
        asked = self._approvals.get(mid)
        if asked is not None and asked[0].call_id == call_id:
            del self._approvals[mid]
        self.set_call_phase(mid, call_id, None)
        widget = self._widgets.get(mid)
        return widget.end_approval(call_id) if widget is not None else False

    def focus_approval(self) -> bool:
        """Give the keyboard to an approval card that waits, if one shows; whether one did."""
        for mid in self._approvals:
            widget = self._widgets.get(mid)
            steps = widget.steps_view if widget is not None else None
            card = steps.approval_card if steps is not None else None
            if card is not None:
                card.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return False

    def _repaint_now(self, mid: MessageId) -> None:
        """Bring a streaming row's widget up to date now, not at the next repaint."""
        widget = self._widgets.get(mid)
        row = self._model.row_of(mid)
        if widget is not None and row is not None:
            self._dirty.discard(mid)
            widget.set_message(self._model.message_at(row), self._model.sibling_position(mid))

    def show_error(self, message_id: int, error: KibitzError) -> None:
        """Show a failure on its reply: the headline, what to do, a button for its action."""
        mid = MessageId(message_id)
        self._errors[mid] = error
        widget = self._widgets.get(mid)
        if widget is not None:
            widget.show_error(error)

    def show_retry_countdown(self, message_id: int, seconds: float, reason: str = "") -> None:
        widget = self._widgets.get(MessageId(message_id))
        if widget is not None:
            widget.show_retry_countdown(seconds, reason)

    def _schedule_repaint(self) -> None:
        if not self._repaint_timer.isActive():
            # A repaint that got slow (a huge open paragraph) spaces out the next ones, so the
            # window keeps most of its time for the user.
            interval = max(REPAINT_MS, _SLOW_REPAINT_FACTOR * self._repaint_ms)
            since_ms = (time.monotonic() - self._last_flush) * 1000
            self._repaint_timer.start(max(0, math.ceil(interval - since_ms)))

    def _on_repaint_timer_timeout(self) -> None:
        started = self._last_flush = time.monotonic()
        dirty, self._dirty = self._dirty, set()
        for mid in dirty:
            widget = self._widgets.get(mid)
            row = self._model.row_of(mid)
            if widget is not None and row is not None:
                widget.set_message(self._model.message_at(row), self._model.sibling_position(mid))
        # Grow and follow in this same turn, so the reply is painted once, already scrolled.
        self._settle_layout()
        self._repaint_ms = (time.monotonic() - started) * 1000

    # -- following the model ------------------------------------------------------------------

    def _on_model_reset(self) -> None:
        self._dirty.clear()
        self._show_end()

    def _on_model_rows_about_to_be_removed(
        self, _parent: QModelIndex | QPersistentModelIndex, first: int, last: int
    ) -> None:
        for row in range(max(first, self._first), min(last + 1, self._last)):
            mid = self._model.message_at(row).id
            self._dirty.discard(mid)
            self._remove_widget(mid)
        # The window [first, last) loses the removed rows inside it and moves up by those above.
        self._first -= max(0, min(last + 1, self._first) - first)
        self._last -= max(0, min(last + 1, self._last) - first)

    def _on_model_rows_removed(
        self, _parent: QModelIndex | QPersistentModelIndex, _first: int, _last: int
    ) -> None:
        if self._first == self._last and self._model.rowCount():
            self._show_end()  # every row with a widget went (a branch cut above the window)

    def _on_model_rows_inserted(
        self, _parent: QModelIndex | QPersistentModelIndex, first: int, last: int
    ) -> None:
        count = last - first + 1
        if first < self._first or (first == self._first < self._last):
            self._first += count  # above the window: it moves down, nothing to make
            self._last += count
            return
        if first > self._last:
            return  # below a window that does not reach the end: made when scrolled to
        if count > PAGE_ROWS:
            self._show_end()  # a whole other branch: open it as a conversation opens
            return
        for row in range(first, last + 1):
            self._insert_widget(row)

    def _on_model_data_changed(
        self,
        top: QModelIndex | QPersistentModelIndex,
        bottom: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int],
    ) -> None:
        siblings_only = list(roles) == [MessageRole.SIBLING_POSITION]
        for row in range(max(top.row(), self._first), min(bottom.row() + 1, self._last)):
            message = self._model.message_at(row)
            widget = self._widgets.get(message.id)
            if widget is None:
                continue
            sibling = self._model.sibling_position(message.id)
            if siblings_only:
                widget.set_siblings(sibling)
            elif message.status is MessageStatus.STREAMING:
                self._dirty.add(message.id)
                self._schedule_repaint()
            else:
                self._dirty.discard(message.id)
                widget.set_message(message, sibling)

    # -- widgets ------------------------------------------------------------------------------

    def _show_end(self) -> None:
        self._clear_widgets()
        self._first = self._last = self._model.rowCount()
        self._at_bottom = True
        self._anchor = None
        self._grow_up(self._viewport_height() + EDGE_PX, INITIAL_ROWS)
        self._settle_layout()
        self._scroll_to_bottom()

    def _viewport_height(self) -> int:
        return max(_MIN_VIEWPORT_PX, self._scroll.viewport().height())

    def _clear_widgets(self) -> None:
        for mid in list(self._widgets):
            self._remove_widget(mid)
        self._first = self._last = 0

    def _grow_up(self, budget_px: int, max_rows: int) -> None:
        """Add widgets above the window until they are `budget_px` tall (or `max_rows`)."""
        height = 0
        for _ in range(max_rows):
            if self._first <= 0 or height >= budget_px:
                break
            self._first -= 1
            widget = self._make_widget(self._first)
            self._rows.insertWidget(0, widget)
            widget.show()
            height += widget.sizeHint().height() + self._rows.spacing()

    def _grow_down(self, budget_px: int, max_rows: int) -> None:
        """Add widgets below the window until they are `budget_px` tall (or `max_rows`)."""
        height = 0
        for _ in range(max_rows):
            if self._last >= self._model.rowCount() or height >= budget_px:
                break
            self._insert_widget(self._last)
            height += self._widgets[self._model.message_at(self._last - 1).id].sizeHint().height()

    def _make_widget(self, row: int) -> MessageWidget:
        message = self._model.message_at(row)
        widget = MessageWidget(
            message,
            self._model.sibling_position(message.id),
            dark=self._dark,
            width=self._column.width(),
            thumbnails=self._thumbnails,
            parent=self._column,
        )
        widget.regenerate_requested.connect(self.regenerate_requested)
        widget.edit_requested.connect(self.edit_requested)
        widget.continue_requested.connect(self.continue_requested)
        widget.error_action_requested.connect(self.error_action_requested)
        widget.copy_done.connect(self.copy_done)
        widget.link_activated.connect(self.link_activated)
        widget.attachment_opened.connect(self.attachment_opened)
        widget.sibling_step_requested.connect(self._on_message_sibling_step_requested)
        widget.tool_approval_answered.connect(self.tool_approval_answered)
        widget.inspect_requested.connect(self.inspect_requested)
        widget.delete_requested.connect(self.delete_requested)
        widget.compare_again_requested.connect(self.compare_again_requested)
        widget.action_row.set_deletable(self._deletable)
        widget.set_trimming(self._trimmed.get(message.id))
        self._widgets[message.id] = widget
        error = self._errors.get(message.id)
        if error is not None:
            widget.show_error(error)
        calls = self._live_calls.get(message.id)
        if calls:
            widget.set_live_calls(calls)
        asked = self._approvals.get(message.id)
        if asked is not None:
            widget.show_approval(asked[0], offer_always=asked[1])
        return widget

    def set_deletable(self, deletable: bool) -> None:
        """Whether messages offer Delete (not while a reply is arriving: it would go with it)."""
        self._deletable = deletable
        for widget in self._widgets.values():
            widget.action_row.set_deletable(deletable)

    def _insert_widget(self, row: int) -> None:
        """A widget for `row`, inside the window or just below it (which then grows by one)."""
        widget = self._make_widget(row)
        self._rows.insertWidget(row - self._first, widget)
        widget.show()
        self._last += 1

    def _remove_widget(self, mid: MessageId) -> None:
        widget = self._widgets.pop(mid, None)
        if widget is None:
            return
        if self._anchor is not None and self._anchor[0] is widget:
            self._anchor = None
        self._rows.removeWidget(widget)
        widget.hide()
        widget.deleteLater()

    def _load_older(self) -> None:
        anchor = self._widgets.get(self._model.message_at(self._first).id)
        # At the end (a conversation just opened, not laid out yet: all at the top) the view
        # stays at the end and goes on following what arrives there.
        if anchor is not None and not self._at_bottom:
            # Measured before the insert: the message in view must stay where it is.
            offset = self._widget_top(anchor) - self._scroll.verticalScrollBar().value()
            self._anchor = (anchor, offset)
            self._at_bottom = False
        self._grow_up(self._viewport_height(), PAGE_ROWS)
        self._settle_layout()
        self._apply_anchor()

    def _load_newer(self) -> None:
        self._grow_down(self._viewport_height(), PAGE_ROWS)

    def _on_message_sibling_step_requested(self, message_id: int, delta: int) -> None:
        self.sibling_step_requested.emit(message_id, delta)

    # -- scrolling ----------------------------------------------------------------------------

    def _widget_top(self, widget: QWidget) -> int:
        return widget.mapTo(self._container, QPoint(0, 0)).y()

    def _settle_layout(self) -> None:
        # Lay out now (not on the next loop turn) so the scroll position can be set exactly,
        # and so a growing reply scrolls before it paints. Each nesting level posts its own
        # LayoutRequest to the next while handling one, so this takes a few rounds.
        for _ in range(_SETTLE_ROUNDS):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def _set_scroll_value(self, value: int) -> None:
        self._adjusting = True
        try:
            self._scroll.verticalScrollBar().setValue(value)
        finally:
            self._adjusting = False

    def _scroll_to_bottom(self) -> None:
        self._set_scroll_value(self._scroll.verticalScrollBar().maximum())

    def _apply_anchor(self) -> None:
        if self._anchor is not None:
            widget, offset = self._anchor
            self._set_scroll_value(self._widget_top(widget) - offset)

    def _on_scrollbar_value_changed(self, value: int) -> None:
        if not self._adjusting:
            self._anchor = None
            maximum = self._scroll.verticalScrollBar().maximum()
            self._at_bottom = value >= maximum - _BOTTOM_SLACK_PX
        self._edge_timer.start()

    def _on_scrollbar_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._anchor is not None:
            self._apply_anchor()
        elif self._at_bottom:
            self._set_scroll_value(maximum)
        self._edge_timer.start()

    def _on_edge_timer_timeout(self) -> None:
        bar = self._scroll.verticalScrollBar()
        if bar.value() <= EDGE_PX and self._first > 0:
            self._load_older()
        elif bar.value() >= bar.maximum() - EDGE_PX and self._last < self._model.rowCount():
            self._load_newer()
