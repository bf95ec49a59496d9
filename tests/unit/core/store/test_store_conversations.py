"""Conversations: creation, display order, edits, soft delete with undo, purge, change events."""

from __future__ import annotations

import re
import sqlite3

import pytest
from store_helpers import FakeClock

from kibitz.core.errors import NotFoundError, StoreError
from kibitz.core.store import Store
from kibitz.core.types import ChangeKind, Changes, ConversationId, RequestParams, Role


def test_create_fills_every_field(store: Store, clock: FakeClock) -> None:
    params = RequestParams(model="gpt-4o-mini", temperature=0.2, stop=("END",))
    conv = store.create_conversation(
        "Plans", system_prompt="Be brief.", params=params, provider="local"
    )
    assert re.fullmatch(r"[0-9a-f]{32}", conv.uid)
    assert conv.title == "Plans"
    assert conv.created_at == conv.updated_at == clock.now
    assert conv.system_prompt == "Be brief."
    assert conv.params == params
    assert conv.provider == "local"
    assert (conv.pinned, conv.deleted_at, conv.current_leaf_id, conv.message_count) == (
        False,
        None,
        None,
        0,
    )
    assert store.get_conversation(conv.id) == conv
    assert store.find_by_uid(conv.uid) == conv
    assert store.find_by_uid("0" * 32) is None
    other = store.create_conversation()
    assert other.uid != conv.uid


def test_import_keeps_uid_and_time_and_refuses_a_duplicate_uid(store: Store) -> None:
    conv = store.create_conversation("old", uid="abc123", created_at=1000.0)
    assert (conv.uid, conv.created_at, conv.updated_at) == ("abc123", 1000.0, 1000.0)
    with pytest.raises(StoreError) as info:
        store.create_conversation("again", uid="abc123")
    assert "already exists" in info.value.headline
    assert store.conversation_ids() == [conv.id]


def test_missing_conversation_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.get_conversation(ConversationId(42))
    with pytest.raises(NotFoundError):
        store.set_title(ConversationId(42), "x")
    with pytest.raises(NotFoundError):
        store.branch(ConversationId(42))


def test_display_order_is_pinned_then_most_recently_active(store: Store, clock: FakeClock) -> None:
    a = store.create_conversation("a")
    clock.advance(1)
    b = store.create_conversation("b")
    clock.advance(1)
    c = store.create_conversation("c")
    clock.advance(1)
    store.add_message(a.id, None, Role.USER, "activity moves a to the top")
    assert store.conversation_ids() == [a.id, c.id, b.id]

    store.set_pinned(b.id, True)
    assert store.conversation_ids() == [b.id, a.id, c.id]
    listed = store.list_conversations()
    assert [x.id for x in listed] == store.conversation_ids()
    assert [x.message_count for x in listed] == [0, 1, 0]
    assert [x.id for x in store.list_conversations(limit=2, offset=1)] == [a.id, c.id]

    clock.advance(1)
    store.set_title(c.id, "renamed")  # renaming is not activity: c stays where it was
    assert store.conversation_ids() == [b.id, a.id, c.id]


def test_get_conversations_keeps_the_requested_order(store: Store) -> None:
    ids = [store.create_conversation(str(i)).id for i in range(5)]
    wanted = [ids[3], ConversationId(999), ids[0], ids[3], ids[1]]
    got = store.get_conversations(wanted)
    assert [c.id for c in got] == [ids[3], ids[0], ids[1]]
    assert [c.title for c in got] == ["3", "0", "1"]


def test_get_conversations_in_big_batches(store: Store) -> None:
    with store.batch():
        ids = [store.create_conversation(str(i)).id for i in range(1_200)]
    got = store.get_conversations(list(reversed(ids)))
    assert [c.id for c in got] == list(reversed(ids))


def test_edits_return_changes_and_persist(store: Store) -> None:
    conv = store.create_conversation("t")
    assert store.set_title(conv.id, "New") == Changes(ChangeKind.RENAMED, (conv.id,))
    assert store.set_pinned(conv.id, True) == Changes(ChangeKind.PINNED, (conv.id,))
    assert store.set_system_prompt(conv.id, "You are terse.").kind is ChangeKind.PARAMS
    assert store.set_params(conv.id, RequestParams(temperature=1.5, n=2)).kind is ChangeKind.PARAMS
    assert store.set_provider(conv.id, "azure").kind is ChangeKind.PARAMS
    got = store.get_conversation(conv.id)
    assert (got.title, got.pinned, got.system_prompt, got.provider) == (
        "New",
        True,
        "You are terse.",
        "azure",
    )
    assert got.params == RequestParams(temperature=1.5, n=2)
    store.set_params(conv.id, RequestParams())
    store.set_system_prompt(conv.id, None)
    got = store.get_conversation(conv.id)
    assert (got.params, got.system_prompt) == (RequestParams(), None)


