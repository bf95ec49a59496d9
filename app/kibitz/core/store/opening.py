"""The store opened in two steps, for the app's first frame: the database now, the Store later.

The window's first frame lists conversations; the typed Store (every operation, every record
type of the core: ~15 ms of imports) is not needed for that. `StoreOpening` opens, migrates or
recovers the database as Store.open does, reads the first page of the list with plain SQL
(`FirstPage`), and `finish()` then builds the Store on the same connection.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kibitz.core.changes import ConversationId
from kibitz.core.store.database import Database
from kibitz.core.store.listing import MESSAGE_COUNT, TRASH, listed
from kibitz.core.store.schema import MIGRATIONS, MigrationProgress

if TYPE_CHECKING:
    from kibitz.core.errors import DatabaseRecoveredError
    from kibitz.core.store.facade import Store

FIRST_PAGE_SIZE = 64  # rows read for the first frame: a tall window shows about forty


class ListedConversation(NamedTuple):
    """What a row of the conversation list shows, read before the Store's records load."""

    id: ConversationId
    title: str
    pinned: bool
    updated_at: float
    message_count: int
    deleted_at: float | None = None


class FirstPage(NamedTuple):
    """The conversation list's order (every live id), its first rows and the Trash's count."""

    ids: list[ConversationId]
    rows: list[ListedConversation]
    trash_count: int


class StoreOpening:
    """A database opened for the first frame: `first_page()` now, `finish()` for the Store.

    Until `finish()`, nothing but `first_page` reads the file and nothing writes to it; a Store
    opened elsewhere meanwhile (`kibitz ask`) is one more user, as with Store.open.
    """

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._store: Store | None = None

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        progress: MigrationProgress | None = None,
        check_later: bool = False,
    ) -> StoreOpening:
        """Open (creating, migrating or, if damaged, replacing) the database at `path`; the
        same errors and arguments as Store.open."""
        return cls(Database.open(Path(path), MIGRATIONS, progress, check_later=check_later))

    @property
    def recovered(self) -> DatabaseRecoveredError | None:
        """Set when the old database was damaged and set aside: tell the user."""
        return self._db.recovered

    def first_page(self, size: int = FIRST_PAGE_SIZE) -> FirstPage:
        """What the conversation list shows first, in one read."""
        rows_sql = (
            f"SELECT c.id, c.title, c.pinned, c.updated_at, {MESSAGE_COUNT} "
            f"FROM conversations c WHERE {listed(deleted=False)} LIMIT ?"
        )
        with self._db.read() as conn:
            ids_sql = f"SELECT c.id FROM conversations c WHERE {listed(deleted=False)}"
            ids = [ConversationId(r[0]) for r in conn.execute(ids_sql)]
            rows = [
                ListedConversation(ConversationId(r[0]), r[1], bool(r[2]), r[3], r[4])
                for r in conn.execute(rows_sql, (size,))
            ]
            trash = conn.execute(f"SELECT count(*) FROM conversations c WHERE {TRASH}")
            trash_count = int(trash.fetchone()[0])
        return FirstPage(ids, rows, trash_count)

    def finish(self) -> Store:
        """The Store on this database (made once: later calls return the same one)."""
        if self._store is None:
            from kibitz.core.store.facade import Store

            self._store = Store.on_database(self._db, clock=self._clock)
        return self._store

    def close(self) -> None:
        """Close the Store, or the database if there is none yet; safe to call twice."""
        if self._store is not None:
            self._store.close()
        else:
            self._db.close()
