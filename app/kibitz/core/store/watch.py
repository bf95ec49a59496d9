"""StoreWatcher: what other processes (`kibitz ask`, a second tool on the file) committed.

The app learns of its own changes from the Changes its mutations return; a commit made on
another connection reaches it only through the file. `PRAGMA data_version` tells, for the price
of reading one number, whether any other connection committed since it was last read (the
connection's own commits never change it), so the app can poll it every second. Only when it
changed does the watcher read the conversations' rows (10,000 took 25-30 ms on a busy 2-core
machine, so the app polls off its UI thread) and compare them with what it saw last, to say
what changed in the Changes values a local mutation gives: created, renamed, pinned, deleted,
restored, purged, new settings, and the conversations whose messages changed, with the ids of
those messages.

A reply that another process is streaming touches only its parts, not its conversation's row:
replies still `streaming` are reported each time something changed, so an open chat follows it.
"""

from __future__ import annotations

import logging
from typing import Any

from kibitz.core.store.facade import Store
from kibitz.core.types import ChangeKind, Changes, ConversationId, MessageId, MessageStatus

log = logging.getLogger(__name__)

# Timestamps come from each process's clock, taken before its transaction waits for the write
# lock (up to the 5 s busy timeout), so a row committed after our last look may carry a time a
# little older than what we saw then: messages are looked for this far back.
CLOCK_SLACK_S = 10.0

_SNAPSHOT = (
    "SELECT id, title, pinned, deleted_at, updated_at, current_leaf_id,"
    " coalesce(system_prompt, ''), params, coalesce(provider, '') FROM conversations"
)


# A conversation's row as last read, kept as SQLite gives it (no object per row: 10,000 of
# them cost more than the query). Positions in _SNAPSHOT:
_Row = tuple[Any, ...]
_TITLE, _PINNED, _DELETED, _UPDATED, _LEAF = 1, 2, 3, 4, 5
_SETTINGS = slice(6, 9)


class StoreWatcher:
    """Says what other connections changed in the store since the last `poll()`.

    Synchronous and blocking (it reads the database): call `poll()` off the UI thread, one
    call at a time. The first poll reads the baseline; a change made between the watcher's
    creation and that read cannot be told apart, so it is reported as every conversation
    having changed.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._version = store.data_version()
        self._since = store._now() - CLOCK_SLACK_S  # for a change before the baseline
        self._seen: dict[int, _Row] | None = None
        # Replies streaming at the last poll: one that ended is reported even when its end
        # left its conversation's row as it was (a clock a little behind another's).
        self._was_streaming: dict[ConversationId, list[MessageId]] = {}

    def changed(self) -> bool:
        """True when another connection committed since the last poll (a cheap check)."""
        return self._store.data_version() != self._version

    def poll(self) -> tuple[Changes, ...]:
        """What changed since the last poll, one Changes per kind; () when nothing did."""
        version = self._store.data_version()
        before, changed = self._seen, version != self._version
        if before is not None and not changed:
            return ()
        self._version = version
        self._seen = now = self._read()
        if before is None:
            self._was_streaming = self._streaming()
            return self._everything(now) if changed else ()
        return self._compare(before, now)

    # -- reading --------------------------------------------------------------------------------

    def _read(self) -> dict[int, _Row]:
        with self._store._db.read() as conn:
            return {row[0]: row for row in conn.execute(_SNAPSHOT)}

    def _streaming(self) -> dict[ConversationId, list[MessageId]]:
        """Replies being written now (here or elsewhere), by conversation."""
        found: dict[ConversationId, list[MessageId]] = {}
        with self._store._db.read() as conn:
            rows = conn.execute(
                "SELECT id, conversation_id FROM messages WHERE status = ?",
                (str(MessageStatus.STREAMING),),
            )
            for message_id, conversation_id in rows:
                found.setdefault(ConversationId(conversation_id), []).append(MessageId(message_id))
        return found

    def _messages_since(self, since: dict[ConversationId, float]) -> list[MessageId]:
        """Messages of these conversations added or ended after the time given for each."""
        found: list[MessageId] = []
        with self._store._db.read() as conn:
            for cid, after in since.items():
                rows = conn.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND updated_at >= ?",
                    (cid, after - CLOCK_SLACK_S),
                )
                found.extend(MessageId(r[0]) for r in rows)
        return found

    # -- comparing ------------------------------------------------------------------------------

    def _compare(self, before: dict[int, _Row], now: dict[int, _Row]) -> tuple[Changes, ...]:
        by_kind: dict[ChangeKind, list[ConversationId]] = {kind: [] for kind in ChangeKind}
        active: dict[ConversationId, float] = {}
        for key, row in now.items():
            old = before.get(key)
            if old == row:
                continue
            cid = ConversationId(key)
            if old is None:
                # Its messages are news to no view: none can show it before hearing of it.
                by_kind[ChangeKind.CREATED].append(cid)
                continue
            if (old[_DELETED] is None) != (row[_DELETED] is None):
                deleted = row[_DELETED] is not None
                by_kind[ChangeKind.DELETED if deleted else ChangeKind.RESTORED].append(cid)
            if old[_TITLE] != row[_TITLE]:
                by_kind[ChangeKind.RENAMED].append(cid)
            if old[_PINNED] != row[_PINNED]:
                by_kind[ChangeKind.PINNED].append(cid)
            if old[_SETTINGS] != row[_SETTINGS]:
                by_kind[ChangeKind.PARAMS].append(cid)
            if old[_UPDATED] != row[_UPDATED] or old[_LEAF] != row[_LEAF]:
                active[cid] = old[_UPDATED]
        by_kind[ChangeKind.PURGED] = [ConversationId(c) for c in before if c not in now]
        changes = [
            Changes(kind, tuple(ids))
            for kind, ids in by_kind.items()
            if ids and kind is not ChangeKind.MESSAGES
        ]
        messages = self._message_changes(active)
        if messages is not None:
            changes.append(messages)
        return tuple(changes)

    def _message_changes(self, active: dict[ConversationId, float]) -> Changes | None:
        streaming = self._streaming()
        was, self._was_streaming = self._was_streaming, streaming
        ids = self._messages_since(active)
        for cid, replies in (*was.items(), *streaming.items()):
            active.setdefault(cid, float("inf"))
            ids.extend(replies)
        if not active:
            return None
        return Changes(ChangeKind.MESSAGES, tuple(active), tuple(dict.fromkeys(ids)))

    def _everything(self, now: dict[int, _Row]) -> tuple[Changes, ...]:
        """Something changed before the baseline was read: any conversation may have, and
        the messages are those added or ended since the watcher was made."""
        with self._store._db.read() as conn:
            rows = conn.execute(
                "SELECT id, conversation_id FROM messages WHERE updated_at >= ? OR status = ?",
                (self._since, str(MessageStatus.STREAMING)),
            ).fetchall()
        changes = [Changes(ChangeKind.CREATED, tuple(map(ConversationId, now)))] if now else []
        if rows:
            conversations = tuple(dict.fromkeys(ConversationId(r[1]) for r in rows))
            messages = tuple(MessageId(r[0]) for r in rows)
            changes.append(Changes(ChangeKind.MESSAGES, conversations, messages))
        return tuple(changes)
