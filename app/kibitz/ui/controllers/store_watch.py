"""StoreWatch: the window follows what other processes (`kibitz ask`) write to the database.

A QTimer asks the store's StoreWatcher, on the store's worker thread, what changed since the
last look; what it finds goes to the store's listeners, as the app's own changes do, so the
conversation list and the open chat refresh only what changed. The open chat follows the store
row by row: the composer's text, a scroll position above the end and a reply streaming in this
window are left as they are.

The look costs one `PRAGMA data_version` (about 10 µs) when nothing changed: once a second
while the window is active, every 2 s while it is only visible, every 10 s while it is hidden
(in the tray); coming back to the window looks at once, so a question just asked in a terminal
is there when the user switches over.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor, Future

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from kibitz.core.errors import StoreError
from kibitz.core.store import Store, StoreWatcher
from kibitz.core.types import ChangeKind, Changes

log = logging.getLogger(__name__)

ACTIVE_MS = 1_000
VISIBLE_MS = 2_000
HIDDEN_MS = 10_000

_LOOK_AGAIN = frozenset(
    {QEvent.Type.WindowActivate, QEvent.Type.Show, QEvent.Type.WindowStateChange}
)
_SLOW_DOWN = frozenset({QEvent.Type.WindowDeactivate, QEvent.Type.Hide})


class StoreWatch(QObject):
    """Polls for other processes' commits and tells the store's listeners what they changed."""

    changes_arrived = Signal(object)  # tuple[Changes, ...], after the listeners heard them
    _polled = Signal(object)  # the poll's Future, from the worker thread to this one

    def __init__(self, store: Store, executor: Executor, window: QWidget) -> None:
        """Made before anything reads the store, so that a commit in between is not missed
        (the watcher's baseline is the data_version read here)."""
        super().__init__(window)
        self._store = store
        self._executor = executor
        self._window = window
        self._watcher = StoreWatcher(store)
        self._running: Future[tuple[Changes, ...]] | None = None
        self._again = False  # a look was asked for while one ran
        self._polled.connect(self._on_polled)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._failing = False  # told once, not every second
        self._timer.start(self._interval())
        window.installEventFilter(self)
        self.poll()  # the baseline, read now: what changes from here on is told apart

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def poll(self) -> None:
        """Look now (on the worker thread); a look already running is followed by one more."""
        if self._running is not None:
            self._again = True
            return
        try:
            future = self._executor.submit(self._watcher.poll)
        except RuntimeError:  # the executor was shut down: the app is quitting
            self._timer.stop()
            return
        self._running = future
        future.add_done_callback(self._polled.emit)

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        # Again here: a window event may have come before the state it announces was set.
        interval = self._interval()
        if interval != self._timer.interval():
            self._timer.setInterval(interval)
        self.poll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window:
            kind = event.type()
            if kind in _LOOK_AGAIN or kind in _SLOW_DOWN:
                self._timer.setInterval(self._interval())
            if kind is QEvent.Type.WindowActivate:
                self.poll()
        return False

    def _interval(self) -> int:
        window = self._window
        if not window.isVisible() or window.isMinimized():
            return HIDDEN_MS
        return ACTIVE_MS if window.isActiveWindow() else VISIBLE_MS

    def _on_polled(self, future: Future[tuple[Changes, ...]]) -> None:
        self._running = None
        if future.cancelled():  # the app is quitting (its worker's queue was dropped)
            return
        try:
            found = future.result()
        except StoreError as e:
            # Busy or closing: the next look tries again, and nothing shown is wrong meanwhile.
            if not self._failing:
                log.warning("could not look for changes made by other programs: %s", e)
            self._failing = True
            found = ()
        else:
            self._failing = False
        for changes in found:
            self._store.announce(changes)
        if found:
            made = [c for c in found if c.kind is ChangeKind.CREATED]
            if made:
                log.info("conversations new since the last look: %s", made[0].conversation_ids)
            log.debug("changes made by another program: %s", found)
            self.changes_arrived.emit(found)
        if self._again:
            self._again = False
            self.poll()
