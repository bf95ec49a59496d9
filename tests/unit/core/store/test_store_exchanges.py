"""The requests behind each reply in the store: schema v5 (from v4), kept in order, shortened
when huge, gone with their reply, and the trimming notes of a conversation in one query."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kibitz.core.chat.exchange import RequestNote
from kibitz.core.store import MIGRATIONS, Store
from kibitz.core.store.exchanges import MAX_KEPT_BODY_CHARS
from kibitz.core.types import Role


def _record(body: str, dropped: int = 0) -> dict[str, object]:
    note = {"dropped_messages": dropped, "window_tokens": 400, "estimated_prompt_tokens": 300}
    return {"method": "POST", "url": "http://x/v1/chat/completions", "body": body, "note": note}


def test_a_v4_database_gains_the_table_and_keeps_its_messages(db_path: Path) -> None:
    v4 = tuple(m for m in MIGRATIONS if m.version <= 4)
    with Store.open(db_path, migrations=v4) as old:
        conv = old.create_conversation("old")
        old.add_message(conv.id, None, Role.USER, "kept")
    with Store.open(db_path) as store:
        [message] = store.all_messages(conv.id)
        assert message.content == "kept"
        store.add_exchange(message.id, _record("{}"))
        assert [e.seq for e in store.exchanges(message.id)] == [0]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 5


def test_requests_keep_their_order_and_go_with_their_reply(store: Store) -> None:
    conv = store.create_conversation("c")
    question = store.add_message(conv.id, None, Role.USER, "q")
    reply = store.add_message(conv.id, question.id, Role.ASSISTANT, "a")
    for body in ("first", "second", "third"):
        store.add_exchange(reply.id, _record(body))

    assert [e.record["body"] for e in store.exchanges(reply.id)] == ["first", "second", "third"]
    assert [e.seq for e in store.exchanges(reply.id)] == [0, 1, 2]
    store.delete([conv.id])
    store.delete_for_good([conv.id])
    assert store.exchanges(reply.id) == []


def test_a_huge_body_is_kept_shortened_and_says_so(store: Store) -> None:
    conv = store.create_conversation("c")
    reply = store.add_message(conv.id, None, Role.ASSISTANT, "a")
    store.add_exchange(reply.id, _record("x" * (MAX_KEPT_BODY_CHARS + 10)))
    [kept] = store.exchanges(reply.id)
    assert kept.body_cut
    assert len(kept.record["body"]) == MAX_KEPT_BODY_CHARS


def test_trimming_notes_name_the_replies_whose_last_request_left_messages_out(
    store: Store,
) -> None:
    conv = store.create_conversation("c")
    other = store.create_conversation("other")
    q = store.add_message(conv.id, None, Role.USER, "q")
    trimmed = store.add_message(conv.id, q.id, Role.ASSISTANT, "a")
    whole = store.add_message(conv.id, q.id, Role.ASSISTANT, "b")
    retried = store.add_message(conv.id, q.id, Role.ASSISTANT, "c")
    elsewhere = store.add_message(other.id, None, Role.ASSISTANT, "d")
    store.add_exchange(trimmed.id, _record("{}", dropped=3))
    store.add_exchange(whole.id, _record("{}"))
    store.add_exchange(retried.id, _record("{}", dropped=2))
    store.add_exchange(retried.id, _record("{}"))  # the last request of it fitted
    store.add_exchange(elsewhere.id, _record("{}", dropped=1))

    notes = store.trimming_notes(conv.id)

    assert notes == {trimmed.id: RequestNote(3, 400, 300)}
    assert notes[trimmed.id].trimming_line() == "3 oldest messages left out to fit 400 tokens"
