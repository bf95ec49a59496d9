"""A conversation's own settings, and how the main window opens the settings windows."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window

from kibitz.core.errors import Action
from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.settings.presets import Preset, with_preset
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, RequestParams, Role
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.main_window import MainWindow
from kibitz.ui.settings.conversation_page import ConversationSettingsDialog
from kibitz.ui.settings.dialog import SettingsDialog
from kibitz.ui.settings.field_editor import NumberBox
from kibitz.ui.tasks import TaskRunner


@pytest.fixture
def window(tmp_path: Path, qtbot: QtBot) -> Iterator[MainWindow]:
    paths = resolve_paths(tmp_path / "home").ensure()
    settings = with_preset(
        Settings().with_value("defaults.temperature", 0.9).with_profile(ProviderProfile("work")),
        Preset("Terse", "Answer in one line."),
    )
    with Store.open(paths.database) as store:
        conversation = store.create_conversation("Plans")
        store.add_message(conversation.id, None, Role.USER, "hello")
        with shown_window(qtbot, store, paths, settings) as main:
            main.chat.open_conversation(ConversationId(conversation.id))
            yield main


def conversation_dialog(window: MainWindow) -> ConversationSettingsDialog:
    window.open_conversation_settings()
    dialogs = window.findChildren(ConversationSettingsDialog)
    assert len(dialogs) == 1
    return dialogs[0]


def edit_of(dialog: ConversationSettingsDialog, name: str) -> QLineEdit:
    widget = dialog.editors[name].input_widget()
    if isinstance(widget, NumberBox):
        return widget.edit  # a number's text field, beside its arrows
    assert isinstance(widget, QLineEdit)
    return widget


def test_overrides_are_stored_shown_and_reset(window: MainWindow) -> None:
    dialog = conversation_dialog(window)
    cid = dialog.conversation_id
    store = window._store
    temperature = edit_of(dialog, "temperature")
    assert temperature.text() == ""
    assert temperature.placeholderText() == "Default: 0.9"  # what it inherits
    temperature.setText("0.3")
    temperature.editingFinished.emit()
    seed = edit_of(dialog, "seed")
    seed.setText("7")
    seed.editingFinished.emit()
    assert store.get_conversation(cid).params == RequestParams(temperature=0.3, seed=7)
    assert dialog.summary.text() == "Overrides: Temperature, Seed"
    assert dialog._labels["temperature"].font().bold()
    temperature.setText("5")
    temperature.editingFinished.emit()
    assert "from 0 to 2" in dialog.editors["temperature"].error_text()
    assert store.get_conversation(cid).params.temperature == 0.3  # unchanged
    dialog._resets["seed"].click()
    assert store.get_conversation(cid).params == RequestParams(temperature=0.3)
    # The composer turned tools off here: "Reset all" resets parameters, not that choice.
    store.set_params(cid, RequestParams(temperature=0.3, tools=False))
    dialog.reset_all()
    assert store.get_conversation(cid).params == RequestParams(tools=False)
    assert dialog.summary.text() == "Follows the defaults."


def test_provider_and_preset_are_chosen_per_conversation(window: MainWindow) -> None:
    dialog = conversation_dialog(window)
    cid = dialog.conversation_id
    store = window._store
    dialog.provider.setCurrentIndex(dialog.provider.findData("work"))
    dialog.provider.activated.emit(dialog.provider.currentIndex())
    assert store.get_conversation(cid).provider == "work"
    dialog.preset.setCurrentIndex(dialog.preset.findText("Terse"))
    dialog.preset.activated.emit(dialog.preset.currentIndex())
    assert store.get_conversation(cid).system_prompt == "Answer in one line."
    # Editing the text by hand makes it the conversation's own prompt.
    dialog.prompt.setPlainText("Answer in two lines.")
    dialog.close()
    assert store.get_conversation(cid).system_prompt == "Answer in two lines."
    reopened = conversation_dialog(window)
    assert reopened.preset.currentText() == "Custom (edited below)"


def test_a_refused_parameter_opens_the_conversations_settings(window: MainWindow) -> None:
    cid = window.chat.conversation_id
    assert cid is not None
    window._store.set_params(cid, RequestParams(temperature=0.3))
    window.chat.setup_requested.emit(Action.OPEN_SETTINGS.value)
    dialogs = window.findChildren(ConversationSettingsDialog)
    assert [d.conversation_id for d in dialogs if d.isVisible()] == [cid]


@pytest.mark.asyncio
async def test_choose_model_opens_the_model_field(window: MainWindow) -> None:
    window.chat.setup_requested.emit(Action.CHOOSE_MODEL.value)
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.page() == "parameters"


@pytest.mark.asyncio
async def test_settings_shortcut_and_live_font_size(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    assert dialog.isVisible()
    size = window._settings().ui.font_size or window.chat_view.font().pointSize()
    window._settings.update(window._settings().with_value("ui.font_size", size + 4))
    assert window.chat_view.font().pointSize() == size + 4
    assert window.composer.font().pointSize() == size + 4
    send = dialog.forms["appearance"].editors["ui.send_key"].input_widget()
    assert isinstance(send, QComboBox)
    send.setCurrentIndex(send.findData("ctrl+enter"))
    send.activated.emit(send.currentIndex())
    assert window.composer._ctrl_enter_sends


@pytest.mark.asyncio
async def test_overrides_and_the_conversations_provider_reach_the_request(
    tmp_path: Path, qtbot: QtBot
) -> None:
    import asyncio

    from tests.support.fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    paths = resolve_paths(tmp_path / "home").ensure()
    executor = ThreadPoolExecutor(max_workers=1)
    secrets = SessionSecretStore(MemorySecretStore())
    secrets.set_key("local", "sk-local-0123456789")
    # The active provider is unreachable: only the conversation's own choice can answer.
    settings = (
        Settings()
        .with_value("defaults.temperature", 0.9)
        .with_value("chat.auto_title", False)
        .with_profile(ProviderProfile("dead", kind="custom", base_url="http://127.0.0.1:9/v1"))
        .with_profile(ProviderProfile("local", kind="custom", base_url=server.url))
        .with_value("providers.active", "dead")
    )
    runner = TaskRunner()
    try:
        with Store.open(paths.database) as store:
            cid = store.create_conversation("Tuned").id
            main = MainWindow(store, paths, SettingsHolder(settings, paths.settings_file),
                              secrets, runner, executor)  # fmt: skip
            qtbot.addWidget(main)
            main.show()
            main.chat.open_conversation(ConversationId(cid))
            dialog = conversation_dialog(main)
            dialog.provider.setCurrentIndex(dialog.provider.findData("local"))
            dialog.provider.activated.emit(dialog.provider.currentIndex())
            for name, text in (("temperature", "0.3"), ("seed", "7")):
                edit_of(dialog, name).setText(text)
                edit_of(dialog, name).editingFinished.emit()
            stop = dialog.editors["stop"].findChildren(QLineEdit)[0]
            stop.setText("END")
            stop.editingFinished.emit()
            dialog.close()
            main.composer.set_text("What is tuned?")
            main.composer._send_text()
            deadline = asyncio.get_running_loop().time() + 10
            while main.chat.busy or runner.running_any():
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.02)
            (request,) = server.chat_requests
            assert request.api_key == "sk-local-0123456789"
            assert request.body["temperature"] == 0.3
            assert request.body["seed"] == 7
            assert request.body["stop"] == ["END"]
            await main.chat.aclose()
            main.close()
    finally:
        await runner.shutdown()
        executor.shutdown(wait=True)
        server.stop()


@pytest.mark.asyncio
async def test_settings_show_the_hotkey_status(window: MainWindow) -> None:
    window.settings_windows.open_settings("appearance")
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    assert "kibitz --quick-ask" in dialog._hotkey_label.text()
    window.show_hotkey_status(
        lambda: "Unavailable: another application uses Ctrl+Alt+Space",
        "kibitz --basedir /tmp/k --quick-ask",
    )
    assert "another application uses Ctrl+Alt+Space" in dialog._hotkey_label.text()
    assert "kibitz --basedir /tmp/k --quick-ask" in dialog._hotkey_label.text()
