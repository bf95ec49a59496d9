"""A tool server that fails to start is never silently left out: the window says so once per
failure, and the notice's button opens Settings → Tools at that server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.unit.ui.attachment_window import fake_settings, window_on

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.settings.schema import McpServer
from kibitz.core.store import Store
from kibitz.core.tools import ServerState
from kibitz.ui.settings.dialog import SettingsDialog

MISSING = "kibitz-test-no-such-mcp-server"


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return resolve_paths(tmp_path / "home").ensure()


@pytest.mark.asyncio
async def test_a_server_that_cannot_start_is_told_once_with_a_way_to_its_settings(
    qtbot: QtBot, store: Store, paths: AppPaths
) -> None:
    settings = fake_settings(None).with_server(McpServer("ghost", command=MISSING))
    with window_on(qtbot, store, paths, settings) as window:
        try:
            async with asyncio.timeout(60):
                await window.tools.hub.tools()
            (status,) = window.tools.statuses()
            assert status.state is ServerState.FAILED
            notice = window.notices.current
            assert notice is not None
            assert "Tool server ghost" in notice.text
            assert MISSING in notice.text
            assert notice.action_text == "Open tool settings"
            # The same failure again (the next turn) is not told twice.
            shown = notice
            async with asyncio.timeout(60):
                await window.tools.hub.tools()
            assert window.notices.current is shown
            assert notice.on_action is not None
            notice.on_action()
            dialog = window.settings_windows.settings_dialog()
            assert isinstance(dialog, SettingsDialog)
            assert dialog.page() == "tools"
        finally:
            await window.tools.aclose()
