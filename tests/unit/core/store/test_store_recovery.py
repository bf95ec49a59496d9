"""Damaged or unreadable database files: set aside and replaced, or refused with a clear error."""

from __future__ import annotations

import os
import random
import re
import sqlite3
from pathlib import Path

import pytest

from kibitz.core.errors import DatabaseRecoveredError, StoreError
from kibitz.core.store import Store, database
from kibitz.core.types import Role

_STAMP = re.compile(r"^kibitz\.sqlite3\.corrupt-\d{8}-\d{6}(-\d+)?$")


def _fill(path: Path, conversations: int = 40) -> None:
    rng = random.Random(7)
    with Store.open(path) as s:
        for i in range(conversations):
            conv = s.create_conversation(f"conversation {i}")
            parent = None
            for _ in range(10):
                text = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(300))
                parent = s.add_message(conv.id, parent, Role.USER, text).id


def _assert_recovered(s: Store, path: Path, original: bytes) -> Path:
    err = s.recovered
    assert isinstance(err, DatabaseRecoveredError)
    moved = err.moved_to
    assert moved.parent == path.parent
    assert _STAMP.match(moved.name), moved.name
    assert moved.read_bytes() == original  # set aside byte for byte, nothing dropped
    assert str(moved) in err.hint
    # The fresh database works.
    conv = s.create_conversation("after recovery")
    assert [c.id for c in s.list_conversations()] == [conv.id]
    return moved


def test_garbage_file_is_moved_aside_with_its_side_files(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = random.Random(1).randbytes(50_000)
    db_path.write_bytes(garbage)
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"not a wal either")

    with Store.open(db_path) as s:
        moved = _assert_recovered(s, db_path, garbage)

    assert moved.with_name(moved.name + "-wal").read_bytes() == b"not a wal either"
    assert db_path.exists()


def test_truncated_database_is_moved_aside(db_path: Path) -> None:
    _fill(db_path)
    whole = db_path.read_bytes()
    assert len(whole) > 200_000
    truncated = whole[: len(whole) // 2]
    db_path.write_bytes(truncated)

    with Store.open(db_path) as s:
        _assert_recovered(s, db_path, truncated)


def test_database_failing_quick_check_is_moved_aside(db_path: Path) -> None:
    _fill(db_path)
    data = bytearray(db_path.read_bytes())
    page_size = 4096
    # Scribble over a b-tree page in the middle of the file, keeping the header intact.
    middle = (len(data) // page_size // 2) * page_size
    data[middle : middle + page_size] = random.Random(3).randbytes(page_size)
    db_path.write_bytes(bytes(data))

    with Store.open(db_path) as s:
        _assert_recovered(s, db_path, bytes(data))


def test_database_with_quick_check_findings_is_moved_aside(db_path: Path) -> None:
    _fill(db_path, conversations=1)  # its provider is NULL
    conn = sqlite3.connect(db_path, isolation_level=None)
    # Declare the column NOT NULL behind SQLite's back: quick_check then reports the row
    # (a finding in its result rows, not an exception).
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, 'provider        TEXT',"
        " 'provider        TEXT NOT NULL') WHERE name = 'conversations'"
    )
    conn.close()
    original = db_path.read_bytes()

    with Store.open(db_path) as s:
        _assert_recovered(s, db_path, original)
        assert s.recovered is not None
        assert "NULL value in conversations.provider" in s.recovered.detail


def test_healthy_and_empty_files_are_not_moved(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"")  # an empty file is a valid empty database
    with Store.open(db_path) as s:
        assert s.recovered is None
    _fill(db_path, conversations=2)
    with Store.open(db_path) as s:
        assert s.recovered is None
        assert len(s.conversation_ids()) == 2
    assert list(db_path.parent.glob("*.corrupt-*")) == []


def test_a_folder_in_the_way_is_an_error_not_a_recovery(db_path: Path) -> None:
    db_path.mkdir(parents=True)
    with pytest.raises(StoreError) as info:
        Store.open(db_path)
    assert info.value.headline == "The conversation database cannot be opened"
    assert "folder" in info.value.detail
    assert db_path.is_dir()
    assert list(db_path.parent.glob("*.corrupt-*")) == []


def test_unusable_data_folder_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreError) as info:
        Store.open(blocker / "kibitz.sqlite3")
    assert "cannot be opened" in info.value.headline
    assert blocker.read_text() == "a file where the data folder should be"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
