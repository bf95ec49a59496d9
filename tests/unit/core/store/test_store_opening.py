"""The store opened in two steps for the app's first frame (StoreOpening): the first page of the
conversation list read with plain SQL agrees with the Store's own listing, and `finish` gives
the Store on the same database, doing what Store.open does after opening it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kibitz.core.errors import StoreError
from kibitz.core.store import Store, StoreOpening
from kibitz.core.types import MessageStatus, Role


def _fill(path: Path) -> None:
    """Conversations with different activity, a pinned one, an untitled one, one in the Trash
    and messages (one deleted) so the counts differ."""
    clock = iter(float(t) for t in range(1_000, 2_000))
    with Store.open(path, clock=lambda: next(clock)) as store:
        made = [store.create_conversation(f"chat {i}") for i in range(5)]
        store.create_conversation("")  # untitled
        first = store.add_message(made[1].id, None, Role.USER, "hello")
        store.add_message(made[1].id, first.id, Role.ASSISTANT, "hi")
        doomed = store.add_message(made[2].id, None, Role.USER, "gone soon")
        store.delete_message(doomed.id)
        store.set_pinned(made[3].id, True)
        store.delete([made[4].id])


def test_the_first_page_lists_what_the_store_lists(db_path: Path) -> None:
    _fill(db_path)
    opening = StoreOpening.open(db_path)
    try:
        page = opening.first_page()
        store = opening.finish()
        listed = store.list_conversations()
        assert page.ids == store.conversation_ids() == [c.id for c in listed]
        seen = [
            (r.id, r.title, r.pinned, r.updated_at, r.message_count, r.deleted_at)
            for r in page.rows
        ]
        expected = [
            (c.id, c.title, c.pinned, c.updated_at, c.message_count, c.deleted_at) for c in listed
        ]
        assert seen == expected
        assert seen[0][2] is True  # the pinned one first
        assert page.trash_count == store.trash_count() == 1
    finally:
        opening.close()


def test_the_first_page_holds_every_id_but_only_its_rows(db_path: Path) -> None:
    with Store.open(db_path) as store:
        for i in range(10):
            store.create_conversation(f"chat {i}")
    opening = StoreOpening.open(db_path)
    try:
        page = opening.first_page(size=4)
        assert len(page.ids) == 10
        assert [r.id for r in page.rows] == page.ids[:4]
        assert page.trash_count == 0
    finally:
        opening.close()


def test_finish_gives_one_store_on_the_same_database(db_path: Path) -> None:
    opening = StoreOpening.open(db_path)
    store = opening.finish()
    try:
        assert opening.finish() is store
        made = store.create_conversation("after the first frame")
        assert opening.first_page().ids == [made.id]
    finally:
        opening.close()
    with pytest.raises(StoreError, match="closed"):  # closed with the store
        store.conversation_ids()


def test_closing_before_finish_closes_the_database(db_path: Path) -> None:
    opening = StoreOpening.open(db_path)
    opening.first_page()
    opening.close()
    opening.close()  # twice is fine
    with Store.open(db_path) as store:  # the file was left whole
        assert store.conversation_ids() == []


_KILLED_WHILE_STREAMING = r"""
import os, sys
from kibitz.core.store import Store
from kibitz.core.types import Role
store = Store.open(sys.argv[1])
c = store.create_conversation("cut off")
q = store.add_message(c.id, None, Role.USER, "tell me")
w = store.begin_reply(c.id, q.id)
w.append("Once")
w.flush()
os._exit(0)  # killed: the reply stays `streaming`
"""


def test_finish_marks_what_a_dead_process_left_streaming(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_STREAMING, str(db_path)], check=True, timeout=60
    )
    opening = StoreOpening.open(db_path)
    try:
        opening.first_page()  # reading the first page changes nothing
        store = opening.finish()
        assert store.interrupted_on_open == 1
        (conversation,) = store.list_conversations()
        statuses = [m.status for m in store.all_messages(conversation.id)]
        assert statuses[-1] is MessageStatus.INTERRUPTED
    finally:
        opening.close()


def test_a_damaged_file_is_set_aside_and_said_so(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database" * 100)
    opening = StoreOpening.open(db_path)
    try:
        assert opening.recovered is not None
        assert opening.first_page().ids == []
    finally:
        opening.close()


def test_a_folder_in_its_place_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "kibitz.sqlite3"
    path.mkdir()
    with pytest.raises(StoreError):
        StoreOpening.open(path)
