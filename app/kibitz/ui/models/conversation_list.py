"""The sidebar's conversation list: ids in display order, rows fetched from the store on demand."""

from __future__ import annotations

import contextlib
import enum
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from shiboken6 import Shiboken

from kibitz.core.changes import ChangeKind, Changes, ConversationId
from kibitz.core.errors import StoreError
from kibitz.core.store.opening import FirstPage

if TYPE_CHECKING:
    from kibitz.core.store import ListedConversation, Store
    from kibitz.core.types import Conversation

    # A row: the Store's record, or the first page's (read before the Store loads).
    Row = Conversation | ListedConversation

log = logging.getLogger(__name__)

UNTITLED = "New chat"

# Rows are read from the store a page at a time; a sidebar shows about twenty.
PAGE_SIZE = 64
CACHE_SIZE = 8 * PAGE_SIZE
# Past this many separate runs of inserted or removed rows (an import interleaved by date with
# what is there) one reset is cheaper than a signal per run; the sidebar re-selects its
# conversation by id after it. A contiguous block, however long, is one run.
_RESET_RUNS = 64

# Changes after which the display order may differ (activity, pin state, membership).
_REORDERING = frozenset(
    {
        ChangeKind.CREATED,
        ChangeKind.PINNED,
        ChangeKind.DELETED,
        ChangeKind.RESTORED,
        ChangeKind.PURGED,
        ChangeKind.MESSAGES,
    }
)

# The Trash's order and membership change only when conversations are deleted, brought back
# or purged: a streamed reply's writes (MESSAGES) need no query of it.
_TRASH_REORDERING = frozenset({ChangeKind.DELETED, ChangeKind.RESTORED, ChangeKind.PURGED})

AnyIndex = QModelIndex | QPersistentModelIndex


class ConversationRole(enum.IntEnum):
    ID = Qt.ItemDataRole.UserRole + 1
    PINNED = enum.auto()
    UPDATED_AT = enum.auto()
    MESSAGE_COUNT = enum.auto()
    TITLE = enum.auto()  # the stored title, "" when untitled (DisplayRole says "New chat")
    DELETED_AT = enum.auto()  # None for a live conversation


