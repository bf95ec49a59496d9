"""The sidebar's highlight follows the open conversation however it changes: after Ctrl+N, a
new chat from the tray while the window was hidden, or quick ask's "Open in Kibitz", no row
stays highlighted, and a click on the row that was open opens it again. Real window, real
store file, real mouse clicks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListView
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window

from kibitz.core.paths import resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Role
from kibitz.ui.main_window import MainWindow
from kibitz.ui.tray import show_window
from kibitz.ui.views.sidebar_delegate import SidebarListView


@pytest.fixture
def window(tmp_path: Path, qtbot: QtBot) -> Iterator[MainWindow]:
    paths = resolve_paths(tmp_path / "home").ensure()
    with Store.open(paths.database) as store:
        for title in ("Alpha", "Beta"):
            conversation = store.create_conversation(title)
            store.add_message(conversation.id, None, Role.USER, f"about {title}")
        with shown_window(qtbot, store, paths) as main:
            qtbot.waitExposed(main)
            yield main


def conversation_list(window: MainWindow) -> QListView:
    view = window.sidebar.findChild(SidebarListView)
    assert view is not None
    return view


def highlighted(window: MainWindow) -> list[str]:
    """The titles of the rows drawn as selected."""
    view = conversation_list(window)
    return [i.data() for i in view.selectionModel().selectedIndexes()]


def click(qtbot: QtBot, window: MainWindow, title: str) -> None:
    view = conversation_list(window)
    model = view.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == title)
    rect = view.visualRect(model.index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_alpha(qtbot: QtBot, window: MainWindow) -> ConversationId:
    click(qtbot, window, "Alpha")
    alpha = window.chat.conversation_id
    assert alpha is not None
    assert window._store.get_conversation(alpha).title == "Alpha"
    assert highlighted(window) == ["Alpha"]
    return alpha


def assert_alpha_opens_again(qtbot: QtBot, window: MainWindow, alpha: ConversationId) -> None:
    assert window.chat.conversation_id is None
    assert highlighted(window) == []
    click(qtbot, window, "Alpha")
    assert window.chat.conversation_id == alpha
    assert window.chat_view.isVisible()
    assert highlighted(window) == ["Alpha"]


def test_ctrl_n_clears_the_highlight(window: MainWindow, qtbot: QtBot) -> None:
    alpha = open_alpha(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert_alpha_opens_again(qtbot, window, alpha)


def test_a_new_chat_from_the_tray_clears_the_highlight(window: MainWindow, qtbot: QtBot) -> None:
    alpha = open_alpha(qtbot, window)
    window.hide()  # closed to the tray
    show_window(window)  # the tray menu's New chat, as the desktop wires it
    window.new_chat()
    qtbot.waitExposed(window)
    assert_alpha_opens_again(qtbot, window, alpha)


def test_open_in_kibitz_with_a_new_chat_clears_the_highlight(
    window: MainWindow, qtbot: QtBot
) -> None:
    alpha = open_alpha(qtbot, window)
    window.hide()
    window.open_conversation(None, "a question begun in quick ask")  # its Open in Kibitz
    qtbot.waitExposed(window)
    assert window.composer.text == "a question begun in quick ask"
    assert_alpha_opens_again(qtbot, window, alpha)


def test_open_in_kibitz_on_another_conversation_moves_the_highlight(
    window: MainWindow, qtbot: QtBot
) -> None:
    alpha = open_alpha(qtbot, window)
    beta = next(c for c in window.sidebar.conversation_model.ids() if c != alpha)
    window.open_conversation(beta)
    assert highlighted(window) == ["Beta"]
    click(qtbot, window, "Alpha")
    assert window.chat.conversation_id == alpha
