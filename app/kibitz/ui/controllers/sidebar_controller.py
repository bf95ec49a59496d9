"""The sidebar's behaviour: its renames, pins and moves to the Trash (with Undo), carried out on
the store."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject

from kibitz.core.errors import StoreError
from kibitz.core.store import Store
from kibitz.core.types import ConversationId
from kibitz.core.words import count_of
from kibitz.ui.models.conversation_list import UNTITLED
from kibitz.ui.notify import UNDO, Notice, Notify, error_notice
from kibitz.ui.views.sidebar import Sidebar

log = logging.getLogger(__name__)

_NOTICE_TITLE_CHARS = 40


def short_title(title: str) -> str:
    """A title short enough for a notice, cut at a word where it can be."""
    title = title or UNTITLED
    if len(title) <= _NOTICE_TITLE_CHARS:
        return title
    cut = title[: _NOTICE_TITLE_CHARS - 1]
    space = cut.rfind(" ")
    if space > _NOTICE_TITLE_CHARS // 2:  # end on a whole word when there is one
        cut = cut[:space]
    return cut.rstrip() + "…"


def conversations_name(store: Store, conversation_ids: Sequence[ConversationId]) -> str:
    """“Title” for one conversation, “3 conversations” for more (for notices)."""
    if len(conversation_ids) != 1:
        return count_of(len(conversation_ids), "conversation")
    try:
        found = store.get_conversations(conversation_ids)
    except StoreError:
        log.warning("could not read conversation %d for its title", conversation_ids[0])
        found = []
    return f"“{short_title(found[0].title)}”" if found else "the conversation"


class SidebarController(QObject):
    """Acts on what the sidebar asks for; a store that refuses becomes a notice with Retry.

    Changes go to the store only: its listeners bring the list, the search results and the
    open chat up to date. A delete moves to the Trash, and its notice offers Undo (also Ctrl+Z),
    which restores the conversations and re-opens the one that was open. Each method returns whether
    the store took the change.
    """

    def __init__(
        self, store: Store, sidebar: Sidebar, notify: Notify, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._sidebar = sidebar
        self._notify = notify
        sidebar.rename_requested.connect(self._on_sidebar_rename_requested)
        sidebar.pin_requested.connect(self._on_sidebar_pin_requested)
        sidebar.delete_requested.connect(self._on_sidebar_delete_requested)

    # -- the sidebar's intents --------------------------------------------------------------------

    def _on_sidebar_rename_requested(self, conversation_id: int, title: str) -> None:
        self.rename(ConversationId(conversation_id), title)

    def _on_sidebar_pin_requested(self, conversation_id: int, pinned: bool) -> None:
        self.set_pinned(ConversationId(conversation_id), pinned)

    def _on_sidebar_delete_requested(self, conversation_ids: list[int]) -> None:
        self.delete([ConversationId(cid) for cid in conversation_ids])

    # -- the changes ------------------------------------------------------------------------------

    def rename(self, conversation_id: ConversationId, title: str) -> bool:
        title = " ".join(title.split())  # no newlines or runs of blanks in a title
        old = ""
        try:
            old = self._store.get_conversation(conversation_id).title
            if title != old:
                self._store.set_title(conversation_id, title)
        except StoreError as e:
            what = f"rename “{short_title(old)}” to “{short_title(title)}”"
            return self._failed(e, what, lambda: self.rename(conversation_id, title))
        return True

    def set_pinned(self, conversation_id: ConversationId, pinned: bool) -> bool:
        try:
            self._store.set_pinned(conversation_id, pinned)
        except StoreError as e:
            what = f"{'pin' if pinned else 'unpin'} {self._name(conversation_id)}"
            return self._failed(e, what, lambda: self.set_pinned(conversation_id, pinned))
        return True

    def delete(self, conversation_ids: Sequence[ConversationId]) -> bool:
        """Move to the Trash; the notice says what went and offers Undo."""
        ids = list(conversation_ids)
        if not ids:
            return True
        current = self._sidebar.current_conversation_id()
        reopen = ConversationId(current) if current in ids else None
        name = self._name(*ids)
        try:
            self._store.delete(ids)
        except StoreError as e:
            return self._failed(e, f"delete {name}", lambda: self.delete(ids))

        def undo() -> None:
            self.restore(ids, reopen)

        self._notify(Notice(f"Moved {name} to the Trash", UNDO, on_action=undo))
        return True

    def restore(
        self, conversation_ids: Sequence[ConversationId], reopen: ConversationId | None = None
    ) -> bool:
        """Bring deleted conversations back (Undo); `reopen` is opened again if given."""
        ids = list(conversation_ids)
        try:
            self._store.restore(ids)
        except StoreError as e:
            what = f"restore {self._name(*ids)}"
            return self._failed(e, what, lambda: self.restore(ids, reopen))
        if reopen is not None:
            self._sidebar.pick_conversation(reopen)
        return True

    # -- telling ----------------------------------------------------------------------------------

    def _name(self, *conversation_ids: ConversationId) -> str:
        return conversations_name(self._store, conversation_ids)

    def _failed(self, error: StoreError, what: str, retry: Callable[[], bool]) -> bool:
        """Tell the user what could not be done and what to do; Retry tries it again."""
        log.warning("could not %s: %s", what, error)

        def again() -> None:
            retry()

        self._notify(error_notice(error, what, retry=again))
        return False
