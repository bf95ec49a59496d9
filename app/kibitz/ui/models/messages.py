"""MessageListModel: one conversation's current branch, root to leaf, following the store.

The model listens to the store's Changes: a message added on the branch appears, a changed one
(parts, status, usage) updates, a branch switch (a new current leaf) replaces the rows from
where the branches part. A reply that is streaming into this window takes its text from
memory instead (`append_text`, `append_reasoning`): the store commits it every ~200 ms, and a
stored copy read mid-stream must not make the text shown jump back.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from kibitz.core.errors import StoreError
from kibitz.core.store import Store
from kibitz.core.types import (
    ChangeKind,
    Changes,
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    Part,
    ReasoningPart,
    TextPart,
    Usage,
)
from kibitz.ui.models.conversation_list import follow_store

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
# Walking up from a new leaf to a row already shown costs a read per message; past this many
# (a branch switch far up a long conversation) one read of the whole branch is cheaper.
_WALK_LIMIT = 32


class MessageRole(enum.IntEnum):
    """Item data roles; DisplayRole is the message's text (the answer, never the reasoning)."""

    ID = Qt.ItemDataRole.UserRole + 1
    ROLE = enum.auto()
    CONTENT = enum.auto()
    STATUS = enum.auto()
    MODEL = enum.auto()
    USAGE = enum.auto()
    FINISH_REASON = enum.auto()
    ERROR = enum.auto()
    SIBLING_POSITION = enum.auto()  # (index, count) among siblings; (0, 1) when alone
    MESSAGE = enum.auto()  # the whole frozen Message
    REASONING = enum.auto()  # the model's reasoning text, "" when it has none


