"""Schema v1 -> v2 on a database made by Kibitz 0.1.0 (tests/fixtures/store): it opens,
migrates behind a backup, and reads back the same; a failed upgrade leaves it untouched."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kibitz.core.errors import StoreError
from kibitz.core.store import MIGRATIONS, Migration, Store
from kibitz.core.types import MessageStatus, Role, TextPart, Usage

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "store" / "v1-kibitz-0.1.0.sqlite"


@pytest.fixture
def v1_path(tmp_path: Path) -> Path:
    target = tmp_path / "data" / "kibitz.sqlite3"
    target.parent.mkdir()
    shutil.copy(FIXTURE, target)
    return target


def _v1_rows(path: Path) -> list[tuple[object, ...]]:
    """Every message as v1 stored it: (id, parent, role, content, status, model, usage...)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT id, conversation_id, parent_id, role, content, status, model, finish_reason,"
            " prompt_tokens, completion_tokens, total_tokens, error, choice_index, created_at"
            " FROM messages ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_a_v1_database_migrates_and_reads_back_the_same(v1_path: Path) -> None:
    before = _v1_rows(v1_path)
    progress: list[tuple[int, int, str]] = []
    assert Store.needs_upgrade(v1_path)

    with Store.open(v1_path, progress=lambda *step: progress.append(step)) as store:
        assert store.migration_backup is not None
        steps = len(MIGRATIONS) - 1  # every step after version 1
        assert progress == [(n, steps, MIGRATIONS[n].description) for n in range(1, steps + 1)]
        conversations = {c.title: c for c in store.list_conversations()}
        assert set(conversations) == {"Reverse a list in Python", "Cut off", "Pinned, n=2"}
        assert [c.title for c in store.list_conversations(deleted=True)] == ["Deleted one"]
        messages = [m for c in store.list_conversations() for m in store.all_messages(c.id)]
        messages += store.all_messages(store.list_conversations(deleted=True)[0].id)
        after = {m.id: m for m in messages}
        for row in before:
            (mid, cid, parent, role, content, status, model, reason, p, c, t, error, choice, at) = (
                row
            )
            m = after[mid]  # type: ignore[index]
            assert (m.conversation_id, m.parent_id, m.role.value) == (cid, parent, role)
            assert m.content == content
            assert m.parts == ((TextPart(str(content)),) if content else ())
            assert (m.model, m.finish_reason, m.choice_index) == (model, reason, choice)
            assert m.created_at == at
            expected_usage = None if p is None else Usage(int(p), int(c or 0), int(t or 0))  # type: ignore[call-overload]
            assert m.usage == expected_usage
            # The reply a crash left `streaming` is repaired on open, as in v1.
            if status == "streaming":
                assert m.status is MessageStatus.INTERRUPTED
                assert m.error is not None
                assert m.error.startswith("app_exit:")
            else:
                assert (m.status.value, m.error) == (status, error)
        reverse = conversations["Reverse a list in Python"]
        assert reverse.system_prompt == "Be brief."
        assert reverse.params.model == "gpt-4o"
        assert reverse.params.temperature == 0.3
        assert [m.role for m in store.branch(reverse.id)] == [
            Role.USER,
            Role.ASSISTANT,
            Role.USER,
            Role.ASSISTANT,
        ]
        assert conversations["Pinned, n=2"].pinned
        # The index came across: words of v1 text are found, with diacritics folded.
        assert [h.conversation_title for h in store.search("cafe naive")] == [reverse.title]
        assert len(store.search("reverse")) >= 1
        assert store.search("secret plans") == []  # in the trash
        store._db.conn.execute(
            "INSERT INTO message_text_fts (message_text_fts, rank) VALUES ('integrity-check', 1)"
        )
        # And it stays in step with new writes.
        reply = store.add_message(reverse.id, None, Role.USER, "brand new words")
        assert [h.message_id for h in store.search("brand new")] == [reply.id]
    assert not Store.needs_upgrade(v1_path)


def test_the_backup_is_the_untouched_v1_file(v1_path: Path) -> None:
    before = _v1_rows(v1_path)
    with Store.open(v1_path) as store:
        backup = store.migration_backup
    assert backup is not None
    assert backup.name.startswith("kibitz.sqlite3.bak-v1-")
    assert _v1_rows(backup) == before


def test_a_failed_upgrade_leaves_the_v1_file_untouched_and_says_so(v1_path: Path) -> None:
    before = _v1_rows(v1_path)

    def broken(conn: sqlite3.Connection) -> None:
        MIGRATIONS[1].apply(conn)  # the real step, then a failure inside the same transaction
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    steps = (MIGRATIONS[0], Migration(2, "broken", broken))
    with pytest.raises(StoreError) as info:
        Store.open(v1_path, migrations=steps)
    assert info.value.headline == "The conversation database could not be upgraded"
    assert "still at version 1" in info.value.hint
    assert "bak-v1-" in info.value.hint
    assert _v1_rows(v1_path) == before
    conn = sqlite3.connect(v1_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "message_parts" not in names
        assert "messages_fts" in names
    finally:
        conn.close()
    # The real upgrade still works afterwards.
    with Store.open(v1_path) as store:
        assert len(store.list_conversations()) == 3
