"""TurnDisplay: a running turn's events, shown in the chat view and the composer's status.

The engine yields typed events as a reply streams; each becomes a view update here. Tool
events go to the ToolCallsController; the end of a turn that went well asks for a title.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from kibitz.core.store import Store
from kibitz.core.types import ConversationId, MessageId
from kibitz.ui.controllers.tool_calls import REPLYING, ToolCallsController
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.composer import Composer

if TYPE_CHECKING:
    from kibitz.core.conversation.engine import Turn
    from kibitz.core.conversation.events import TurnEvent


class TurnDisplay:
    """`on_replied(conversation_id)` after each turn that ended without failure (to name it)."""

    def __init__(
        self,
        store: Store,
        view: ChatView,
        composer: Composer,
        notify: Notify,
        tool_calls: ToolCallsController,
        on_replied: Callable[[ConversationId], None],
    ) -> None:
        self._store = store
        self._view = view
        self._composer = composer
        self._notify = notify
        self._tool_calls = tool_calls
        self._on_replied = on_replied
        self._retrying = False  # the composer says "…; retrying…" until the retry answers
        # Our estimate of each conversation's last request ("Trim history" halves it).
        self.prompt_tokens: dict[ConversationId, int] = {}

    async def run(self, turn: Turn) -> None:
        streaming: set[MessageId] = set()
        self._retrying = False
        try:
            async with contextlib.aclosing(turn.run()) as events:
                async for event in events:
                    self._show(turn, event, streaming)
        finally:
            # A cancel (Esc, another conversation opened) ends the reply as stored.
            self._tool_calls.turn_ended()
            for message_id in streaming:
                self._view.finish_reply(self._store.get_message(message_id))

    def _show(self, turn: Turn, event: TurnEvent, streaming: set[MessageId]) -> None:
        """One engine event, as the view shows it."""
        from kibitz.core.conversation import events as e

        if self._retrying and isinstance(event, (e.TextStreamed, e.ReasoningStreamed)):
            # The retry answered: the composer stops saying it is retrying.
            self._retrying = False
            self._composer.set_status(REPLYING)
        if isinstance(event, e.ReplyStarted):
            streaming.add(event.message.id)
            self._view.begin_reply(event.message)
        elif isinstance(event, e.TextStreamed):
            self._view.append_reply_text(event.message_id, event.text)
        elif isinstance(event, e.ReasoningStreamed):
            self._view.append_reply_reasoning(event.message_id, event.text)
        elif isinstance(event, e.AnswerBecameReasoning):
            self._view.answer_was_reasoning(self._store.get_message(event.message_id))
        elif isinstance(event, e.RequestStarted):
            self.prompt_tokens[turn.conversation_id] = event.prepared.prompt_tokens
            if event.number == 1 and turn.tools is not None:
                self._composer.set_status(REPLYING)
        elif isinstance(event, e.RetryWaiting):
            self._view.show_retry_countdown(event.message_id, event.delay, event.error.headline)
            self._composer.set_status(f"{event.error.headline}; retrying…")
            self._retrying = True
        elif isinstance(event, e.ParameterLeftOut):
            from kibitz.core.capabilities import told

            self._notify(Notice(told(event.model, event.param), timeout_ms=12_000))
        elif isinstance(event, e.ReplyFinished):
            streaming.discard(event.message.id)
            if event.message.id in self._view_rows():
                self._view.finish_reply(event.message)
            else:
                self._view.reload()  # a failed request's row, made without streaming
        elif self._tool_calls.show(event):
            pass
        elif isinstance(event, e.TurnEnded):
            # Its requests are on record now: what trimming left out shows under the reply.
            self._view.refresh_trimming()
            if event.failure is not None and event.failed_reply is not None:
                self._view.show_error(event.failed_reply, event.failure)
            elif event.failure is None and event.replies:
                self._on_replied(event.replies[0].conversation_id)

    def _view_rows(self) -> set[MessageId]:
        return {m.id for m in self._view.model.messages()}
