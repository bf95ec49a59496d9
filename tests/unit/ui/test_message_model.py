"""MessageListModel: the current branch as rows, following the store; streamed text in memory."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from kibitz.core.store import Store
from kibitz.core.types import (
    Conversation,
    ConversationId,
    Message,
    MessageStatus,
    ReasoningPart,
    Role,
    TextPart,
    Usage,
)
from kibitz.ui.models.messages import MessageListModel, MessageRole


@pytest.fixture
def branched(store: Store) -> tuple[Conversation, list[Message]]:
    """user -> reply A; then reply B (regenerated) and C: the branch shows C, 3 siblings."""
    conv = store.create_conversation("Branches")
    user = store.add_message(conv.id, None, Role.USER, "Hello")
    replies = [
        store.add_message(
            conv.id,
            user.id,
            Role.ASSISTANT,
            f"Reply {name}",
            model="gpt-4o-mini",
            usage=Usage(10, i + 1, i + 11),
            finish_reason="stop",
        )
        for i, name in enumerate("ABC")
    ]
    return store.get_conversation(conv.id), [user, *replies]


def test_model_passes_the_model_tester(
    qtmodeltester: ModelTester, store: Store, branched: tuple[Conversation, list[Message]]
) -> None:
    conv, _ = branched
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    qtmodeltester.check(model)


def test_rows_are_the_current_branch_with_roles(
    store: Store, branched: tuple[Conversation, list[Message]]
) -> None:
    conv, (user, _a, _b, c) = branched
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    assert model.rowCount() == 2
    first, second = model.index(0), model.index(1)
    assert first.data(Qt.ItemDataRole.DisplayRole) == "Hello"
    assert first.data(MessageRole.ROLE) == "user"
    assert second.data(MessageRole.ID) == c.id
    assert second.data(MessageRole.CONTENT) == "Reply C"
    assert second.data(MessageRole.MODEL) == "gpt-4o-mini"
    assert second.data(MessageRole.USAGE) == Usage(10, 3, 13)
    assert second.data(MessageRole.FINISH_REASON) == "stop"
    assert second.data(MessageRole.STATUS) == "complete"
    assert second.data(MessageRole.SIBLING_POSITION) == (2, 3)
    assert first.data(MessageRole.SIBLING_POSITION) == (0, 1)
    assert model.row_of(user.id) == 0
    assert model.roleNames()[MessageRole.SIBLING_POSITION].data() == b"sibling_position"


def test_reload_follows_a_branch_switch(
    store: Store, branched: tuple[Conversation, list[Message]]
) -> None:
    conv, (_user, a, _b, _c) = branched
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    store.select_branch(a.id)
    model.reload()
    assert model.index(1).data(MessageRole.CONTENT) == "Reply A"
    assert model.index(1).data(MessageRole.SIBLING_POSITION) == (0, 3)


def test_streamed_text_and_status_change_the_row_in_memory_only(
    qtbot: QtBot, qtmodeltester: ModelTester, store: Store
) -> None:
    conv = store.create_conversation("Streaming")
    user = store.add_message(conv.id, None, Role.USER, "Tell me")
    writer = store.begin_reply(conv.id, user.id, model="m")
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    qtmodeltester.check(model)
    reply_id = writer.message_id
    row = model.row_of(reply_id)
    assert row == 1
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.append_text(reply_id, "Once ")
    assert changed.args is not None
    assert changed.args[0].row() == 1
    model.append_text(reply_id, "upon a time")
    assert model.index(1).data(MessageRole.CONTENT) == "Once upon a time"
    assert store.get_message(reply_id).content == ""  # the controller writes the store
    model.set_status(reply_id, MessageStatus.LENGTH, finish_reason="length", usage=Usage(5, 4, 9))
    assert model.index(1).data(MessageRole.STATUS) == "length"
    assert model.index(1).data(MessageRole.USAGE) == Usage(5, 4, 9)
    assert model.index(1).data(MessageRole.CONTENT) == "Once upon a time"
    writer.finish(MessageStatus.LENGTH, "length")


def test_add_message_appends_a_reply_once_and_counts_its_siblings(
    qtmodeltester: ModelTester, store: Store, branched: tuple[Conversation, list[Message]]
) -> None:
    conv, (user, *_replies) = branched
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    qtmodeltester.check(model)
    follow_up = store.add_message(conv.id, model.message_at(1).id, Role.USER, "More")
    assert model.add_message(follow_up) == 2
    assert model.add_message(follow_up) == 2  # already a row: updated, not duplicated
    assert model.rowCount() == 3
    fourth = store.add_message(conv.id, user.id, Role.ASSISTANT, "Reply D", make_current=False)
    model.refresh_siblings()
    assert model.index(1).data(MessageRole.SIBLING_POSITION) == (2, 4)
    assert fourth.id not in {m.id for m in model.messages()}


def test_no_conversation_means_no_rows(
    store: Store, branched: tuple[Conversation, list[Message]]
) -> None:
    conv, _ = branched
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    model.set_conversation(None)
    assert model.rowCount() == 0
    assert model.conversation_id is None
    assert model.data(model.index(0)) is None


# -- following the store's Changes ---------------------------------------------------------------


def _following(
    qtmodeltester: ModelTester, store: Store, conversation_id: ConversationId
) -> MessageListModel:
    """A model on the conversation, checked by the model tester through every change."""
    model = MessageListModel(store)
    model.set_conversation(conversation_id)
    qtmodeltester.check(model)
    return model


def test_a_message_added_on_the_branch_appears_by_itself(
    qtbot: QtBot, qtmodeltester: ModelTester, store: Store
) -> None:
    conv = store.create_conversation("Follow")
    model = _following(qtmodeltester, store, conv.id)
    with qtbot.waitSignal(model.rowsInserted):
        user = store.add_message(conv.id, None, Role.USER, "Hi")
    reply = store.add_message(conv.id, user.id, Role.ASSISTANT, "Hello!")
    assert [m.id for m in model.messages()] == [user.id, reply.id]
    assert model.index(1).data(MessageRole.CONTENT) == "Hello!"
    other = store.create_conversation("Elsewhere")
    store.add_message(other.id, None, Role.USER, "Not here")
    assert model.rowCount() == 2


def test_a_changed_message_updates_its_row(
    qtbot: QtBot, qtmodeltester: ModelTester, store: Store
) -> None:
    conv = store.create_conversation("Follow")
    user = store.add_message(conv.id, None, Role.USER, "Hi")
    writer = store.begin_reply(conv.id, user.id, model="m")
    model = _following(qtmodeltester, store, conv.id)
    assert model.index(1).data(MessageRole.STATUS) == "streaming"
    writer.append_reasoning("Thinking it over.")
    writer.append("Hello!")
    with qtbot.waitSignal(model.dataChanged) as changed:
        writer.finish(MessageStatus.COMPLETE, "stop", Usage(3, 9, 12, reasoning_tokens=5))
    assert changed.args is not None
    assert changed.args[0].row() == 1
    assert model.index(1).data(MessageRole.STATUS) == "complete"
    assert model.index(1).data(MessageRole.CONTENT) == "Hello!"
    assert model.index(1).data(MessageRole.REASONING) == "Thinking it over."
    store.set_usage(writer.message_id, Usage(3, 10, 13, reasoning_tokens=6))
    assert model.index(1).data(MessageRole.USAGE) == Usage(3, 10, 13, reasoning_tokens=6)


def test_a_branch_switch_replaces_the_rows_below_where_branches_part(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    store: Store,
    branched: tuple[Conversation, list[Message]],
) -> None:
    conv, (user, a, _b, c) = branched
    follow_up = store.add_message(conv.id, c.id, Role.USER, "And?")
    model = _following(qtmodeltester, store, conv.id)
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    store.select_branch(a.id)
    assert [m.id for m in model.messages()] == [user.id, a.id]
    assert removed == [(1, 2)]  # the user's message stays a row: its index is kept
    assert model.index(1).data(MessageRole.SIBLING_POSITION) == (0, 3)
    store.set_current_leaf(conv.id, follow_up.id)
    assert [m.id for m in model.messages()] == [user.id, c.id, follow_up.id]
    store.set_current_leaf(conv.id, user.id)  # a leaf above the end: the rows below go
    assert [m.id for m in model.messages()] == [user.id]


def test_a_new_version_elsewhere_changes_only_the_counts(
    qtmodeltester: ModelTester, store: Store, branched: tuple[Conversation, list[Message]]
) -> None:
    conv, (user, _a, _b, c) = branched
    model = _following(qtmodeltester, store, conv.id)
    store.add_message(conv.id, user.id, Role.ASSISTANT, "Reply D", make_current=False)
    assert [m.id for m in model.messages()] == [user.id, c.id]
    assert model.index(1).data(MessageRole.SIBLING_POSITION) == (2, 4)


def test_a_stored_copy_mid_stream_does_not_take_the_text_back(
    qtmodeltester: ModelTester, store: Store
) -> None:
    conv = store.create_conversation("Streaming")
    user = store.add_message(conv.id, None, Role.USER, "Tell me")
    model = _following(qtmodeltester, store, conv.id)
    writer = store.begin_reply(conv.id, user.id, model="m")
    reply = store.get_message(writer.message_id)
    assert model.begin_stream(reply)
    assert model.is_live(reply.id)
    model.append_reasoning(reply.id, "Hmm. ")
    writer.append_reasoning("Hmm. ")
    model.append_text(reply.id, "Once upon")
    writer.append("Once")  # the store lags the stream (it commits every 200 ms)
    writer.flush()
    store.set_usage(reply.id, Usage(4, 2, 6))  # a change to the row while it streams
    row = model.index(1)
    assert row.data(MessageRole.CONTENT) == "Once upon"  # not "Once": no jump back
    assert row.data(MessageRole.REASONING) == "Hmm. "
    assert row.data(MessageRole.USAGE) == Usage(4, 2, 6)  # the rest of the stored copy
    model.append_text(reply.id, " a time")
    writer.append(" upon a time")
    writer.finish(MessageStatus.COMPLETE, "stop")
    assert not model.is_live(reply.id)  # final: the stored copy is the truth from here
    assert row.data(MessageRole.CONTENT) == "Once upon a time"
    assert row.data(MessageRole.STATUS) == "complete"
    model.append_text(reply.id, "late")  # a piece after the end changes nothing
    assert row.data(MessageRole.CONTENT) == "Once upon a time"


def test_streamed_reasoning_then_answer_make_parts_with_the_thinking_time(
    store: Store,
) -> None:
    conv = store.create_conversation("Parts")
    user = store.add_message(conv.id, None, Role.USER, "Why?")
    writer = store.begin_reply(conv.id, user.id)
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    model.begin_stream(store.get_message(writer.message_id))
    model.append_reasoning(writer.message_id, "First, ")
    model.append_reasoning(writer.message_id, "think.")
    assert model.message_at(1).parts == (ReasoningPart("First, think."),)
    model.append_text(writer.message_id, "Because.")
    reasoning, answer = model.message_at(1).parts
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text == "First, think."
    assert reasoning.seconds is not None
    assert 0 <= reasoning.seconds < 5
    assert answer == TextPart("Because.")
    writer.finish(MessageStatus.INTERRUPTED)


def test_changes_from_another_thread_arrive_on_the_models_thread(
    qtbot: QtBot, qtmodeltester: ModelTester, store: Store
) -> None:
    conv = store.create_conversation("Threads")
    user = store.add_message(conv.id, None, Role.USER, "Hi")
    model = _following(qtmodeltester, store, conv.id)
    seen: list[bool] = []
    model.rowsInserted.connect(
        lambda *_: seen.append(threading.current_thread() is threading.main_thread())
    )
    # As an import does: the store is written on a worker thread.
    worker = threading.Thread(
        target=lambda: store.add_message(conv.id, user.id, Role.ASSISTANT, "From a worker")
    )
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    assert seen == [True]
    assert model.index(1).data(MessageRole.CONTENT) == "From a worker"


def test_a_model_that_is_gone_stops_listening(store: Store) -> None:
    conv = store.create_conversation("Gone")
    model = MessageListModel(store)
    model.set_conversation(conv.id)
    shiboken = pytest.importorskip("shiboken6")
    shiboken.delete(model)
    store.add_message(conv.id, None, Role.USER, "Nobody listens")  # no call into a dead model
