"""Whether a store is the database's only user: a lock on a side file, shared while open.

Opening a store marks replies left `streaming` as cut off by a crash. That is right only when
nobody else has the file open: `kibitz ask` started while the app streams a reply must not
mark the app's reply as cut off (the window would freeze it, error card and all, until it
ended). Each open store holds a shared lock on `<database>-users` for as long as it is open;
the operating system drops it with the process, however that ends. A store that opening can
take the lock exclusively is alone, repairs, then shares the lock like the others.

Where the platform has no `flock` (Windows), or the lock file cannot be made (a read-only
folder), every store counts as alone: the behaviour before this lock.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

SUFFIX = "-users"


class OpenersLock:
    """This process's share of the lock on a database's users file; `alone` says whether it
    was the only one when taken."""

    def __init__(self, file: IO[bytes] | None, alone: bool) -> None:
        self._file = file
        self.alone = alone

    @classmethod
    def take(cls, database: Path) -> OpenersLock:
        """Take the lock exclusively if nobody holds it (`alone`), else share it. Call
        share() once the repairs a sole user makes are done."""
        try:
            import fcntl
        except ImportError:  # Windows
            return cls(None, alone=True)
        try:
            file = database.with_name(database.name + SUFFIX).open("ab")
        except OSError as e:
            log.warning("cannot tell whether another program has %s open: %s", database, e)
            return cls(None, alone=True)
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another store has it: wait for a share (a sole user holds it alone only while
            # it repairs, a few milliseconds).
            fcntl.flock(file.fileno(), fcntl.LOCK_SH)
            return cls(file, alone=False)
        except OSError as e:
            log.warning("cannot lock %s: %s", file.name, e)
            file.close()
            return cls(None, alone=True)
        return cls(file, alone=True)

    def share(self) -> None:
        """From exclusive to shared: other stores may open now."""
        if self._file is not None and self.alone:
            import fcntl

            fcntl.flock(self._file.fileno(), fcntl.LOCK_SH)

    def close(self) -> None:
        """Let go (closing the file drops the lock); safe to call twice."""
        file, self._file = self._file, None
        if file is not None:
            file.close()