def test_soft_delete_hides_and_restore_brings_back(store: Store, clock: FakeClock) -> None:
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    store.add_message(a.id, None, Role.USER, "findable words")

    changes = store.delete([a.id, a.id, ConversationId(999)])
    assert changes == Changes(ChangeKind.DELETED, (a.id,))
    assert store.conversation_ids() == [b.id]
    assert store.conversation_ids(deleted=True) == [a.id]
    assert store.list_conversations(deleted=True)[0].deleted_at == clock.now
    assert store.search("findable") == []
    assert store.get_conversation(a.id).deleted_at == clock.now  # still readable by id
    assert store.delete([a.id]).conversation_ids == ()  # already deleted: nothing changed

    assert store.restore([a.id, b.id]) == Changes(ChangeKind.RESTORED, (a.id,))
    assert set(store.conversation_ids()) == {a.id, b.id}
    assert [h.conversation_id for h in store.search("findable")] == [a.id]
    assert store.get_conversation(a.id).deleted_at is None


def test_purge_removes_old_deleted_ones_with_their_messages(store: Store, clock: FakeClock) -> None:
    old = store.create_conversation("old")
    parent = store.add_message(old.id, None, Role.USER, "purgeable text").id
    store.add_message(old.id, parent, Role.ASSISTANT, "purgeable reply")
    recent = store.create_conversation("recent")
    store.add_message(recent.id, None, Role.USER, "purgeable too")
    live = store.create_conversation("live")

    store.delete([old.id])
    clock.advance(40 * 86400)
    store.delete([recent.id])
    clock.advance(86400)

    assert store.purge_deleted(older_than=30 * 86400) == Changes(ChangeKind.PURGED, (old.id,))
    with pytest.raises(NotFoundError):
        store.get_conversation(old.id)
    conn = store._db.conn
    assert conn.execute(
        "SELECT count(*) FROM messages WHERE conversation_id = ?", (old.id,)
    ).fetchone() == (0,)
    assert store.conversation_ids(deleted=True) == [recent.id]

    assert store.purge_deleted().conversation_ids == (recent.id,)
    assert store.conversation_ids() == [live.id]
    assert conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)
    # The FTS index forgot the purged text too.
    store.restore([recent.id])
    assert conn.execute(
        "SELECT count(*) FROM message_text_fts WHERE message_text_fts MATCH 'purgeable'"
    ).fetchone() == (0,)
    conn.execute(
        "INSERT INTO message_text_fts (message_text_fts, rank) VALUES ('integrity-check', 1)"
    )


def test_listeners_hear_after_commit_and_batches_once_committed(store: Store) -> None:
    heard: list[Changes] = []
    store.add_listener(heard.append)
    conv = store.create_conversation("x")
    assert heard == [Changes(ChangeKind.CREATED, (conv.id,))]

    heard.clear()
    with store.batch():
        store.set_title(conv.id, "y")
        store.set_pinned(conv.id, True)
        assert heard == []  # nothing is committed yet
    assert [c.kind for c in heard] == [ChangeKind.RENAMED, ChangeKind.PINNED]

    heard.clear()

    def abandoned_batch() -> None:
        with store.batch():
            store.set_title(conv.id, "rolled back")
            raise RuntimeError("abandon the batch")

    with pytest.raises(RuntimeError):
        abandoned_batch()
    assert heard == []
    assert store.get_conversation(conv.id).title == "y"

    store.remove_listener(heard.append)
    store.set_title(conv.id, "z")
    assert heard == []


def test_a_failed_step_inside_a_batch_rolls_back_only_itself(store: Store) -> None:
    conv = store.create_conversation("x")
    with store.batch():
        store.set_title(conv.id, "kept")
        with pytest.raises(StoreError):
            store.create_conversation("dup", uid=conv.uid)
        store.set_pinned(conv.id, True)
    got = store.get_conversation(conv.id)
    assert (got.title, got.pinned) == ("kept", True)
    assert len(store.conversation_ids()) == 1


def test_reads_from_another_connection_see_committed_writes(store: Store) -> None:
    conv = store.create_conversation("visible")
    other = sqlite3.connect(store.path)
    try:
        assert other.execute("SELECT title FROM conversations WHERE id = ?", (conv.id,)).fetchone()
    finally:
        other.close()
