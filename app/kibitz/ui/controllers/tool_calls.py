"""ToolCallsController: a turn's tool calls in the chat pane, and the approver the engine awaits.

The engine stores each call and result in the reply as it happens and then yields an event;
the reply is streaming into the view from memory, so each event brings the stored parts in
(ChatView.sync_reply), and the text streamed next goes after them. A call that needs the
user's answer gets an approval card where it is in the reply; `ask` awaits a future the card's
answer resolves. Cancelling the turn (Esc, Stop, another conversation) cancels that wait: the
card goes, and the call ends unrun.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from kibitz.core.errors import StoreError
from kibitz.core.store import Store
from kibitz.core.tools import Approval, PendingCall
from kibitz.core.tools.approval import can_always_allow
from kibitz.core.types import MessageId
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.composer import Composer
from kibitz.ui.views.reply_layout import CallPhase

if TYPE_CHECKING:
    from kibitz.core.conversation.events import TurnEvent

log = logging.getLogger(__name__)

REPLYING = "Kibitz is replying…"


class ToolCallsController(QObject):
    def __init__(
        self, store: Store, view: ChatView, composer: Composer, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._view = view
        self._composer = composer
        self._replies: dict[str, MessageId] = {}  # call id -> the reply it is in (this turn)
        self._names: dict[str, str] = {}  # call id -> the tool's name, for the status line
        self._waiting: dict[tuple[MessageId, str], asyncio.Future[Approval]] = {}
        view.tool_approval_answered.connect(self._on_view_tool_approval_answered)

    def show(self, event: TurnEvent) -> bool:
        """Show a tool event of the running turn; False for any other event."""
        # Here, not at the top: the events' module is not needed until a turn runs (its
        # dataclasses cost ~4 ms of the start).
        from kibitz.core.conversation.events import (
            ToolCallFinished,
            ToolCallRunning,
            ToolCallStarted,
        )

        if isinstance(event, ToolCallStarted):
            self._replies[event.call.id] = event.message_id
            self._names[event.call.id] = event.call.tool or event.call.name
            self._sync(event.message_id)
        elif isinstance(event, ToolCallRunning):
            self._view.set_call_phase(event.message_id, event.call_id, CallPhase.RUNNING)
            self._composer.set_status(f"Running {self._names.get(event.call_id, 'a tool')}…")
        elif isinstance(event, ToolCallFinished):
            self._view.set_call_phase(event.message_id, event.call.id, None)
            self._sync(event.message_id)
            self._composer.set_status(REPLYING)
        else:
            return False
        return True

    def turn_ended(self) -> None:
        self._replies.clear()
        self._names.clear()

    def _sync(self, message_id: MessageId) -> None:
        try:
            self._view.sync_reply(self._store.get_message(message_id))
        except StoreError:
            # The next event, or the reply's end, shows what is stored.
            log.exception("could not read reply %s", message_id)

    # -- approvals ------------------------------------------------------------------------------

    async def ask(self, pending: PendingCall) -> Approval:
        """The engine's approver: the card, then the user's answer."""
        message_id = self._replies.get(pending.call_id)
        if message_id is None:  # every call is announced before it is asked about
            log.warning("asked about call %s, which no reply holds", pending.call_id)
            return Approval.DENY
        key = (message_id, pending.call_id)
        answer: asyncio.Future[Approval] = asyncio.get_running_loop().create_future()
        self._waiting[key] = answer
        self._view.ask_approval(message_id, pending, offer_always=can_always_allow(pending.spec))
        self._composer.set_status("Waiting for your approval (Return allows, Esc denies)…")
        try:
            return await answer
        finally:
            self._waiting.pop(key, None)
            if self._view.end_approval(message_id, pending.call_id):
                self._composer.focus_input()
            self._composer.set_status(REPLYING)

    def _on_view_tool_approval_answered(
        self, message_id: int, call_id: str, approval: Approval
    ) -> None:
        answer = self._waiting.get((MessageId(message_id), call_id))
        if answer is not None and not answer.done():
            answer.set_result(approval)