class MessageListModel(QAbstractListModel):
    """Rows are the branch the conversation shows, kept in step with the store's Changes.

    Streamed text comes in memory through `append_text` and `append_reasoning` (no store read
    per delta); such a "live" row keeps its parts until a stored copy says the reply is over.
    """

    # Carries store changes to the model's thread (queued when they come from another: imports).
    _store_changed = Signal(object)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._conversation_id: ConversationId | None = None
        self._messages: list[Message] = []
        self._rows: dict[MessageId, int] = {}
        self._siblings: dict[MessageId, tuple[int, int]] = {}
        # Rows streaming into this window -> when their open reasoning began (monotonic s).
        self._live: dict[MessageId, float | None] = {}
        self._store_changed.connect(self._on_store_changed)
        follow_store(store, self, "_store_changed")

    # -- reading ------------------------------------------------------------------------------

    @property
    def conversation_id(self) -> ConversationId | None:
        return self._conversation_id

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._messages)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._messages):
            return None
        message = self._messages[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, MessageRole.CONTENT):
            return message.content
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{message.role.value}: {message.content[:200]}"
        return self._role_value(message, role)

    def _role_value(self, message: Message, role: int) -> Any:
        if role == MessageRole.ID:
            return int(message.id)
        if role == MessageRole.ROLE:
            return message.role.value
        if role == MessageRole.STATUS:
            return message.status.value
        if role == MessageRole.MODEL:
            return message.model
        if role == MessageRole.USAGE:
            return message.usage
        if role == MessageRole.FINISH_REASON:
            return message.finish_reason
        if role == MessageRole.ERROR:
            return message.error
        if role == MessageRole.SIBLING_POSITION:
            return self.sibling_position(message.id)
        if role == MessageRole.MESSAGE:
            return message
        if role == MessageRole.REASONING:
            return message.reasoning
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        for role in MessageRole:
            names[int(role)] = QByteArray(role.name.lower().encode())
        return names

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def message_at(self, row: int) -> Message:
        return self._messages[row]

    def messages(self) -> list[Message]:
        """The rows as a list (a copy: the model may change under it)."""
        return list(self._messages)

    def row_of(self, message_id: int) -> int | None:
        return self._rows.get(MessageId(message_id))

    def sibling_position(self, message_id: int) -> tuple[int, int]:
        return self._siblings.get(MessageId(message_id), (0, 1))

    def is_live(self, message_id: int) -> bool:
        """True while the row's text comes from the stream in memory, not from the store."""
        return MessageId(message_id) in self._live

    # -- loading ------------------------------------------------------------------------------

    def set_conversation(self, conversation_id: ConversationId | None) -> None:
        """Show another conversation (a reset: nothing of the old rows is kept)."""
        self.beginResetModel()
        self._conversation_id = conversation_id
        self._live.clear()
        try:
            self._messages, self._siblings = self._read_all()
        except StoreError:
            log.exception("could not read conversation %s", conversation_id)
            self._messages, self._siblings = [], {}
        self._reindex()
        self.endResetModel()

    def reload(self) -> None:
        """Read the whole branch again and apply what differs (rows that stay are kept)."""
        try:
            messages, siblings = self._read_all()
        except StoreError:
            log.exception("could not read conversation %s", self._conversation_id)
            return
        self._apply_branch(messages, siblings)

    def refresh_siblings(self) -> None:
        """Read every message's (index, count) among its siblings again."""
        if self._conversation_id is None:
            return
        try:
            siblings = self._store.sibling_positions(self._conversation_id)
        except StoreError:
            log.exception("could not read the versions of conversation %s", self._conversation_id)
            return
        self._set_siblings(siblings)

    def _read_all(self) -> tuple[list[Message], dict[MessageId, tuple[int, int]]]:
        if self._conversation_id is None:
            return [], {}
        return (
            self._store.branch(self._conversation_id),
            self._store.sibling_positions(self._conversation_id),
        )

    def _reindex(self) -> None:
        self._rows = {m.id: row for row, m in enumerate(self._messages)}

    # -- following the store ------------------------------------------------------------------

    def _on_store_changed(self, changes: Changes) -> None:
        cid = self._conversation_id
        if changes.kind is not ChangeKind.MESSAGES or cid is None:
            return
        if cid not in changes.conversation_ids:
            return
        try:
            self._follow(cid, changes.message_ids)
        except StoreError:
            # The next change or reload brings the view up to date; what is shown stays.
            log.exception("could not follow a change to conversation %s", cid)

    def _follow(self, cid: ConversationId, changed: Sequence[MessageId]) -> None:
        """Apply a change cheaply: read the leaf, walk up to a shown row, read what changed."""
        leaf = self._store.get_conversation(cid).current_leaf_id
        chain: list[Message] = []  # new messages, leaf first
        node = leaf
        while node is not None and node not in self._rows:
            if len(chain) >= _WALK_LIMIT:
                self.reload()
                return
            message = self._store.get_message(node)
            chain.append(message)
            node = message.parent_id
        keep = 0 if node is None else self._rows[node] + 1
        structural = bool(chain) or keep < len(self._messages)
        messages = self._messages[:keep]
        for mid in dict.fromkeys(changed):
            row = self._rows.get(mid)
            if row is None:
                structural = True  # a message elsewhere in the tree: its siblings' counts change
            elif row < keep:
                messages[row] = self._store.get_message(mid)
        messages.extend(reversed(chain))
        siblings = self._store.sibling_positions(cid) if structural else self._siblings
        self._apply_branch(messages, siblings)

    def _apply_branch(
        self,
        messages: list[Message],
        siblings: dict[MessageId, tuple[int, int]],
    ) -> None:
        """Make the rows `messages` with the fewest signals: the rows that stay keep their
        indexes (and the view its widgets); live rows keep their streamed parts."""
        messages = [self._with_live_parts(m) for m in messages]
        same = 0
        for before, after in zip(self._messages, messages, strict=False):
            if before.id != after.id:
                break
            same += 1
        if same < len(self._messages):
            self.beginRemoveRows(QModelIndex(), same, len(self._messages) - 1)
            for gone in self._messages[same:]:
                self._live.pop(gone.id, None)
            del self._messages[same:]
            self._reindex()
            self.endRemoveRows()
        old_siblings, self._siblings = self._siblings, siblings
        for row in range(same):
            message = messages[row]
            if message != self._messages[row]:
                self._messages[row] = message
                self._changed(row, row, [])
            elif old_siblings.get(message.id) != siblings.get(message.id):
                self._changed(row, row, [MessageRole.SIBLING_POSITION])
        if len(messages) > same:
            self.beginInsertRows(QModelIndex(), same, len(messages) - 1)
            self._messages.extend(messages[same:])
            self._reindex()
            self.endInsertRows()

    def _with_live_parts(self, stored: Message) -> Message:
        """A stored copy of a row, with the streamed parts kept while the reply goes on."""
        if stored.id not in self._live:
            return stored
        if stored.status is not MessageStatus.STREAMING:
            # The reply is over and the store has all of it (the writer commits the rest
            # with the final status): from here on the stored copy is the truth.
            del self._live[stored.id]
            return stored
        row = self._rows.get(stored.id)
        if row is None:
            return stored
        return dataclasses.replace(stored, parts=self._messages[row].parts)

    def _set_siblings(self, siblings: dict[MessageId, tuple[int, int]]) -> None:
        old, self._siblings = self._siblings, siblings
        for row, message in enumerate(self._messages):
            if old.get(message.id) != siblings.get(message.id):
                self._changed(row, row, [MessageRole.SIBLING_POSITION])

    # -- streaming and updates ----------------------------------------------------------------

    def add_message(self, message: Message) -> int:
        """Append `message` (a reply that has just begun) unless it is already a row."""
        row = self._rows.get(message.id)
        if row is not None:
            self.update_message(message)
            return row
        row = len(self._messages)
        self.beginInsertRows(QModelIndex(), row, row)
        self._messages.append(message)
        self._rows[message.id] = row
        self.endInsertRows()
        if self._conversation_id is not None and message.parent_id is not None:
            # A regenerated reply has siblings: their count changes the "2/3" of each.
            self.refresh_siblings()
        return row

    def begin_stream(self, message: Message) -> bool:
        """A reply starts streaming into this window: its row (added if it continues the
        branch, else read from the store) takes its text from the stream from now on.

        False when the reply is not on the branch shown (an n>1 alternative).
        """
        cid = self._conversation_id
        if message.id not in self._rows and message.conversation_id == cid and cid is not None:
            last = self._messages[-1].id if self._messages else None
            if last == message.parent_id:
                self.add_message(message)
            else:
                # Not seen yet (its Changes are on the way from another thread), or not on
                # the branch shown (an n>1 alternative): the store says which.
                try:
                    self._follow(cid, (message.id,))
                except StoreError:
                    log.exception("could not read reply %s", message.id)
        row = self._rows.get(message.id)
        if row is None:
            return False
        self._live[message.id] = None
        if self._messages[row] != message:
            self._messages[row] = message
            self._changed(row, row, [])
        return True

    def append_text(self, message_id: int, text: str) -> None:
        """More of a streaming reply's answer (in memory; the engine writes the store)."""
        self._append(MessageId(message_id), TextPart, text)

    def append_reasoning(self, message_id: int, text: str) -> None:
        """More of a streaming reply's reasoning (in memory, like append_text)."""
        self._append(MessageId(message_id), ReasoningPart, text)

    def _append(
        self, mid: MessageId, kind: type[TextPart] | type[ReasoningPart], text: str
    ) -> None:
        row = self._rows.get(mid)
        if row is None or not text:
            return
        message = self._messages[row]
        if message.status is not MessageStatus.STREAMING:
            return  # a late piece of a reply already final: the stored copy has it
        now = time.monotonic()
        started = self._live.get(mid)
        parts: list[Part] = list(message.parts)
        last = parts[-1] if parts else None
        if isinstance(last, kind):
            parts[-1] = dataclasses.replace(last, text=last.text + text)
        else:
            if isinstance(last, ReasoningPart) and started is not None:
                # The answer begins: the reasoning took this long (as the writer times it).
                parts[-1] = dataclasses.replace(last, seconds=round(now - started, 3))
            parts.append(kind(text))
            started = now if kind is ReasoningPart else None
        self._live[mid] = started
        self._messages[row] = dataclasses.replace(message, parts=tuple(parts))
        roles: list[int] = (
            [MessageRole.REASONING]
            if kind is ReasoningPart
            else [Qt.ItemDataRole.DisplayRole, MessageRole.CONTENT]
        )
        self._changed(row, row, roles)

    def set_status(
        self,
        message_id: int,
        status: MessageStatus,
        *,
        finish_reason: str | None = None,
        error: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        """Record where a reply ended; fields left None keep their value."""
        row = self._rows.get(MessageId(message_id))
        if row is None:
            return
        message = self._messages[row]
        if status is not MessageStatus.STREAMING:
            self._live.pop(message.id, None)
        self._messages[row] = dataclasses.replace(
            message,
            status=status,
            finish_reason=finish_reason if finish_reason is not None else message.finish_reason,
            error=error if error is not None else message.error,
            usage=usage if usage is not None else message.usage,
        )
        self._changed(row, row, [])

    def update_message(self, message: Message) -> None:
        """Replace a row with a newer copy of the same message (e.g. the finished reply)."""
        row = self._rows.get(message.id)
        if row is None:
            return
        if message.status is not MessageStatus.STREAMING:
            self._live.pop(message.id, None)
        if self._messages[row] != message:
            self._messages[row] = message
            self._changed(row, row, [])

    def _changed(self, first: int, last: int, roles: list[int]) -> None:
        self.dataChanged.emit(self.index(first), self.index(last), roles)
