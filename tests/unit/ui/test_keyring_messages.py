"""Without a usable keyring, as a user meets it: one plain message where a key is needed (the
technical reason under Details), none for a local server, a session key called what it is,
and after a restart the welcome pane asks for the configured provider's key, not OpenAI's.

The keyring is keyring's own `fail` backend, what the library picks when no password store
runs (no D-Bus session, no Secret Service). Screenshots: welcome-no-keyring-light.png,
welcome-custom-provider-light.png, settings-session-key-light.png.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QLineEdit, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from kibitz.core.discovery import LocalServer
from kibitz.core.errors import KibitzError
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.secrets import KeyringSecretStore, SessionSecretStore
from kibitz.core.settings import ProviderProfile, Settings, load_settings, save_settings
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.main_window import MainWindow
from kibitz.ui.notify import Notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.dialog import SettingsDialog
from kibitz.ui.style import apply_theme
from kibitz.ui.tasks import TaskRunner

KEY = "sk-session-only-0123456789abcdef"
# What must never reach a headline: the library's class names and the environment's insides.
TECHNICAL = ("keyring.backends", "fail.Keyring", "DBUS_SESSION_BUS_ADDRESS", "D-Bus", "backend")
PLAIN = "can't reach a password store"


def no_keyring() -> SessionSecretStore:
    return SessionSecretStore(KeyringSecretStore(backend=fail.Keyring()))


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def light() -> Iterator[None]:
    """The app's light theme (palette and stylesheet), restored after."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet = QPalette(app.palette()), app.styleSheet()
    apply_theme(app, "light")
    yield
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


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.02)


def shown_texts(widget: QWidget) -> list[str]:
    """Every text the user can read in `widget` right now (labels, buttons, fields' hints)."""
    found = [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]
    found += [
        edit.placeholderText()
        for edit in widget.findChildren(QLineEdit)
        if edit.isVisibleTo(widget)
    ]
    return [text for text in found if text]


class App:
    """The main window as the app builds it, on the settings a restart would read."""

    def __init__(self, paths: AppPaths, settings: Settings, secrets: SessionSecretStore) -> None:
        self.paths = paths
        self.secrets = secrets
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.runner = TaskRunner()
        self.failures: list[KibitzError] = []
        self.runner.failed.connect(lambda _key, error: self.failures.append(error))
        self.holder = SettingsHolder(settings, paths.settings_file)
        self.store = Store.open(paths.database)
        self.window = MainWindow(
            self.store, paths, self.holder, secrets, self.runner, self.executor
        )
        # As the app does: a task's failure is a banner in the window.
        self.runner.failed.connect(
            lambda _key, error: self.window.notices.show_notice(
                Notice(" ".join(error.lines()), kind="error")
            )
        )

    def banner(self) -> str:
        notice = self.window.notices.current
        return notice.text if notice is not None else ""


@contextmanager
def started(
    qtbot: QtBot, paths: AppPaths, settings: Settings, secrets: SessionSecretStore
) -> Iterator[App]:
    app = App(paths, settings, secrets)
    try:
        qtbot.addWidget(app.window)
        app.window.resize(1000, 720)
        app.window.show()
        qtbot.waitExposed(app.window)
        app.window.start_background_work()
        yield app
    finally:
        app.executor.shutdown(wait=True)
        app.store.close()


def restarted_settings(paths: AppPaths, settings: Settings) -> Settings:
    """`settings` written to the settings file and read back, as the next start reads them."""
    save_settings(paths.settings_file, settings)
    return load_settings(paths.settings_file).settings


@pytest.mark.asyncio
async def test_no_keyring_and_no_key_says_so_once_in_plain_words(
    tmp_path: Path, qtbot: QtBot, light: None
) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    with started(qtbot, paths, Settings(), no_keyring()) as app:
        welcome = app.window.welcome
        await until(lambda: any(PLAIN in text for text in shown_texts(welcome)))
        await asyncio.sleep(0.3)  # anything else the start-up would show has had its turn
        texts = shown_texts(app.window)
        said = [text for text in texts if PLAIN in text]
        assert said == [
            "Kibitz can't reach a password store on this system (no keyring service is "
            "running), so keys can't be saved. You can keep a key for this session only, or "
            "set OPENAI_API_KEY before starting Kibitz."
        ]
        assert app.banner() == ""  # not a banner as well
        for text in texts:
            assert not any(word in text for word in TECHNICAL), text
        assert "Connect with an OpenAI API key" in texts
        # The reason, for whoever wants it, is one click away.
        details = welcome.findChild(QLabel, "SetupDetails")
        assert details is not None
        assert not details.isVisibleTo(welcome)
        await save(app.window, shots(tmp_path) / "welcome-no-keyring-light.png")
        toggle = next(
            b
            for b in welcome.findChildren(QToolButton)
            if b.accessibleName() == "Show the technical details"
        )
        assert toggle.isVisibleTo(welcome)
        toggle.click()
        assert details.isVisibleTo(welcome)
        assert "keyring.backends.fail.Keyring" in details.text()

        # The key button keeps the key for this session: one press, no second refusal.
        key_field = next(
            e for e in welcome.findChildren(QLineEdit) if e.accessibleName() == "An OpenAI API key"
        )
        key_field.setText(KEY)
        key_field.returnPressed.emit()
        await until(lambda: app.secrets.memory.get_key("default") == KEY)
        await until(lambda: "session only" in app.banner())
        assert app.banner() == "API key kept for this session only (not saved). Ask away."
        assert app.failures == []


