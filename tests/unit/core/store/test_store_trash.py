"""The Trash: deleted conversations listed newest first, restored, deleted for good one by one
or all at once, and purged TRASH_KEPT_S after their delete, with everything that was theirs.

Real SQLite files in tmp_path; what is left is read back from the file after the store closes.
"""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from PIL import Image
from store_helpers import FakeClock

from kibitz.core.errors import NotFoundError
from kibitz.core.store import Store, blob_digest
from kibitz.core.store.blobs import UNUSED_GRACE_S
from kibitz.core.store.conversations import TRASH_KEPT_S
from kibitz.core.types import ChangeKind, Changes, ConversationId, ImagePart, Role, TextPart

DAY = 86400.0


def png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), color).save(out, "PNG")
    return out.getvalue()


def with_image(store: Store, title: str, color: str) -> ConversationId:
    conversation = store.create_conversation(title)
    data = png(color)
    part = ImagePart(store.put_blob(data), f"{color}.png", "image/png", len(data), 16, 12)
    question = store.add_message(conversation.id, None, Role.USER, (TextPart(title), part))
    store.add_message(conversation.id, question.id, Role.ASSISTANT, f"{title} answered")
    return conversation.id


def counts(db_path: Path) -> dict[str, int]:
    """Rows left in the file, table by table (the search index included)."""
    with closing(sqlite3.connect(db_path)) as conn:
        return {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("conversations", "messages", "message_parts", "blobs", "message_text")
        }


def searchable(db_path: Path, word: str) -> int:
    with closing(sqlite3.connect(db_path)) as conn:
        sql = "SELECT count(*) FROM message_text_fts WHERE message_text_fts MATCH ?"
        return int(conn.execute(sql, (word,)).fetchone()[0])


def test_the_trash_lists_the_most_recently_deleted_first_with_when(
    store: Store, clock: FakeClock
) -> None:
    first = store.create_conversation("first deleted")
    second = store.create_conversation("second deleted", pinned=True)
    live = store.create_conversation("live")
    assert store.trash_count() == 0
    store.delete([first.id])
    clock.advance(3 * DAY)
    store.delete([second.id])
    trash = store.list_conversations(deleted=True)
    assert [c.title for c in trash] == ["second deleted", "first deleted"]
    assert [c.deleted_at for c in trash] == [clock.now, clock.now - 3 * DAY]
    assert store.conversation_ids(deleted=True) == [second.id, first.id]
    assert store.trash_count() == 2
    assert store.conversation_ids() == [live.id]


def test_restoring_many_brings_back_only_what_was_in_the_trash(store: Store) -> None:
    a, b, c = (store.create_conversation(t).id for t in "abc")
    store.delete([a, b])
    assert store.restore([a, b, c, ConversationId(404)]) == Changes(ChangeKind.RESTORED, (a, b))
    assert set(store.conversation_ids()) == {a, b, c}
    assert store.trash_count() == 0


def test_delete_for_good_takes_only_trashed_ones_and_everything_theirs(
    store: Store, db_path: Path, clock: FakeClock
) -> None:
    gone = with_image(store, "holiday photos", "red")
    trashed = with_image(store, "tax return", "blue")
    live = with_image(store, "groceries", "green")
    store.delete([gone, trashed])
    clock.advance(UNUSED_GRACE_S + 1)  # bytes stored a moment ago wait for their message

    # A live conversation named by mistake is not touched: only the Trash goes for good.
    changes = store.delete_for_good([gone, live, gone])
    assert changes == Changes(ChangeKind.PURGED, (gone,))
    with pytest.raises(NotFoundError):
        store.get_conversation(gone)
    assert store.conversation_ids(deleted=True) == [trashed]
    assert store.conversation_ids() == [live]
    store.close()
    assert counts(db_path) == {
        "conversations": 2,
        "messages": 4,
        "message_parts": 6,
        "blobs": 2,
        "message_text": 4,
    }
    assert searchable(db_path, "holiday") == 0
    assert searchable(db_path, "groceries") == 2  # the question and its answer


def test_empty_trash_removes_every_deleted_conversation_from_the_file(
    store: Store, db_path: Path, clock: FakeClock
) -> None:
    ids = [with_image(store, f"old talk {n}", color) for n, color in enumerate(("red", "blue"))]
    live = with_image(store, "kept talk", "green")
    store.delete(ids)
    clock.advance(UNUSED_GRACE_S + 1)
    assert set(store.empty_trash().conversation_ids) == set(ids)
    assert store.trash_count() == 0
    assert store.empty_trash() == Changes(ChangeKind.PURGED, ())  # nothing left: no change
    store.close()
    assert counts(db_path)["conversations"] == 1
    assert counts(db_path)["blobs"] == 1
    assert searchable(db_path, "old") == 0
    with Store.open(db_path) as reopened:
        assert reopened.conversation_ids() == [live]
        assert reopened.has_blob(blob_digest(png("green")))


def test_the_purge_takes_what_has_been_in_the_trash_for_30_days(
    store: Store, clock: FakeClock
) -> None:
    old = store.create_conversation("a month ago")
    young = store.create_conversation("29 days ago")
    store.delete([old.id])
    clock.advance(DAY)
    store.delete([young.id])
    clock.advance(TRASH_KEPT_S - DAY)
    assert store.purge_deleted(older_than=TRASH_KEPT_S).conversation_ids == (old.id,)
    assert store.conversation_ids(deleted=True) == [young.id]
    clock.advance(DAY)
    assert store.purge_deleted(older_than=TRASH_KEPT_S).conversation_ids == (young.id,)
    assert store.trash_count() == 0


def test_listeners_hear_a_delete_for_good(store: Store) -> None:
    heard: list[Changes] = []
    store.add_listener(heard.append)
    conversation = store.create_conversation("x")
    store.delete([conversation.id])
    store.delete_for_good([conversation.id])
    assert [c.kind for c in heard] == [ChangeKind.CREATED, ChangeKind.DELETED, ChangeKind.PURGED]
    store.delete_for_good([conversation.id])  # gone already: nothing to hear
    assert len(heard) == 3
