"""Schema creation, pragmas and user_version migrations (with the backup) on real files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kibitz.core.errors import StoreError
from kibitz.core.store import MIGRATIONS, Migration, Store
from kibitz.core.types import Role


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _add_note_column(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE messages ADD COLUMN note TEXT")


LATEST = MIGRATIONS[-1].version
NEXT = Migration(LATEST + 1, "messages.note", _add_note_column)


def test_fresh_database_has_the_schema_wal_and_foreign_keys(store: Store, db_path: Path) -> None:
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST == 5
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"conversations", "messages", "message_parts", "blobs", "message_text_fts"} <= names
    assert "messages_fts" not in names
    assert store.migration_backup is None  # nothing to back up in a new file
    assert list(db_path.parent.glob("*.bak-*")) == []


def test_reopening_does_not_migrate_again(db_path: Path) -> None:
    with Store.open(db_path) as s:
        conv = s.create_conversation("kept")
        s.add_message(conv.id, None, Role.USER, "hello")
    with Store.open(db_path) as s:
        assert s.migration_backup is None
        assert [c.title for c in s.list_conversations()] == ["kept"]
        assert s.message_count(conv.id) == 1
    assert _user_version(db_path) == LATEST
    assert list(db_path.parent.glob("*.bak-*")) == []


def test_close_checkpoints_the_wal(db_path: Path) -> None:
    s = Store.open(db_path)
    s.create_conversation("x")
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists()
    assert wal.stat().st_size > 0
    s.close()
    s.close()  # twice is harmless
    assert not wal.exists() or wal.stat().st_size == 0


def test_newer_schema_is_refused_and_left_untouched(db_path: Path) -> None:
    with Store.open(db_path) as s:
        s.create_conversation("from the future")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(StoreError) as info:
        Store.open(db_path)

    assert "newer Kibitz" in info.value.headline
    assert "99" in info.value.detail
    assert db_path.read_bytes() == before
    assert _user_version(db_path) == 99
    assert list(db_path.parent.glob("*.corrupt-*")) == []


def test_migration_backs_up_first_and_keeps_the_data(db_path: Path) -> None:
    with Store.open(db_path) as s:
        conv = s.create_conversation("before the next version")
        s.add_message(conv.id, None, Role.USER, "survives the migration")

    with Store.open(db_path, migrations=(*MIGRATIONS, NEXT)) as s:
        backup = s.migration_backup
        assert backup is not None
        assert backup.name.startswith(f"kibitz.sqlite3.bak-v{LATEST}-")
        assert [m.content for m in s.branch(conv.id)] == ["survives the migration"]
        assert [h.message_id for h in s.search("survives")] != []
        columns = {r[1] for r in s._db.conn.execute("PRAGMA table_info(messages)")}
        assert "note" in columns
    assert _user_version(db_path) == LATEST + 1

    old = sqlite3.connect(backup)
    try:
        assert old.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert old.execute("SELECT text FROM message_parts").fetchall() == [
            ("survives the migration",)
        ]
    finally:
        old.close()

    with Store.open(db_path, migrations=(*MIGRATIONS, NEXT)) as s:  # there: no new backup
        assert s.migration_backup is None
    assert len(list(db_path.parent.glob("*.bak-*"))) == 1


def test_failed_migration_rolls_back_to_the_last_good_version(db_path: Path) -> None:
    with Store.open(db_path) as s:
        s.create_conversation("safe")

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE messages ADD COLUMN half_done TEXT")
        conn.execute("ALTER TABLE no_such_table ADD COLUMN x TEXT")

    with pytest.raises(StoreError) as info:
        Store.open(db_path, migrations=(*MIGRATIONS, Migration(LATEST + 1, "broken", broken)))

    assert info.value.headline == "The conversation database could not be upgraded"
    assert f"still at version {LATEST}" in info.value.hint
    assert _user_version(db_path) == LATEST
    with Store.open(db_path) as s:
        columns = {r[1] for r in s._db.conn.execute("PRAGMA table_info(messages)")}
        assert "half_done" not in columns
        assert [c.title for c in s.list_conversations()] == ["safe"]
    assert len(list(db_path.parent.glob(f"*.bak-v{LATEST}-*"))) == 1


def test_store_imports_neither_qt_nor_openai() -> None:
    code = (
        "import sys, kibitz.core.store\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'openai')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
