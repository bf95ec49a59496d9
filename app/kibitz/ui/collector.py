"""Python's cyclic garbage collector, run on the UI thread only.

Left automatic, the collector runs on whichever thread happens to allocate, so a widget caught
in a reference cycle could be freed on the I/O worker thread: Qt forbids that ("Timers cannot
be stopped from another thread") and crashes later. Collecting from a timer on the UI thread
also keeps full collections between repaints instead of in the middle of one.

A full collection (the oldest generation) walks every object made since the start (the start's
own are frozen out of it: gc.freeze in bootstrap) and takes 20-40 ms once a session has opened
a few conversations: a visible stall in a reply streaming at 20 repaints a second. While the
app is `busy` (a reply streams), a full collection that comes due waits, up to
MAX_POSTPONE_S; the younger generations are still collected meanwhile.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

_INTERVAL_MS = 500
MAX_POSTPONE_S = 120.0


class MainThreadCollector(QObject):
    def __init__(
        self, parent: QObject | None = None, *, busy: Callable[[], bool] = lambda: False
    ) -> None:
        super().__init__(parent)
        self._busy = busy
        self._due_since: float | None = None  # when a postponed full collection came due
        self._timer = QTimer(self)
        self._timer.setInterval(_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_if_due)
        gc.disable()
        self._timer.start()

    def collect_if_due(self) -> int:
        """Collect the oldest generation whose threshold is exceeded; -1 if none is."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        due = [gen for gen in range(3) if counts[gen] > thresholds[gen]]
        generation = due[-1] if due else -1
        if generation == 2 and self._postpone():
            generation = due[-2] if len(due) > 1 else -1
        if generation == 2:
            self._due_since = None
        if generation >= 0:
            gc.collect(generation)
        return generation

    def _postpone(self) -> bool:
        """Whether a full collection that is due waits (the app is busy, not for too long)."""
        now = time.monotonic()
        if self._due_since is None:
            self._due_since = now
        return now - self._due_since < MAX_POSTPONE_S and self._busy()

    def stop(self) -> None:
        """Hand collection back to Python (at shutdown, and in tests)."""
        self._timer.stop()
        gc.enable()
