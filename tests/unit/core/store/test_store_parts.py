"""Messages made of parts: every part type stored and read back, blobs stored once, the text
index covering only text parts, and replies streaming reasoning then the answer."""

from __future__ import annotations

import sqlite3

import pytest
from store_helpers import FakeClock

from kibitz.core.errors import NotFoundError
from kibitz.core.store import Store, blob_digest
from kibitz.core.store.blobs import UNUSED_GRACE_S
from kibitz.core.types import (
    ChangeKind,
    Changes,
    FilePart,
    ImagePart,
    MessageStatus,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
    Usage,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4 pretend document"


def _fts_is_consistent(store: Store) -> None:
    # Raises (SQLITE_CORRUPT_VTAB) when the index and the text parts disagree.
    store._db.conn.execute(
        "INSERT INTO message_text_fts (message_text_fts, rank) VALUES ('integrity-check', 1)"
    )


def _all_parts(store: Store) -> tuple[object, ...]:
    image = store.put_blob(PNG)
    doc = store.put_blob(PDF)
    return (
        ReasoningPart("I should look it up first.", seconds=2.5),
        TextPart("Let me check the weather."),
        ImagePart(image, "pasted-image-1.png", "image/png", len(PNG), 640, 480),
        FilePart(doc, "notes.pdf", "application/pdf", len(PDF), text="extracted words"),
        FilePart(doc, "again.pdf", "application/pdf", len(PDF)),
        ToolCallPart("call_1", "weather__get", '{"city": "Paris"}', "weather", "get"),
        ToolResultPart("call_1", "18 °C, sunny"),
        ToolResultPart("call_2", "the user said no", status=ToolStatus.DENIED),
        ToolResultPart("call_3", "boom", is_error=True, status=ToolStatus.ERROR),
        TextPart("It is sunny in Paris."),
    )


def test_every_part_type_round_trips(store: Store) -> None:
    conv = store.create_conversation("parts")
    parts = _all_parts(store)
    added = store.add_message(conv.id, None, Role.ASSISTANT, parts)  # type: ignore[arg-type]
    read = store.get_message(added.id)
    assert read.parts == parts == added.parts
    assert read.content == "Let me check the weather.\n\nIt is sunny in Paris."
    assert read.reasoning == "I should look it up first."
    assert store.branch(conv.id)[0].parts == parts
    assert store.all_messages(conv.id)[0].parts == parts


def test_blobs_are_stored_once_by_their_digest(store: Store) -> None:
    first = store.put_blob(PNG)
    again = store.put_blob(PNG)
    assert first == again == blob_digest(PNG)
    assert store.blob(first) == PNG
    count = store._db.conn.execute("SELECT count(*) FROM blobs").fetchone()[0]
    assert count == 1
    with pytest.raises(NotFoundError):
        store.blob("0" * 64)


def test_a_part_cannot_name_a_blob_that_is_not_stored(store: Store) -> None:
    conv = store.create_conversation("missing blob")
    with pytest.raises(Exception, match="FOREIGN KEY"):
        store.add_message(conv.id, None, Role.USER, (ImagePart("f" * 64, "x.png", "image/png", 1),))
    assert store.message_count(conv.id) == 0


def test_the_index_holds_text_parts_only(store: Store) -> None:
    conv = store.create_conversation("search")
    store.add_message(conv.id, None, Role.ASSISTANT, _all_parts(store))  # type: ignore[arg-type]
    (hit,) = store.search("sunny Paris")
    assert hit.snippet.endswith("It is [sunny] in [Paris].")
    for hidden in ("look it up", "extracted words", "pasted", "weather__get", "boom"):
        assert store.search(hidden) == [], hidden
    _fts_is_consistent(store)


def test_purge_keeps_the_index_whole_and_drops_unused_blobs(store: Store, clock: FakeClock) -> None:
    kept = store.create_conversation("kept")
    gone = store.create_conversation("gone")
    shared = store.put_blob(PNG)
    only_gone = store.put_blob(PDF)
    image = ImagePart(shared, "a.png", "image/png", len(PNG))
    store.add_message(kept.id, None, Role.USER, (TextPart("keep me"), image))
    store.add_message(
        gone.id,
        None,
        Role.USER,
        (TextPart("purge me"), image, FilePart(only_gone, "b.pdf", "application/pdf", 3)),
    )
    store.delete([gone.id])
    clock.advance(UNUSED_GRACE_S + 1)  # past the grace of bytes just stored
    store.purge_deleted()
    _fts_is_consistent(store)
    assert store.search("purge") == []
    assert [h.conversation_id for h in store.search("keep")] == [kept.id]
    assert store.has_blob(shared)
    assert not store.has_blob(only_gone)
    rows = store._db.conn.execute("SELECT count(*) FROM message_parts").fetchone()[0]
    assert rows == 2


def test_a_reply_streams_reasoning_then_the_answer_into_two_parts(
    store: Store, clock: FakeClock
) -> None:
    conv = store.create_conversation("thinking")
    question = store.add_message(conv.id, None, Role.USER, "Why is the sky blue?")
    ticks = iter(float(t) for t in range(100))
    writer = store.begin_reply(conv.id, question.id, clock=lambda: next(ticks), interval=0.0)
    writer.append_reasoning("Rayleigh ")
    writer.append_reasoning("scattering.")
    writer.append("Shorter wavelengths ")
    writer.append("scatter more.")
    writer.finish(MessageStatus.COMPLETE, "stop", usage=Usage(10, 50, 60, reasoning_tokens=30))
    reply = store.get_message(writer.message_id)
    assert reply.content == "Shorter wavelengths scatter more."
    assert reply.reasoning == "Rayleigh scattering."
    assert [type(p) for p in reply.parts] == [ReasoningPart, TextPart]
    thought = reply.parts[0]
    assert isinstance(thought, ReasoningPart)
    assert thought.seconds is not None
    assert thought.seconds > 0  # from the first reasoning to the first answer text
    assert reply.usage == Usage(10, 50, 60, 30)
    assert [h.message_id for h in store.search("wavelengths")] == [reply.id]
    assert store.search("Rayleigh") == []
    _fts_is_consistent(store)


def test_a_continued_reply_joins_its_last_text_part(store: Store) -> None:
    conv = store.create_conversation("continue")
    question = store.add_message(conv.id, None, Role.USER, "A poem")
    writer = store.begin_reply(conv.id, question.id)
    writer.append_reasoning("rhyme")
    writer.append("Roses are red,\nviolets")
    writer.finish(MessageStatus.LENGTH, "length")

    again = store.resume_reply(writer.message_id)
    assert store.get_message(writer.message_id).status is MessageStatus.STREAMING
    again.append(" are blue.")
    again.finish(MessageStatus.COMPLETE, "stop")
    reply = store.get_message(writer.message_id)
    assert reply.parts == (ReasoningPart("rhyme", reply.parts[0].seconds), TextPart(
        "Roses are red,\nviolets are blue."
    ))  # fmt: skip
    assert reply.status is MessageStatus.COMPLETE
    assert store.branch(conv.id)[-1].id == reply.id  # no extra turn
    assert [h.message_id for h in store.search("violets blue")] == [reply.id]
    _fts_is_consistent(store)


def test_tool_parts_are_committed_between_streamed_text(store: Store) -> None:
    conv = store.create_conversation("tools")
    question = store.add_message(conv.id, None, Role.USER, "Weather?")
    writer = store.begin_reply(conv.id, question.id)
    writer.append("Checking.")
    writer.add_part(ToolCallPart("c1", "get", "{}"))
    writer.add_part(ToolResultPart("c1", "sunny"))
    writer.append("Sunny.")
    writer.finish(MessageStatus.COMPLETE, "stop")
    reply = store.get_message(writer.message_id)
    assert reply.parts == (
        TextPart("Checking."),
        ToolCallPart("c1", "get", "{}"),
        ToolResultPart("c1", "sunny"),
        TextPart("Sunny."),
    )
    assert reply.content == "Checking.\n\nSunny."
    _fts_is_consistent(store)


def test_an_unknown_part_type_from_elsewhere_is_skipped(store: Store) -> None:
    conv = store.create_conversation("future")
    message = store.add_message(conv.id, None, Role.USER, "hello")
    store._db.conn.execute(
        "INSERT INTO message_parts (message_id, seq, type, text) VALUES (?, 1, 'hologram', 'x')",
        (message.id,),
    )
    assert store.get_message(message.id).parts == (TextPart("hello"),)


def test_the_view_joins_text_parts_as_message_content_does(store: Store) -> None:
    conv = store.create_conversation("join")
    message = store.add_message(
        conv.id, None, Role.ASSISTANT, (TextPart("one"), ReasoningPart("r"), TextPart("two"))
    )
    conn: sqlite3.Connection = store._db.conn
    (text,) = conn.execute(
        "SELECT content FROM message_text WHERE id = ?", (message.id,)
    ).fetchone()
    assert text == store.get_message(message.id).content == "one\n\ntwo"


def test_the_answer_so_far_becomes_reasoning_in_one_step(store: Store) -> None:
    # The chat template opened <think>: the model's reasoning streamed as the answer until
    # its </think>. Committed and pending text alike become one timed reasoning part.
    conv = store.create_conversation("unopened")
    question = store.add_message(conv.id, None, Role.USER, "Why is the sky blue?")
    mono = FakeClock(start=50.0)
    writer = store.begin_reply(conv.id, question.id, clock=mono, interval=0.2)
    writer.append("Rayleigh ")
    mono.advance(0.3)
    writer.append("scattering")  # committed with the first piece
    writer.append(".\n")  # still pending
    assert writer.has_pending
    heard: list[Changes] = []
    store.add_listener(heard.append)
    changes = writer.answer_was_reasoning()
    assert changes == Changes(ChangeKind.MESSAGES, (conv.id,), (writer.message_id,))
    assert heard == [changes]
    assert store.get_message(writer.message_id).parts == (
        ReasoningPart("Rayleigh scattering.", 0.3),
    )
    assert store.search("Rayleigh") == []  # reasoning is not searched
    writer.append("Shorter wavelengths scatter more.")
    writer.finish(MessageStatus.COMPLETE, "stop")
    reply = store.get_message(writer.message_id)
    assert reply.parts == (
        ReasoningPart("Rayleigh scattering.", 0.3),
        TextPart("Shorter wavelengths scatter more."),
    )
    assert [h.message_id for h in store.search("wavelengths")] == [reply.id]
    _fts_is_consistent(store)


def test_only_the_answer_since_the_last_tool_call_becomes_reasoning(store: Store) -> None:
    conv = store.create_conversation("tools")
    question = store.add_message(conv.id, None, Role.USER, "Weather?")
    writer = store.begin_reply(conv.id, question.id, clock=FakeClock())
    writer.append("Checking.")
    writer.add_part(ToolCallPart("c1", "get", "{}"))
    writer.add_part(ToolResultPart("c1", "sunny"))
    writer.append("It says sunny.")
    writer.answer_was_reasoning()
    writer.answer_was_reasoning()  # nothing more to move: no change to the parts
    writer.append("Sunny.")
    writer.finish(MessageStatus.COMPLETE, "stop")
    parts = store.get_message(writer.message_id).parts
    assert [type(p) for p in parts] == [
        TextPart,
        ToolCallPart,
        ToolResultPart,
        ReasoningPart,
        TextPart,
    ]
    assert parts[3] == ReasoningPart("It says sunny.", 0.0)
    assert parts[4] == TextPart("Sunny.")
    _fts_is_consistent(store)


def test_whitespace_alone_before_the_tag_leaves_no_part(store: Store) -> None:
    conv = store.create_conversation("blank")
    question = store.add_message(conv.id, None, Role.USER, "Hi")
    writer = store.begin_reply(conv.id, question.id)
    writer.append("\n\n")
    writer.answer_was_reasoning()
    writer.append("Hello!")
    writer.finish(MessageStatus.COMPLETE, "stop")
    assert store.get_message(writer.message_id).parts == (TextPart("Hello!"),)
    _fts_is_consistent(store)
    with pytest.raises(RuntimeError):
        writer.answer_was_reasoning()
