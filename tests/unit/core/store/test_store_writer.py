"""Streaming replies: timed commits, finishing, no lock held between commits, crash repair."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from store_helpers import FakeClock

from kibitz.core.errors import StreamStalledError
from kibitz.core.store import FLUSH_INTERVAL_S, Store, read_error_record
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


def _on_disk(path: Path, message_id: MessageId) -> tuple[str, str]:
    """(content, status) as another connection sees them: only committed data."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT t.content, m.status FROM messages m JOIN message_text t ON t.id = m.id"
            " WHERE m.id = ?",
            (message_id,),
        ).fetchone()
    finally:
        conn.close()
    return row[0], row[1]


def _start(store: Store) -> tuple[Conversation, Message]:
    conv = store.create_conversation("chat")
    return conv, store.add_message(conv.id, None, Role.USER, "tell me a story")


def test_user_message_and_empty_reply_are_committed_before_any_text(store: Store) -> None:
    conv, user = _start(store)
    assert _on_disk(store.path, user.id) == ("tell me a story", "complete")
    writer = store.begin_reply(conv.id, user.id, model="gpt-4o")
    assert _on_disk(store.path, writer.message_id) == ("", "streaming")
    reply = store.get_message(writer.message_id)
    assert (reply.role, reply.parent_id, reply.model) == (Role.ASSISTANT, user.id, "gpt-4o")
    assert store.get_conversation(conv.id).current_leaf_id == writer.message_id


def test_append_commits_once_the_interval_has_passed(store: Store) -> None:
    conv, user = _start(store)
    mono = FakeClock(start=100.0)
    writer = store.begin_reply(conv.id, user.id, clock=mono)

    writer.append("Once ")
    mono.advance(0.05)
    writer.append("upon ")
    assert _on_disk(store.path, writer.message_id)[0] == ""
    assert writer.has_pending

    mono.advance(FLUSH_INTERVAL_S)
    writer.append("a time")
    assert _on_disk(store.path, writer.message_id)[0] == "Once upon a time"
    assert not writer.has_pending
    assert writer.commits == 1

    mono.advance(0.01)
    writer.append(", there")
    assert not writer.flush_if_due()
    mono.advance(FLUSH_INTERVAL_S)
    assert writer.flush_if_due()  # a timer can flush while the stream stalls
    assert _on_disk(store.path, writer.message_id)[0] == "Once upon a time, there"


def test_finish_saves_the_rest_with_status_usage_and_times(store: Store, clock: FakeClock) -> None:
    conv, user = _start(store)
    heard: list[Changes] = []
    store.add_listener(heard.append)
    writer = store.begin_reply(conv.id, user.id, clock=FakeClock())
    started = store.get_message(writer.message_id)
    writer.append("The end.")
    clock.advance(3)
    changes = writer.finish(MessageStatus.COMPLETE, "stop", Usage(5, 3, 8))

    assert changes == Changes(ChangeKind.MESSAGES, (conv.id,), (writer.message_id,))
    assert heard[-1] == changes
    reply = store.get_message(writer.message_id)
    assert (reply.content, reply.status, reply.finish_reason) == (
        "The end.",
        MessageStatus.COMPLETE,
        "stop",
    )
    assert reply.usage == Usage(5, 3, 8)
    assert reply.updated_at == started.updated_at + 3
    assert store.get_conversation(conv.id).updated_at == clock.now
    assert writer.finished
    with pytest.raises(RuntimeError):
        writer.append("more")
    with pytest.raises(RuntimeError):
        writer.finish(MessageStatus.COMPLETE)


def test_error_is_stored_as_its_summary_then_its_detail(store: Store) -> None:
    conv, user = _start(store)
    writer = store.begin_reply(conv.id, user.id)
    writer.append("partial")
    writer.finish(MessageStatus.INTERRUPTED, error=StreamStalledError("no bytes for 30 s"))
    reply = store.get_message(writer.message_id)
    assert reply.error == "stream_stalled: The server stopped sending\nno bytes for 30 s"
    assert read_error_record(reply.error) == (
        "stream_stalled",
        "The server stopped sending",
        "no bytes for 30 s",
    )
    assert (reply.status, reply.content) == (MessageStatus.INTERRUPTED, "partial")


def test_an_error_stored_without_its_detail_still_reads() -> None:
    # Rows written before the detail was kept hold "code: headline" only.
    assert read_error_record("auth: The server refused the API key") == (
        "auth",
        "The server refused the API key",
        "",
    )


def test_leaving_the_with_block_unfinished_keeps_the_text_as_interrupted(store: Store) -> None:
    conv, user = _start(store)

    def stream() -> MessageId:
        with store.begin_reply(conv.id, user.id, clock=FakeClock()) as writer:
            writer.append("half a sent")
            raise StreamStalledError()

    with pytest.raises(StreamStalledError):
        stream()
    reply = store.branch(conv.id)[-1]
    assert (reply.content, reply.status) == ("half a sent", MessageStatus.INTERRUPTED)
    assert reply.error is not None
    assert reply.error.startswith("stream_stalled")


def test_no_write_lock_is_held_between_commits(store: Store) -> None:
    conv, user = _start(store)
    writer = store.begin_reply(conv.id, user.id, clock=FakeClock())
    writer.append("buffered, not committed")
    assert writer.has_pending
    other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # would fail with "database is locked" otherwise
        other.execute("UPDATE conversations SET title = 'from elsewhere'")
        other.execute("COMMIT")
    finally:
        other.close()
    writer.finish(MessageStatus.COMPLETE, "stop")
    assert store.get_conversation(conv.id).title == "from elsewhere"
    assert store.get_message(writer.message_id).content == "buffered, not committed"


def test_reopen_marks_a_reply_left_streaming_as_interrupted(db_path: Path) -> None:
    s = Store.open(db_path)
    conv, user = _start(s)
    writer = s.begin_reply(conv.id, user.id, clock=FakeClock())
    writer.append("saved part")
    writer.flush()
    writer.append(" never saved")
    s._db.conn.close()  # the process dies: no finish, no close, no checkpoint
    s._users.close()  # type: ignore[union-attr]  # and its lock goes with it

    with Store.open(db_path) as again:
        assert again.interrupted_on_open == 1
        reply = again.get_message(writer.message_id)
        assert (reply.content, reply.status) == ("saved part", MessageStatus.INTERRUPTED)
        assert reply.error is not None
        assert reply.error.startswith("app_exit")
    with Store.open(db_path) as third:
        assert third.interrupted_on_open == 0


def test_threads_share_one_store(store: Store) -> None:
    conv, user = _start(store)
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                store.branch(conv.id)
                store.list_conversations()
                store.search("token")
        except BaseException as e:  # handed to the main thread's assertion
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        writer = store.begin_reply(conv.id, user.id, interval=0.0)
        for i in range(300):
            writer.append(f"token{i} ")
        writer.finish(MessageStatus.COMPLETE, "stop")
        with store.batch():
            for i in range(50):
                store.add_message(conv.id, writer.message_id, Role.USER, f"q{i}")
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert writer.commits == 300
    assert store.get_message(writer.message_id).content.split() == [f"token{i}" for i in range(300)]
    assert store.message_count(conv.id) == 52
