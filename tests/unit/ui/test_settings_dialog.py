"""The Settings window: fields built from the schema, live changes, providers, keys, presets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore, display_key
from kibitz.core.settings import Settings, load_settings, spec_for
from kibitz.core.settings.presets import default_prompt
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import APPEARANCE, PARAMETERS, SettingsDialog
from kibitz.ui.settings.field_editor import FieldEditor, NumberBox
from kibitz.ui.tasks import TaskRunner

KEY = "sk-test-settings-0123456789abcdef"


class Rig:
    def __init__(self, paths: AppPaths, secrets: SessionSecretStore) -> None:
        self.paths = paths
        self.holder = SettingsHolder(Settings(), paths.settings_file)
        self.secrets = secrets
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.runner = TaskRunner()
        self.notices: list[Notice] = []
        self.context = SettingsContext(
            self.holder, secrets, self.runner, self.executor, paths, self.notices.append
        )

    def saved(self) -> Settings:
        return load_settings(self.paths.settings_file).settings


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(resolve_paths(tmp_path / "home").ensure(), SessionSecretStore(MemorySecretStore()))
    yield rig
    rig.executor.shutdown(wait=True)


@pytest.fixture
def dialog(rig: Rig, qtbot: QtBot) -> SettingsDialog:
    dialog = SettingsDialog(rig.context)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_into(edit: QLineEdit, text: str) -> None:
    edit.setText(text)
    edit.editingFinished.emit()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


def editor(dialog: SettingsDialog, page: str, path: str) -> FieldEditor:
    return dialog.forms[page].editors[path]


def line_edit(field: FieldEditor) -> QLineEdit:
    widget = field.input_widget()
    if isinstance(widget, NumberBox):
        return widget.edit  # a number's text field, beside its arrows
    assert isinstance(widget, QLineEdit)
    return widget


# -- fields --------------------------------------------------------------------------------


def test_a_number_has_arrows_its_unit_and_its_range(qtbot: QtBot) -> None:
    field = FieldEditor(spec_for("chat.request_timeout_s"))
    qtbot.addWidget(field)
    committed: list[object] = []
    field.committed.connect(committed.append)
    box = field.input_widget()
    assert isinstance(box, NumberBox)
    field.set_value(600.0)
    assert line_edit(field).text() == "600 seconds"
    box.stepBy(1)
    assert committed == [601.0]
    assert line_edit(field).text() == "601 seconds"
    type_into(line_edit(field), "3600")
    box.stepBy(5)  # the arrows stop at the schema's maximum
    assert committed[-1] == 3600.0
    assert not box.stepEnabled() & QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
    type_into(line_edit(field), "4000")  # typed past it: said, not quietly corrected
    assert "3600" in field.error_text()
    assert line_edit(field).text() == "4000"
    assert committed[-1] == 3600.0


def test_an_optional_number_left_empty_is_the_server_default(qtbot: QtBot) -> None:
    field = FieldEditor(spec_for("defaults.temperature"))
    qtbot.addWidget(field)
    committed: list[object] = []
    field.committed.connect(committed.append)
    box = field.input_widget()
    assert isinstance(box, NumberBox)
    assert line_edit(field).placeholderText().startswith("Server default")
    box.stepBy(3)
    assert committed == [pytest.approx(0.3)]
    type_into(line_edit(field), "")
    assert committed[-1] is None


def test_a_value_outside_the_range_is_refused_and_kept(qtbot: QtBot) -> None:
    field = FieldEditor(spec_for("defaults.temperature"))
    qtbot.addWidget(field)
    committed: list[object] = []
    field.committed.connect(committed.append)
    type_into(line_edit(field), "3")
    assert committed == []
    assert "from 0 to 2" in field.error_text()
    assert field.error_text().startswith("'3' is not allowed")  # as typed, not 3.0
    assert line_edit(field).text() == "3"  # what was typed stays, to be corrected
    type_into(line_edit(field), "0.7")
    assert committed == [0.7]
    assert field.error_text() == ""
    type_into(line_edit(field), "")
    assert committed == [0.7, None]  # empty: back to the server's default


def test_stop_sequences_take_escapes(qtbot: QtBot) -> None:
    field = FieldEditor(spec_for("defaults.stop"))
    qtbot.addWidget(field)
    committed: list[object] = []
    field.committed.connect(committed.append)
    parts = field.findChildren(QLineEdit)
    assert len(parts) == 4
    parts[0].setText("END")
    parts[1].setText("\\n\\n")
    parts[1].editingFinished.emit()
    assert committed == [("END", "\n\n")]


# -- the dialog ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_parameters_apply_at_once_and_reach_the_file(
    dialog: SettingsDialog, rig: Rig
) -> None:
    changed: list[Settings] = []
    rig.holder.changed.connect(changed.append)
    temperature = editor(dialog, PARAMETERS, "defaults.temperature")
    type_into(line_edit(temperature), "0.7")
    assert rig.holder().defaults.temperature == 0.7
    assert changed[-1].defaults.temperature == 0.7
    assert rig.saved().defaults.temperature == 0.7
    type_into(line_edit(temperature), "7")
    assert "from 0 to 2" in temperature.error_text()
    assert rig.saved().defaults.temperature == 0.7  # nothing applied


@pytest.mark.asyncio
async def test_max_tokens_is_bounded_by_the_models_limit(dialog: SettingsDialog, rig: Rig) -> None:
    from kibitz.core.models import model_limits

    limits = model_limits(rig.holder().defaults.model)
    assert limits is not None
    assert limits.max_output_tokens is not None
    field = editor(dialog, PARAMETERS, "defaults.max_tokens")
    assert f"{limits.max_output_tokens:,}" in line_edit(field).placeholderText()
    type_into(line_edit(field), str(limits.max_output_tokens + 1))
    assert f"{limits.max_output_tokens:,}" in field.error_text()
    assert rig.holder().defaults.max_tokens is None
    type_into(line_edit(field), "500")
    assert rig.holder().defaults.max_tokens == 500


@pytest.mark.asyncio
async def test_appearance_choices_apply_live(dialog: SettingsDialog, rig: Rig) -> None:
    theme = editor(dialog, APPEARANCE, "ui.theme").input_widget()
    assert isinstance(theme, QComboBox)
    theme.setCurrentIndex(theme.findData("dark"))
    theme.activated.emit(theme.currentIndex())
    assert rig.holder().ui.theme == "dark"
    # A change made elsewhere (another window, the file) shows in the dialog.
    rig.holder.update(rig.holder().with_value("ui.send_key", "ctrl+enter"))
    send = editor(dialog, APPEARANCE, "ui.send_key").input_widget()
    assert isinstance(send, QComboBox)
    assert send.currentData() == "ctrl+enter"


@pytest.mark.asyncio
async def test_image_detail_is_chosen_beside_the_parameters(
    dialog: SettingsDialog, rig: Rig
) -> None:
    detail = editor(dialog, PARAMETERS, "chat.image_detail").input_widget()
    assert isinstance(detail, QComboBox)
    assert [detail.itemData(i) for i in range(detail.count())] == ["auto", "low", "high"]
    assert detail.currentData() == "auto"
    assert "small print" in detail.itemText(detail.findData("high"))
    detail.setCurrentIndex(detail.findData("low"))
    detail.activated.emit(detail.currentIndex())
    assert rig.holder().chat.image_detail == "low"
    assert rig.saved().chat.image_detail == "low"


@pytest.mark.asyncio
async def test_enter_in_a_field_presses_no_button(dialog: SettingsDialog) -> None:
    from PySide6.QtWidgets import QPushButton

    assert [b.text() for b in dialog.findChildren(QPushButton) if b.autoDefault()] == []


@pytest.mark.asyncio
async def test_the_hotkey_field_takes_combinations_only(dialog: SettingsDialog, rig: Rig) -> None:
    field = editor(dialog, APPEARANCE, "ui.hotkey")
    type_into(line_edit(field), "Ctrl+Shift+K")
    assert rig.holder().ui.hotkey == "ctrl+shift+k"
    assert line_edit(field).text() == "ctrl+shift+k"
    type_into(line_edit(field), "ctrl+banana")
    assert field.error_text() != ""
    assert rig.holder().ui.hotkey == "ctrl+shift+k"
    type_into(line_edit(field), "")
    assert rig.holder().ui.hotkey == ""  # off


@pytest.mark.asyncio
async def test_every_control_has_an_accessible_name(dialog: SettingsDialog) -> None:
    for page in ("providers", "parameters", "presets", "appearance", "connection"):
        dialog.open_page(page)
        unnamed = [
            f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
            for w in dialog.findChildren(QWidget)
            if isinstance(w, QAbstractButton | QLineEdit | QComboBox) and w.isVisibleTo(dialog)
            if not w.accessibleName() and not isinstance(w.parent(), QLineEdit | QComboBox)
        ]
        assert unnamed == [], page


# -- providers and keys --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_profile_is_added_keyed_renamed_and_keeps_its_key(
    dialog: SettingsDialog, rig: Rig
) -> None:
    page = dialog.providers
    page.add_profile("openai")
    assert [p.name for p in rig.holder().providers.profiles] == ["OpenAI"]
    page.key.field.setText(KEY)
    page.key.save_button.click()
    await until(lambda: display_key(KEY) in page.key.status.text())
    assert KEY not in page.key.status.text()
    assert page.key.field.text() == ""  # the typed key does not linger in the field
    assert rig.secrets.get_key("OpenAI") == KEY
    type_into(page.name, "Personal")
    assert [p.name for p in rig.holder().providers.profiles] == ["Personal"]
    await until(lambda: rig.secrets.get_key("Personal") == KEY)
    assert rig.secrets.get_key("OpenAI") is None
    assert KEY not in rig.paths.settings_file.read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_bad_profile_fields_are_refused_with_the_reason(
    dialog: SettingsDialog, rig: Rig
) -> None:
    page = dialog.providers
    page.add_profile("custom")
    type_into(page.base_url, "ftp://nowhere")
    assert "not an http(s) URL" in page.error.text()
    assert rig.holder().providers.profiles[0].base_url == "https://example.invalid/v1"
    type_into(page.name, "")
    assert "non-empty text" in page.error.text()
    type_into(page.name, "Custom")
    type_into(page.base_url, "http://127.0.0.1:8080/v1")
    assert page.error.text() == ""
    page.headers.setPlainText("Authorization: Bearer sk-secret")
    page._commit_fields()
    assert "keyring" in page.error.text()
    assert "sk-secret" not in rig.paths.settings_file.read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_azure_fields_show_for_azure_only(dialog: SettingsDialog) -> None:
    page = dialog.providers
    page.add_profile("openai")
    assert not page.api_version.isVisibleTo(page)
    page.add_profile("azure")
    assert page.api_version.isVisibleTo(page)
    assert page.deployment.isVisibleTo(page)


@pytest.mark.asyncio
async def test_without_a_keyring_the_key_can_be_kept_for_the_session(
    tmp_path: Path, qtbot: QtBot
) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    from kibitz.core.secrets import KeyringSecretStore

    secrets = SessionSecretStore(KeyringSecretStore(backend=FailKeyring()))
    rig = Rig(resolve_paths(tmp_path / "home").ensure(), secrets)
    try:
        dialog = SettingsDialog(rig.context)
        qtbot.addWidget(dialog)
        dialog.show()
        page = dialog.providers
        page.add_profile("openai")
        await until(lambda: page.key.session_button.isVisibleTo(page))
        assert "keep a key for this session only" in page.key.status.text()
        # A profile for api.openai.com may also use OPENAI_API_KEY; the offer says so.
        assert "OPENAI_API_KEY" in page.key.status.text()
        page.key.field.setText(KEY)
        page.key.session_button.click()
        await until(lambda: "for this session only (not saved)" in page.key.status.text())
        assert secrets.get_key("OpenAI") == KEY
    finally:
        rig.executor.shutdown(wait=True)


@pytest.mark.asyncio
async def test_test_connection_reports_plainly(dialog: SettingsDialog, rig: Rig) -> None:
    server = FakeOpenAI().start()
    try:
        page = dialog.providers
        page.add_profile("custom")
        type_into(page.base_url, server.url)
        page.key.field.setText(KEY)
        page.key.save()
        await until(lambda: rig.secrets.get_key("Custom") == KEY)
        page.test_button.click()
        await until(lambda: page.result.text().startswith(("✓", "✗")))
        assert page.result.text().startswith("✓ Connected in"), page.result.text()
        type_into(page.base_url, "http://127.0.0.1:9/v1")
        page.test_button.click()
        await until(lambda: page.result.text().startswith(("✓", "✗")))
        assert page.result.text().startswith("✗"), page.result.text()
    finally:
        server.stop()


# -- presets -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_presets_are_made_renamed_and_become_the_default(
    dialog: SettingsDialog, rig: Rig
) -> None:
    page = dialog.presets
    page.add_preset()
    page.name.setText("Terse")
    page.text.setPlainText("Answer in one line.")
    page._commit()
    page.make_default()
    settings = rig.holder()
    assert [p.name for p in settings.presets.items] == ["Terse"]
    assert default_prompt(settings) == "Answer in one line."
    assert default_prompt(rig.saved()) == "Answer in one line."
    page.add_preset()
    page.name.setText("Terse")  # taken
    page._commit()
    assert "used twice" in page.error.text()


@pytest.mark.asyncio
async def test_the_model_list_comes_from_the_server_and_is_cached(rig: Rig, qtbot: QtBot) -> None:
    from kibitz.core.server_models import ModelCache
    from kibitz.core.settings import ProviderProfile

    server = FakeOpenAI().start()
    server.models = ["alpha-1", "beta-2"]
    try:
        rig.holder.update(
            rig.holder().with_profile(ProviderProfile("srv", kind="custom", base_url=server.url))
        )
        rig.secrets.set_key("srv", KEY)
        dialog = SettingsDialog(rig.context)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.open_page(PARAMETERS)
        picker = dialog.parameters.model
        await until(lambda: picker.models() == ["alpha-1", "beta-2"])
        cached = ModelCache(rig.paths.cache_dir).get("srv", server.url)
        assert cached is not None
        assert cached.models == ("alpha-1", "beta-2")
        # Any name may still be typed: the list is a help, not a limit.
        edit = picker.findChild(QLineEdit)
        assert edit is not None
        type_into(edit, "my-finetune")
        assert rig.holder().defaults.model == "my-finetune"
        # A server that cannot list its models says so, and the cached names stay.
        server.models_status = 404
        picker.refresh()
        await until(lambda: "Could not list the models" in picker._status.text())
        assert picker.models() == ["alpha-1", "beta-2"]
    finally:
        server.stop()


@pytest.mark.asyncio
async def test_without_profiles_the_default_key_is_managed_here(
    dialog: SettingsDialog, rig: Rig
) -> None:
    from kibitz.core.settings import ENV_PROVIDER_NAME

    dialog.open_page("providers")
    box = dialog.providers.default_key
    assert box.isVisibleTo(dialog)
    await until(lambda: "Looking" not in box.status.text())
    box.field.setText(KEY)
    box.save()
    await until(lambda: display_key(KEY) in box.status.text())
    # The key the welcome pane would have saved, where the app looks without a profile.
    assert rig.secrets.get_key(ENV_PROVIDER_NAME) == KEY
    box.delete()
    await until(lambda: rig.secrets.get_key(ENV_PROVIDER_NAME) is None)
    dialog.providers.add_profile("ollama")
    assert not box.isVisibleTo(dialog)
