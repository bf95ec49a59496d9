"""The Store: one open conversation database and every operation on it."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from kibitz.core.errors import DatabaseRecoveredError
from kibitz.core.store.blobs import BlobsMixin
from kibitz.core.store.conversations import ConversationsMixin
from kibitz.core.store.database import Database
from kibitz.core.store.exchanges import ExchangesMixin
from kibitz.core.store.imports import ImportMixin
from kibitz.core.store.ledger import LedgerMixin
from kibitz.core.store.openers import OpenersLock
from kibitz.core.store.schema import MIGRATIONS, Migration, MigrationProgress, needs_upgrade
from kibitz.core.store.search import SearchMixin
from kibitz.core.store.writer import ReplyMixin, interrupt_stale_replies
from kibitz.core.types import Changes

log = logging.getLogger(__name__)


class Store(
    ConversationsMixin,
    ReplyMixin,
    SearchMixin,
    ImportMixin,
    BlobsMixin,
    ExchangesMixin,
    LedgerMixin,
):
    """Conversations, their message trees, streamed replies and search, in one SQLite file.

    Synchronous and thread-safe: one connection behind a lock, so the UI's worker thread and
    the CLI's main thread may both use it. Every mutation commits before it returns (unless
    inside `batch()`) and returns, or tells the listeners, a `Changes` value.
    """

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(db, clock=clock)
        self.interrupted_on_open = 0
        self._users: OpenersLock | None = None  # held from open() to close()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        migrations: tuple[Migration, ...] = MIGRATIONS,
        progress: MigrationProgress | None = None,
        check_later: bool = False,
    ) -> Store:
        """Open (creating, migrating or, if damaged, replacing) the database at `path`.

        A damaged file is moved aside and `recovered` says where; a file that cannot be
        opened for another reason (permissions, a folder, a newer schema, a failed upgrade)
        raises StoreError. `progress` hears of each upgrade step of an older database: an
        upgrade can take seconds, so a window should open the store off its UI thread then
        (`needs_upgrade` tells beforehand). `check_later`: a large file's integrity check is
        left for `check_integrity` (see kibitz.core.store.database).
        """
        db = Database.open(Path(path), migrations, progress, check_later=check_later)
        return cls.on_database(db, clock=clock)

    @classmethod
    def on_database(cls, db: Database, *, clock: Callable[[], float] = time.time) -> Store:
        """The Store on a database just opened (Database.open; StoreOpening.finish), which it
        then owns: it takes its place among the file's users and, if it is the only one, marks
        the replies a crash left streaming as interrupted."""
        store = cls(db, clock=clock)
        try:
            store._users = users = OpenersLock.take(db.path)
            # Only the file's only user may take `streaming` replies for a crash's leftovers:
            # another process (the app, `kibitz ask`) may be writing them now.
            if users.alone:
                store.interrupted_on_open = interrupt_stale_replies(db, clock())
            users.share()
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def needs_upgrade(
        path: str | os.PathLike[str], migrations: tuple[Migration, ...] = MIGRATIONS
    ) -> bool:
        """True when opening `path` would upgrade an existing database (read-only peek)."""
        return needs_upgrade(Path(path), migrations)

    def companion(self) -> Store:
        """The same store on a second connection, for a long write on a worker thread (an
        import): this one keeps serving reads meanwhile. Its changes reach this store's
        listeners. Close it when done."""
        other = Store(self._db.companion(), clock=self._clock)
        other._listeners = self._listeners  # shared: the UI hears what the import added
        return other

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def recovered(self) -> DatabaseRecoveredError | None:
        """Set when the old database was damaged and set aside: tell the user."""
        return self._db.recovered

    @property
    def check_pending(self) -> bool:
        """Opened with `check_later` and not checked yet: run `check_integrity`."""
        return self._db.check_pending

    def check_integrity(self) -> list[str]:
        """The integrity check left for later: SQLite's findings, [] for none (the next open
        then sets the file aside). Blocking, on a connection of its own: use a worker."""
        return self._db.check_integrity()

    @property
    def migration_backup(self) -> Path | None:
        """The copy taken before this open migrated an existing database, if it did."""
        return self._db.backup

    def data_version(self) -> int:
        """A number that changes when another connection or process (`kibitz ask`) commits
        to this file since it was last read; this store's own commits leave it alone. Cheap
        (no table is read): poll it, then ask StoreWatcher (watch.py) what changed."""
        return self._db.data_version()

    def announce(self, changes: Changes) -> None:
        """Tell the listeners of a change another process made (StoreWatcher found it), as
        they hear of this store's own: each view refreshes what it shows of it."""
        if changes.conversation_ids or changes.message_ids:
            self._notify(changes)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group mutations into one transaction (imports, bulk edits); listeners hear at the end.

        Holds the store's lock throughout, so keep batches short on the UI's worker thread.
        """
        with self._db.write():
            yield

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close; safe to call twice."""
        self._db.close()
        if self._users is not None:
            self._users.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
