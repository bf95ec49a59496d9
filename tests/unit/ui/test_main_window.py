"""The main window as a user meets it: layout, shortcuts, opening and deleting conversations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window

from kibitz.core.paths import resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import Role
from kibitz.ui.main_window import MainWindow


@pytest.fixture
def window(tmp_path: Path, qtbot: QtBot) -> Iterator[MainWindow]:
    paths = resolve_paths(tmp_path / "home").ensure()
    with Store.open(paths.database) as store:
        for title in ("Alpha", "Beta"):
            conversation = store.create_conversation(title)
            question = store.add_message(conversation.id, None, Role.USER, f"about {title}")
            store.add_message(conversation.id, question.id, Role.ASSISTANT, f"{title} answer")
        with shown_window(qtbot, store, paths) as main:
            yield main


def test_title_and_first_view(window: MainWindow) -> None:
    assert window.windowTitle() == "Kibitz"
    # No conversation open: the welcome pane, and the composer ready for a new chat.
    assert window.welcome.isVisible()
    assert not window.chat_view.isVisible()


def test_every_control_has_an_accessible_name(window: MainWindow) -> None:
    unnamed = [
        f"{type(w).__name__} in {type(w.parent()).__name__} {w.parent().objectName()!r}"
        for w in window.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QLineEdit) and w.isVisibleTo(window)
        if not w.accessibleName()
        # The clear button Qt puts inside a line edit is announced by the line edit.
        and not isinstance(w.parent(), QLineEdit)
    ]
    assert unnamed == []


def test_opening_a_conversation_and_ctrl_n(window: MainWindow, qtbot: QtBot) -> None:
    ids = window.sidebar.conversation_model.ids()
    window.sidebar.conversation_selected.emit(ids[0])
    assert window.chat_view.isVisible()
    assert window.chat.conversation_id == ids[0]
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.chat.conversation_id is None
    assert window.welcome.isVisible()


def test_deleting_the_open_conversation_leaves_it(window: MainWindow, qtbot: QtBot) -> None:
    ids = window.sidebar.conversation_model.ids()
    for conversation_id in ids:
        window.sidebar.conversation_selected.emit(conversation_id)
        window._store.delete([conversation_id])
    qtbot.waitUntil(lambda: window.chat.conversation_id is None, timeout=10_000)
    assert window.welcome.isVisible()
