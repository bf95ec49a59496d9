"""Image and file bytes after a delete: kept through the undo window, gone with the last user.

Real SQLite files in tmp_path; what is left is read back from the file itself, after the
store is closed and opened again.
"""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from pathlib import Path

from PIL import Image
from store_helpers import FakeClock

from kibitz.core.store import Store, blob_digest
from kibitz.core.store.blobs import UNUSED_GRACE_S
from kibitz.core.types import ConversationId, FilePart, ImagePart, Role, TextPart

UNDO_WINDOW = 30 * 86400.0  # what a caller passes as purge_deleted(older_than=...)


def png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "PNG")
    return out.getvalue()


RED, BLUE, GREEN = png("red"), png("blue"), png("green")
PDF = b"%PDF-1.4\n" + b"report " * 100 + b"\n%%EOF\n"


def image(store: Store, data: bytes, name: str) -> ImagePart:
    return ImagePart(store.put_blob(data), name, "image/png", len(data), 32, 24)


def with_parts(store: Store, title: str, *parts: ImagePart | FilePart) -> ConversationId:
    conversation = store.create_conversation(title)
    question = store.add_message(conversation.id, None, Role.USER, [TextPart(title), *parts])
    store.add_message(conversation.id, question.id, Role.ASSISTANT, "Seen.")
    return conversation.id


def shown_bytes(store: Store, cid: ConversationId) -> bytes:
    """The bytes of the image the conversation's first message shows."""
    question = store.branch(cid)[0]
    part = question.parts[1]
    assert isinstance(part, ImagePart)
    return store.blob(part.blob)


def stored_digests(db_path: Path) -> set[str]:
    with closing(sqlite3.connect(db_path)) as conn:
        return {str(r[0]) for r in conn.execute("SELECT sha256 FROM blobs")}


def test_a_purge_takes_only_the_bytes_no_one_else_uses(
    store: Store, db_path: Path, clock: FakeClock
) -> None:
    shared = image(store, RED, "red.png")
    kept = with_parts(store, "kept", shared)
    gone = with_parts(
        store, "gone", shared, image(store, BLUE, "blue.png"), image(store, BLUE, "again.png"),
        FilePart(store.put_blob(PDF), "report.pdf", "application/pdf", len(PDF), "report"),
    )  # fmt: skip
    everything = {blob_digest(d) for d in (RED, BLUE, PDF)}
    store.delete([gone])
    clock.advance(UNDO_WINDOW / 2)
    assert store.purge_deleted(older_than=UNDO_WINDOW).conversation_ids == ()
    assert stored_digests(db_path) == everything, "within the undo window nothing goes"

    clock.advance(UNDO_WINDOW)
    assert store.purge_deleted(older_than=UNDO_WINDOW).conversation_ids == (gone,)
    store.close()
    assert stored_digests(db_path) == {blob_digest(RED)}, "the one the kept conversation shows"
    with Store.open(db_path) as reopened:
        assert shown_bytes(reopened, kept) == RED


def test_undoing_a_delete_keeps_the_bytes(store: Store, clock: FakeClock) -> None:
    cid = with_parts(store, "photo", image(store, GREEN, "green.png"))
    store.delete([cid])
    store.restore([cid])
    clock.advance(2 * UNDO_WINDOW)
    assert store.purge_deleted(older_than=UNDO_WINDOW).conversation_ids == ()
    assert shown_bytes(store, cid) == GREEN


def test_bytes_a_conversation_still_in_the_trash_uses_stay(
    store: Store, db_path: Path, clock: FakeClock
) -> None:
    shared = image(store, RED, "red.png")
    older = with_parts(store, "older", shared)
    store.delete([older])
    clock.advance(UNDO_WINDOW + 1)
    newer = with_parts(store, "newer", shared)
    store.delete([newer])
    assert store.purge_deleted(older_than=UNDO_WINDOW).conversation_ids == (older,)
    assert stored_digests(db_path) == {blob_digest(RED)}, "the newer one can still be restored"
    store.restore([newer])
    assert shown_bytes(store, newer) == RED


def test_the_same_bytes_can_come_back_after_a_purge(
    store: Store, db_path: Path, clock: FakeClock
) -> None:
    cid = with_parts(store, "first", image(store, BLUE, "blue.png"))
    store.delete([cid])
    clock.advance(UNUSED_GRACE_S + 1)
    store.purge_deleted()
    assert stored_digests(db_path) == set()
    again = with_parts(store, "second", image(store, BLUE, "blue again.png"))
    assert shown_bytes(store, again) == BLUE
    assert stored_digests(db_path) == {blob_digest(BLUE)}


def test_drop_unused_blobs_takes_bytes_no_part_names(
    store: Store, db_path: Path, clock: FakeClock
) -> None:
    with_parts(store, "used", image(store, RED, "red.png"))
    store.put_blob(GREEN)  # stored, never used by a message
    clock.advance(UNUSED_GRACE_S + 1)
    assert store.drop_unused_blobs() == 1
    assert store.drop_unused_blobs() == 0
    assert stored_digests(db_path) == {blob_digest(RED)}


def test_bytes_just_stored_for_a_message_not_yet_written_survive_a_clean_up(
    store: Store, db_path: Path, clock: FakeClock
) -> None:
    # A send stores the bytes first, then the message naming them: a purge in between
    # (another window, the CLI) must not take them.
    store.put_blob(GREEN)
    clock.advance(UNUSED_GRACE_S / 2)
    assert store.drop_unused_blobs() == 0
    clock.advance(UNUSED_GRACE_S / 2 + 1)
    store.put_blob(GREEN)  # stored again: its grace starts again
    assert store.drop_unused_blobs() == 0
    with_parts(store, "now used", image(store, GREEN, "green.png"))
    clock.advance(2 * UNUSED_GRACE_S)
    assert store.drop_unused_blobs() == 0
    assert stored_digests(db_path) == {blob_digest(GREEN)}
