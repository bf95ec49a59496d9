"""The Trash's behaviour: restore, delete for good, empty (after asking), and the purge of what
has been in it for TRASH_DAYS, carried out on the store."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox

from kibitz.core.errors import StoreError
from kibitz.core.store import Store
from kibitz.core.store.conversations import TRASH_KEPT_S
from kibitz.core.types import ConversationId
from kibitz.core.words import count_of
from kibitz.ui.controllers.sidebar_controller import conversations_name
from kibitz.ui.notify import Notice, Notify, error_notice

if TYPE_CHECKING:
    from kibitz.ui.views.trash_view import TrashView

log = logging.getLogger(__name__)
# A deleted message can be brought back only while its notice shows; at the next start (once
# it is this old, so a start racing the delete leaves it) it goes for good.
DELETED_MESSAGES_KEPT_S = 60.0

EMPTY_BUTTON = "Empty Trash"

GoneListener = Callable[[Sequence[ConversationId]], None]


@dataclasses.dataclass(frozen=True, slots=True)
class _Removal:
    """A delete for good, done on the worker thread: what it was, and what came of it."""

    what: str  # as in "Could not <what>"
    name: str  # as in "Deleted <name> for good"; "" names what went by its count
    retry: Callable[[], None]
    gone: tuple[ConversationId, ...] = ()
    error: StoreError | None = None


class TrashController(QObject):
    """Acts on what the Trash view asks for. A store that refuses becomes a notice with Retry;
    the store's listeners bring the Trash and the conversation list up to date.

    Deleting for good runs on `executor` (the window's worker thread): emptying a Trash of
    890 conversations (17,800 messages) took 660 ms, too long for the UI thread to wait.
    `on_gone` hears of conversations deleted for good (the window discards their unsent
    drafts) on that thread; `on_restored` opens a restored one (the notice's Open).
    The Trash's view is made when first shown: `watch(view)` then (the purge needs none).
    """

    # Carries a finished removal from the worker thread back to this object's.
    _removed = Signal(object)  # _Removal

    def __init__(
        self,
        store: Store,
        notify: Notify,
        executor: Executor,
        parent: QObject | None = None,
        *,
        on_gone: GoneListener | None = None,
        on_restored: Callable[[ConversationId], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._view: TrashView | None = None  # see watch
        self._notify = notify
        self._executor = executor
        self._removing = 0  # removals under way on the worker thread
        self._on_gone = on_gone
        self._on_restored = on_restored
        self._asking: QMessageBox | None = None
        self._removed.connect(self._on_removed)

    def watch(self, view: TrashView) -> None:
        """Act on what `view` (the Trash, once made) asks for."""
        self._view = view
        view.restore_requested.connect(self._on_view_restore_requested)
        view.delete_requested.connect(self._on_view_delete_requested)
        view.empty_requested.connect(self.ask_to_empty)
        view.set_busy(self.busy)

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

    def delete_for_good(self, conversation_ids: Sequence[ConversationId]) -> None:
        """Remove them for good, on the worker thread; a notice says so when done."""
        ids = list(conversation_ids)
        name = conversations_name(self._store, ids)

        def again() -> None:
            self.delete_for_good(ids)

        job = _Removal(f"delete {name} for good", name, again)
        self._remove(job, lambda: self._store.delete_for_good(ids).conversation_ids)

    def ask_to_empty(self) -> None:
        """Ask before emptying: the one step in the Trash that cannot be undone at all."""
        count = self._store.trash_count()
        if not count or self._asking is not None:
            return
        box = QMessageBox(self._view.window() if self._view is not None else None)
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

    def empty(self) -> None:
        """Remove everything in the Trash for good (asked first: see ask_to_empty)."""
        job = _Removal("empty the Trash", "", self.empty)
        self._remove(job, lambda: self._store.empty_trash().conversation_ids)

    @property
    def busy(self) -> bool:
        """A delete for good is under way on the worker thread."""
        return self._removing > 0

    def _show_busy(self) -> None:
        if self._view is not None:
            self._view.set_busy(self.busy)

    def _remove(self, job: _Removal, remove: Callable[[], tuple[ConversationId, ...]]) -> None:
        self._removing += 1
        self._show_busy()

        def work() -> None:  # on the worker thread
            try:
                gone = remove()
            except StoreError as e:
                self._removed.emit(dataclasses.replace(job, error=e))
                return
            self._tell_gone(gone)
            self._removed.emit(dataclasses.replace(job, gone=gone))

        self._executor.submit(work)

    def _on_removed(self, job: _Removal) -> None:
        self._removing -= 1
        self._show_busy()
        if job.error is not None:
            self._failed(job.error, job.what, job.retry)
        elif job.gone:
            name = job.name or count_of(len(job.gone), "conversation")
            self._notify(Notice(f"Deleted {name} for good"))

    def purge_expired(self) -> tuple[ConversationId, ...]:
        """Remove for good what has been in the Trash for TRASH_KEPT_S, and the messages deleted
        before this start (DELETED_MESSAGES_KEPT_S); the conversations that
        went. Blocking: the window runs it on its worker thread at start. A store that refuses
        is logged: it is tried again at the next start, and nothing the user sees needs it."""
        try:
            gone = self._store.purge_deleted(older_than=TRASH_KEPT_S).conversation_ids
            # Deleted messages have no Trash: their Undo lasts while its notice shows.
            self._store.purge_deleted_messages(older_than=DELETED_MESSAGES_KEPT_S)
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

    def _failed(self, error: StoreError, what: str, retry: Callable[[], object]) -> bool:
        log.warning("could not %s: %s", what, error)

        def again() -> None:
            retry()

        self._notify(error_notice(error, what, retry=again))
        return False
