"""What the attachment tests of the window share: a MainWindow talking to the fake server (real
SQLite store, a key in memory), waits that let the event loop run, and real drops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI

from kibitz.core.paths import AppPaths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings
from kibitz.core.settings.provider import ProviderProfile
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.main_window import MainWindow
from kibitz.ui.tasks import TaskRunner

TEST_KEY = "sk-test-0123456789abcdefghijklmn"
MODEL = "gpt-4o-mini"


def fake_settings(fake: FakeOpenAI | None, **values: object) -> Settings:
    settings = Settings().with_value("defaults.model", MODEL).with_value("chat.auto_title", False)
    if fake is not None:
        settings = settings.with_profile(
            ProviderProfile("fake", kind="custom", base_url=fake.url)  # type: ignore[arg-type]
        ).with_value("providers.active", "fake")
    for path, value in values.items():
        settings = settings.with_value(path.replace("__", "."), value)
    return settings


@contextmanager
def window_on(
    qtbot: QtBot, store: Store, paths: AppPaths, settings: Settings
) -> Iterator[MainWindow]:
    """A shown MainWindow as the app builds it, the fake provider's key in memory."""
    executor = ThreadPoolExecutor(max_workers=1)
    secrets = SessionSecretStore(MemorySecretStore())
    secrets.set_key("fake", TEST_KEY, remember=False)
    try:
        main = MainWindow(
            store,
            paths,
            SettingsHolder(settings, paths.settings_file),
            secrets,
            TaskRunner(),
            executor,
        )
        qtbot.addWidget(main)
        main.resize(1100, 760)
        main.show()
        qtbot.waitExposed(main)
        yield main
    finally:
        executor.shutdown(wait=True)


def composer_edit(window: QWidget) -> QPlainTextEdit:
    edit = window.findChild(QPlainTextEdit, "ComposerEdit")
    assert edit is not None
    return edit


async def until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Let the event loop run until `condition()` holds (fails only on a hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def file_drag(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop_on(target: QWidget, mime: QMimeData) -> QDropEvent:
    """A drag entering `target`, then dropped: sent where Qt sends a real drag's events (the
    enter travels up to the first widget that takes it; the drop goes to that widget)."""
    enter = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "the drag was refused"
    taker = target
    while not taker.acceptDrops() and taker.parentWidget() is not None:
        taker = taker.parentWidget()
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(taker, event)
    return event
