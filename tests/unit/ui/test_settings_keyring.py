"""A key typed into Settings lands in the real keyring (Secret Service) and nowhere on disk."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot

from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import SERVICE, KeyringSecretStore, SessionSecretStore, display_key
from kibitz.core.settings import Settings
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import SettingsDialog
from kibitz.ui.tasks import TaskRunner

pytestmark = pytest.mark.keyring

KEY = "sk-dialog-keyring-9f8e7d6c5b4a39281706"


@pytest.mark.asyncio
async def test_the_key_goes_to_the_keyring_only(tmp_path: Path, qtbot: QtBot) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    executor = ThreadPoolExecutor(max_workers=1)
    runner = TaskRunner()
    holder = SettingsHolder(Settings(), paths.settings_file)
    context = SettingsContext(
        holder, SessionSecretStore(KeyringSecretStore()), runner, executor, paths, print
    )
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.providers
    try:
        page.add_profile("openai")
        page.key.field.setText(KEY)
        page.key.save_button.click()
        deadline = asyncio.get_running_loop().time() + 10
        while display_key(KEY) not in page.key.status.text():
            assert asyncio.get_running_loop().time() < deadline, page.key.status.text()
            await asyncio.sleep(0.02)
        assert "in the system keyring" in page.key.status.text()
        assert keyring.get_password(SERVICE, "OpenAI") == KEY
        page.key.delete_button.click()
        while keyring.get_password(SERVICE, "OpenAI") is not None:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        # The status follows once the worker's answer reaches the UI thread.
        while "sk-" in page.key.status.text():
            assert asyncio.get_running_loop().time() < deadline, page.key.status.text()
            await asyncio.sleep(0.02)
        assert "No key stored" in page.key.status.text() or "environment" in page.key.status.text()
        page.key.field.setText(KEY)
        page.key.save()
        while keyring.get_password(SERVICE, "OpenAI") != KEY:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        # Every file Kibitz wrote: settings, database, logs, caches.
        for folder in (paths.data_dir, paths.config_dir, paths.cache_dir, paths.log_dir):
            for path in folder.rglob("*"):
                if path.is_file():
                    assert KEY.encode() not in path.read_bytes(), path
    finally:
        await runner.shutdown()
        executor.shutdown(wait=True)
        if keyring.get_password(SERVICE, "OpenAI") is not None:
            keyring.delete_password(SERVICE, "OpenAI")
