"""The one runner for async work the UI starts: tracked by key, cancellable, errors routed.

Every coroutine the UI launches goes through `TaskRunner.start(key, coro)`: starting a key
that is already running cancels the old task first (switching conversation, pressing Send
twice), cancellation is silent, and any failure reaches the user through `failed` instead of
being lost in the event loop's log. A failure that is not a KibitzError is a bug: it also goes
to the loop's exception handler, which the app makes its crash handler (kibitz.ui.app.crash).
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from kibitz.core.errors import InternalError, KibitzError

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    failed = Signal(str, object)  # key, KibitzError
    finished = Signal(str)  # key; after success, failure or cancellation

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def start(self, key: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` on the app's event loop, cancelling the task running under `key`."""
        import asyncio  # not at import time: the window's first frame does not need it

        self.cancel(key)
        task = asyncio.get_event_loop().create_task(coro, name=key)
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._on_task_done(key, done))
        return task

    def running(self, key: str) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    def running_any(self) -> bool:
        return any(not task.done() for task in self._tasks.values())

    def cancel(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self) -> None:
        for key in list(self._tasks):
            self.cancel(key)

    async def shutdown(self) -> None:
        """Cancel everything and wait for it to unwind (replies get marked, streams closed)."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            import asyncio

            await asyncio.gather(*tasks, return_exceptions=True)

    def _on_task_done(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled():
            error = task.exception()
            if isinstance(error, KibitzError):
                self.failed.emit(key, error)
            elif error is not None:
                # A bug of ours: the loop's exception handler (the crash handler, in the app)
                # records it whole; listeners hear of it as an InternalError.
                task.get_loop().call_exception_handler(
                    {"message": f"task {key} failed", "exception": error, "task": task}
                )
                bug = InternalError(f"{type(error).__name__}: {error}")
                bug.__cause__ = error
                self.failed.emit(key, bug)
        self.finished.emit(key)
