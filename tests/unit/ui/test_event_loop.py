"""The app's qasync loop closes abandoned async generators in a task, as asyncio's loops do."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

from PySide6.QtWidgets import QApplication

from kibitz.ui.app.event_loop import AppEventLoop


def _closing_log() -> tuple[list[str], AsyncIterator[int]]:
    """A generator that, like httpcore's body stream, needs a running task to clean up."""
    seen: list[str] = []

    async def body() -> AsyncIterator[int]:
        try:
            while True:
                yield 1
        finally:
            seen.append("in a task" if asyncio.current_task() is not None else "outside any task")

    return seen, body()


async def _first(stream: AsyncIterator[int]) -> int:
    return await anext(stream)  # iterated first inside the loop, where the hooks are


def _loop() -> AppEventLoop:
    return AppEventLoop(QApplication.instance() or QApplication([]))


def test_an_abandoned_generator_is_closed_in_a_task_of_the_loop() -> None:
    loop = _loop()
    try:
        seen, stream = _closing_log()
        loop.run_until_complete(_first(stream))
        del stream
        gc.collect()  # the collection runs between loop runs, as at the app's exit
        loop.run_until_complete(asyncio.sleep(0.01))
        assert seen == ["in a task"]
    finally:
        loop.close()


def test_shutdown_closes_the_generators_still_open() -> None:
    loop = _loop()
    try:
        seen, stream = _closing_log()
        loop.run_until_complete(_first(stream))
        loop.run_until_complete(loop.shutdown_asyncgens())
        assert seen == ["in a task"]
        del stream
    finally:
        loop.close()
