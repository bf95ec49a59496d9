"""Opening the SQLite file (checks, recovery, migration) and the lock-guarded connection.

Opening checks the file with `PRAGMA quick_check`, which reads every page: ~1 ms per MB, so
a database grown with pasted images and PDFs would hold up every start by seconds. A caller
that can wait for the answer (the app, once its window shows) opens a file larger than
SYNC_CHECK_MAX_BYTES unchecked and runs `check_integrity` on a worker thread later. Damage
found then is written down beside the file (`<name>.damaged`), so that the next open checks
it at once and sets it aside, as a damaged file found at open always is.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kibitz.core.errors import DatabaseRecoveredError, StoreError
from kibitz.core.store.schema import MIGRATIONS, Migration, MigrationProgress, migrate

log = logging.getLogger(__name__)

_HEADER = b"SQLite format 3\x00"
# Primary result codes (the low byte of an extended code) that mean "the bytes are bad",
# as opposed to "we may not read them" (permissions, locks, a full disk), which we never
# answer by moving the file aside.
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_BUSY_TIMEOUT_S = 5.0
# Larger files are checked after opening when the caller asks for that (see the docstring):
# 2 MB (~2 ms) is what the app's first frame can spare; a year of chats is several times that.
SYNC_CHECK_MAX_BYTES = 2 * 1024 * 1024
DAMAGED_SUFFIX = ".damaged"


# What to do when SQLite refuses an operation, by its primary result code.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL = 5, 6, 8, 10, 13
_FAILURE_HINTS = {
    _SQLITE_BUSY: (
        "The conversation database is busy",
        "Another program (or another Kibitz on this data folder) is using it; close it and "
        "try again.",
    ),
    _SQLITE_LOCKED: (
        "The conversation database is busy",
        "Another program (or another Kibitz on this data folder) is using it; close it and "
        "try again.",
    ),
    _SQLITE_READONLY: (
        "The conversation database is read-only",
        "Make the data folder and the database file writable for your user, then try again.",
    ),
    _SQLITE_FULL: (
        "The disk is full",
        "Free some disk space, then try again; nothing stored so far was lost.",
    ),
    _SQLITE_IOERR: (
        "The conversation database could not be written",
        "Check that the disk is connected and not full, then try again.",
    ),
}


def _failure(e: sqlite3.Error) -> StoreError:
    """The StoreError for a failed operation: what went wrong and what to do, by SQLite's code."""
    code = getattr(e, "sqlite_errorcode", 0) & 0xFF
    headline, hint = _FAILURE_HINTS.get(code, (None, None))
    return StoreError(str(e), headline=headline, hint=hint)


class _CorruptDatabase(Exception):
    """Internal: the file is not a usable SQLite database (caught within this module)."""


def _store_error(path: Path, exc: BaseException) -> StoreError:
    return StoreError(
        f"{path}: {exc}",
        headline="The conversation database cannot be opened",
        hint="Check that the data folder and the database file are yours and writable, "
        "and that the disk is not full.",
    )


def _check_accessible(path: Path) -> None:
    """StoreError for what a fresh file would not fix; _CorruptDatabase for bad bytes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise _store_error(path, e) from e
    if path.is_dir():
        raise _store_error(path, IsADirectoryError("it is a folder, not a database file"))
    if not path.exists():
        return
    try:
        with path.open("rb") as f:
            header = f.read(len(_HEADER))
    except OSError as e:
        raise _store_error(path, e) from e
    if not os.access(path, os.W_OK):
        raise _store_error(path, PermissionError("the file is read-only"))
    if header and header != _HEADER[: len(header)]:
        raise _CorruptDatabase("the file is not a SQLite database")


def _connect(path: Path, *, check: bool = True) -> sqlite3.Connection:
    """Open, configure and check one connection; _CorruptDatabase if the bytes are bad.

    `check=False` skips the integrity check, for a second connection to a file already
    checked when it was opened."""
    try:
        conn = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as e:
        raise _store_error(path, e) from e
    try:
        # WAL lets readers go on while a reply is being written; NORMAL sync in WAL mode
        # loses nothing on a process crash (kill -9), only possibly on power loss.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        problems = _quick_check(conn) if check else ["ok"]
    except sqlite3.DatabaseError as e:
        conn.close()
        if (getattr(e, "sqlite_errorcode", 0) & 0xFF) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            raise _CorruptDatabase(str(e)) from e
        raise _store_error(path, e) from e
    if problems != ["ok"]:
        conn.close()
        raise _CorruptDatabase("integrity check failed: " + "; ".join(problems[:3]))
    if check:  # the check read every page: give back the cache it filled (~2 MB idle)
        conn.execute("PRAGMA shrink_memory")
    return conn


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's findings, ["ok"] for none."""
    return [row[0] for row in conn.execute("PRAGMA quick_check")]


def _size(path: Path) -> int:
    """The database's bytes, its write-ahead log's included (0 for a file not there yet)."""
    total = 0
    for each in (path, path.with_name(path.name + "-wal")):
        with suppress(OSError):
            total += each.stat().st_size
    return total


def damaged_marker(path: Path) -> Path:
    """Where a check after opening writes down that `path` is damaged."""
    return path.with_name(path.name + DAMAGED_SUFFIX)


