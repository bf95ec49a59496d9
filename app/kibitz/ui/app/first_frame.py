"""Start-up in two steps: the window's first frame painted, then the rest; each step logged.

The app shows a window that holds only what the first frame needs, waits here until the X
server (or compositor) has exposed it and Qt has painted it, and only then builds the parts
that frame does not show. `StartupLog` writes one line per step to the log, with the
monotonic clock's reading, so that `tests/bench/bench_startup.py` can put the steps on its own
clock (the same CLOCK_MONOTONIC) beside the X events it sees.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QMainWindow, QWidget

log = logging.getLogger(__name__)

# A window that is never exposed (started minimized, or on a display that does not tell):
# the rest of the start waits no longer than this for it.
EXPOSE_TIMEOUT_MS = 1_000
USABLE = "window usable"  # the first frame: conversations listed, the composer focused
READY = "start-up complete"  # the rest built and the event loop running


def paint_first_frame(window: QMainWindow, timeout_ms: int = EXPOSE_TIMEOUT_MS) -> bool:
    """Process events until `window` (shown) is exposed, that is painted: Qt draws a widget
    window while it handles the expose event. False when that did not come in time."""
    handle = window.windowHandle()  # there is one once the window is shown
    timed_out: list[bool] = []
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: timed_out.append(True))
    guard.start(timeout_ms)
    # Keys and clicks stay queued for the complete window: an Enter handled now would reach
    # a composer whose send has no controller yet.
    flags = QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents
    while not handle.isExposed() and not timed_out:
        QCoreApplication.processEvents(flags | QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    guard.stop()
    # What the expose left pending (a layout settling) goes out before the slow part.
    QCoreApplication.processEvents(flags)
    return handle.isExposed()


class StartupLog:
    """Logs when each start-up step was reached, in ms since the app began starting."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def mark(self, step: str, detail: str = "") -> None:
        now = time.monotonic()
        log.info(
            "Start-up: %s %.0f ms after the app began starting%s [monotonic %.6f]",
            step,
            (now - self._started) * 1000,
            f" ({detail})" if detail else "",
            now,
        )


def describe_first_frame(conversations: int, focused: QWidget | None, composer: QWidget) -> str:
    """What the first frame offered: how many conversations, whether typing goes to the
    composer."""
    typing = focused is not None and (focused is composer or composer.isAncestorOf(focused))
    where = "the composer" if typing else type(focused).__name__ if focused else "nothing"
    listed = f"{conversations} conversation{'' if conversations == 1 else 's'} listed"
    return f"{listed}, keys go to {where}"
