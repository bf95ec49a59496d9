"""Quick ask takes attachments as the window does (a pasted screenshot, a dropped file), and
"Open in Kibitz" hands them, with the unsent text, to the main window's composer."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.support import attachment_files as files
from tests.unit.ui.attachment_window import (
    composer_edit,
    drop_on,
    fake_settings,
    file_drag,
    window_on,
)

from kibitz.core.paths import resolve_paths
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.quick_ask import QuickAskWindow

WAIT_MS = 10_000


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


@pytest.fixture
def quick(qtbot: QtBot, store: Store, tmp_path: Path) -> Iterator[QuickAskWindow]:
    executor = ThreadPoolExecutor(max_workers=1)
    holder = SettingsHolder(Settings(), tmp_path / "settings.toml")
    window = QuickAskWindow(store, holder, MemorySecretStore(), executor)
    qtbot.addWidget(window)
    window.summon()
    qtbot.waitExposed(window)
    yield window
    executor.shutdown(wait=True)


def test_a_pasted_screenshot_and_a_dropped_file_attach_in_quick_ask(
    qtbot: QtBot, quick: QuickAskWindow, tmp_path: Path
) -> None:
    height = quick.height()
    image = QImage(200, 120, QImage.Format.Format_RGB32)
    image.fill(QColor(200, 60, 60))
    mime = QMimeData()
    mime.setImageData(image)
    QApplication.clipboard().setMimeData(mime)
    edit = composer_edit(quick)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(quick.composer.attachments) == 1, timeout=WAIT_MS)
    notes = tmp_path / "todo.txt"
    notes.write_text("water the plants\n", encoding="utf-8")
    assert drop_on(quick, file_drag([notes])).isAccepted()
    qtbot.waitUntil(lambda: len(quick.composer.attachments) == 2, timeout=WAIT_MS)
    assert [c.name for c in quick.composer.chips()] == ["pasted-image-1.png", "todo.txt"]
    qtbot.waitUntil(lambda: quick.height() > height, timeout=WAIT_MS)  # room for the chips


def test_open_in_kibitz_hands_the_attachments_to_the_window(
    qtbot: QtBot, quick: QuickAskWindow, store: Store, tmp_path: Path
) -> None:
    photo = tmp_path / "receipt.png"
    files.png(photo, 80, 120)
    quick.chat.intake.add_paths([photo])
    qtbot.waitUntil(lambda: bool(quick.composer.attachments), timeout=WAIT_MS)
    qtbot.keyClicks(composer_edit(quick), "Add this up")
    paths = resolve_paths(tmp_path / "home").ensure()
    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        window.composer.set_text("Mine first")
        quick.open_requested.connect(window.open_conversation)
        qtbot.keyClick(composer_edit(quick), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert not quick.isVisible()
        assert quick.composer.chips() == []
        assert window.composer.text == "Mine first\n\nAdd this up"
        assert [c.name for c in window.composer.chips()] == ["receipt.png"]
        (handed,) = window.composer.attachments
        assert handed.data == photo.read_bytes()  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_a_screenshot_pasted_in_quick_ask_is_asked_about(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    """Ctrl+Alt+Space, Ctrl+V, a question, Enter: the screenshot reaches the server."""
    from tests.support.fake_openai import FakeOpenAI
    from tests.support.fake_openai.vision import images_in
    from tests.unit.ui.attachment_window import TEST_KEY, until

    from kibitz.core.types import ImagePart, MessageStatus, Role

    executor = ThreadPoolExecutor(max_workers=1)
    with FakeOpenAI() as fake:
        secrets = MemorySecretStore()
        secrets.set_key("fake", TEST_KEY)
        holder = SettingsHolder(fake_settings(fake), tmp_path / "settings.toml")
        window = QuickAskWindow(store, holder, secrets, executor)
        qtbot.addWidget(window)
        try:
            window.summon()
            qtbot.waitExposed(window)
            image = QImage(300, 180, QImage.Format.Format_RGB32)
            image.fill(QColor(30, 120, 200))
            mime = QMimeData()
            mime.setImageData(image)
            QApplication.clipboard().setMimeData(mime)
            edit = composer_edit(window)
            edit.setFocus()
            qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: len(window.composer.attachments) == 1, "the chip")
            qtbot.keyClicks(edit, "What is this?")
            qtbot.keyClick(edit, Qt.Key.Key_Return)

            def answered() -> bool:
                conversations = store.list_conversations()
                if not conversations:
                    return False
                last = store.branch(conversations[0].id)[-1]
                return last.role is Role.ASSISTANT and last.status is not MessageStatus.STREAMING

            await until(answered, "the reply")
        finally:
            await window.chat.aclose()  # the HTTP client's connections
            window.close()
            executor.shutdown(wait=True)
    (conversation,) = store.list_conversations()
    question, reply = store.branch(conversation.id)
    (part,) = [p for p in question.parts if isinstance(p, ImagePart)]
    assert (part.name, part.mime_type, part.width, part.height) == (
        "pasted-image-1.png",
        "image/png",
        300,
        180,
    )
    (request,) = fake.chat_requests
    (seen,) = images_in(request.body)
    assert (seen.mime_type, seen.width, seen.height) == ("image/png", 300, 180)
    assert reply.content == "I see 1 image: image/png 300x180."