@pytest.mark.asyncio
async def test_a_local_server_needs_no_key_so_the_keyring_goes_unmentioned(
    tmp_path: Path, qtbot: QtBot
) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    with started(qtbot, paths, Settings(), no_keyring()) as app:
        welcome = app.window.welcome
        card = welcome.findChild(QFrame, "SetupCard")
        assert card is not None
        await until(lambda: card.isVisibleTo(welcome))
        # Chosen on the welcome pane: connected, and not a word about keys.
        server = LocalServer("llamacpp", "llama.cpp", "http://127.0.0.1:8080/v1", ("qwen",))
        welcome.server_chosen.emit(server)
        await until(lambda: app.banner().startswith("Connected"))
        assert app.banner() == "Connected to http://127.0.0.1:8080/v1 · model qwen"
        assert not any("password store" in t or "keyring" in t for t in shown_texts(welcome))

        # Added in Settings, renamed: no banner from a key that cannot be moved.
        context = SettingsContext(
            app.holder, app.secrets, app.runner, app.executor, paths, app.window.notices.show_notice
        )
        dialog = SettingsDialog(context)
        qtbot.addWidget(dialog)
        dialog.show()
        page = dialog.providers
        page.add_profile("ollama")
        page.name.setText("My Ollama")
        page.name.editingFinished.emit()
        await until(lambda: not app.runner.running("settings-move-key"))
        await until(lambda: "local servers" in page.key.status.text())
        await asyncio.sleep(0.2)
        assert app.failures == []
        assert "keyring" not in app.banner().lower()
        assert page.key.status.text() == "No key: local servers usually need none."
        for text in shown_texts(dialog):
            assert "password store" not in text, text
            assert "No system keyring" not in text, text
        # A key can still be given (a server started with one): kept for this session.
        assert page.key.session_button.isVisibleTo(dialog)
        assert not page.key.save_button.isVisibleTo(dialog)

    # After a restart the same profile starts straight into an empty chat.
    settings = restarted_settings(paths, app.holder())
    with started(qtbot, paths, settings, no_keyring()) as again:
        await until(lambda: not again.runner.running("setup:check"))
        await asyncio.sleep(0.2)
        card = again.window.welcome.findChild(QFrame, "SetupCard")
        assert card is not None
        assert not card.isVisibleTo(again.window)
        assert again.banner() == ""


@pytest.mark.asyncio
async def test_a_session_key_is_said_to_be_kept_for_this_session(
    tmp_path: Path, qtbot: QtBot, light: None
) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    secrets = no_keyring()
    secrets.set_key("OpenAI", KEY, remember=False)
    holder = SettingsHolder(Settings(), paths.settings_file)
    runner = TaskRunner()
    executor = ThreadPoolExecutor(max_workers=1)
    notices: list[Notice] = []
    try:
        dialog = SettingsDialog(
            SettingsContext(holder, secrets, runner, executor, paths, notices.append)
        )
        qtbot.addWidget(dialog)
        dialog.resize(900, 640)
        dialog.show()
        page = dialog.providers
        page.add_profile("openai")
        await until(lambda: "sk-…cdef" in page.key.status.text())
        assert page.key.status.text() == "Key sk-…cdef is kept for this session only (not saved)."
        await save(dialog, shots(tmp_path) / "settings-session-key-light.png")
    finally:
        await runner.shutdown()
        executor.shutdown(wait=True)


