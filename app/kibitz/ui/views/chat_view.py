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

The scroll area and where it is scrolled are ChatScroll's (chat_scroll), when to repaint is
RepaintThrottle's (chat_repaint), and what replies show besides their rows (failures,
trimming, live calls, approvals) is kept by ReplyMarks (chat_reply_marks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QUrl, Signal
from PySide6.QtWidgets import QScrollArea, QWidget

from kibitz.core.errors import KibitzError
from kibitz.core.store import Store
from kibitz.core.tools import PendingCall
from kibitz.core.types import ConversationId, Message, MessageId, MessageStatus
from kibitz.ui.attachments.thumbnails import ThumbnailLoader
from kibitz.ui.models.messages import MessageListModel, MessageRole
from kibitz.ui.views.chat_repaint import REPAINT_MS, RepaintThrottle
from kibitz.ui.views.chat_reply_marks import ReplyMarks
from kibitz.ui.views.chat_scroll import COLUMN_WIDTH, ChatScroll, settle_layout
from kibitz.ui.views.message_parts import palette_is_dark
from kibitz.ui.views.reply_layout import CallPhase

if TYPE_CHECKING:
    from kibitz.ui.views.message_widget import MessageWidget

# REPAINT_MS and COLUMN_WIDTH live beside it now; others still import them from here.
__all__ = ["COLUMN_WIDTH", "EDGE_PX", "INITIAL_ROWS", "PAGE_ROWS", "REPAINT_MS", "ChatView"]

INITIAL_ROWS = 24  # at most, when a conversation opens; fewer when they fill the screen
PAGE_ROWS = 20  # at most, per page loaded while scrolling
EDGE_PX = 600  # load the next page when the view comes this close to an end of the window
_MIN_VIEWPORT_PX = 400  # what to fill before the view has its real size
_TARGET_TOP_PX = 24  # where scroll_to_message puts the message, from the top


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
        self._marks = ReplyMarks(self._widgets)
        self._deletable = True  # no message is deleted while a reply is arriving
        self._scrolling = ChatScroll(self)
        self._scroll = self._scrolling.area
        self._column = self._scrolling.column
        self._rows = self._scrolling.rows
        self._scrolling.edge_neared.connect(self._on_scroll_edge_neared)

        self._repaint = RepaintThrottle(self)
        self._repaint.due.connect(self._on_repaint_due)
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
        self._marks.clear_live()
        wanted = None if conversation_id is None else ConversationId(conversation_id)
        self._marks.read_trimming(self._store, wanted)  # before the model makes the widgets
        self._model.set_conversation(wanted)

    def refresh_trimming(self) -> None:
        """Read again which replies had messages left out to fit, and say so under them."""
        self._marks.read_trimming(self._store, self._model.conversation_id)
        for mid, widget in self._widgets.items():
            widget.set_trimming(self._marks.trimmed.get(mid))

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
        self._scrolling.keep(widget, _TARGET_TOP_PX)
        settle_layout()
        self._scrolling.apply_anchor()
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
        self._marks.errors.pop(message.id, None)
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
        self._marks.reply_finished(message.id)
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
        self._marks.set_call_phase(MessageId(message_id), call_id, phase)

    def ask_approval(self, message_id: int, pending: PendingCall, *, offer_always: bool) -> None:
        """Show the approval card where the call is, and bring it into view."""
        mid = MessageId(message_id)
        self._marks.approvals[mid] = (pending, offer_always)
        self.set_call_phase(mid, pending.call_id, CallPhase.ASKING)
        self._repaint_now(mid)
        widget = self._widgets.get(mid)
        if widget is None:
            return
        widget.show_approval(pending, offer_always=offer_always)
        settle_layout()
        card = widget.steps_view.approval_card if widget.steps_view is not None else None
        if card is not None:
            self._scroll.ensureWidgetVisible(card, 0, 24)

    def end_approval(self, message_id: int, call_id: str) -> bool:
        """The approval card goes (answered, or the turn stopped); whether it had the focus."""
        return self._marks.end_approval(MessageId(message_id), call_id)

    def focus_approval(self) -> bool:
        """Give the keyboard to an approval card that waits, if one shows; whether one did."""
        return self._marks.focus_approval()

    def _repaint_now(self, mid: MessageId) -> None:
        """Bring a streaming row's widget up to date now, not at the next repaint."""
        widget = self._widgets.get(mid)
        row = self._model.row_of(mid)
        if widget is not None and row is not None:
            self._dirty.discard(mid)
            widget.set_message(self._model.message_at(row), self._model.sibling_position(mid))

    def show_error(self, message_id: int, error: KibitzError) -> None:
        """Show a failure on its reply: the headline, what to do, a button for its action."""
        self._marks.show_error(MessageId(message_id), error)

    def show_retry_countdown(self, message_id: int, seconds: float, reason: str = "") -> None:
        widget = self._widgets.get(MessageId(message_id))
        if widget is not None:
            widget.show_retry_countdown(seconds, reason)

    def _on_repaint_due(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for mid in dirty:
            widget = self._widgets.get(mid)
            row = self._model.row_of(mid)
            if widget is not None and row is not None:
                widget.set_message(self._model.message_at(row), self._model.sibling_position(mid))
        # Grow and follow in this same turn, so the reply is painted once, already scrolled.
        settle_layout()

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
                self._repaint.schedule()
            else:
                self._dirty.discard(message.id)
                widget.set_message(message, sibling)

    # -- widgets ------------------------------------------------------------------------------

    def _show_end(self) -> None:
        self._clear_widgets()
        self._first = self._last = self._model.rowCount()
        self._scrolling.follow_end()
        self._grow_up(self._viewport_height() + EDGE_PX, INITIAL_ROWS)
        settle_layout()
        self._scrolling.scroll_to_bottom()

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
        # Imported with the first message shown: the message widgets (Markdown, math, tool
        # cards: ~10 ms of imports) are no part of the start, whose chat pane is empty.
        from kibitz.ui.views.message_widget import MessageWidget

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
        self._marks.apply(widget, message.id)
        self._widgets[message.id] = widget
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
        self._scrolling.release(widget)
        self._rows.removeWidget(widget)
        widget.hide()
        widget.deleteLater()

    def _load_older(self) -> None:
        anchor = self._widgets.get(self._model.message_at(self._first).id)
        # At the end (a conversation just opened, not laid out yet: all at the top) the view
        # stays at the end and goes on following what arrives there.
        if anchor is not None and not self._scrolling.at_bottom:
            # Measured before the insert: the message in view must stay where it is.
            offset = self._scrolling.widget_top(anchor) - self._scroll.verticalScrollBar().value()
            self._scrolling.keep(anchor, offset)
        self._grow_up(self._viewport_height(), PAGE_ROWS)
        settle_layout()
        self._scrolling.apply_anchor()

    def _load_newer(self) -> None:
        self._grow_down(self._viewport_height(), PAGE_ROWS)

    def _on_message_sibling_step_requested(self, message_id: int, delta: int) -> None:
        self.sibling_step_requested.emit(message_id, delta)

    def _on_scroll_edge_neared(self) -> None:
        bar = self._scroll.verticalScrollBar()
        if bar.value() <= EDGE_PX and self._first > 0:
            self._load_older()
        elif bar.value() >= bar.maximum() - EDGE_PX and self._last < self._model.rowCount():
            self._load_newer()
