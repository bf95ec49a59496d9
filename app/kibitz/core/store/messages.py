"""Message rows and the tree they form: add, read a branch, siblings, branch switching, and
deleting a message with its replies (softly: restore_message brings them back).

Every read here skips deleted messages (`_LIVE`): the view, exports, search and the history
sent to the model never see them.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kibitz.core.errors import NotFoundError
from kibitz.core.store.base import StoreBase, chunked, placeholders, unique
from kibitz.core.store.blobs import delete_unused_blobs
from kibitz.core.store.rows import (
    INSERT_NEW_MESSAGE,
    SELECT_MESSAGES,
    USAGE_ASSIGNMENTS,
    insert_parts,
    message_values,
    read_messages,
    usage_values,
)
from kibitz.core.types import (
    ChangeKind,
    Changes,
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    Part,
    Role,
    Usage,
    as_parts,
)

if TYPE_CHECKING:
    from kibitz.core.pricing import Charge

_SELECT = SELECT_MESSAGES
_LIVE = "m.deleted_at IS NULL"

# "By creation": created_at first so imported messages keep their own order, the id second
# to order messages stamped in the same instant.
_BY_CREATION = "ORDER BY m.created_at, m.id"


def check_parent(
    conn: sqlite3.Connection, conversation_id: ConversationId, parent_id: MessageId | None
) -> None:
    """NotFoundError unless the conversation exists and holds `parent_id` (when given)."""
    conv, parent_conv = conn.execute(
        "SELECT (SELECT 1 FROM conversations WHERE id = ?),"
        " (SELECT conversation_id FROM messages WHERE id = ? AND deleted_at IS NULL)",
        (conversation_id, parent_id),
    ).fetchone()
    if conv is None:
        raise NotFoundError(f"conversation {conversation_id}")
    if parent_id is not None and parent_conv != conversation_id:
        raise NotFoundError(
            f"message {parent_id} in conversation {conversation_id}",
            headline="No such message in this conversation",
        )


class MessagesMixin(StoreBase):
    """The message half of the Store."""

    def add_message(
        self,
        conversation_id: ConversationId,
        parent_id: MessageId | None,
        role: Role,
        content: str | Sequence[Part] = (),
        *,
        status: MessageStatus = MessageStatus.COMPLETE,
        model: str | None = None,
        finish_reason: str | None = None,
        usage: Usage | None = None,
        error: str | None = None,
        choice_index: int = 0,
        created_at: float | None = None,
        make_current: bool = True,
    ) -> Message:
        """Add and commit a message under `parent_id` (None: a new root).

        `content` is the message's parts, or plain text (one text part). The blobs that
        image and file parts name must be stored first (put_blob). Editing a message is
        adding a sibling (same parent): the old branch stays. With make_current the new
        message becomes the conversation's current leaf.
        """
        now = self._now() if created_at is None else created_at
        message = Message(
            id=MessageId(0),
            conversation_id=conversation_id,
            parent_id=parent_id,
            role=Role(role),
            status=MessageStatus(status),
            created_at=now,
            updated_at=now,
            parts=as_parts(content),
            model=model,
            finish_reason=finish_reason,
            usage=usage,
            error=error,
            choice_index=choice_index,
        )
        with self._db.write() as conn:
            check_parent(conn, conversation_id, parent_id)
            cur = conn.execute(INSERT_NEW_MESSAGE, message_values(message)[1:])
            message_id = MessageId(int(cur.lastrowid or 0))
            insert_parts(conn, message_id, message.parts)
            leaf = ", current_leaf_id = ?" if make_current else ""
            args = (now, message_id) if make_current else (now,)
            conn.execute(
                f"UPDATE conversations SET updated_at = max(updated_at, ?){leaf} WHERE id = ?",
                (*args, conversation_id),
            )
            self._emit(Changes(ChangeKind.MESSAGES, (conversation_id,), (message_id,)))
        return dataclasses.replace(message, id=message_id)

    def get_message(self, message_id: MessageId) -> Message:
        with self._db.read() as conn:
            found = read_messages(conn, f"{_SELECT} WHERE m.id = ? AND {_LIVE}", (message_id,))
        if not found:
            raise NotFoundError(f"message {message_id}", headline="No such message")
        return found[0]

    def message_count(self, conversation_id: ConversationId) -> int:
        """Every message of the conversation, all branches included."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT count(*) FROM messages m WHERE m.conversation_id = ? AND {_LIVE}",
                (conversation_id,),
            ).fetchone()
        return int(row[0])

    def replace_parts(self, message_id: MessageId, content: str | Sequence[Part]) -> Changes:
        """Replace a message's parts in place (internal repairs; the UI edits by branching)."""
        with self._db.write() as conn:
            changes = self._update_message(message_id, "updated_at = ?", (self._now(),))
            conn.execute("DELETE FROM message_parts WHERE message_id = ?", (message_id,))
            insert_parts(conn, message_id, as_parts(content))
        return changes

    def set_usage(
        self, message_id: MessageId, usage: Usage, charge: Charge | None = None
    ) -> Changes:
        """Attach token usage to a reply (it arrives after the reply's finish_reason), with
        what it cost and the price used when `charge` is given (core/pricing)."""
        if charge is None:
            return self._update_message(message_id, USAGE_ASSIGNMENTS, usage_values(usage))
        price = charge.price.to_json() if charge.price is not None else None
        return self._update_message(
            message_id,
            f"{USAGE_ASSIGNMENTS}, provider = ?, cost_nanos = ?, price = ?",
            (*usage_values(usage), charge.provider, charge.cost_nanos, price),
        )

    def _update_message(
        self, message_id: MessageId, assignments: str, values: tuple[object, ...]
    ) -> Changes:
        """UPDATE one message's columns (`assignments` is ours, never user text)."""
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"message {message_id}", headline="No such message")
            conn.execute(f"UPDATE messages SET {assignments} WHERE id = ?", (*values, message_id))
            return self._emit(
                Changes(ChangeKind.MESSAGES, (ConversationId(row[0]),), (message_id,))
            )

    # -- the tree -----------------------------------------------------------------------------

    # Tree walks fetch the conversation's (id, parent) pairs from an index and walk them in
    # Python: a recursive CTE over 2,000 levels measured 27 ms against 0.6 ms for this.
    def _parents(
        self, conn: sqlite3.Connection, conversation_id: ConversationId
    ) -> dict[int, int | None]:
        rows = conn.execute(
            f"SELECT m.id, m.parent_id FROM messages m WHERE m.conversation_id = ? AND {_LIVE}",
            (conversation_id,),
        )
        return dict(rows.fetchall())

    def branch(
        self, conversation_id: ConversationId, leaf: MessageId | None = None
    ) -> list[Message]:
        """The messages from the root down to `leaf` (default: the current leaf)."""
        with self._db.read() as conn:
            if leaf is None:
                row = conn.execute(
                    "SELECT current_leaf_id FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                if row is None:
                    raise NotFoundError(f"conversation {conversation_id}")
                leaf = row[0]
                if leaf is None:
                    return []
            parents = self._parents(conn, conversation_id)
            if leaf not in parents:
                raise NotFoundError(
                    f"message {leaf} in conversation {conversation_id}",
                    headline="No such message in this conversation",
                )
            path: list[int] = []
            node: int | None = leaf
            while node is not None and len(path) <= len(parents):  # the bound stops a cycle
                path.append(node)
                node = parents.get(node)
            path.reverse()
            found: dict[int, Message] = {}
            for chunk in chunked(path):
                sql = f"{_SELECT} WHERE m.id IN ({placeholders(len(chunk))})"
                found.update((m.id, m) for m in read_messages(conn, sql, chunk))
        return [found[i] for i in path]

    def all_messages(self, conversation_id: ConversationId) -> list[Message]:
        """Every message of every branch, oldest first (for lossless export)."""
        with self._db.read() as conn:
            return read_messages(
                conn,
                f"{_SELECT} WHERE m.conversation_id = ? AND {_LIVE} ORDER BY m.id",
                (conversation_id,),
            )

    def roots(self, conversation_id: ConversationId) -> list[Message]:
        """First messages of the conversation (more than one after editing the first)."""
        with self._db.read() as conn:
            return read_messages(
                conn,
                f"{_SELECT} WHERE m.conversation_id = ? AND m.parent_id IS NULL AND {_LIVE}"
                f" {_BY_CREATION}",
                (conversation_id,),
            )

    def children(self, message_id: MessageId) -> list[Message]:
        with self._db.read() as conn:
            return read_messages(
                conn, f"{_SELECT} WHERE m.parent_id = ? AND {_LIVE} {_BY_CREATION}", (message_id,)
            )

    def siblings(self, message_id: MessageId) -> list[Message]:
        """The message and its siblings (same parent), by creation: the "2 / 3" switcher."""
        message = self.get_message(message_id)
        if message.parent_id is None:
            return self.roots(message.conversation_id)
        return self.children(message.parent_id)

    def sibling_positions(
        self, conversation_id: ConversationId
    ) -> dict[MessageId, tuple[int, int]]:
        """For every message: (index among its siblings, number of siblings), in one query."""
        groups: dict[int | None, list[MessageId]] = {}
        with self._db.read() as conn:
            for message_id, parent_id in conn.execute(
                "SELECT m.id, m.parent_id FROM messages m"
                f" WHERE m.conversation_id = ? AND {_LIVE} {_BY_CREATION}",
                (conversation_id,),
            ):
                groups.setdefault(parent_id, []).append(MessageId(message_id))
        return {
            mid: (index, len(group)) for group in groups.values() for index, mid in enumerate(group)
        }

    def deepest_leaf(self, message_id: MessageId) -> MessageId:
        """Follow the most recent child down from `message_id` to a leaf (itself if none)."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"message {message_id}", headline="No such message")
            newest: dict[int, int] = {}
            # Rows come oldest first, so the last child seen for a parent is its newest.
            for child, parent in conn.execute(
                f"SELECT m.id, m.parent_id FROM messages m WHERE m.conversation_id = ?"
                f" AND m.parent_id IS NOT NULL AND {_LIVE} {_BY_CREATION}",
                (row[0],),
            ):
                newest[parent] = child
        node = int(message_id)
        for _ in range(len(newest)):  # bounded: a cycle cannot loop forever
            if node not in newest:
                break
            node = newest[node]
        return MessageId(node)

    def set_current_leaf(self, conversation_id: ConversationId, message_id: MessageId) -> Changes:
        """Make `message_id` the end of the branch the conversation shows and continues."""
        with self._db.write() as conn:
            check_parent(conn, conversation_id, message_id)
            conn.execute(
                "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                (message_id, conversation_id),
            )
            return self._emit(Changes(ChangeKind.MESSAGES, (conversation_id,), (message_id,)))

    def select_branch(self, message_id: MessageId) -> Changes:
        """Switch to the branch through `message_id` (e.g. a sibling), down to its newest leaf."""
        with self._db.write():
            message = self.get_message(message_id)
            return self.set_current_leaf(message.conversation_id, self.deepest_leaf(message_id))

    # -- deleting -----------------------------------------------------------------------------

    def delete_message(self, message_id: MessageId) -> Changes:
        """Delete a message softly with everything below it (its replies, their follow-ups).

        The Changes name the messages that went. If the conversation's current branch ran
        through them, it moves to the nearest remaining version of the message (the one before
        it, else the one after), down to that version's newest leaf; with no other version, it
        ends at the message's parent (none for a lone first message). restore_message undoes it.
        """
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT conversation_id, parent_id FROM messages"
                " WHERE id = ? AND deleted_at IS NULL",
                (message_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"message {message_id}", headline="No such message")
            conversation_id, parent_id = ConversationId(row[0]), row[1]
            children = self._live_children(conn, conversation_id)
            gone = _subtree(children, int(message_id))
            stamp = self._now()
            for chunk in chunked(gone):
                conn.execute(
                    f"UPDATE messages SET deleted_at = ? WHERE id IN ({placeholders(len(chunk))})",
                    (stamp, *chunk),
                )
            (leaf,) = conn.execute(
                "SELECT current_leaf_id FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if leaf in gone:
                versions = children.get(parent_id, [])
                at = versions.index(int(message_id))
                rest = versions[:at] + versions[at + 1 :]
                # The version before it, else the one after: what "‹ 2/3 ›" would show next.
                nearest = rest[at - 1] if at > 0 else (rest[0] if rest else None)
                new_leaf = _newest_leaf(children, nearest) if nearest is not None else parent_id
                conn.execute(
                    "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                    (new_leaf, conversation_id),
                )
            ids = tuple(MessageId(i) for i in gone)
            return self._emit(Changes(ChangeKind.MESSAGES, (conversation_id,), ids))

    def restore_message(self, message_id: MessageId, leaf: MessageId | None = None) -> Changes:
        """Undo delete_message(message_id): the message and what was deleted with it come back.

        The current branch then ends at `leaf` (the leaf before the delete) when it is among
        them, else at the newest leaf below the message. Messages below it deleted earlier, on
        their own, stay deleted. The Changes name the messages brought back (none if it was
        not deleted).
        """
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT conversation_id, deleted_at FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"message {message_id}", headline="No such message")
            conversation_id, stamp = ConversationId(row[0]), row[1]
            if stamp is None:
                return Changes(ChangeKind.MESSAGES, (conversation_id,))
            children: dict[int | None, list[int]] = {}
            for child, parent in conn.execute(
                "SELECT m.id, m.parent_id FROM messages m"
                f" WHERE m.conversation_id = ? AND m.deleted_at = ? {_BY_CREATION}",
                (conversation_id, stamp),
            ):
                children.setdefault(parent, []).append(child)
            back = _subtree(children, int(message_id))
            for chunk in chunked(back):
                where = f"id IN ({placeholders(len(chunk))})"
                conn.execute(f"UPDATE messages SET deleted_at = NULL WHERE {where}", chunk)
            live = self._live_children(conn, conversation_id)
            if leaf is None or int(leaf) not in back:
                leaf = MessageId(_newest_leaf(live, int(message_id)))
            conn.execute(
                "UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (leaf, conversation_id)
            )
            ids = tuple(MessageId(i) for i in back)
            return self._emit(Changes(ChangeKind.MESSAGES, (conversation_id,), ids))

    def purge_deleted_messages(self, older_than: float = 0.0) -> Changes:
        """Remove for good the messages deleted at least `older_than` seconds ago (their parts
        and index entries go with them; the images and files no other message uses too)."""
        cutoff = self._now() - older_than
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT id, conversation_id FROM messages"
                " WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                (cutoff,),
            ).fetchall()
            for chunk in chunked([r[0] for r in rows]):
                # Children cascade from their parent, parts from their message.
                conn.execute(
                    f"DELETE FROM messages WHERE id IN ({placeholders(len(chunk))})", chunk
                )
            if rows:
                delete_unused_blobs(conn, self._now())
            conversations = unique(ConversationId(r[1]) for r in rows)
            ids = tuple(MessageId(r[0]) for r in rows)
            return self._emit(Changes(ChangeKind.MESSAGES, tuple(conversations), ids))

    def _live_children(
        self, conn: sqlite3.Connection, conversation_id: ConversationId
    ) -> dict[int | None, list[int]]:
        """Each message's children that are not deleted (None: the roots), oldest first."""
        children: dict[int | None, list[int]] = {}
        for child, parent in conn.execute(
            f"SELECT m.id, m.parent_id FROM messages m WHERE m.conversation_id = ? AND {_LIVE}"
            f" {_BY_CREATION}",
            (conversation_id,),
        ):
            children.setdefault(parent, []).append(child)
        return children


def _subtree(children: dict[int | None, list[int]], top: int) -> list[int]:
    """`top` and every message below it in `children`, parents before their children."""
    found = [top]
    seen = {top}
    for node in found:  # grows as it goes: a breadth-first walk
        for child in children.get(node, ()):
            if child not in seen:  # a cycle in damaged data cannot loop forever
                seen.add(child)
                found.append(child)
    return found


def _newest_leaf(children: dict[int | None, list[int]], top: int) -> int:
    """Down from `top` through each newest child to a leaf (as deepest_leaf walks)."""
    node, steps = top, 0
    while children.get(node) and steps <= len(children):
        node = children[node][-1]
        steps += 1
    return node
