"""ReplyMarks: what the chat view shows on replies besides what the model row holds.

A failure reported live, what trimming left out of a reply's request, the tool calls of a
streaming reply that wait for the user or run, and the approval asked: kept by reply here,
not on widgets, so a widget made later (scrolled to) shows them too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from kibitz.core.errors import KibitzError, StoreError
from kibitz.core.store import Store
from kibitz.core.tools import PendingCall
from kibitz.core.types import ConversationId, MessageId
from kibitz.ui.views.reply_layout import CallPhase, LiveCall

if TYPE_CHECKING:
    from kibitz.ui.views.message_widget import MessageWidget

log = logging.getLogger(__name__)


class ReplyMarks:
    """Marks kept by reply, and shown on the reply's widget when it has one: `widgets` is
    the view's own map (it adds and removes them)."""

    def __init__(self, widgets: Mapping[MessageId, MessageWidget]) -> None:
        self._widgets = widgets
        self.errors: dict[MessageId, KibitzError] = {}
        self.trimmed: dict[MessageId, str] = {}  # replies whose request left messages out
        self.live_calls: dict[MessageId, dict[str, LiveCall]] = {}
        self.approvals: dict[MessageId, tuple[PendingCall, bool]] = {}  # pending, offer always

    def clear_live(self) -> None:
        """Another conversation shows: what was reported live goes (trimming is read anew)."""
        self.errors.clear()
        self.live_calls.clear()
        self.approvals.clear()

    def read_trimming(self, store: Store, conversation_id: ConversationId | None) -> None:
        """Which replies of the conversation had messages left out to fit (one query)."""
        self.trimmed = {}
        if conversation_id is None:
            return
        try:
            notes = store.trimming_notes(conversation_id)
        except StoreError:
            log.exception("could not read what trimming left out")
            return
        self.trimmed = {mid: note.trimming_line() or "" for mid, note in notes.items()}

    def show_error(self, mid: MessageId, error: KibitzError) -> None:
        self.errors[mid] = error
        widget = self._widgets.get(mid)
        if widget is not None:
            widget.show_error(error)

    def reply_finished(self, mid: MessageId) -> None:
        """The reply's calls neither wait nor run any more."""
        self.live_calls.pop(mid, None)
        self.approvals.pop(mid, None)
        widget = self._widgets.get(mid)
        if widget is not None:
            widget.set_live_calls({})

    def set_call_phase(self, mid: MessageId, call_id: str, phase: CallPhase | None) -> None:
        """A call now waits for the user, runs, or neither (None)."""
        calls = self.live_calls.setdefault(mid, {})
        if phase is None:
            calls.pop(call_id, None)
        else:
            calls[call_id] = LiveCall(phase, time.monotonic())
        widget = self._widgets.get(mid)
        if widget is not None:
            widget.set_live_calls(calls)

    def end_approval(self, mid: MessageId, call_id: str) -> bool:
        """The call's approval card goes; whether it had the focus."""
        asked = self.approvals.get(mid)
        if asked is not None and asked[0].call_id == call_id:
            del self.approvals[mid]
        self.set_call_phase(mid, call_id, None)
        widget = self._widgets.get(mid)
        return widget.end_approval(call_id) if widget is not None else False

    def focus_approval(self) -> bool:
        """Give the keyboard to an approval card that waits, if one shows; whether one did."""
        for mid in self.approvals:
            widget = self._widgets.get(mid)
            steps = widget.steps_view if widget is not None else None
            card = steps.approval_card if steps is not None else None
            if card is not None:
                card.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return False

    def apply(self, widget: MessageWidget, mid: MessageId) -> None:
        """Show on a widget just made what is known about its reply."""
        widget.set_trimming(self.trimmed.get(mid))
        error = self.errors.get(mid)
        if error is not None:
            widget.show_error(error)
        calls = self.live_calls.get(mid)
        if calls:
            widget.set_live_calls(calls)
        asked = self.approvals.get(mid)
        if asked is not None:
            widget.show_approval(asked[0], offer_always=asked[1])
