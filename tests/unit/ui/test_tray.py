"""The tray icon's menu and window toggle; with no system tray (offscreen) the icon does not
count as one, so close to tray never hides the window where nothing could bring it back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.tray import TrayIcon, tray_available


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    widget.setWindowTitle("Kibitz")
    qtbot.addWidget(widget)
    return widget


def test_menu_offers_the_four_actions(qtbot: QtBot, window: QWidget, store: Store) -> None:
    tray = TrayIcon(window, store, Settings)
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == ["New chat", "Quick ask", "Hide Kibitz", "Quit"]
    assert tray.menu.accessibleName() == "Kibitz tray menu"
    new, quick, _toggle, quit_ = (a for a in tray.menu.actions() if not a.isSeparator())
    with qtbot.waitSignal(tray.new_chat_requested):
        new.trigger()
    with qtbot.waitSignal(tray.quick_ask_requested):
        quick.trigger()
    with qtbot.waitSignal(tray.quit_requested):
        quit_.trigger()


def test_toggle_hides_and_shows_the_window(qtbot: QtBot, window: QWidget, store: Store) -> None:
    tray = TrayIcon(window, store, Settings)
    window.show()
    qtbot.waitExposed(window)
    tray.toggle_window()
    assert not window.isVisible()
    tray.menu.aboutToShow.emit()
    assert "Show Kibitz" in [a.text() for a in tray.menu.actions()]
    tray.toggle_window()
    assert window.isVisible()


def test_without_a_tray_the_icon_does_not_count_as_one(
    window: QWidget, store: Store, tmp_path: Path
) -> None:
    # Close to tray hides the window only while `in_tray` (the spontaneous close itself is
    # exercised end to end with a stand-in tray: tests/end2end/test_quick_ask_tray.py).
    assert not tray_available()  # offscreen: no system tray
    holder = SettingsHolder(Settings(), tmp_path / "settings.toml")
    holder.update(holder().with_value("ui.close_to_tray", True))
    tray = TrayIcon(window, store, holder)
    tray.show()
    assert not tray.in_tray
