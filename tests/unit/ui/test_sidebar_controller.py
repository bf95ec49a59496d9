"""The sidebar's controller: renames, pins and deletes reach the store, and a store that refuses
them (read-only, locked) is told with what to do and a Retry, with nothing lost.

The failures are real SQLite ones (tests/support/store_faults.py says how, and why not chmod).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QListView, QMenu
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window
from tests.support.store_faults import LOCKED, READ_ONLY, TOLD, locked, read_only

from kibitz.core.paths import resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import Changes, ConversationId, Role
from kibitz.ui.controllers.sidebar_controller import SidebarController
from kibitz.ui.notify import UNDO, Notice
from kibitz.ui.views.sidebar import Sidebar
from kibitz.ui.views.sidebar_delegate import SidebarListView

HINT = TOLD[READ_ONLY][1]


@pytest.fixture
def notices() -> list[Notice]:
    return []


def seed(store: Store, *titles: str) -> list[ConversationId]:
    ids = []
    for title in titles:
        conversation = store.create_conversation(title)
        store.add_message(conversation.id, None, Role.USER, f"a question about {title}")
        ids.append(conversation.id)
        time.sleep(0.002)  # distinct activity times, so the order is known
    return ids


@pytest.fixture
def sidebar(qtbot: QtBot, store: Store, notices: list[Notice]) -> Sidebar:
    sidebar = Sidebar(store)
    SidebarController(store, sidebar, notices.append, sidebar)
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 520)
    sidebar.show()
    sidebar.activateWindow()
    qtbot.waitUntil(sidebar.isActiveWindow, timeout=10_000)
    return sidebar


def list_view(sidebar: Sidebar) -> SidebarListView:
    view = sidebar.findChild(SidebarListView)
    assert view is not None
    return view


def shown(view: QListView) -> list[str]:
    model = view.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def context_menu_action(qtbot: QtBot, view: QListView, row: int, text: str) -> None:
    pos = view.visualRect(view.model().index(row, 0)).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    action = next(a for a in menu.actions() if a.text() == text)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def rename_with_f2(qtbot: QtBot, sidebar: Sidebar, conversation_id: int, title: str) -> None:
    view = list_view(sidebar)
    sidebar.select_conversation(conversation_id)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.setText(title)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def assert_told(notice: Notice, what: str, detail: str = READ_ONLY) -> None:
    headline, hint = TOLD[detail]
    assert notice.text == f"Could not {what}. {headline}: {detail}. {hint}"
    assert notice.kind == "error"
    assert notice.timeout_ms == 0  # stays until dismissed
    assert notice.action_text == "Retry"


def retry(notice: Notice) -> None:
    assert notice.on_action is not None
    notice.on_action()


# -- a store that refuses ---------------------------------------------------------------------


def test_a_rename_the_store_refuses_is_told_and_retried(
    qtbot: QtBot, store: Store, sidebar: Sidebar, notices: list[Notice]
) -> None:
    [cid] = seed(store, "Old name")
    with read_only(store):
        rename_with_f2(qtbot, sidebar, cid, "New name")
        qtbot.waitUntil(lambda: len(notices) == 1, timeout=10_000)
        assert_told(notices[0], "rename “Old name” to “New name”")
        assert store.get_conversation(cid).title == "Old name"
        assert shown(list_view(sidebar)) == ["Old name"]
    retry(notices[0])  # the folder is writable again
    assert store.get_conversation(cid).title == "New name"
    assert shown(list_view(sidebar)) == ["New name"]
    assert len(notices) == 1


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # offscreen menus
def test_a_pin_the_store_refuses_is_told_and_retried(
    qtbot: QtBot, store: Store, sidebar: Sidebar, notices: list[Notice]
) -> None:
    first, _ = seed(store, "First", "Second")
    view = list_view(sidebar)
    with read_only(store):
        context_menu_action(qtbot, view, 1, "Pin")
        [notice] = notices
        assert_told(notice, "pin “First”")
        assert not store.get_conversation(first).pinned
        assert shown(view) == ["Second", "First"]
    retry(notice)
    assert store.get_conversation(first).pinned
    assert shown(view) == ["First", "Second"]


def test_a_delete_the_store_refuses_is_told_and_nothing_goes(
    qtbot: QtBot, store: Store, sidebar: Sidebar, notices: list[Notice]
) -> None:
    ids = seed(store, "First", "Second", "Third")
    view = list_view(sidebar)
    sidebar.select_conversation(ids[1])
    view.setFocus()
    picked: list[int] = []
    sidebar.conversation_selected.connect(picked.append)
    with read_only(store):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
        [notice] = notices
        assert_told(notice, "delete “Second”")
        assert shown(view) == ["Third", "Second", "First"]
        assert store.get_conversation(ids[1]).deleted_at is None
        assert store.get_conversation(ids[1]).message_count == 1
        assert sidebar.current_conversation_id() == ids[1]
        assert picked == []
    retry(notice)
    assert shown(view) == ["Third", "First"]
    assert notices[-1].text == "Moved “Second” to the Trash"
    assert notices[-1].action_text == UNDO


def test_an_undo_the_store_refuses_is_told_and_the_conversation_kept(
    qtbot: QtBot, store: Store, sidebar: Sidebar, notices: list[Notice]
) -> None:
    ids = seed(store, "First", "Second")
    view = list_view(sidebar)
    sidebar.select_conversation(ids[1])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    [deleted] = notices
    with read_only(store):
        retry(deleted)  # Undo
        assert_told(notices[-1], "restore “Second”")
        assert shown(view) == ["First"]
        assert ids[1] in store.conversation_ids(deleted=True)  # deleted softly: still there
    retry(notices[-1])
    assert shown(view) == ["Second", "First"]
    assert sidebar.current_conversation_id() == ids[1]  # open again, as before the delete


def test_a_locked_database_is_told(
    qtbot: QtBot, store: Store, sidebar: Sidebar, notices: list[Notice]
) -> None:
    [cid] = seed(store, "Busy")
    with locked(store):
        rename_with_f2(qtbot, sidebar, cid, "Renamed")
        qtbot.waitUntil(lambda: len(notices) == 1, timeout=10_000)
    assert_told(notices[0], "rename “Busy” to “Renamed”", LOCKED)
    assert store.get_conversation(cid).title == "Busy"


# -- what the store takes -----------------------------------------------------------------------


def test_a_rename_is_tidied_and_an_unchanged_title_writes_nothing(
    qtbot: QtBot, store: Store, sidebar: Sidebar, notices: list[Notice]
) -> None:
    [cid] = seed(store, "Trip")
    changes: list[Changes] = []
    store.add_listener(changes.append)
    rename_with_f2(qtbot, sidebar, cid, "Trip")
    qtbot.wait(50)
    assert changes == []
    rename_with_f2(qtbot, sidebar, cid, "  Lisbon\n  in   May ")
    qtbot.waitUntil(lambda: store.get_conversation(cid).title == "Lisbon in May", timeout=10_000)
    assert notices == []


def test_deleting_several_is_one_notice_and_one_undo(
    store: Store, sidebar: Sidebar, notices: list[Notice]
) -> None:
    ids = seed(store, "First", "Second", "Third")
    controller = sidebar.findChild(SidebarController)
    assert controller is not None
    assert controller.delete([ids[0], ids[2]])
    assert shown(list_view(sidebar)) == ["Second"]
    [notice] = notices
    assert (notice.text, notice.action_text) == ("Moved 2 conversations to the Trash", UNDO)
    retry(notice)
    assert shown(list_view(sidebar)) == ["Third", "Second", "First"]


def test_the_window_wires_delete_undo_and_ctrl_z(tmp_path: Path, qtbot: QtBot) -> None:
    paths = resolve_paths(tmp_path / "home").ensure()
    with Store.open(paths.database) as store, shown_window(qtbot, store, paths) as window:
        ids = seed(store, "Alpha", "Beta")
        qtbot.waitUntil(lambda: len(window.sidebar.conversation_model.ids()) == 2, timeout=10_000)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=10_000)  # shortcuts need it
        view = list_view(window.sidebar)
        window.sidebar.select_conversation(ids[0])
        view.setFocus()
        qtbot.keyClick(view, Qt.Key.Key_Delete)
        notice = window.notices.current
        assert notice is not None
        assert (notice.text, notice.action_text) == ("Moved “Alpha” to the Trash", UNDO)
        assert store.get_conversation(ids[0]).deleted_at is not None
        qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert store.get_conversation(ids[0]).deleted_at is None
        assert window.notices.current is None
        with read_only(store):
            qtbot.keyClick(view, Qt.Key.Key_F2)
            editor = QApplication.focusWidget()
            assert isinstance(editor, QLineEdit)
            editor.setText("Gamma")
            qtbot.keyClick(editor, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: window.notices.current is not None, timeout=10_000)
        told = window.notices.current
        assert told is not None
        assert told.text.startswith("Could not rename “")
        assert HINT in told.text
        assert window.notices.isVisible()
