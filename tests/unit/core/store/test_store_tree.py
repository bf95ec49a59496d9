"""The message tree: branches, edit-and-resend, regenerate, n>1 alternatives, branch switching."""

from __future__ import annotations

import itertools

import pytest
from store_helpers import FakeClock

from kibitz.core.errors import NotFoundError
from kibitz.core.store import Store
from kibitz.core.types import (
    ChangeKind,
    Changes,
    Conversation,
    Message,
    MessageId,
    MessageStatus,
    Role,
    Usage,
)


def _say(
    store: Store, conv: Conversation, parent: Message | None, role: Role, text: str
) -> Message:
    return store.add_message(conv.id, None if parent is None else parent.id, role, text)


def _texts(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


def test_add_message_commits_every_field_and_moves_the_leaf(store: Store, clock: FakeClock) -> None:
    conv = store.create_conversation("c")
    clock.advance(5)
    user = store.add_message(conv.id, None, Role.USER, "question")
    reply = store.add_message(
        conv.id,
        user.id,
        Role.ASSISTANT,
        "answer",
        status=MessageStatus.LENGTH,
        model="gpt-4o",
        finish_reason="length",
        usage=Usage(10, 20, 30),
        choice_index=0,
    )
    assert store.get_message(reply.id) == reply
    assert reply.parent_id == user.id
    assert reply.usage == Usage(10, 20, 30)
    assert store.get_message(user.id).usage is None
    got = store.get_conversation(conv.id)
    assert got.current_leaf_id == reply.id
    assert got.updated_at == clock.now
    assert got.message_count == store.message_count(conv.id) == 2
    assert store.branch(conv.id) == [user, reply]


def test_parent_must_be_in_the_same_conversation(store: Store) -> None:
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    in_a = store.add_message(a.id, None, Role.USER, "a's")
    with pytest.raises(NotFoundError):
        store.add_message(b.id, in_a.id, Role.USER, "wrong tree")
    with pytest.raises(NotFoundError):
        store.add_message(b.id, MessageId(999), Role.USER, "no parent")
    with pytest.raises(NotFoundError):
        store.set_current_leaf(b.id, in_a.id)
    with pytest.raises(NotFoundError):
        store.branch(b.id, in_a.id)
    with pytest.raises(NotFoundError):
        store.get_message(MessageId(999))
    assert store.message_count(b.id) == 0


def test_edit_and_resend_and_regenerate_keep_the_old_branches(
    store: Store, clock: FakeClock
) -> None:
    conv = store.create_conversation("c")
    q1 = _say(store, conv, None, Role.USER, "q1")
    a1 = _say(store, conv, q1, Role.ASSISTANT, "a1")
    q2 = _say(store, conv, a1, Role.USER, "q2")
    clock.advance(1)
    a2 = _say(store, conv, q2, Role.ASSISTANT, "a2")
    clock.advance(1)
    a2b = _say(store, conv, q2, Role.ASSISTANT, "a2 regenerated")  # regenerate: same parent
    assert _texts(store.branch(conv.id)) == ["q1", "a1", "q2", "a2 regenerated"]

    clock.advance(1)
    q2e = _say(store, conv, a1, Role.USER, "q2 edited")  # edit: a sibling of q2
    a2e = _say(store, conv, q2e, Role.ASSISTANT, "a2 for the edit")
    assert _texts(store.branch(conv.id)) == ["q1", "a1", "q2 edited", "a2 for the edit"]
    assert _texts(store.branch(conv.id, a2.id)) == ["q1", "a1", "q2", "a2"]
    assert [m.id for m in store.siblings(q2.id)] == [q2.id, q2e.id]
    assert [m.id for m in store.children(q2.id)] == [a2.id, a2b.id]
    assert store.message_count(conv.id) == 7

    # Switching back to the q2 branch lands on its most recent reply.
    assert store.deepest_leaf(q2.id) == a2b.id
    changes = store.select_branch(q2.id)
    assert changes == Changes(ChangeKind.MESSAGES, (conv.id,), (a2b.id,))
    assert _texts(store.branch(conv.id)) == ["q1", "a1", "q2", "a2 regenerated"]
    assert store.deepest_leaf(a1.id) == a2e.id  # newest child of a1 is the edit
    assert store.deepest_leaf(a2.id) == a2.id  # a leaf is its own deepest leaf

    assert store.set_current_leaf(conv.id, a2.id).message_ids == (a2.id,)
    assert store.get_conversation(conv.id).current_leaf_id == a2.id


def test_editing_the_first_message_makes_a_second_root(store: Store, clock: FakeClock) -> None:
    conv = store.create_conversation("c")
    first = _say(store, conv, None, Role.USER, "first")
    _say(store, conv, first, Role.ASSISTANT, "reply")
    clock.advance(1)
    again = _say(store, conv, None, Role.USER, "first, edited")
    assert [m.id for m in store.roots(conv.id)] == [first.id, again.id]
    assert [m.id for m in store.siblings(again.id)] == [first.id, again.id]
    assert _texts(store.branch(conv.id)) == ["first, edited"]


def test_n_alternatives_are_siblings_with_choice_indexes(store: Store) -> None:
    conv = store.create_conversation("c")
    q = _say(store, conv, None, Role.USER, "q")
    writers = [store.begin_reply(conv.id, q.id, model="m", choice_index=i) for i in range(3)]
    for i, w in enumerate(writers):
        w.append(f"choice {i}")
        w.finish(MessageStatus.COMPLETE, "stop")
    kids = store.children(q.id)
    assert [(m.choice_index, m.content) for m in kids] == [
        (0, "choice 0"),
        (1, "choice 1"),
        (2, "choice 2"),
    ]
    # The first alternative is the one shown.
    assert store.get_conversation(conv.id).current_leaf_id == kids[0].id
    assert store.sibling_positions(conv.id)[kids[2].id] == (2, 3)


def test_sibling_positions_cover_every_message(store: Store, clock: FakeClock) -> None:
    conv = store.create_conversation("c")
    q = _say(store, conv, None, Role.USER, "q")
    a = _say(store, conv, q, Role.ASSISTANT, "a")
    clock.advance(1)
    b = _say(store, conv, q, Role.ASSISTANT, "b")
    clock.advance(1)
    q_alt = _say(store, conv, None, Role.USER, "q alt")
    assert store.sibling_positions(conv.id) == {
        q.id: (0, 2),
        q_alt.id: (1, 2),
        a.id: (0, 2),
        b.id: (1, 2),
    }


def test_imported_timestamps_decide_the_order_not_insertion(store: Store) -> None:
    conv = store.create_conversation("imported", created_at=100.0)
    q = store.add_message(conv.id, None, Role.USER, "q", created_at=100.0)
    late = store.add_message(conv.id, q.id, Role.ASSISTANT, "late", created_at=300.0)
    early = store.add_message(conv.id, q.id, Role.ASSISTANT, "early", created_at=200.0)
    assert [m.id for m in store.children(q.id)] == [early.id, late.id]
    assert store.deepest_leaf(q.id) == late.id
    # Old messages do not make the conversation look recently active beyond their time.
    assert store.get_conversation(conv.id).updated_at == 300.0


def test_long_branch_comes_back_in_order(store: Store) -> None:
    conv = store.create_conversation("long")
    parent: MessageId | None = None
    with store.batch():
        for i in range(1_500):  # more than one IN (...) chunk
            role = Role.USER if i % 2 == 0 else Role.ASSISTANT
            parent = store.add_message(conv.id, parent, role, f"m{i}").id
    branch = store.branch(conv.id)
    assert _texts(branch) == [f"m{i}" for i in range(1_500)]
    assert branch[0].parent_id is None
    assert all(m.parent_id == p.id for p, m in itertools.pairwise(branch))


def test_empty_conversation_has_an_empty_branch(store: Store) -> None:
    conv = store.create_conversation("empty")
    assert store.branch(conv.id) == []
    assert store.roots(conv.id) == []
    assert store.sibling_positions(conv.id) == {}


def test_replace_parts_in_place(store: Store) -> None:
    conv = store.create_conversation("c")
    m = _say(store, conv, None, Role.USER, "typo")
    changes = store.replace_parts(m.id, "fixed")
    assert changes == Changes(ChangeKind.MESSAGES, (conv.id,), (m.id,))
    assert store.get_message(m.id).content == "fixed"
    with pytest.raises(NotFoundError):
        store.replace_parts(MessageId(999), "x")
