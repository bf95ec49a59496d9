"""The crash handler: an exception nobody caught is written down, told, and survived.

Three doors lead here: `sys.excepthook` (Python code Qt called: a slot, an event handler),
`threading.excepthook` (a thread of ours dying) and the asyncio loop's exception handler (a
callback, or a task whose failure nobody awaited). Each writes the traceback to
`crash-YYYYmmdd-HHMMSS.log` in the log folder and to the normal log, and the window shows one
notice naming the file, with "Open log folder". The app carries on: the store commits every
change as it is made, so the conversations are safe, and quitting would only lose the text the
user has not sent yet.

Errors come in bursts (an exception in a paint handler repeats on every frame), so the errors of
one burst, with no quiet gap of `burst_s` between them, share one file (at most MAX_ENTRIES
tracebacks, then one line saying more followed) and one notice. Reporting never raises: a
failure while reporting is logged and dropped.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from kibitz import APP_NAME, __version__
from kibitz.ui.notify import Notice, Notify

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

OPEN_LOG_FOLDER = "Open log folder"
BURST_S = 2.0  # errors closer together than this are one burst: one file, one notice
MAX_ENTRIES = 20  # tracebacks kept per burst; a paint error repeats 60 times a second
_SAFE = "Kibitz hit an unexpected error and carried on; your conversations are safe."

SysHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]
ThreadHook = Callable[[threading.ExceptHookArgs], Any]


class CrashReporter(QObject):
    """Installs the three handlers; `report` is where each of them ends.

    Hooks may run on any thread: the file is written under a lock there, and the notice is
    shown on the UI thread through a queued signal.
    """

    crash_reported = Signal(object)  # Path | None: a new burst's crash file, once told

    _burst_started = Signal(object)  # Path | None; emitted from whichever thread failed

    def __init__(
        self,
        log_dir: Path,
        notify: Notify,
        *,
        burst_s: float = BURST_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.log_dir = log_dir
        self._notify = notify
        self._burst_s = burst_s
        self._lock = threading.Lock()
        self._local = threading.local()  # `busy`: reporting on this thread already
        self._last = -math.inf  # monotonic time of the last error
        self._entries = 0  # errors in the current burst
        self._file: Path | None = None  # the current burst's file, None if it could not be made
        self._installed: tuple[SysHook, ThreadHook] | None = None
        self._loops: list[asyncio.AbstractEventLoop] = []
        # Queued even on the UI thread: the notice waits until the failed slot has unwound.
        self._burst_started.connect(self._on_burst_started, Qt.ConnectionType.QueuedConnection)

    # -- installing -------------------------------------------------------------------------------

    def install(self) -> None:
        """Become `sys.excepthook` and `threading.excepthook` (the previous ones are kept)."""
        if self._installed is None:
            self._installed = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_sys_exception
        threading.excepthook = self._on_thread_exception

    def watch_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Become `loop`'s exception handler."""
        loop.set_exception_handler(self._on_loop_exception)
        self._loops.append(loop)

    def uninstall(self) -> None:
        """Give the hooks and the loops' handlers back (where they are still ours)."""
        if self._installed is not None:
            previous_sys, previous_thread = self._installed
            if sys.excepthook == self._on_sys_exception:
                sys.excepthook = previous_sys
            if threading.excepthook == self._on_thread_exception:
                threading.excepthook = previous_thread
            self._installed = None
        for loop in self._loops:
            if not loop.is_closed() and loop.get_exception_handler() == self._on_loop_exception:
                loop.set_exception_handler(None)
        self._loops.clear()

    # -- the three doors --------------------------------------------------------------------------

    def _on_sys_exception(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if not isinstance(error, Exception):
            # Ctrl+C in the terminal, SystemExit: not a crash, the usual behaviour.
            previous = self._installed[0] if self._installed is not None else sys.__excepthook__
            previous(kind, error, tb)
            return
        thread = threading.current_thread()
        where = (
            "on the UI thread (a slot or an event handler)"
            if thread is threading.main_thread()
            else f"in thread {thread.name}"
        )
        self.report(_with_traceback(error, tb), where)

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or isinstance(args.exc_value, SystemExit):
            return  # what the default hook ignores too
        name = args.thread.name if args.thread is not None else "?"
        self.report(_with_traceback(args.exc_value, args.exc_traceback), f"in thread {name}")

    def _on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if not isinstance(error, Exception) or _environmental(context, error):
            # A warning (a task destroyed while pending) or a dropped connection: log only.
            try:
                loop.default_exception_handler(context)
            except Exception:
                log.exception("the event loop's default exception handler failed")
            return
        message = str(context.get("message") or "an error")
        self.report(error, f"in the event loop: {message}")

    # -- reporting --------------------------------------------------------------------------------

    def report(self, error: BaseException, where: str) -> None:
        """Record `error` and its traceback, telling the user once per burst. Never raises."""
        if getattr(self._local, "busy", False):
            _last_resort(error)  # reporting itself failed on this thread: no recursion
            return
        self._local.busy = True
        try:
            self._report(error, where)
        except Exception:
            # The one place a failure must stop: a handler that raises would loop.
            log.exception("could not report an unexpected error (%s)", where)
        finally:
            self._local.busy = False

    def _report(self, error: BaseException, where: str) -> None:
        now = time.monotonic()
        with self._lock:
            new_burst = now - self._last > self._burst_s
            self._last = now
            if new_burst:
                self._entries = 0
                self._file = self._create_file()
            self._entries += 1
            if self._entries <= MAX_ENTRIES:
                text = _describe(error)
                log.error("unexpected error %s:\n%s", where, text)
                self._append(f"--- {self._entries}: {_stamp()}, {where}\n{text}\n\n")
            elif self._entries == MAX_ENTRIES + 1:
                note = (
                    f"More errors followed; none is recorded until they stop for "
                    f"{self._burst_s:g} s."
                )
                log.error(note)
                self._append(f"--- {note}\n")
            path = self._file
        if new_burst:
            self._burst_started.emit(path)

    def _create_file(self) -> Path | None:
        import platform  # here: the crash reporter is installed before the first frame

        stamp = time.strftime("%Y%m%d-%H%M%S")
        header = (
            f"{APP_NAME} {__version__}: an unexpected error\n"
            f"Python {platform.python_version()} ({platform.python_implementation()}) on "
            f"{platform.platform()}; {_qt_versions()}\n\n"
        )
        for n in range(1, 100):
            path = self.log_dir / (f"crash-{stamp}.log" if n == 1 else f"crash-{stamp}-{n}.log")
            try:
                with path.open("x", encoding="utf-8") as f:
                    f.write(header)
            except FileExistsError:
                continue
            except OSError as e:
                log.error("could not write a crash file in %s: %s", self.log_dir, e)
                return None
            return path
        return None

    def _append(self, text: str) -> None:
        if self._file is None:
            return
        try:
            with self._file.open("a", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            log.error("could not write to %s: %s", self._file, e)

    def _on_burst_started(self, path: Path | None) -> None:
        try:
            where = (
                f"The details are in {path}."
                if path is not None
                else f"No crash file could be written; the log folder ({self.log_dir}) "
                "may be full or read-only."
            )
            self._notify(
                Notice(
                    f"{_SAFE} {where}",
                    OPEN_LOG_FOLDER,
                    on_action=self.open_log_folder,
                    timeout_ms=0,
                    kind="error",
                )
            )
            self.crash_reported.emit(path)
        except Exception:
            log.exception("could not show the crash notice")

    def open_log_folder(self) -> None:
        from kibitz.ui.app.help import open_folder  # Help → Open log folder does the same

        open_folder(self.log_dir)


def _with_traceback(error: BaseException, tb: TracebackType | None) -> BaseException:
    if tb is not None and error.__traceback__ is None:
        error = error.with_traceback(tb)
    return error


def _environmental(context: dict[str, Any], error: BaseException) -> bool:
    """A connection that broke under a transport: the network's doing, not a bug of ours."""
    return isinstance(error, ConnectionError) and ("transport" in context or "protocol" in context)


def _describe(error: BaseException) -> str:
    """The traceback, with anything shaped like an API key taken out of the messages."""
    try:
        from kibitz.core.chat.error_mapping import redact
    except Exception as e:  # the crash may be a broken import there: keep the frames at least
        log.warning("could not load the key redaction", exc_info=True)
        frames = "".join(traceback.format_tb(error.__traceback__))
        return f"{frames}{type(error).__name__} (its message is left out: {type(e).__name__})"
    return redact("".join(traceback.format_exception(error)).rstrip())


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def _qt_versions() -> str:
    import PySide6
    from PySide6.QtCore import qVersion

    return f"Qt {qVersion()}, PySide6 {PySide6.__version__}"


def _last_resort(error: BaseException) -> None:
    """Reporting failed while reporting: stderr is all that is left."""
    with contextlib.suppress(Exception):  # nothing else can be done; raising would loop
        traceback.print_exception(error, file=sys.__stderr__)
