"""Screenshots of Settings → Tools, light and dark, for review: a server that is ready with its
tools, one that failed with its error, one turned off; the failed one selected; the editor; the
import preview.

Saved to $KIBITZ_TEST_SCREENSHOTS (tests/run.sh sets it to tests/artifacts/screenshots) as
settings-tools{,-failed,-editor,-import}-{light,dark}.png; the test also checks what they show,
never pixels.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from tests.support.mcp_server import stdio_server
from tests.unit.ui.test_settings_tools import Rig, state_of, until

from kibitz.core.paths import resolve_paths
from kibitz.core.settings import Settings
from kibitz.core.settings.schema import McpServer
from kibitz.core.tools.server_secrets import env_entry
from kibitz.ui.settings.dialog import TOOLS, SettingsDialog
from kibitz.ui.style import apply_theme

IMPORTED = {
    "mcpServers": {
        "filesystem": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/Documents"],
        },
        "notes": {"command": "uvx", "args": ["notes-mcp"], "env": {"NOTES_TOKEN": "n-123"}},
        "linear": {"url": "https://mcp.linear.app/sse"},
        "weather": {"command": ""},
    }
}


@pytest.fixture
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app's theme as the app applies it (palette and stylesheet), restored after."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet = QPalette(app.palette()), app.styleSheet()
    apply_theme(app, str(request.param))
    yield str(request.param)
    app.styleHints().unsetColorScheme()
    app.setStyleSheet(sheet)
    app.setPalette(palette)


def shots(tmp_path: Path) -> Path:
    folder = os.environ.get("KIBITZ_TEST_SCREENSHOTS")
    target = Path(folder) if folder else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


async def save(widget: QWidget, path: Path) -> None:
    await asyncio.sleep(0.15)  # a last repaint after the states arrived
    assert widget.grab().toImage().save(str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
async def test_screenshots_of_settings_tools(qtbot: QtBot, tmp_path: Path, scheme: str) -> None:
    folder = shots(tmp_path)
    settings = Settings()
    for server in (
        stdio_server("notes", env_names=("NOTES_TOKEN",), tool_policies={"delete_note": "never"}),
        McpServer(name="github", command="github-mcp-server", args=("stdio", "--read-only")),
        McpServer(name="linear", transport="sse", url="https://mcp.linear.app/sse", enabled=False),
    ):
        settings = settings.with_server(server)
    rig = Rig(resolve_paths(tmp_path / "home").ensure(), settings)
    rig.secrets.set_key(env_entry("notes", "NOTES_TOKEN"), "ntk-0f3a9c2b7e51d4a6")
    try:
        dialog = SettingsDialog(rig.context)
        qtbot.addWidget(dialog)
        dialog.resize(980, 720)
        dialog.open_page(TOOLS)
        page = dialog.tools
        for name in ("notes", "github"):
            rig.tools.check(name)
        await until(lambda: state_of(page, "notes").startswith("Ready"), "notes ready")
        await until(lambda: state_of(page, "github").startswith("Failed"), "github failed")
        page.select_server("notes")
        assert page.details.tools_model.rowCount() > 5
        await save(dialog, folder / f"settings-tools-{scheme}.png")

        page.select_server("github")
        assert page.details.problem.is_open()
        await save(dialog, folder / f"settings-tools-failed-{scheme}.png")

        page.select_server("notes")
        editor = page.edit_server("notes")
        assert editor is not None
        editor.env.add_row("NOTES_ROOT")
        await until(lambda: editor.save_button.isEnabled(), "the stored values looked up")
        await save(editor, folder / f"settings-tools-editor-{scheme}.png")
        editor.reject()

        importer = page.import_servers()
        importer.text.setPlainText(json.dumps(IMPORTED, indent=2))
        importer.refresh_preview()
        assert "<b>Replace notes</b>" in importer.preview.text()
        await save(importer, folder / f"settings-tools-import-{scheme}.png")
        importer.reject()
    finally:
        await rig.aclose()
