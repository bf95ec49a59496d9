"""MessageDeletion: deleting a message and the replies after it, softly, with Undo.

The notice offers Undo (Ctrl+Z): the messages come back, and the branch that showed too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from kibitz.core.errors import StoreError
from kibitz.core.store import Store
from kibitz.core.types import MessageId, Role
from kibitz.core.words import count_of
from kibitz.ui.notify import UNDO, Notice, Notify, error_notice
from kibitz.ui.views.chat_view import ChatView


class MessageDeletion:
    """`busy()`: a reply is arriving (nothing is deleted then: it could be one of those to
    go); `on_deleted(ids)` is told which messages went, before the view shows the branch."""

    def __init__(
        self,
        store: Store,
        view: ChatView,
        notify: Notify,
        busy: Callable[[], bool],
        on_deleted: Callable[[Collection[MessageId]], None],
    ) -> None:
        self._store = store
        self._view = view
        self._notify = notify
        self._busy = busy
        self._on_deleted = on_deleted

    def delete(self, message_id: int) -> bool:
        """Delete the message and the replies after it; whether they went."""
        if self._busy():
            return False
        mid = MessageId(message_id)
        try:
            message = self._store.get_message(mid)
            leaf = self._store.get_conversation(message.conversation_id).current_leaf_id
            gone = self._store.delete_message(mid).message_ids
        except StoreError as exc:

            def again() -> None:
                self.delete(message_id)

            self._notify(error_notice(exc, "delete the message", retry=again))
            return False
        self._on_deleted(gone)
        self._view.reload()
        what = "your message" if message.role is Role.USER else "the reply"
        after = f" and {count_of(len(gone) - 1, 'message')} after it" if len(gone) > 1 else ""

        def undo() -> None:
            self.restore(mid, leaf)

        self._notify(Notice(f"Deleted {what}{after}", UNDO, on_action=undo))
        return True

    def restore(self, message_id: MessageId, leaf: MessageId | None = None) -> bool:
        """Undo a delete: the message and its replies come back, the branch that showed too."""
        try:
            self._store.restore_message(message_id, leaf)
        except StoreError as exc:

            def again() -> None:
                self.restore(message_id, leaf)

            self._notify(error_notice(exc, "bring the message back", retry=again))
            return False
        self._view.reload()
        return True
