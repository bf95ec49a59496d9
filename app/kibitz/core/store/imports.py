"""Bulk insertion of imported conversations: whole message trees with their own timestamps."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from kibitz.core.store.base import StoreBase, chunked, placeholders
from kibitz.core.store.blobs import insert_blob
from kibitz.core.store.rows import INSERT_MESSAGE, INSERT_PART, message_values, part_values
from kibitz.core.types import (
    ChangeKind,
    Changes,
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    Part,
    RequestParams,
    Role,
    Usage,
)


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    """One message of an imported tree; `parent` is an index into the same message list."""

    parent: int | None
    role: Role
    parts: tuple[Part, ...]
    created_at: float
    updated_at: float | None = None  # None: same as created_at
    status: MessageStatus = MessageStatus.COMPLETE
    model: str | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    error: str | None = None
    choice_index: int = 0


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    """A conversation to insert whole; messages are ordered so a parent precedes its children."""

    uid: str
    title: str
    created_at: float
    updated_at: float
    messages: tuple[ImportedMessage, ...] = ()
    current_leaf: int | None = None  # index into messages
    system_prompt: str | None = None
    params: RequestParams = field(default_factory=RequestParams)
    provider: str | None = None
    pinned: bool = False
    deleted_at: float | None = None
    # The bytes of the images and files its parts name, by SHA-256 (see Store.put_blob).
    blobs: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    created: tuple[ConversationId, ...]  # in the order given
    skipped_uids: tuple[str, ...]  # already in the store (or twice in the input)


def _check_tree(conversation: ImportedConversation) -> None:
    for index, message in enumerate(conversation.messages):
        if message.parent is not None and not 0 <= message.parent < index:
            raise ValueError(
                f"{conversation.uid}: message {index} has parent {message.parent}, "
                "which does not come before it"
            )
    leaf = conversation.current_leaf
    if leaf is not None and not 0 <= leaf < len(conversation.messages):
        raise ValueError(f"{conversation.uid}: current leaf {leaf} is not one of its messages")


def _insert(
    conn: sqlite3.Connection, cid: int, first_id: int, conversation: ImportedConversation
) -> None:
    """One conversation and its messages, with ids from `cid` and `first_id` on."""
    ids = range(first_id, first_id + len(conversation.messages))
    leaf = None if conversation.current_leaf is None else ids[conversation.current_leaf]
    conn.execute(
        "INSERT INTO conversations (id, uid, title, created_at, updated_at, pinned, deleted_at,"
        " current_leaf_id, system_prompt, params, provider)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            cid, conversation.uid, conversation.title, conversation.created_at,
            conversation.updated_at, int(conversation.pinned), conversation.deleted_at, leaf,
            conversation.system_prompt, json.dumps(conversation.params.overridden()),
            conversation.provider,
        ),
    )  # fmt: skip
    for digest, data in conversation.blobs.items():
        insert_blob(conn, digest, data, conversation.created_at)
    messages = [
        Message(
            id=MessageId(ids[i]),
            conversation_id=ConversationId(cid),
            parent_id=None if m.parent is None else MessageId(ids[m.parent]),
            role=m.role,
            status=m.status,
            created_at=m.created_at,
            updated_at=m.created_at if m.updated_at is None else m.updated_at,
            model=m.model,
            finish_reason=m.finish_reason,
            usage=m.usage,
            error=m.error,
            choice_index=m.choice_index,
        )
        for i, m in enumerate(conversation.messages)
    ]
    conn.executemany(INSERT_MESSAGE, [message_values(m) for m in messages])
    conn.executemany(
        INSERT_PART,
        [
            (ids[i], seq, *part_values(part))
            for i, m in enumerate(conversation.messages)
            for seq, part in enumerate(m.parts)
        ],
    )


class ImportMixin(StoreBase):
    """The import half of the Store: many conversations in one transaction."""

    def existing_uids(self, uids: Sequence[str]) -> set[str]:
        """Which of `uids` the store already holds (deleted conversations included)."""
        found: set[str] = set()
        with self._db.read() as conn:
            for part in chunked(list(dict.fromkeys(uids))):
                sql = f"SELECT uid FROM conversations WHERE uid IN ({placeholders(len(part))})"
                found.update(row[0] for row in conn.execute(sql, tuple(part)))
        return found

    def import_conversations(
        self,
        conversations: Sequence[ImportedConversation],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportOutcome:
        """Insert every conversation not already stored (by uid), all or nothing.

        One transaction: on any error nothing is kept. Row ids are given out here rather
        than by SQLite so each table is filled with one executemany, not a statement per
        row (a 1,000-conversation import is ~25,000 messages). `progress(done, total)` is
        called after each conversation.
        """
        for conversation in conversations:
            _check_tree(conversation)
        created: list[ConversationId] = []
        skipped: list[str] = []
        with self._db.write() as conn:
            taken = self.existing_uids([c.uid for c in conversations])
            next_conversation = conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM conversations"
            ).fetchone()[0]
            next_message = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM messages").fetchone()[
                0
            ]
            for done, conversation in enumerate(conversations, start=1):
                if conversation.uid in taken:
                    skipped.append(conversation.uid)
                else:
                    taken.add(conversation.uid)
                    _insert(conn, next_conversation, next_message, conversation)
                    created.append(ConversationId(next_conversation))
                    next_conversation += 1
                    next_message += len(conversation.messages)
                if progress is not None:
                    progress(done, len(conversations))
            if created:
                self._emit(Changes(ChangeKind.CREATED, tuple(created)))
        return ImportOutcome(tuple(created), tuple(skipped))
