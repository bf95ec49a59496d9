"""MessageEditing: which of the user's messages the composer holds to edit.

Edit on a message (or Up in an empty composer) puts it back in the composer, its images and
files too; sending it then makes a new version of it, on a new branch. A notice says so, with
Cancel. A draft saved while editing remembers the message, so it is still an edit when the
conversation opens again (if the message is still there).
"""

from __future__ import annotations

from collections.abc import Collection

from kibitz.core.drafts import conversation_key
from kibitz.core.errors import StoreError
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Message, MessageId, Role
from kibitz.ui.controllers.draft_keeper import DraftKeeper
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.views.composer import Composer
from kibitz.ui.views.message_attachments import attachment_parts


class MessageEditing:
    def __init__(
        self, store: Store, composer: Composer, notify: Notify, drafts: DraftKeeper | None
    ) -> None:
        self._store = store
        self._composer = composer
        self._notify = notify
        self._drafts = drafts
        self.message: Message | None = None  # the message being edited

    def begin(self, message_id: int) -> None:
        """Put a user message back in the composer; sending it starts a new branch."""
        message = self._store.get_message(MessageId(message_id))
        if message.role is not Role.USER:
            return
        self.message = message
        self._composer.set_text(message.content)
        # Its images and files come along (as stored); removing a chip leaves that one out.
        self._composer.set_attachments(attachment_parts(message.parts))
        if self._drafts is not None:
            self._drafts.set_editing(message.id)
        self._composer.focus_input()
        self._notify_editing()

    def begin_last(self, conversation_id: ConversationId | None) -> None:
        """Edit the conversation's last message of the user's (Up in an empty composer)."""
        if conversation_id is None:
            return
        for message in reversed(self._store.branch(conversation_id)):
            if message.role is Role.USER:
                self.begin(message.id)
                return

    def cancel(self) -> None:
        """Not editing any more (the composer keeps what it holds)."""
        self.message = None

    def deleted(self, gone: Collection[MessageId]) -> None:
        """Messages went: if the edited one did, its text stays to be sent as new."""
        if self.message is not None and self.message.id in gone:
            self.cancel()
            if self._drafts is not None:
                self._drafts.set_editing(None)

    def restore_draft(self, conversation_id: ConversationId | None) -> None:
        """This conversation's unsent draft back in the composer; if it was an edit of a
        message that is still there, still an edit."""
        assert self._drafts is not None
        draft = self._drafts.enter(conversation_key(conversation_id))
        if draft.editing is None or conversation_id is None:
            return
        try:
            message = self._store.get_message(draft.editing)
        except StoreError:
            message = None
        if (
            message is not None
            and message.role is Role.USER
            and message.conversation_id == conversation_id
        ):
            self.message = message
            self._notify_editing()
        else:
            self._drafts.set_editing(None)

    def _notify_editing(self) -> None:
        self._notify(
            Notice(
                "Editing a message: sending it starts a new branch; the old one is kept.",
                "Cancel",
                on_action=self._on_notice_cancelled,
                timeout_ms=0,
            )
        )

    def _on_notice_cancelled(self) -> None:
        self.cancel()
        if self._drafts is not None:
            self._drafts.set_editing(None)
        self._composer.clear()
