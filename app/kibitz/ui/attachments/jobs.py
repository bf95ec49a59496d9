"""MediaJobs: blocking calls (file reads, image decoding) on a worker, results on the UI thread.

Why not the TaskRunner: a conversation with 200 images asks for a thumbnail per image widget,
and a widget scrolled away is deleted before its thumbnail is ready. Each job here names the
QObject that wants its result; the result is dropped when that object is gone, instead of
calling into a deleted widget. Results travel through a queued Qt signal, so they arrive on
the UI thread between two events, never in the middle of one.

The worker is its own thread, apart from the app's I/O executor: a send's keyring lookup must
not wait behind twenty thumbnails.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Handler:
    __slots__ = ("on_done", "on_error", "receiver")

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None,
        receiver: QObject | None,
    ) -> None:
        self.on_done = on_done
        self.on_error = on_error
        self.receiver = receiver


class MediaJobs(QObject):
    """Runs callables on one worker thread; `on_done(result)` or `on_error(exc)` run on the UI
    thread, unless `receiver` was deleted meanwhile or the job was cancelled."""

    _finished = Signal(object, object)  # _Handler, Future

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kibitz-media")
        self._closed = False
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    def submit(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        receiver: QObject | None = None,
    ) -> Future[T]:
        future = self._executor.submit(call)
        handler = _Handler(on_done, on_error, receiver)
        future.add_done_callback(lambda done: self._deliver(handler, done))
        return future

    def shutdown(self) -> None:
        """Drop queued jobs, let the running one finish; nothing is delivered after this."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _deliver(self, handler: _Handler, future: Future[Any]) -> None:
        # On the worker thread: the emit is queued to the UI thread.
        if self._closed or future.cancelled():
            return
        with contextlib.suppress(RuntimeError):  # this object was deleted while the job ran
            self._finished.emit(handler, future)

    def _on_finished(self, handler: _Handler, future: Future[Any]) -> None:
        if self._closed or future.cancelled():
            return
        receiver = handler.receiver
        if receiver is not None and not shiboken6.isValid(receiver):
            return  # the widget that asked is gone
        error = future.exception()
        if error is None:
            handler.on_done(future.result())
        elif handler.on_error is not None:
            handler.on_error(error)
        else:
            log.error("media job failed", exc_info=error)
