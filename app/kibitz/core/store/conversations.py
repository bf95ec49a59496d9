"""Conversation rows: create, list in display order, rename, pin, settings, and the Trash
(soft delete, restore, delete for good, empty, purge after TRASH_KEPT_S)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from kibitz.core.errors import NotFoundError, StoreError
from kibitz.core.store.base import StoreBase, chunked, placeholders, unique
from kibitz.core.store.blobs import delete_unused_blobs
from kibitz.core.store.listing import MESSAGE_COUNT, TRASH, listed
from kibitz.core.types import (
    ChangeKind,
    Changes,
    Conversation,
    ConversationId,
    MessageId,
    RequestParams,
)

log = logging.getLogger(__name__)

_SELECT = f"""
SELECT c.id, c.uid, c.title, c.created_at, c.updated_at, c.pinned, c.deleted_at,
       c.current_leaf_id, c.system_prompt, c.params, c.provider, {MESSAGE_COUNT}
FROM conversations c
"""

# Deleted conversations wait in the Trash this long (restorable) before a purge takes them.
TRASH_DAYS = 30
TRASH_KEPT_S = TRASH_DAYS * 86400.0


def _params_from_json(text: str, conversation_id: int) -> RequestParams:
    try:
        data: Any = json.loads(text)
    except ValueError:
        log.warning("conversation %d has unreadable params; using none", conversation_id)
        return RequestParams()
    if not isinstance(data, dict):
        return RequestParams()
    try:
        return RequestParams.from_mapping(data)
    except (TypeError, ValueError):
        log.warning("conversation %d has invalid params; using none", conversation_id)
        return RequestParams()


def conversation_from_row(row: Sequence[Any]) -> Conversation:
    return Conversation(
        id=ConversationId(row[0]),
        uid=row[1],
        title=row[2],
        created_at=row[3],
        updated_at=row[4],
        pinned=bool(row[5]),
        deleted_at=row[6],
        current_leaf_id=None if row[7] is None else MessageId(row[7]),
        system_prompt=row[8],
        params=_params_from_json(row[9], row[0]),
        provider=row[10],
        message_count=row[11],
    )


class ConversationsMixin(StoreBase):
    """The conversation half of the Store."""

    # -- reading ------------------------------------------------------------------------------

    def get_conversation(self, conversation_id: ConversationId) -> Conversation:
        """The conversation, deleted or not; NotFoundError if there is no such id."""
        with self._db.read() as conn:
            row = conn.execute(f"{_SELECT} WHERE c.id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"conversation {conversation_id}")
        return conversation_from_row(row)

    def find_by_uid(self, uid: str) -> Conversation | None:
        with self._db.read() as conn:
            row = conn.execute(f"{_SELECT} WHERE c.uid = ?", (uid,)).fetchone()
        return None if row is None else conversation_from_row(row)

    def get_conversations(self, ids: Iterable[ConversationId]) -> list[Conversation]:
        """The rows for `ids`, in the order given; ids that do not exist are left out."""
        wanted = unique(ids)
        found: dict[int, Conversation] = {}
        with self._db.read() as conn:
            for part in chunked(wanted):
                sql = f"{_SELECT} WHERE c.id IN ({placeholders(len(part))})"
                for row in conn.execute(sql, tuple(part)):
                    found[row[0]] = conversation_from_row(row)
        return [found[i] for i in wanted if i in found]

    def list_conversations(
        self, *, deleted: bool = False, limit: int | None = None, offset: int = 0
    ) -> list[Conversation]:
        """Live conversations in display order (or, with deleted=True, the Trash: the most
        recently deleted first)."""
        sql = f"{_SELECT} WHERE {listed(deleted)} LIMIT ? OFFSET ?"
        with self._db.read() as conn:
            rows = conn.execute(sql, (-1 if limit is None else limit, offset)).fetchall()
        return [conversation_from_row(r) for r in rows]

    def conversation_ids(self, *, deleted: bool = False) -> list[ConversationId]:
        """Just the ids in list_conversations' order: what a lazily-filled list model holds."""
        sql = f"SELECT c.id FROM conversations c WHERE {listed(deleted)}"
        with self._db.read() as conn:
            return [ConversationId(r[0]) for r in conn.execute(sql)]

    # -- creating and editing -----------------------------------------------------------------

    def create_conversation(
        self,
        title: str = "",
        *,
        system_prompt: str | None = None,
        params: RequestParams | None = None,
        provider: str | None = None,
        uid: str | None = None,
        created_at: float | None = None,
        pinned: bool = False,
    ) -> Conversation:
        """A new, empty conversation; `uid` and `created_at` are for imports to keep theirs."""
        now = self._now() if created_at is None else created_at
        if not uid:
            import uuid  # here: ~3 ms the app's first frame need not pay

            uid = uuid.uuid4().hex
        params_json = json.dumps((params or RequestParams()).overridden())
        try:
            with self._db.write() as conn:
                cur = conn.execute(
                    "INSERT INTO conversations (uid, title, created_at, updated_at, pinned,"
                    " system_prompt, params, provider) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (uid, title, now, now, int(pinned), system_prompt, params_json, provider),
                )
                new_id = ConversationId(int(cur.lastrowid or 0))
                self._emit(Changes(ChangeKind.CREATED, (new_id,)))
        except StoreError as e:
            if isinstance(e.__cause__, sqlite3.IntegrityError):
                raise StoreError(
                    f"uid {uid}", headline="A conversation with this id already exists"
                ) from e
            raise
        return self.get_conversation(new_id)

    def _update(
        self, conversation_id: ConversationId, kind: ChangeKind, sql: str, args: tuple[Any, ...]
    ) -> Changes:
        with self._db.write() as conn:
            cur = conn.execute(
                f"UPDATE conversations SET {sql} WHERE id = ?", (*args, conversation_id)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"conversation {conversation_id}")
            return self._emit(Changes(kind, (conversation_id,)))

    # Renaming, pinning and settings leave updated_at alone: the list is ordered by activity,
    # and a rename should not make a conversation jump to the top.
    def set_title(self, conversation_id: ConversationId, title: str) -> Changes:
        return self._update(conversation_id, ChangeKind.RENAMED, "title = ?", (title,))

    def set_pinned(self, conversation_id: ConversationId, pinned: bool) -> Changes:
        return self._update(conversation_id, ChangeKind.PINNED, "pinned = ?", (int(pinned),))

    def set_system_prompt(self, conversation_id: ConversationId, prompt: str | None) -> Changes:
        return self._update(conversation_id, ChangeKind.PARAMS, "system_prompt = ?", (prompt,))

    def set_params(self, conversation_id: ConversationId, params: RequestParams) -> Changes:
        """Store the conversation's overrides (fields left None are not stored)."""
        text = json.dumps(params.overridden())
        return self._update(conversation_id, ChangeKind.PARAMS, "params = ?", (text,))

    def set_provider(self, conversation_id: ConversationId, provider: str | None) -> Changes:
        return self._update(conversation_id, ChangeKind.PARAMS, "provider = ?", (provider,))

    # -- deleting -----------------------------------------------------------------------------

    def _set_deleted(
        self, ids: Iterable[ConversationId], deleted_at: float | None, kind: ChangeKind
    ) -> Changes:
        want_live = deleted_at is not None  # deleting touches live rows, restoring deleted ones
        state = "deleted_at IS NULL" if want_live else "deleted_at IS NOT NULL"
        changed: list[ConversationId] = []
        with self._db.write() as conn:
            for part in chunked(unique(ids)):
                where = f"id IN ({placeholders(len(part))}) AND {state}"
                rows = conn.execute(f"SELECT id FROM conversations WHERE {where}", tuple(part))
                hit = [ConversationId(r[0]) for r in rows]
                conn.execute(
                    f"UPDATE conversations SET deleted_at = ? WHERE {where}", (deleted_at, *part)
                )
                changed.extend(hit)
            return self._emit(Changes(kind, tuple(changed)))

    def delete(self, ids: Iterable[ConversationId]) -> Changes:
        """Move to the Trash: hidden from lists and search until restore(), delete_for_good()
        or, TRASH_KEPT_S later, purge_deleted()."""
        return self._set_deleted(ids, self._now(), ChangeKind.DELETED)

    def restore(self, ids: Iterable[ConversationId]) -> Changes:
        """Take out of the Trash (Undo, Restore); the Changes name only those that were in it."""
        return self._set_deleted(ids, None, ChangeKind.RESTORED)

    def trash_count(self) -> int:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT count(*) FROM conversations c WHERE {TRASH}").fetchone()
        return int(row[0])

    def delete_for_good(self, ids: Iterable[ConversationId]) -> Changes:
        """Remove conversations in the Trash for good, with their messages, search rows and
        the files no other message uses. Live conversations are left alone: only what the
        user already deleted can go for good."""
        wanted = unique(ids)
        with self._db.write() as conn:
            gone: list[ConversationId] = []
            for part in chunked(wanted):
                sql = f"SELECT id FROM conversations WHERE id IN ({placeholders(len(part))})"
                rows = conn.execute(f"{sql} AND deleted_at IS NOT NULL", tuple(part))
                gone.extend(ConversationId(r[0]) for r in rows)
            return self._remove(conn, gone)

    def empty_trash(self) -> Changes:
        """Remove every conversation in the Trash for good (see delete_for_good)."""
        return self.purge_deleted(older_than=0.0)

    def purge_deleted(self, older_than: float = 0.0) -> Changes:
        """Remove for good the conversations deleted at least `older_than` seconds ago (at a
        start, TRASH_KEPT_S: what has been in the Trash for 30 days)."""
        cutoff = self._now() - older_than
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT id FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                (cutoff,),
            )
            return self._remove(conn, [ConversationId(r[0]) for r in rows])

    def _remove(self, conn: sqlite3.Connection, ids: list[ConversationId]) -> Changes:
        for part in chunked(ids):
            # Foreign keys cascade to the messages, and their triggers to the FTS index.
            conn.execute(
                f"DELETE FROM conversations WHERE id IN ({placeholders(len(part))})", tuple(part)
            )
        if ids:  # images and files no other message uses go with them
            delete_unused_blobs(conn, self._now())
        return self._emit(Changes(ChangeKind.PURGED, tuple(ids)))
