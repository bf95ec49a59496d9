"""Real SQLite write failures on a store's own connection, for tests of what the user is told.

Tests may run as root, where chmod does not stop a write, so a read-only database is made with
`PRAGMA query_only` on the store's connection: SQLite then refuses every write with "attempt to
write a readonly database" (SQLITE_READONLY), as it does for a read-only file, and every read
still works. A locked database is a second connection holding a write transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from kibitz.core.store import Store

READ_ONLY = "attempt to write a readonly database"
LOCKED = "database is locked"
# What the user is told for each (the store's headline and hint, by SQLite's result code).
TOLD = {
    READ_ONLY: (
        "The conversation database is read-only",
        "Make the data folder and the database file writable for your user, then try again.",
    ),
    LOCKED: (
        "The conversation database is busy",
        "Another program (or another Kibitz on this data folder) is using it; close it and "
        "try again.",
    ),
}


@contextmanager
def read_only(store: Store) -> Iterator[None]:
    """The store refuses every write until the block ends."""
    conn = store._db.conn
    conn.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        conn.execute("PRAGMA query_only = OFF")


@contextmanager
def locked(store: Store) -> Iterator[None]:
    """Another program holds a write transaction; the store gives up after 0.1 s, not 5 s."""
    conn = store._db.conn
    conn.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(store.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.close()  # rolls its transaction back
        conn.execute("PRAGMA busy_timeout = 5000")