class ConversationListModel(QAbstractListModel):
    """Live conversations, pinned first, then most recently active (with trash=True, the
    Trash: the deleted ones, most recently deleted first; their titles are not editable).

    Holds only the ids; a row's `Conversation` is read when a view first asks for it, in pages,
    and kept in a small LRU cache. The model listens to the store, so any committed change
    (a rename, a reply written by the chat controller on a worker thread) reaches it;
    changes are applied minimally, keeping persistent indexes and so the view's selection.
    """

    # Carries store changes to the model's thread (queued when they come from another).
    _store_changed = Signal(object)

    def __init__(
        self, store: Store | FirstPage, parent: QObject | None = None, *, trash: bool = False
    ) -> None:
        """From the `store`, or first from the `FirstPage` read for the app's first frame (the
        live list): `attach` then gives it the store, before anything else reaches it."""
        super().__init__(parent)
        self._store: Store | None = None
        self._trash = trash
        self._ids: list[ConversationId] = []
        self._rows: dict[ConversationId, int] = {}
        self._cache: OrderedDict[ConversationId, Row] = OrderedDict()
        self._store_changed.connect(self.apply)
        if isinstance(store, FirstPage):
            self._set_ids(store.ids)
            self._cache.update((row.id, row) for row in store.rows)
        else:
            self.attach(store)

    def attach(self, store: Store) -> None:
        """Follow `store` from now on; a model made from a first page catches up with it."""
        self._store = store
        follow_store(store, self, "_store_changed")
        if self._ids:  # the first page's rows: the store's records replace them when next read
            self._cache.clear()
            self._sync(self._stored_ids())
        else:
            self._set_ids(self._stored_ids())

    # -- reading ------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        # Editable, so that a view opens its title editor; the edit itself is an intent that
        # the sidebar's controller stores (see ConversationDelegate), and this model follows.
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )
        return flags if self._trash else flags | Qt.ItemFlag.ItemIsEditable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractListModel.CheckIndexOption.IndexIsValid):
            return None
        conversation = self.conversation_at(index.row())
        if conversation is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return conversation.title or UNTITLED
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(conversation)
        if role in (Qt.ItemDataRole.EditRole, ConversationRole.TITLE):
            return conversation.title
        if role == ConversationRole.ID:
            return int(conversation.id)
        if role == ConversationRole.PINNED:
            return conversation.pinned
        if role == ConversationRole.UPDATED_AT:
            return conversation.updated_at
        if role == ConversationRole.MESSAGE_COUNT:
            return conversation.message_count
        if role == ConversationRole.DELETED_AT:
            return conversation.deleted_at
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return "Pinned" if conversation.pinned else None
        return None

    def _tooltip(self, conversation: Row) -> str:
        """The title, and what the conversation's replies cost so far (read when hovered)."""
        title = conversation.title or UNTITLED
        if self._store is None:
            return title
        try:
            spent = self._store.conversation_cost(conversation.id)
        except StoreError:
            return title
        if not spent.replies:
            return title
        from kibitz.core.pricing import format_usd

        if spent.unpriced == spent.replies:
            cost = "cost unknown"
        else:
            cost = format_usd(spent.cost_nanos)
            cost += f" (+ {spent.unpriced:,} unpriced)" if spent.unpriced else ""
        return f"{title}\n{spent.tokens:,} tokens, {cost}"

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({int(r): QByteArray(r.name.lower().encode()) for r in ConversationRole})
        return names

    def conversation_at(self, row: int) -> Row | None:
        """The row's conversation, read from the store (with its page) if not cached."""
        if not 0 <= row < len(self._ids):
            return None
        cid = self._ids[row]
        cached = self._cache.get(cid)
        if cached is not None:
            self._cache.move_to_end(cid)
            return cached
        if self._store is None:
            return None  # past the first page before the store came: not shown yet
        start = row - row % PAGE_SIZE
        page = [i for i in self._ids[start : start + PAGE_SIZE] if i not in self._cache]
        try:
            fetched = self._store.get_conversations(page)
        except StoreError:
            log.exception("could not read conversations %d..%d", start, start + len(page))
            return None
        for conversation in fetched:
            self._cache[conversation.id] = conversation
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return self._cache.get(cid)

    def ids(self) -> Sequence[ConversationId]:
        return tuple(self._ids)

    def row_of(self, conversation_id: int) -> int | None:
        return self._rows.get(ConversationId(conversation_id))

    def index_of(self, conversation_id: int) -> QModelIndex:
        row = self.row_of(conversation_id)
        return QModelIndex() if row is None else self.index(row)

    # -- following the store ------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read everything: the order from the store, every row on its next paint."""
        if self._store is None:
            return
        self._cache.clear()
        self._sync(self._stored_ids())
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def apply(self, changes: Changes) -> None:
        """Bring the model up to date after a store mutation described by `changes`."""
        if changes.kind in (_TRASH_REORDERING if self._trash else _REORDERING):
            self._sync(self._stored_ids())
        for cid in changes.conversation_ids:
            self._cache.pop(cid, None)
            row = self._rows.get(cid)
            if row is not None:
                self.dataChanged.emit(self.index(row), self.index(row))

    def _stored_ids(self) -> list[ConversationId]:
        return [] if self._store is None else self._store.conversation_ids(deleted=self._trash)

    def _set_ids(self, ids: Sequence[ConversationId]) -> None:
        self._ids = list(ids)
        self._rows = {cid: row for row, cid in enumerate(self._ids)}

    def _sync(self, new_ids: list[ConversationId]) -> None:
        """Turn the current ids into `new_ids` with removals, a re-order and insertions."""
        if new_ids == self._ids:
            return
        new_set = set(new_ids)
        removed = [cid for cid in self._ids if cid not in new_set]
        removed_runs = _runs(sorted(self._rows[cid] for cid in removed))
        added_runs = _runs([row for row, cid in enumerate(new_ids) if cid not in self._rows])
        if len(removed_runs) + len(added_runs) > _RESET_RUNS:
            self.beginResetModel()
            self._set_ids(new_ids)
            self._cache.clear()
            self.endResetModel()
            return
        for start, end in reversed(removed_runs):
            self.beginRemoveRows(QModelIndex(), start, end)
            self._set_ids(self._ids[:start] + self._ids[end + 1 :])
            self.endRemoveRows()
        for cid in removed:
            self._cache.pop(cid, None)
        kept_order = [cid for cid in new_ids if cid in self._rows]
        if kept_order != self._ids:
            self._reorder(kept_order)
        for start, end in added_runs:
            self.beginInsertRows(QModelIndex(), start, end)
            self._set_ids(self._ids[:start] + new_ids[start : end + 1] + self._ids[start:])
            self.endInsertRows()

    def _reorder(self, order: list[ConversationId]) -> None:
        """Same ids, new order: a layout change that carries persistent indexes (selection)."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_ids = [self._ids[i.row()] for i in old]
        self._set_ids(order)
        self.changePersistentIndexList(old, [self.index(self._rows[cid]) for cid in old_ids])
        self.layoutChanged.emit()


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def follow_store(store: Store, owner: QObject, signal_name: str) -> None:
    """Re-emit every store change through `owner`'s signal until `owner` is destroyed.

    The store calls listeners on the thread that made the change; a Qt signal takes the
    change to the owner's thread (queued when that is another one).
    """
    # The store outlives models; a weak reference keeps it from calling into a deleted one.
    ref = weakref.ref(owner)

    def listener(changes: Changes) -> None:
        target = ref()
        if target is not None and Shiboken.isValid(target):
            getattr(target, signal_name).emit(changes)

    store.add_listener(listener)
    owner.destroyed.connect(lambda: _remove_listener(store, listener))


def _remove_listener(store: Store, listener: Callable[[Changes], None]) -> None:
    with contextlib.suppress(ValueError):  # already removed
        store.remove_listener(listener)
