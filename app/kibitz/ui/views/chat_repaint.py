"""RepaintThrottle: when the chat view paints what streamed in, at most every REPAINT_MS."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal

REPAINT_MS = 50  # a streamed reply repaints at most this often
_SLOW_REPAINT_FACTOR = 3


class RepaintThrottle(QObject):
    """Emits `due` at most every REPAINT_MS after `schedule`; what its handlers take is
    measured, and a repaint that got slow (a huge open paragraph) spaces out the next ones,
    so the window keeps most of its time for the user."""

    due = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._last_flush = 0.0
        self._repaint_ms = 0.0  # what the last streamed repaint cost
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)

    def schedule(self) -> None:
        if not self._timer.isActive():
            interval = max(REPAINT_MS, _SLOW_REPAINT_FACTOR * self._repaint_ms)
            since_ms = (time.monotonic() - self._last_flush) * 1000
            self._timer.start(max(0, math.ceil(interval - since_ms)))

    def _on_timer_timeout(self) -> None:
        started = self._last_flush = time.monotonic()
        self.due.emit()  # handled now, in this call: its cost is measured here
        self._repaint_ms = (time.monotonic() - started) * 1000
