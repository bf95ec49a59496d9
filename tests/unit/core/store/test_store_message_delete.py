"""Deleting one message with its replies (softly), the branch that stays, and restoring them."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from store_helpers import FakeClock

from kibitz.core.errors import NotFoundError
from kibitz.core.store import Store
from kibitz.core.transfer.exporter import write_json_stream
from kibitz.core.types import ChangeKind, Changes, Conversation, Message, Role


def _say(
    store: Store, conv: Conversation, parent: Message | None, role: Role, text: str
) -> Message:
    return store.add_message(conv.id, None if parent is None else parent.id, role, text)


def _texts(store: Store, conv: Conversation) -> list[str]:
    return [m.content for m in store.branch(conv.id)]


def _leaf(store: Store, conv: Conversation) -> int | None:
    return store.get_conversation(conv.id).current_leaf_id


@pytest.fixture
def chat(store: Store, clock: FakeClock) -> tuple[Conversation, list[Message]]:
    """Q1 → A1 → Q2 → A2, one message a second."""
    conv = store.create_conversation("Delete")
    said: list[Message] = []
    parent = None
    for i, text in enumerate(["Q1 kiwi", "A1", "Q2 mango", "A2 mango"]):
        clock.advance(1)
        parent = _say(store, conv, parent, Role.USER if i % 2 == 0 else Role.ASSISTANT, text)
        said.append(parent)
    return conv, said


def test_a_delete_takes_the_message_and_everything_below_it(
    store: Store, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (q1, a1, q2, a2) = chat
    heard: list[Changes] = []
    store.add_listener(heard.append)
    changes = store.delete_message(q2.id)
    assert changes == Changes(ChangeKind.MESSAGES, (conv.id,), (q2.id, a2.id))
    assert heard == [changes]
    assert _texts(store, conv) == ["Q1 kiwi", "A1"]
    assert _leaf(store, conv) == a1.id  # no other version: the branch ends at the parent
    assert store.children(a1.id) == []
    assert store.message_count(conv.id) == 2
    assert store.get_conversation(conv.id).message_count == 2
    assert [m.id for m in store.all_messages(conv.id)] == [q1.id, a1.id]
    assert store.search("mango") == []
    assert [h.message_id for h in store.search("kiwi")] == [q1.id]
    with pytest.raises(NotFoundError):
        store.get_message(a2.id)
    with pytest.raises(NotFoundError):
        store.branch(conv.id, a2.id)
    with pytest.raises(NotFoundError):  # nothing can be added under a deleted message
        store.add_message(conv.id, q2.id, Role.ASSISTANT, "late")
    with pytest.raises(NotFoundError):
        store.delete_message(q2.id)  # already gone


def test_the_branch_moves_to_the_version_before_else_the_one_after(
    store: Store, clock: FakeClock, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (_, a1, q2, a2) = chat
    clock.advance(1)
    a2b = _say(store, conv, q2, Role.ASSISTANT, "A2 second")
    clock.advance(1)
    a2c = _say(store, conv, q2, Role.ASSISTANT, "A2 third")
    clock.advance(1)
    follow = _say(store, conv, a2, Role.USER, "Q3 under the first")
    store.select_branch(a2b.id)
    store.delete_message(a2b.id)  # the middle one: the version before it shows
    assert _texts(store, conv)[-2:] == ["A2 mango", "Q3 under the first"]
    assert _leaf(store, conv) == follow.id  # down to that version's newest leaf
    assert store.sibling_positions(conv.id)[a2c.id] == (1, 2)
    store.delete_message(a2.id)  # the first one: the one after it shows
    assert _leaf(store, conv) == a2c.id
    assert [m.id for m in store.siblings(a2c.id)] == [a2c.id]
    assert [m.id for m in store.children(a1.id)] == [q2.id]


def test_deleting_another_branch_leaves_the_current_one(
    store: Store, clock: FakeClock, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (*_, q2, a2) = chat
    clock.advance(1)
    other = _say(store, conv, q2, Role.ASSISTANT, "A2 other")
    store.select_branch(a2.id)
    store.delete_message(other.id)
    assert _leaf(store, conv) == a2.id


def test_deleting_the_only_first_message_empties_the_conversation(
    store: Store, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (q1, *_) = chat
    store.delete_message(q1.id)
    assert _leaf(store, conv) is None
    assert store.branch(conv.id) == []
    assert store.roots(conv.id) == []


def test_restore_brings_back_the_subtree_and_the_branch_that_showed(
    store: Store, clock: FakeClock, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (q1, _, q2, a2) = chat
    clock.advance(1)
    older = _say(store, conv, q2, Role.ASSISTANT, "A2 older leaf")
    store.select_branch(a2.id)
    before = _texts(store, conv)
    leaf = _leaf(store, conv)
    assert leaf is not None
    clock.advance(1)
    store.delete_message(q2.id)
    heard: list[Changes] = []
    store.add_listener(heard.append)
    changes = store.restore_message(q2.id, leaf)
    assert set(changes.message_ids) == {q2.id, a2.id, older.id}
    assert heard == [changes]
    assert _texts(store, conv) == before  # the version that showed, not the newest
    assert [h.message_id for h in store.search("mango")] == [a2.id, q2.id]
    assert store.message_count(conv.id) == 5
    # Without a leaf: the newest leaf below the restored message.
    store.delete_message(q2.id)
    store.restore_message(q2.id)
    assert _leaf(store, conv) == older.id
    assert store.restore_message(q1.id).message_ids == ()  # not deleted: nothing to do
    assert _leaf(store, conv) == older.id


def test_restore_leaves_what_was_deleted_before_on_its_own(
    store: Store, clock: FakeClock, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (_, a1, _q2, a2) = chat
    store.delete_message(a2.id)
    clock.advance(1)
    store.delete_message(a1.id)
    store.restore_message(a1.id)
    assert _texts(store, conv) == ["Q1 kiwi", "A1", "Q2 mango"]
    store.restore_message(a2.id)
    assert _texts(store, conv) == ["Q1 kiwi", "A1", "Q2 mango", "A2 mango"]


def test_exports_leave_deleted_messages_out(
    store: Store, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (_, _, q2, _) = chat
    store.delete_message(q2.id)
    out = io.StringIO()
    write_json_stream(store, [store.get_conversation(conv.id)], out)
    assert "kiwi" in out.getvalue()
    assert "mango" not in out.getvalue()
    json.loads(out.getvalue())


def test_purge_removes_deleted_messages_for_good_after_the_wait(
    store: Store, db_path: Path, clock: FakeClock, chat: tuple[Conversation, list[Message]]
) -> None:
    conv, (_, a1, q2, a2) = chat
    store.delete_message(q2.id)
    assert store.purge_deleted_messages(older_than=60).message_ids == ()
    clock.advance(61)
    purged = store.purge_deleted_messages(older_than=60)
    assert set(purged.message_ids) == {q2.id, a2.id}
    assert purged.conversation_ids == (conv.id,)
    with pytest.raises(NotFoundError):
        store.restore_message(q2.id)
    assert _leaf(store, conv) == a1.id
    with sqlite3.connect(db_path) as raw:
        (rows,) = raw.execute("SELECT count(*) FROM messages").fetchone()
    assert rows == 2


def test_deleted_messages_stay_deleted_after_reopening(
    db_path: Path, clock: FakeClock, chat: tuple[Conversation, list[Message]], store: Store
) -> None:
    conv, (_, _, q2, _) = chat
    store.delete_message(q2.id)
    store.close()
    with Store.open(db_path, clock=clock) as again:
        assert [m.content for m in again.branch(conv.id)] == ["Q1 kiwi", "A1"]
        again.restore_message(q2.id)
        assert [m.content for m in again.branch(conv.id)][-1] == "A2 mango"
