"""The database's integrity check, when opening left it for later (a large file: see
kibitz.core.store.database): run on the worker thread once the window is up, and told in one
notice if it finds damage. The next start then sets the damaged file aside and begins a fresh
one, as it does with any damaged file it finds."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor

from kibitz.core.store import Store
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

TASK = "store-integrity-check"
DAMAGED = (
    "Kibitz found damage in its conversation database ({finding}). Quit and start Kibitz "
    "again: it will keep the damaged file aside, for recovery, and start a fresh one."
)


def check_store_later(store: Store, executor: Executor, runner: TaskRunner, notify: Notify) -> None:
    """Start the check if the store is waiting for one; nothing otherwise."""
    if store.check_pending:
        runner.start(TASK, _check(store, executor, notify))


async def _check(store: Store, executor: Executor, notify: Notify) -> None:
    problems = await asyncio.get_running_loop().run_in_executor(executor, store.check_integrity)
    if problems:
        notify(Notice(DAMAGED.format(finding=problems[0]), timeout_ms=0, kind="error"))
    else:
        log.info("database %s checked after opening: no damage", store.path)