def test_read_only_file_is_an_error_not_a_recovery(db_path: Path) -> None:
    _fill(db_path, conversations=1)
    db_path.chmod(0o400)
    try:
        with pytest.raises(StoreError) as info:
            Store.open(db_path)
        assert "read-only" in info.value.detail
    finally:
        db_path.chmod(0o600)
    assert list(db_path.parent.glob("*.corrupt-*")) == []


def test_locked_database_is_an_error_not_a_recovery(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(db_path, conversations=1)
    monkeypatch.setattr(database, "_BUSY_TIMEOUT_S", 0.1)  # fail fast instead of after 5 s
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        # An exclusive lock in rollback-journal mode keeps everyone else out.
        other.execute("PRAGMA journal_mode = DELETE")
        other.execute("PRAGMA locking_mode = EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError) as info:
            Store.open(db_path)
        assert "locked" in info.value.detail
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert list(db_path.parent.glob("*.corrupt-*")) == []


def _scribble_middle_page(path: Path) -> bytes:
    data = bytearray(path.read_bytes())
    page_size = 4096
    middle = (len(data) // page_size // 2) * page_size
    data[middle : middle + page_size] = random.Random(3).randbytes(page_size)
    path.write_bytes(bytes(data))
    return bytes(data)


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test file counts as large: its check may wait until after the open."""
    monkeypatch.setattr(database, "SYNC_CHECK_MAX_BYTES", 10_000)


@pytest.mark.usefixtures("small_threshold")
def test_a_large_damaged_database_is_found_after_opening_and_set_aside_next_time(
    db_path: Path,
) -> None:
    _fill(db_path)
    damaged = _scribble_middle_page(db_path)
    marker = database.damaged_marker(db_path)

    with Store.open(db_path, check_later=True) as s:
        assert s.recovered is None  # opened as it is: the window shows without waiting
        assert s.check_pending
        problems = s.check_integrity()
        assert problems
        assert not s.check_pending
        assert marker.exists()
        assert problems[0] in marker.read_text("utf-8")

    # Closed without folding its WAL back: the damaged file is left as it was.
    assert db_path.read_bytes() == damaged
    # The next start checks it first, as any damaged file found at open.
    with Store.open(db_path, check_later=True) as s:
        assert not s.check_pending
        _assert_recovered(s, db_path, damaged)
    assert not marker.exists()


@pytest.mark.usefixtures("small_threshold")
def test_a_large_healthy_database_checks_clean_after_opening(db_path: Path) -> None:
    _fill(db_path)
    with Store.open(db_path, check_later=True) as s:
        assert s.check_pending
        assert s.check_integrity() == []
        assert len(s.conversation_ids()) == 40
    assert not database.damaged_marker(db_path).exists()


def test_a_small_database_is_checked_at_open_even_when_it_could_wait(db_path: Path) -> None:
    _fill(db_path)
    assert db_path.stat().st_size < database.SYNC_CHECK_MAX_BYTES
    damaged = _scribble_middle_page(db_path)

    with Store.open(db_path, check_later=True) as s:
        assert not s.check_pending
        _assert_recovered(s, db_path, damaged)


def test_an_open_that_checks_at_once_clears_an_old_finding(db_path: Path) -> None:
    _fill(db_path, conversations=2)
    marker = database.damaged_marker(db_path)
    marker.write_text("a finding since repaired\n", "utf-8")
    with Store.open(db_path) as s:  # as `kibitz ask` opens it: checked now
        assert s.recovered is None
        assert not s.check_pending
    assert not marker.exists()
