"""Outside tests/unit/ui and tests/end2end, the `qt` marker alone selects the qasync loop."""

from __future__ import annotations

import asyncio

import pytest


@pytest.mark.qt
@pytest.mark.asyncio
async def test_qt_marker_selects_the_qasync_loop() -> None:
    # The app's loop: qasync's, with asyncio's async-generator hooks (kibitz.ui.app.event_loop).
    assert type(asyncio.get_running_loop()).__name__ == "AppEventLoop"
    assert "qasync" in {kind.__module__ for kind in type(asyncio.get_running_loop()).__mro__}


@pytest.mark.asyncio
async def test_unmarked_async_tests_get_a_plain_asyncio_loop() -> None:
    assert type(asyncio.get_running_loop()).__module__.startswith("asyncio.")