@pytest.mark.asyncio
async def test_a_session_key_kept_beside_a_working_keyring_is_not_called_saved(
    tmp_path: Path, qtbot: QtBot
) -> None:
    from kibitz.core.secrets import MemorySecretStore

    paths = resolve_paths(tmp_path / "home").ensure()
    lasting = MemorySecretStore()  # stands in for a keyring that works
    secrets = SessionSecretStore(lasting)
    secrets.set_key("OpenAI", KEY, remember=False)
    runner = TaskRunner()
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        dialog = SettingsDialog(
            SettingsContext(
                SettingsHolder(Settings(), paths.settings_file), secrets, runner, executor,
                paths, print,
            )
        )  # fmt: skip
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.providers.add_profile("openai")
        status = dialog.providers.key.status
        await until(lambda: "sk-…cdef" in status.text())
        assert "for this session only (not saved)" in status.text()
        assert "system keyring" not in status.text()
    finally:
        await runner.shutdown()
        executor.shutdown(wait=True)


@pytest.mark.asyncio
async def test_after_a_restart_the_configured_provider_is_asked_for_by_name(
    tmp_path: Path, qtbot: QtBot, light: None
) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    custom = ProviderProfile("Workbench", kind="custom", base_url="http://127.0.0.1:8080/v1")
    settings = restarted_settings(paths, Settings().with_profile(custom))
    with started(qtbot, paths, settings, no_keyring()) as app:
        welcome = app.window.welcome
        await until(lambda: any(PLAIN in text for text in shown_texts(welcome)))
        texts = shown_texts(app.window)
        assert "Connect with the API key for Workbench" in texts
        assert not any("OpenAI API key" in text for text in texts), texts
        assert "sk-…" not in texts  # an OpenAI key's look, as the field's hint
        # OPENAI_API_KEY would never be sent to this server: not offered as a way on.
        assert (
            "Kibitz can't reach a password store on this system (no keyring service is "
            "running), so keys can't be saved. You can keep a key for this session only."
        ) in texts
        assert welcome.keyring_note == (
            "Kibitz can't reach a password store on this system (no keyring service is "
            "running), so keys can't be saved. You can keep a key for this session only."
        )
        await save(app.window, shots(tmp_path) / "welcome-custom-provider-light.png")
        key_field = next(
            e
            for e in welcome.findChildren(QLineEdit)
            if e.accessibleName() == "The API key for Workbench"
        )
        key_field.setText(KEY)
        key_field.returnPressed.emit()
        await until(lambda: app.secrets.memory.get_key("Workbench") == KEY)
        assert app.failures == []


@pytest.mark.asyncio
async def test_another_server_connects_without_a_keyring_its_key_kept_for_the_session(
    tmp_path: Path, qtbot: QtBot
) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    with started(qtbot, paths, Settings(), no_keyring()) as app:
        welcome = app.window.welcome
        card = welcome.findChild(QFrame, "SetupCard")
        assert card is not None
        await until(lambda: card.isVisibleTo(welcome))
        welcome.custom_server_submitted.emit("http://127.0.0.1:9/v1", "any-text")
        await until(lambda: app.banner().startswith("Connected"))
        assert app.banner() == (
            "Connected to http://127.0.0.1:9/v1. The key is kept for this session only (not saved)"
        )
        assert app.secrets.memory.get_key("custom") == "any-text"
        assert app.holder().providers.active == "custom"
        assert not card.isVisibleTo(welcome)
        assert app.failures == []


@pytest.mark.asyncio
async def test_settings_say_it_in_the_same_words_with_details_folded(
    tmp_path: Path, qtbot: QtBot, light: None
) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    secrets = no_keyring()
    runner = TaskRunner()
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        holder = SettingsHolder(Settings(), paths.settings_file)
        dialog = SettingsDialog(SettingsContext(holder, secrets, runner, executor, paths, print))
        qtbot.addWidget(dialog)
        dialog.resize(900, 640)
        dialog.show()
        key = dialog.providers.key
        dialog.providers.add_profile("openai")
        await until(lambda: PLAIN in key.status.text())
        assert key.status.text() == (
            "Kibitz can't reach a password store on this system (no keyring service is "
            "running), so keys can't be saved. You can keep a key for this session only, or "
            "set OPENAI_API_KEY before starting Kibitz."
        )
        for text in shown_texts(dialog):
            assert not any(word in text for word in TECHNICAL), text
        assert not key.save_button.isVisibleTo(dialog)
        assert key.session_button.isVisibleTo(dialog)
        await save(dialog, shots(tmp_path) / "settings-no-keyring-light.png")
        key.details_button.click()
        assert key.details.isVisibleTo(dialog)
        assert "keyring.backends.fail.Keyring" in key.details.text()
        # Return in the field keeps the key for the session too (the keyring would refuse it).
        key.field.setText(KEY)
        key.field.returnPressed.emit()
        await until(lambda: "not saved" in key.status.text())
        assert secrets.memory.get_key("OpenAI") == KEY
        assert not key.details_button.isVisibleTo(dialog)
    finally:
        await runner.shutdown()
        executor.shutdown(wait=True)
