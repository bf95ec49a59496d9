"""The Trash's behaviour: restore, delete for good, empty (after asking), and the purge of what
has been in it for TRASH_DAYS, carried out on the store."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox

from kibitz.core.errors import StoreError
from kibitz.core.store import Store
from kibitz.core.store.conversations import TRASH_KEPT_S
from kibitz.core.types import ConversationId
from kibitz.core.words import count_of
from kibitz.ui.controllers.sidebar_controller import conversations_name
from kibitz.ui.notify import Notice, Notify, error_notice
from kibitz.ui.views.trash_view import TrashView

log = logging.getLogger(__name__)

EMPTY_BUTTON = "Empty Trash"

GoneListener = Callable[[Sequence[ConversationId]], None]


class TrashController(QObject):
    """Acts on what the Trash view asks for. A store that refuses becomes a notice with Retry;
    the store's listeners bring the Trash and the conversation list up to date. `on_gone`
    hears of conversations deleted for good (the window discards their unsent drafts), on the
    thread that removed them; `on_restored` opens a restored one (the notice's Open)."""

    def __init__(
        self,
        store: Store,
        view: TrashView,
        notify: Notify,
        parent: QObject | None = None,
        *,
        on_gone: GoneListener | None = None,
        on_restored: Callable[[ConversationId], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._view = view
        self._notify = notify
        self._on_gone = on_gone
        self._on_restored = on_restored
        self._asking: QMessageBox | None = None
        view.restore_requested.connect(self._on_view_restore_requested)
        view.delete_requested.connect(self._on_view_delete_requested)
        view.empty_requested.connect(self.ask_to_empty)

    # -- the view's intents -----------------------------------------------------------------------

    def _on_view_restore_requested(self, conversation_ids: list[int]) -> None:
        self.restore([ConversationId(c) for c in conversation_ids])

    def _on_view_delete_requested(self, conversation_ids: list[int]) -> None:
        self.delete_for_good([ConversationId(c) for c in conversation_ids])

    # -- the changes ------------------------------------------------------------------------------

    def restore(self, conversation_ids: Sequence[ConversationId]) -> bool:
        """Put them back in the list; one restored conversation can be opened from the notice."""
        ids = list(conversation_ids)
        name = conversations_name(self._store, ids)
        try:
            back = self._store.restore(ids).conversation_ids
        except StoreError as e:
            return self._failed(e, f"restore {name}", lambda: self.restore(ids))
        if len(back) == 1 and self._on_restored is not None:
            opener = self._on_restored
            self._notify(Notice(f"Restored {name}", "Open", on_action=lambda: opener(back[0])))
        elif back:
            self._notify(Notice(f"Restored {name}"))
        return True

    def delete_for_good(self, conversation_ids: Sequence[ConversationId]) -> bool:
        ids = list(conversation_ids)
        name = conversations_name(self._store, ids)
        try:
            gone = self._store.delete_for_good(ids).conversation_ids
        except StoreError as e:
            return self._failed(e, f"delete {name} for good", lambda: self.delete_for_good(ids))
        self._tell_gone(gone)
        if gone:
            self._notify(Notice(f"Deleted {name} for good"))
        return True

    def ask_to_empty(self) -> None:
        """Ask before emptying: the one step in the Trash that cannot be undone at all."""
        count = self._store.trash_count()
        if not count or self._asking is not None:
            return
        box = QMessageBox(self._view.window())
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Empty Trash")
        box.setText("Empty the Trash?")
        them = "it" if count == 1 else "them"
        box.setInformativeText(
            f"{count_of(count, 'conversation')} in the Trash will be deleted for good, with "
            f"their messages and attachments. You cannot restore {them} afterwards."
        )
        empty = box.addButton(EMPTY_BUTTON, QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)

        def answered(button: QAbstractButton) -> None:
            self._asking = None
            if button is empty:
                self.empty()

        box.buttonClicked.connect(answered)
        box.finished.connect(self._on_box_finished)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._asking = box
        box.open()  # window-modal, without a nested event loop under the asyncio loop

    def _on_box_finished(self) -> None:
        self._asking = None

    @property
    def asking(self) -> QMessageBox | None:
        """The Empty Trash question while it is shown."""
        return self._asking

    def empty(self) -> bool:
        try:
            gone = self._store.empty_trash().conversation_ids
        except StoreError as e:
            return self._failed(e, "empty the Trash", self.empty)
        self._tell_gone(gone)
        if gone:
            self._notify(Notice(f"Deleted {count_of(len(gone), 'conversation')} for good"))
        return True

    def purge_expired(self) -> tuple[ConversationId, ...]:
        """Remove for good what has been in the Trash for TRASH_KEPT_S; the conversations that
        went. Blocking: the window runs it on its worker thread at start. A store that refuses
        is logged: it is tried again at the next start, and nothing the user sees needs it."""
        try:
            gone = self._store.purge_deleted(older_than=TRASH_KEPT_S).conversation_ids
            # Files of an earlier Empty Trash that were still fresh then (see UNUSED_GRACE_S).
            self._store.drop_unused_blobs()
        except StoreError as e:
            log.warning("could not purge the Trash: %s", e)
            return ()
        if gone:
            log.info("purged %d conversations that were in the Trash for 30 days", len(gone))
        self._tell_gone(gone)
        return tuple(ConversationId(c) for c in gone)

    # -- telling ----------------------------------------------------------------------------------

    def _tell_gone(self, gone: Sequence[ConversationId]) -> None:
        if gone and self._on_gone is not None:
            self._on_gone(gone)

    def _failed(self, error: StoreError, what: str, retry: Callable[[], bool]) -> bool:
        log.warning("could not %s: %s", what, error)

        def again() -> None:
            retry()

        self._notify(error_notice(error, what, retry=again))
        return False
