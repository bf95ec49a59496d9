"""The Trash as a user meets it: the sidebar's Trash entry with its count, the Trash view with
when each conversation went, Restore, Delete for good, and Empty Trash after a question; what
goes for good leaves the database file. Real window, real store file, real clicks.

Screenshots trash-{light,dark}.png and trash-empty-light.png go to $KIBITZ_TEST_SCREENSHOTS.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QListView, QMenu, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from tests.support.main_window import shown_window
from tests.support.screenshots import shots_dir
from tests.support.store_faults import READ_ONLY, TOLD, read_only

from kibitz.core.drafts import Draft, DraftStore, conversation_key
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Role
from kibitz.ui.controllers.trash_controller import EMPTY_BUTTON
from kibitz.ui.main_window import DRAFTS, MainWindow
from kibitz.ui.views.sidebar_delegate import deleted_ago
from kibitz.ui.views.trash_view import EMPTY_TEXT, TRASH_NOTE, TrashView

DAY = 86400.0
TITLES = ("Lisbon trip plan", "Regex for ISO dates", "Birthday gift ideas", "Draft cover letter")


class Clock:
    def __init__(self) -> None:
        self.now = time.time() - 10 * DAY

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return resolve_paths(tmp_path / "home").ensure()


@pytest.fixture
def store(paths: AppPaths, clock: Clock) -> Iterator[Store]:
    with Store.open(paths.database, clock=clock) as opened:
        yield opened


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths) -> Iterator[MainWindow]:
    with shown_window(qtbot, store, paths) as main:
        qtbot.waitExposed(main)
        yield main


def seed(store: Store, clock: Clock, *titles: str) -> list[ConversationId]:
    ids = []
    for title in titles:
        clock.now += 60
        conversation = store.create_conversation(title)
        question = store.add_message(conversation.id, None, Role.USER, f"about {title}")
        store.add_message(conversation.id, question.id, Role.ASSISTANT, f"{title}: answered")
        ids.append(conversation.id)
    return ids


def trash_some(store: Store, clock: Clock) -> dict[str, ConversationId]:
    """Four conversations and a live one; deleted 5 days, 3 days, 2 hours and a minute ago."""
    ids = dict(zip(TITLES, seed(store, clock, *TITLES), strict=True))
    seed(store, clock, "Still here")
    real_now = time.time()
    for title, ago in zip(TITLES, (5 * DAY, 3 * DAY, 2 * 3600, 60), strict=True):
        clock.now = real_now - ago
        store.delete([ids[title]])
    clock.now = real_now
    return ids


def trash_view(window: MainWindow) -> TrashView:
    return window.sidebar.trash_view


def rows(view: QListView) -> list[str]:
    model = view.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def live_titles(window: MainWindow) -> list[str]:
    model = window.sidebar.conversation_model
    return [model.index(r).data() for r in range(model.rowCount())]


def select(view: TrashView, *titles: str) -> None:
    listed = rows(view.list_view)
    selection = view.list_view.selectionModel()
    selection.clear()
    for title in titles:
        index = view.model.index(listed.index(title))
        selection.select(index, QItemSelectionModel.SelectionFlag.Select)


def button(view: TrashView, name: str) -> QPushButton:
    found = [b for b in view.findChildren(QPushButton) if b.accessibleName() == name]
    assert len(found) == 1, name
    return found[0]


def open_trash(qtbot: QtBot, window: MainWindow) -> TrashView:
    entry = window.sidebar._trash_entry
    qtbot.mouseClick(entry, Qt.MouseButton.LeftButton)
    view = trash_view(window)
    assert view.isVisible()
    return view


def stored_titles(db_path: Path) -> set[str]:
    with closing(sqlite3.connect(db_path)) as conn:
        return {str(r[0]) for r in conn.execute("SELECT title FROM conversations")}


def stored_messages(db_path: Path) -> int:
    with closing(sqlite3.connect(db_path)) as conn:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def the_question(qtbot: QtBot) -> QMessageBox:
    box: list[QMessageBox] = []

    def shown() -> bool:
        box[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        return bool(box) and box[0].isVisible()

    qtbot.waitUntil(shown, timeout=10_000)
    return box[0]


def test_the_entry_counts_and_the_trash_lists_newest_first_with_when(
    qtbot: QtBot, window: MainWindow, store: Store, clock: Clock
) -> None:
    entry = window.sidebar._trash_entry
    assert (entry.isVisible(), entry.count, entry.accessibleName()) == (True, 0, "Trash, empty")
    assert window.sidebar._trash is None  # the view is made when first shown
    trash_some(store, clock)
    qtbot.waitUntil(lambda: entry.count == 4, timeout=10_000)
    assert entry.accessibleName() == "Trash, 4"

    view = open_trash(qtbot, window)
    assert rows(view.list_view) == list(reversed(TITLES))
    assert TRASH_NOTE in [label.text() for label in view.findChildren(type(view._note))]
    assert not button(view, "Restore").isEnabled()  # nothing chosen yet
    assert not button(view, "Delete for good").isEnabled()
    assert button(view, "Empty Trash").isEnabled()
    qtbot.keyClick(view.list_view, Qt.Key.Key_Escape)  # back to the conversations
    assert not view.isVisible()
    assert live_titles(window) == ["Still here"]


def test_restore_puts_them_back_in_the_list_and_open_opens_one(
    qtbot: QtBot, window: MainWindow, store: Store, clock: Clock
) -> None:
    ids = trash_some(store, clock)
    view = open_trash(qtbot, window)
    select(view, TITLES[0], TITLES[2])
    qtbot.mouseClick(button(view, "Restore"), Qt.MouseButton.LeftButton)
    assert rows(view.list_view) == [TITLES[3], TITLES[1]]
    assert window.notices.current is not None
    assert window.notices.current.text == "Restored 2 conversations"
    assert set(live_titles(window)) == {"Still here", TITLES[0], TITLES[2]}

    select(view, TITLES[1])
    qtbot.keyClick(view.list_view, Qt.Key.Key_Return)  # Enter restores too
    notice = window.notices.current
    assert notice is not None
    assert (notice.text, notice.action_text) == (f"Restored “{TITLES[1]}”", "Open")
    assert notice.on_action is not None
    notice.on_action()
    assert window.chat.conversation_id == ids[TITLES[1]]
    assert not view.isVisible()  # the list is back, the restored one open in it
    assert window.sidebar.current_conversation_id() == ids[TITLES[1]]
    assert window.sidebar._trash_entry.count == 1


def test_delete_for_good_takes_the_chosen_ones_out_of_the_file(
    qtbot: QtBot, window: MainWindow, store: Store, clock: Clock, paths: AppPaths
) -> None:
    ids = trash_some(store, clock)
    drafts = DraftStore(paths.data_dir / DRAFTS)
    drafts.save(conversation_key(ids[TITLES[0]]), Draft(text="an unsent word"))
    view = open_trash(qtbot, window)
    select(view, TITLES[0], TITLES[1])
    qtbot.mouseClick(button(view, "Delete for good"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.trash_controller.busy, timeout=10_000)
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=10_000)
    assert rows(view.list_view) == [TITLES[3], TITLES[2]]
    assert window.notices.current is not None
    assert window.notices.current.text == "Deleted 2 conversations for good"
    assert window.notices.current.action_text is None  # told, not undoable
    assert stored_titles(paths.database) == {"Still here", TITLES[2], TITLES[3]}
    assert stored_messages(paths.database) == 6
    assert drafts.keys() == []


def test_empty_trash_asks_first_then_removes_every_row_from_the_file(
    qtbot: QtBot, window: MainWindow, store: Store, clock: Clock, paths: AppPaths
) -> None:
    trash_some(store, clock)
    view = open_trash(qtbot, window)
    empty = button(view, "Empty Trash")

    qtbot.mouseClick(empty, Qt.MouseButton.LeftButton)
    question = the_question(qtbot)
    assert question.text() == "Empty the Trash?"
    assert "4 conversations in the Trash will be deleted for good" in question.informativeText()
    cancel = question.button(QMessageBox.StandardButton.Cancel)
    assert question.defaultButton() is cancel  # Enter does not destroy anything
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.trash_controller.asking is None, timeout=10_000)
    assert len(stored_titles(paths.database)) == 5, "Cancel keeps everything"

    qtbot.mouseClick(empty, Qt.MouseButton.LeftButton)
    question = the_question(qtbot)
    confirm = next(b for b in question.buttons() if b.text() == EMPTY_BUTTON)
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.trash_controller.busy, timeout=10_000)
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=10_000)
    assert stored_titles(paths.database) == {"Still here"}
    assert stored_messages(paths.database) == 2
    assert view.list_view.placeholder() == EMPTY_TEXT  # type: ignore[attr-defined]
    assert not empty.isEnabled()
    assert window.sidebar._trash_entry.count == 0
    assert window.notices.current is not None
    assert window.notices.current.text == "Deleted 4 conversations for good"


def test_the_context_menu_restores_or_deletes_the_row_under_the_pointer(
    qtbot: QtBot, window: MainWindow, store: Store, clock: Clock, paths: AppPaths
) -> None:
    trash_some(store, clock)
    view = open_trash(qtbot, window)

    def choose(title: str, text: str) -> None:
        list_view = view.list_view
        pos = list_view.visualRect(view.model.index(rows(list_view).index(title))).center()
        event = QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, pos, list_view.viewport().mapToGlobal(pos)
        )
        QApplication.sendEvent(list_view.viewport(), event)
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        labels = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert labels == ["Restore", "Delete for good"]
        action = next(a for a in menu.actions() if a.text() == text)
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())

    choose(TITLES[1], "Restore")
    assert TITLES[1] in live_titles(window)
    choose(TITLES[0], "Delete for good")
    qtbot.waitUntil(lambda: TITLES[0] not in stored_titles(paths.database), timeout=10_000)
    qtbot.waitUntil(lambda: rows(view.list_view) == [TITLES[3], TITLES[2]], timeout=10_000)


def test_a_store_that_refuses_tells_with_retry_and_keeps_the_trash(
    qtbot: QtBot, window: MainWindow, store: Store, clock: Clock, paths: AppPaths
) -> None:
    trash_some(store, clock)
    view = open_trash(qtbot, window)
    with read_only(store):
        window.trash_controller.empty()  # what Empty Trash does once confirmed
        qtbot.waitUntil(lambda: not window.trash_controller.busy, timeout=10_000)
    notice = window.notices.current
    assert notice is not None
    headline, hint = TOLD[READ_ONLY]
    assert notice.text.startswith(f"Could not empty the Trash. {headline}")
    assert hint in notice.text
    assert notice.action_text == "Retry"
    assert len(stored_titles(paths.database)) == 5
    assert view.model.rowCount() == 4
    assert button(view, "Empty Trash").isEnabled()  # not left waiting

    assert notice.on_action is not None
    notice.on_action()  # the folder is writable again
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=10_000)
    assert stored_titles(paths.database) == {"Still here"}


def test_the_trash_model_passes_the_model_tester(
    qtmodeltester: object, window: MainWindow, store: Store, clock: Clock
) -> None:
    trash_some(store, clock)
    model = trash_view(window).model
    model.refresh()
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert not model.flags(model.index(0)) & Qt.ItemFlag.ItemIsEditable


@pytest.mark.parametrize(
    ("ago", "said"),
    [
        (5, "Deleted just now"),
        (60, "Deleted 1 minute ago"),
        (25 * 60, "Deleted 25 minutes ago"),
        (2 * 3600 + 5, "Deleted 2 hours ago"),
        (DAY, "Deleted 1 day ago"),
        (29 * DAY + 3600, "Deleted 29 days ago"),
    ],
)
def test_when_it_was_deleted_reads_plainly(ago: float, said: str) -> None:
    now = 1_800_000_000.0
    assert deleted_ago(now - ago, now) == said


# -- screenshots ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_the_trash(
    qtbot: QtBot, window: MainWindow, store: Store, clock: Clock, tmp_path: Path, scheme: str
) -> None:
    shots = shots_dir(tmp_path)
    trash_some(store, clock)
    window.resize(1000, 620)
    qtbot.waitUntil(lambda: window.sidebar._trash_entry.count == 4, timeout=10_000)
    QApplication.sendEvent(window.sidebar, QEvent(QEvent.Type.PaletteChange))
    window.sidebar.grab().save(str(shots / f"sidebar-trash-entry-{scheme}.png"))
    view = open_trash(qtbot, window)
    select(view, TITLES[2])
    image = window.sidebar.grab().toImage()
    assert image.save(str(shots / f"trash-{scheme}.png"))
    lightness = image.pixelColor(image.width() - 12, image.height() // 2).lightness()
    assert lightness < 80 if scheme == "dark" else lightness > 180
    assert button(view, "Restore").isEnabled()

    if scheme == "light":
        window.trash_controller.empty()
        qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=10_000)
        empty_shot = window.sidebar.grab().toImage()
        assert empty_shot.save(str(shots / "trash-empty-light.png"))
        # A faded trash icon above the words: darker than the page, far from black.
        origin = view.list_view.viewport().mapTo(window.sidebar, QPoint(0, 0))
        middle = origin.x() + view.list_view.viewport().width() // 2
        darkest = min(
            empty_shot.pixelColor(x, y).lightness()
            for x in range(middle - 20, middle + 20)
            for y in range(origin.y() + 24, origin.y() + 64)
        )
        assert 100 < darkest < 210
        assert not button(view, "Empty Trash").isEnabled()
