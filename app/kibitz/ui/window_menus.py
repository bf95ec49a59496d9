"""The main window's menus and their shortcuts (File, View, Help), and Compare's Alt+1…4.

Each action is the window's too (`addAction`), so its shortcut works while the menu bar is
hidden; the slots reach the window's parts through lambdas, so those made after the first
frame (the chat controller, Compare, Settings) are looked up when the action fires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from kibitz import APP_NAME

if TYPE_CHECKING:
    from kibitz.ui.main_window import MainWindow

COMPARED_COLUMNS = 4  # Alt+1 … Alt+4


def _action(
    window: MainWindow,
    text: str,
    keys: QKeySequence | QKeySequence.StandardKey | str,
    slot: Callable[[], object],
) -> QAction:
    act = QAction(text, window)
    act.setShortcut(QKeySequence(keys))
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.triggered.connect(slot)
    window.addAction(act)
    return act


def add_menus(window: MainWindow) -> None:
    def action(
        text: str,
        keys: QKeySequence | QKeySequence.StandardKey | str,
        slot: Callable[[], object],
    ) -> QAction:
        return _action(window, text, keys, slot)

    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction(action("&New chat", QKeySequence.StandardKey.New, window.new_chat))
    file_menu.addSeparator()
    file_menu.addAction(action("&Import…", "Ctrl+Shift+O", lambda: window.transfer.choose_import()))
    file_menu.addAction(action("&Export…", "Ctrl+Shift+E", lambda: window.transfer.choose_export()))
    file_menu.addSeparator()
    preferences = QKeySequence(QKeySequence.StandardKey.Preferences)
    file_menu.addAction(
        action(
            "&Settings…",
            preferences if not preferences.isEmpty() else "Ctrl+,",
            lambda: window.settings_windows.open_settings(),
        )
    )
    file_menu.addAction(
        action("C&onversation settings…", "Ctrl+Shift+,", window.open_conversation_settings)
    )
    file_menu.addAction(
        action("Choose the &model…", "Ctrl+Shift+M", lambda: window.models.show_menu())
    )
    file_menu.addAction(
        action("Com&pare models…", "Ctrl+Shift+K", lambda: window.compare.show_menu())
    )
    file_menu.addSeparator()
    file_menu.addAction(action("&Quit", QKeySequence.StandardKey.Quit, window.close))
    view_menu = window.menuBar().addMenu("&View")
    view_menu.addAction(action("&Search conversations", "Ctrl+K", window.sidebar.focus_search))
    view_menu.addAction(action("&Trash", "", window.sidebar.show_trash))
    view_menu.addAction(action("&Usage and cost", "", window.show_usage))
    view_menu.addAction(
        action("&Next request…", "Ctrl+Shift+I", lambda: window.chat.inspect_next_request())
    )
    view_menu.addAction(action("Stop the reply", "Esc", lambda: window.chat.stop()))
    view_menu.addSeparator()
    view_menu.addAction(
        action("&Regenerate the last reply", "Ctrl+R", lambda: window.chat.regenerate_last())
    )
    view_menu.addAction(
        action("Previous version of the last reply", "Alt+Left",
               lambda: window.chat.step_last_reply(-1))
    )  # fmt: skip
    view_menu.addAction(
        action("Next version of the last reply", "Alt+Right",
               lambda: window.chat.step_last_reply(1))
    )  # fmt: skip
    view_menu.addSeparator()
    zoom_in = action("Zoom &in", "Ctrl+=", window.zoom.zoom_in)
    zoom_in.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
    view_menu.addAction(zoom_in)
    view_menu.addAction(action("Zoom &out", "Ctrl+-", window.zoom.zoom_out))
    view_menu.addAction(action("&Actual size", "Ctrl+0", window.zoom.reset))
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(action("&Keyboard shortcuts", "F1", window.show_shortcuts))
    help_menu.addAction(action("Open &log folder", "", window.open_log_folder))
    help_menu.addSeparator()
    help_menu.addAction(action(f"&About {APP_NAME}", "", window.show_about))


def add_compare_keys(window: MainWindow, continue_with: Callable[[int], None]) -> None:
    """Alt+1 … Alt+4: continue with that column's reply (Compare's columns)."""

    def continuing(index: int) -> Callable[[], None]:
        return lambda: continue_with(index)

    for index in range(COMPARED_COLUMNS):
        _action(window, f"Continue with reply {index + 1}", f"Alt+{index + 1}", continuing(index))
