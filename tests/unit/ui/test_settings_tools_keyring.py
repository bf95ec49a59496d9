"""A tool server's env value typed into Settings → Tools lands in the real keyring (Secret
Service) and nowhere on disk, reaches the server, and goes when the server is removed."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot
from tests.support.mcp_server import STDIO_COMMAND
from tests.unit.ui.test_settings_tools import Rig, fill_stdio, state_of, until

from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import SERVICE, KeyringSecretStore, SessionSecretStore
from kibitz.core.tools.server_secrets import env_entry
from kibitz.ui.settings.dialog import TOOLS, SettingsDialog

pytestmark = pytest.mark.keyring

VALUE = "mcp-keyring-value-4f1d8e2a9b7c"
ENTRY = env_entry("notes", "NOTES_TOKEN")


@pytest.mark.asyncio
async def test_a_servers_value_goes_to_the_keyring_only(tmp_path: Path, qtbot: QtBot) -> None:
    secrets = SessionSecretStore(KeyringSecretStore())
    rig = Rig(resolve_paths(tmp_path / "home").ensure(), secrets=secrets)
    try:
        dialog = SettingsDialog(rig.context)
        qtbot.addWidget(dialog)
        dialog.open_page(TOOLS)
        page = dialog.tools
        editor = page.add_server()
        fill_stdio(editor, "notes", " ".join(STDIO_COMMAND))
        editor.env.add_row("NOTES_TOKEN").value.setText(VALUE)
        editor.save_button.click()
        await until(lambda: rig.holder().tools.server("notes") is not None, "the server saved")
        assert keyring.get_password(SERVICE, ENTRY) == VALUE
        assert rig.secrets.memory.get_key(ENTRY) is None
        await until(lambda: state_of(page, "notes").startswith("Ready"), "the server ready")
        spec = next(t for t in await rig.tools.hub.tools() if t.name == "env_value")
        assert (await rig.tools.hub.call(spec, {"name": "NOTES_TOKEN"})).text == VALUE
        # Every file Kibitz wrote: settings, database, logs, caches.
        for folder in (rig.paths.data_dir, rig.paths.config_dir, rig.paths.cache_dir,
                       rig.paths.log_dir):  # fmt: skip
            for path in folder.rglob("*"):
                if path.is_file():
                    assert VALUE.encode() not in path.read_bytes(), path
        page.details.remove_button.click()
        await until(lambda: rig.notices, "the removal told")
        assert keyring.get_password(SERVICE, ENTRY) is None
        assert rig.notices[-1].text == "Removed the tool server notes and its 1 stored value."
    finally:
        await rig.aclose()
        if keyring.get_password(SERVICE, ENTRY) is not None:
            keyring.delete_password(SERVICE, ENTRY)