def _move_aside(path: Path) -> Path:
    """Rename the database and its side files to `<name>.corrupt-<stamp>` (never delete)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.rename(target)
        # Same suffixes as SQLite's, so `sqlite3 <target> .recover` still finds the WAL.
        for suffix in ("-wal", "-shm", "-journal"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
    except OSError as e:
        raise _store_error(path, e) from e
    return target


class Database:
    """One connection shared by threads behind a lock, with explicit transactions.

    `isolation_level=None` leaves sqlite3 in autocommit mode, so nothing is ever held open
    implicitly: a write is `BEGIN IMMEDIATE` ... `COMMIT` inside `write()`, and nested
    `write()` blocks become savepoints of the outer transaction.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        recovered: DatabaseRecoveredError | None = None,
        backup: Path | None = None,
    ) -> None:
        self.path = path
        self.recovered = recovered
        self.check_pending = False  # opened without its integrity check (see open)
        self._damaged = False  # found so by check_integrity: close leaves the file alone
        self.backup = backup
        self._conn: sqlite3.Connection | None = conn
        self._companion = False  # a second connection: closing it leaves the WAL alone
        self._lock = threading.RLock()
        self._depth = 0
        self._pending: list[Callable[[], None]] = []

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        steps: tuple[Migration, ...] = MIGRATIONS,
        progress: MigrationProgress | None = None,
        *,
        check_later: bool = False,
    ) -> Database:
        """`check_later`: a file over SYNC_CHECK_MAX_BYTES (not known to be damaged) opens
        without its integrity check; `check_pending` says so, `check_integrity` runs it."""
        path = Path(path)
        recovered: DatabaseRecoveredError | None = None
        marker = damaged_marker(path)
        later = check_later and _size(path) > SYNC_CHECK_MAX_BYTES and not marker.exists()
        try:
            _check_accessible(path)
            conn = _connect(path, check=not later)
        except _CorruptDatabase as e:
            moved = _move_aside(path)
            log.error("database %s is damaged (%s); moved it to %s", path, e, moved)
            recovered = DatabaseRecoveredError(str(e), moved_to=moved)
            try:
                conn = _connect(path)
            except _CorruptDatabase as again:
                raise _store_error(path, again) from again
        try:
            backup = migrate(conn, path, steps, progress)
        except sqlite3.Error as e:
            conn.close()
            raise _store_error(path, e) from e
        except StoreError:
            conn.close()
            raise
        if not later:
            # Checked now (and set aside if it was damaged): what was found before is past.
            marker.unlink(missing_ok=True)
        db = cls(conn, path, recovered=recovered, backup=backup)
        db.check_pending = later
        return db

    def check_integrity(self) -> list[str]:
        """The check `open(check_later=True)` left for later, on a connection of its own (so
        the app's keeps working meanwhile): SQLite's findings, [] for none. Findings are
        written down beside the file: the next open checks it first and sets it aside.
        Blocking (~1 ms per MB): call it off the UI thread."""
        conn = _connect(self.path, check=False)
        try:
            problems = [p for p in _quick_check(conn) if p != "ok"]
        except sqlite3.DatabaseError as e:
            problems = [str(e)]
        finally:
            conn.close()
        self.check_pending = False
        if problems:
            self._damaged = True
            log.error("database %s is damaged: %s", self.path, "; ".join(problems[:3]))
            damaged_marker(self.path).write_text("\n".join(problems[:20]) + "\n", "utf-8")
        return problems

    def companion(self) -> Database:
        """A second connection to the same file, with its own lock.

        For long writes (an import) on a worker thread: under WAL the first connection keeps
        reading meanwhile, instead of waiting for the lock the whole time.
        """
        other = Database(_connect(self.path, check=False), self.path)
        other._companion = True
        return other

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the store was closed", headline="The conversation database is closed")
        return self._conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self.conn
            except sqlite3.Error as e:
                raise _failure(e) from e

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE), or a savepoint inside an outer one.

        Callbacks queued with after_commit() run once the outermost transaction has committed,
        outside the lock, and are dropped with a rolled-back savepoint or transaction.
        """
        with self._lock:
            conn = self.conn
            outer = self._depth == 0
            savepoint = f"s{self._depth}"
            mark = len(self._pending)
            try:
                conn.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT {savepoint}")
            except sqlite3.Error as e:
                raise _failure(e) from e
            self._depth += 1
            ok = False
            try:
                yield conn
                ok = True
            except sqlite3.Error as e:
                raise _failure(e) from e
            finally:
                self._depth -= 1
                if ok:
                    self._commit(conn, outer, savepoint)
                else:
                    del self._pending[mark:]
                    self._rollback(conn, outer, savepoint)
            callbacks: list[Callable[[], None]] = []
            if outer:
                callbacks, self._pending = self._pending, []
        for callback in callbacks:
            callback()

    def _commit(self, conn: sqlite3.Connection, outer: bool, savepoint: str) -> None:
        try:
            conn.execute("COMMIT" if outer else f"RELEASE {savepoint}")
        except sqlite3.Error as e:
            # A failed COMMIT (disk full, I/O error) can leave the transaction open.
            self._rollback(conn, outer, savepoint)
            if outer:
                self._pending.clear()
            raise _failure(e) from e

    def _rollback(self, conn: sqlite3.Connection, outer: bool, savepoint: str) -> None:
        try:
            if outer:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO {savepoint}")
                conn.execute(f"RELEASE {savepoint}")
        except sqlite3.Error as e:
            # Do not hide the error that caused the rollback.
            log.error("rollback failed on %s: %s", self.path, e)

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version` on this connection: it changes when another
        connection (`kibitz ask`, an import's companion) commits, never for this one's own."""
        with self.read() as conn:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the outermost transaction commits (now, if there is none)."""
        with self._lock:
            if self._depth > 0:
                self._pending.append(callback)
                return
        callback()

    def close(self) -> None:
        """Fold the WAL back into the main file and close; safe to call twice."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                # The first connection folds the WAL back at the end; not into a damaged file,
                # which the next open sets aside with its WAL as they are.
                if not self._companion and not self._damaged:
                    conn.execute("PRAGMA optimize")
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as e:
                log.warning("could not checkpoint %s on close: %s", self.path, e)
            finally:
                conn.close()
