"""Zoom of the conversation text (Ctrl+= / Ctrl+- / Ctrl+0) and the Help menu (shortcuts,
About with the folders, Open log folder), in a real main window."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window

from kibitz import __version__
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.settings.storage import load_settings
from kibitz.core.store import Store
from kibitz.core.types import Role
from kibitz.ui.app.help import SHORTCUTS, AboutDialog, ShortcutsDialog
from kibitz.ui.main_window import MainWindow

Ctrl = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return resolve_paths(tmp_path / "home").ensure()


@pytest.fixture
def window(paths: AppPaths, qtbot: QtBot) -> Iterator[MainWindow]:
    with Store.open(paths.database) as store:
        conversation = store.create_conversation("Sizes")
        question = store.add_message(conversation.id, None, Role.USER, "How big is this text?")
        store.add_message(conversation.id, question.id, Role.ASSISTANT, "Big enough to read.")
        with shown_window(qtbot, store, paths) as main:
            main.sidebar.conversation_selected.emit(conversation.id)
            qtbot.waitUntil(lambda: bool(main.chat_view.message_widgets()), timeout=10_000)
            yield main


def _reply_points(window: MainWindow) -> float:
    widget = window.chat_view.message_widgets()[-1]
    return widget.text_view.document().defaultFont().pointSizeF()


def test_ctrl_plus_minus_and_zero_size_the_conversation_text_and_keep_it(
    window: MainWindow, paths: AppPaths, qtbot: QtBot
) -> None:
    base = _reply_points(window)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Ctrl)
    qtbot.waitUntil(lambda: _reply_points(window) > base)
    bigger = _reply_points(window)
    assert load_settings(paths.settings_file).settings.ui.font_size == round(bigger)
    assert window.composer.font().pointSizeF() == bigger  # what you type grows alike
    assert window.notices.current is not None
    assert window.notices.current.text.startswith("Text size")

    qtbot.keyClick(window, Qt.Key.Key_Minus, Ctrl)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Ctrl)
    qtbot.waitUntil(lambda: _reply_points(window) < base)

    qtbot.keyClick(window, Qt.Key.Key_0, Ctrl)
    qtbot.waitUntil(lambda: _reply_points(window) == base)
    assert load_settings(paths.settings_file).settings.ui.font_size is None


def test_zoom_stops_at_the_settings_range(window: MainWindow) -> None:
    for _ in range(40):
        window.zoom.zoom_in()
    assert window.zoom.current() == 72
    for _ in range(80):
        window.zoom.zoom_out()
    assert window.zoom.current() == 6


def test_f1_lists_every_shortcut_the_window_has(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    listed = " / ".join(keys for keys, _what in dialog.rows())
    native = QKeySequence.SequenceFormat.PortableText
    missing = [
        f"{act.text()}: {key.toString(native)}"
        for act in window.actions()
        for key in act.shortcuts()[:1]  # the first is the one menus show
        if not key.isEmpty() and key.toString(native) not in listed
    ]
    assert missing == []
    shown = {label.text() for label in dialog.findChildren(QLabel)}
    assert {"Writing", "Conversations", "Replies", "Windows"} <= shown
    assert sum(len(keys) for _s, keys in SHORTCUTS) == len(dialog.rows())


class _Opened(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_about_names_the_version_and_folders_and_opens_the_log_folder(
    window: MainWindow, paths: AppPaths, qtbot: QtBot
) -> None:
    window.show_about()
    about = window.findChild(AboutDialog)
    assert about is not None
    qtbot.waitUntil(about.isVisible)
    texts = " ".join(label.text() for label in about.findChildren(QLabel))
    assert __version__ in texts
    for folder in (paths.data_dir, paths.config_dir, paths.log_dir):
        assert str(folder) in texts
    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        qtbot.mouseClick(about.folder_buttons["Logs"], Qt.MouseButton.LeftButton)
        window.open_log_folder()  # Help → Open log folder
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(url.toLocalFile()) for url in opened.urls] == [paths.log_dir] * 2
    window.show_about()  # asked again: the same window, not a second one
    assert len(window.findChildren(AboutDialog)) == 1


def test_help_screenshots(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    shots = Path(os.environ.get("KIBITZ_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    window.show_shortcuts()
    window.show_about()
    for dialog in (window.findChild(ShortcutsDialog), window.findChild(AboutDialog)):
        assert dialog is not None
        qtbot.waitUntil(dialog.isVisible)
        QApplication.processEvents()
        name = "help-shortcuts" if isinstance(dialog, ShortcutsDialog) else "help-about"
        assert dialog.grab().save(str(shots / f"{name}-light.png"))


def test_view_trash_opens_the_trash(window: MainWindow, qtbot: QtBot) -> None:
    (trash,) = [a for a in window.actions() if a.text() == "&Trash"]
    trash.trigger()
    qtbot.waitUntil(window.sidebar.trash_view.isVisible)
