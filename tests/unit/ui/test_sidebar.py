"""The sidebar as a user meets it: pick, rename, pin, delete with Undo, search, keyboard."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QLocale, QPoint, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QApplication, QLineEdit, QListView, QMenu, QPushButton
from pytestqt.qtbot import QtBot

from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Role
from kibitz.ui.controllers.sidebar_controller import SidebarController
from kibitz.ui.notify import Notice
from kibitz.ui.views.sidebar import SEARCH_DEBOUNCE_MS, Sidebar
from kibitz.ui.views.sidebar_delegate import SidebarListView, relative_date

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time() - 30 * 86400)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    s = Store.open(tmp_path / "kibitz.sqlite3", clock=clock)
    yield s
    s.close()


@pytest.fixture
def notices() -> list[Notice]:
    return []


def seed(store: Store, clock: Clock, *titles: str) -> list[ConversationId]:
    ids = []
    for title in titles:
        clock.now += 60
        ids.append(store.create_conversation(title).id)
    return ids


def make_sidebar(qtbot: QtBot, store: Store, notices: list[Notice]) -> Sidebar:
    """The sidebar with its controller, as the window wires them."""
    sidebar = Sidebar(store)
    SidebarController(store, sidebar, notices.append, sidebar)
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 520)
    sidebar.show()
    sidebar.activateWindow()
    qtbot.waitUntil(sidebar.isActiveWindow, timeout=10_000)  # keys and focus need it
    return sidebar


def parts(sidebar: Sidebar) -> tuple[QPushButton, QLineEdit, SidebarListView]:
    button = sidebar.findChild(QPushButton)
    field = sidebar.findChild(QLineEdit)
    view = sidebar.findChild(SidebarListView)
    assert button is not None
    assert field is not None
    assert view is not None
    return button, field, view


def shown(view: QListView) -> list[str]:
    model = view.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def click_row(qtbot: QtBot, view: QListView, row: int, *, double: bool = False) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    click = qtbot.mouseDClick if double else qtbot.mouseClick
    click(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def context_menu_action(
    qtbot: QtBot, sidebar: Sidebar, view: QListView, row: int, text: str
) -> None:
    pos = view.visualRect(view.model().index(row, 0)).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    labels = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert text in labels, labels
    action = next(a for a in menu.actions() if a.text() == text)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def test_header_controls_are_named_and_new_chat_asks_for_one(
    qtbot: QtBot, store: Store, notices: list[Notice]
) -> None:
    sidebar = make_sidebar(qtbot, store, notices)
    button, field, view = parts(sidebar)
    assert button.text() == "New chat"
    assert "Ctrl+N" in button.toolTip()
    assert field.placeholderText() == "Search conversations (Ctrl+K)"
    qtbot.keyClicks(field, "k")  # the clear button comes with the first text
    assert field.isClearButtonEnabled()
    field.clear()
    assert [button.accessibleName(), field.accessibleName(), view.accessibleName()] == [
        "New chat",
        "Search conversations",
        "Conversations",
    ]
    assert sidebar.sizeHint().width() == 260
    with qtbot.waitSignal(sidebar.new_chat_requested, timeout=10_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_empty_list_says_how_to_start(qtbot: QtBot, store: Store, notices: list[Notice]) -> None:
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    assert view.model().rowCount() == 0
    assert "No conversations yet" in view.placeholder()
    assert sidebar.current_conversation_id() is None


def test_clicking_a_conversation_selects_it(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second", "Third")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    assert shown(view) == ["Third", "Second", "First"]
    with qtbot.waitSignal(sidebar.conversation_selected, timeout=10_000) as picked:
        click_row(qtbot, view, 1)
    assert picked.args == [ids[1]]
    assert sidebar.current_conversation_id() == ids[1]
    assert view.currentIndex().row() == 1


def test_select_conversation_from_the_window_does_not_echo(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    with qtbot.assertNotEmitted(sidebar.conversation_selected):
        sidebar.select_conversation(ids[0])
    assert sidebar.current_conversation_id() == ids[0]
    assert view.currentIndex().data() == "First"
    assert view.selectionModel().isSelected(view.currentIndex())


def test_keyboard_moves_through_the_list_and_enter_opens(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second", "Third")
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    sidebar.select_conversation(ids[2])
    view.setFocus()
    picked: list[int] = []
    sidebar.conversation_selected.connect(picked.append)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert picked == [ids[1], ids[0]]
    qtbot.keyClick(view, Qt.Key.Key_Up)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert picked == [ids[1], ids[0], ids[1], ids[1]]
    # Up from the first row goes back to the search field.
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().row() == 0
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert field.hasFocus()


def test_selection_stays_on_its_conversation_as_the_list_changes(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second", "Third")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    sidebar.select_conversation(ids[1])
    with qtbot.assertNotEmitted(sidebar.conversation_selected):
        clock.now += 60
        new = store.create_conversation("Newest").id
        store.set_pinned(ids[0], True)
        clock.now += 60
        store.add_message(ids[2], None, Role.USER, "bump")
        sidebar.conversation_model.refresh()
    assert shown(view) == ["First", "Third", "Newest", "Second"]
    assert view.currentIndex().data() == "Second"
    assert sidebar.current_conversation_id() == ids[1]
    assert new in sidebar.conversation_model.ids()


def test_selection_survives_an_import_that_resets_the_list(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    start = clock.now
    ids = [store.create_conversation(f"Old {i}", created_at=start + 2 * i).id for i in range(100)]
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    sidebar.select_conversation(ids[50])
    resets: list[bool] = []
    sidebar.conversation_model.modelReset.connect(lambda: resets.append(True))
    with qtbot.assertNotEmitted(sidebar.conversation_selected):
        with store.batch():  # imported history falls between what is there
            for i in range(100):
                store.create_conversation(f"Imported {i}", created_at=start + 2 * i + 1)
        assert resets == [True]
        qtbot.waitUntil(lambda: view.currentIndex().data() == "Old 50", timeout=10_000)
    assert view.model().rowCount() == 200
    assert view.selectionModel().isSelected(view.currentIndex())
    assert sidebar.current_conversation_id() == ids[50]


def test_deleting_the_open_conversation_while_searching_opens_nothing(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second", "Third")
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    sidebar.select_conversation(ids[1])
    field.setFocus()
    qtbot.keyClicks(field, "anything")
    qtbot.keyClick(field, Qt.Key.Key_Down)
    with qtbot.assertNotEmitted(sidebar.conversation_selected):
        store.delete([ids[1]])  # from the window's menu, say
        qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert shown(view) == ["Third", "First"]
    assert not view.selectionModel().hasSelection()


def test_f2_renames_inline_and_the_title_is_stored(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "", "Other")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    assert shown(view) == ["Other", "New chat"]
    sidebar.select_conversation(ids[0])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    assert editor.accessibleName() == "Conversation title"
    assert editor.text() == ""  # untitled: start empty, "New chat" is only the placeholder
    qtbot.keyClicks(editor, "Holiday ideas")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits on the next turn of the event loop.
    qtbot.waitUntil(lambda: store.get_conversation(ids[0]).title == "Holiday ideas")
    assert view.hasFocus()
    assert shown(view) == ["Other", "Holiday ideas"]


def test_esc_cancels_a_rename_without_reaching_the_window(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "Keep me")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    stops: list[bool] = []
    QShortcut(QKeySequence(Qt.Key.Key_Escape), sidebar).activated.connect(
        lambda: stops.append(True)
    )
    sidebar.select_conversation(ids[0])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "Lost")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(view.hasFocus, timeout=10_000)
    assert stops == []
    assert store.get_conversation(ids[0]).title == "Keep me"
    assert shown(view) == ["Keep me"]


def test_double_click_renames_too(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "Old name")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    click_row(qtbot, view, 0)
    click_row(qtbot, view, 0, double=True)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    assert editor.text() == "Old name"
    editor.setText("New name")
    qtbot.keyClick(editor, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: store.get_conversation(ids[0]).title == "New name")
    assert shown(view) == ["New name"]


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # offscreen menus
def test_pin_from_the_context_menu_moves_it_to_the_top(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second", "Third")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    context_menu_action(qtbot, sidebar, view, 2, "Pin")
    assert shown(view) == ["First", "Third", "Second"]
    assert store.get_conversation(ids[0]).pinned
    context_menu_action(qtbot, sidebar, view, 0, "Unpin")
    assert shown(view) == ["Third", "Second", "First"]


def test_delete_key_deletes_softly_and_undo_restores(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second", "Third")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    sidebar.select_conversation(ids[1])
    view.setFocus()
    picked: list[int] = []
    sidebar.conversation_selected.connect(picked.append)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert shown(view) == ["Third", "First"]
    assert store.get_conversation(ids[1]).deleted_at is not None
    # The neighbour takes its place, as in a mail client.
    assert picked == [ids[0]]
    assert [(n.text, n.action_text) for n in notices] == [("Moved “Second” to the Trash", "Undo")]
    on_action = notices[0].on_action
    assert on_action is not None
    on_action()
    assert shown(view) == ["Third", "Second", "First"]
    assert store.get_conversation(ids[1]).deleted_at is None
    assert sidebar.current_conversation_id() == ids[1]
    assert picked == [ids[0], ids[1]]


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # offscreen menus
def test_delete_from_the_menu_names_long_titles_briefly(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    seed(store, clock, "A very long title that goes on and on about nothing in particular", "B")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    context_menu_action(qtbot, sidebar, view, 1, "Delete")
    assert shown(view) == ["B"]
    assert notices[0].text == "Moved “A very long title that goes on and on…” to the Trash"


def test_search_waits_for_a_pause_in_typing(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    cid = seed(store, clock, "Trip")[0]
    store.add_message(cid, None, Role.USER, "Lisbon or Porto in May?")
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    searches: list[str] = []
    sidebar.search_model.modelReset.connect(lambda: searches.append(sidebar.search_model.query))
    qtbot.keyClicks(field, "lisb")
    typed = time.monotonic()
    qtbot.wait(SEARCH_DEBOUNCE_MS * 2 // 3)
    if time.monotonic() - typed < SEARCH_DEBOUNCE_MS / 1000:  # unless load stretched the wait
        assert searches == []  # not one search per keystroke, nor before the pause
        assert shown(view) == ["Trip"]  # still the conversation list
    qtbot.waitUntil(lambda: searches == ["lisb"], timeout=10_000)
    assert view.accessibleName() == "Search results"
    hit = view.model().index(0, 0)
    assert hit.data() == "Trip"
    assert hit.data(Qt.ItemDataRole.AccessibleDescriptionRole) == "Lisbon or Porto in May?"


def test_search_hits_open_with_enter_or_click_and_esc_goes_back(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    a, b = seed(store, clock, "Trip", "Cooking")
    m1 = store.add_message(a, None, Role.USER, "Which museum in Lisbon?").id
    m2 = store.add_message(b, None, Role.USER, "A Lisbon custard tart recipe").id
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    sidebar.select_conversation(a)
    field.setFocus()
    qtbot.keyClicks(field, "lisbon")
    hits: list[tuple[int, int]] = []
    sidebar.search_hit_activated.connect(lambda c, m: hits.append((c, m)))
    with qtbot.assertNotEmitted(sidebar.conversation_selected):
        qtbot.keyClick(field, Qt.Key.Key_Down)  # searches now, without waiting for the pause
        assert view.hasFocus()
        assert shown(view) == ["Cooking", "Trip"]
        assert view.currentIndex().row() == 0
        qtbot.keyClick(view, Qt.Key.Key_Return)
        assert hits == [(b, m2)]
        click_row(qtbot, view, 1)
        assert hits == [(b, m2), (a, m1)]
    assert sidebar.current_conversation_id() == a
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert field.text() == ""
    assert view.accessibleName() == "Conversations"
    assert shown(view) == ["Cooking", "Trip"]
    assert view.currentIndex().data() == "Trip"


def test_esc_in_the_field_clears_the_search_before_anyone_else_hears_it(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    seed(store, clock, "Trip")
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    field.setFocus()
    qtbot.keyClicks(field, "nothing matches this")
    qtbot.waitUntil(lambda: view.accessibleName() == "Search results", timeout=10_000)
    assert view.model().rowCount() == 0
    assert view.placeholder() == "No messages match “nothing matches this”"
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == ""
    assert shown(view) == ["Trip"]


def test_esc_belongs_to_the_window_once_the_search_is_empty(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    seed(store, clock, "Trip")
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    stops: list[bool] = []
    # What the main window does with Esc: stop a streaming reply.
    stop = QShortcut(QKeySequence(Qt.Key.Key_Escape), sidebar)
    stop.activated.connect(lambda: stops.append(True))
    field.setFocus()
    qtbot.keyClicks(field, "trip")
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == ""
    assert stops == []
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert stops == [True]
    qtbot.keyClicks(field, "trip")
    qtbot.keyClick(field, Qt.Key.Key_Down)
    assert view.hasFocus()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert (field.text(), stops) == ("", [True])
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert stops == [True, True]


def test_the_current_hit_stays_when_a_rename_re_runs_the_search(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    a, b = seed(store, clock, "Trip", "Food")
    store.add_message(a, None, Role.USER, "museum in Lisbon")
    store.add_message(b, None, Role.USER, "tarts in Lisbon")
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    field.setFocus()
    qtbot.keyClicks(field, "lisbon")
    qtbot.keyClick(field, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().data() == "Trip"
    store.set_title(a, "Portugal")
    assert shown(view) == ["Food", "Portugal"]
    qtbot.waitUntil(lambda: view.currentIndex().data() == "Portugal", timeout=10_000)
    assert view.selectionModel().isSelected(view.currentIndex())


def test_focus_search_puts_the_cursor_in_the_field(
    qtbot: QtBot, store: Store, notices: list[Notice]
) -> None:
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    field.setText("old query")
    view.setFocus()
    sidebar.focus_search()
    assert field.hasFocus()
    assert field.selectedText() == "old query"  # typing replaces it


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2024, 3, 14, 14, 2), "Today 14:02"),
        (datetime(2024, 3, 14, 0, 0), "Today 00:00"),
        (datetime(2024, 3, 13, 23, 59), "Yesterday"),
        (datetime(2024, 3, 11, 9, 0), "Mon"),
        (datetime(2024, 3, 8, 9, 0), "Fri"),
        (datetime(2024, 3, 7, 9, 0), "7 Mar"),
        (datetime(2024, 1, 2, 9, 0), "2 Jan"),
        (datetime(2023, 12, 31, 9, 0), "31 Dec 2023"),
    ],
)
def test_relative_dates_read_like_a_mail_client(when: datetime, expected: str) -> None:
    now = datetime(2024, 3, 14, 18, 30).timestamp()  # a Thursday
    locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    assert relative_date(when.timestamp(), now, locale) == expected


def _sample(store: Store, clock: Clock) -> None:
    """A believable history: older chats, some today, one pinned, one untitled."""
    now = time.time()
    start = now - 40 * 86400
    titles = [
        "Rust lifetimes explained",
        "Quarterly report outline",
        "Sourdough starter troubleshooting",
        "Translate a letter to German",
        "Regex for ISO dates",
        "Birthday gift ideas for a 10-year-old who loves space and dinosaurs",
        "SQL window functions",
        "",
        "Trip to Lisbon: 4-day itinerary",
        "Refactor the payment service",
    ]
    offsets = [39, 20, 8, 5, 3, 1.2, 0.3, 0.1, 0.05, 0.01]
    lines = [
        "Can you explain this in simpler words?",
        "Sure. Think of it as a borrowed book: you must give it back before the library closes.",
        "What would a seasoned engineer do differently here?",
        "Day 2: ride tram 28 through Alfama, then the [old] Lisbon tram museum in Santo Amaro.",
        "Skip the queue for the Santa Justa lift; the Lisbon trams are the better view.",
    ]
    for title, days_ago in zip(titles, offsets, strict=True):
        clock.now = now - days_ago * 86400
        cid = store.create_conversation(title).id
        parent = None
        for i in range(int(days_ago * 7) % 9 + 1):
            role = Role.USER if i % 2 == 0 else Role.ASSISTANT
            text = lines[(i + len(title)) % len(lines)]
            parent = store.add_message(cid, parent, role, text).id
    clock.now = start
    first = store.conversation_ids()[-1]
    store.set_pinned(first, True)
    store.set_pinned(store.conversation_ids()[5], True)


def _dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#26272a",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2e31",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#4c8df6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#8a8d91",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    return palette


def test_screenshots_light_dark_and_search(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    _sample(store, clock)
    sidebar = make_sidebar(qtbot, store, notices)
    _, field, view = parts(sidebar)
    sidebar.resize(260, 560)
    sidebar.select_conversation(store.conversation_ids()[3])
    view.setFocus()
    qtbot.mouseMove(view.viewport(), view.visualRect(view.model().index(5, 0)).center())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    light = sidebar.grab().toImage()
    assert light.save(str(SCREENSHOTS / "sidebar.png"))

    sidebar.setPalette(_dark_palette())
    QApplication.sendEvent(sidebar, QEvent(QEvent.Type.PaletteChange))
    dark = sidebar.grab().toImage()
    assert dark.save(str(SCREENSHOTS / "sidebar-dark.png"))
    # The rows follow the palette: the list area is dark in dark mode, light in light mode.
    probe = QPoint(sidebar.width() - 20, sidebar.height() - 20)
    assert dark.pixelColor(probe).lightness() < 80
    assert light.pixelColor(probe).lightness() > 180

    field.setFocus()
    qtbot.keyClicks(field, "lisbon tram")
    qtbot.waitUntil(lambda: view.accessibleName() == "Search results", timeout=10_000)
    assert view.model().rowCount() == len(store.search("lisbon tram"))
    assert sidebar.grab().save(str(SCREENSHOTS / "sidebar-search.png"))


def test_settings_from_the_context_menu_names_the_conversation(
    qtbot: QtBot, store: Store, clock: Clock, notices: list[Notice]
) -> None:
    ids = seed(store, clock, "First", "Second")
    sidebar = make_sidebar(qtbot, store, notices)
    _, _, view = parts(sidebar)
    row = shown(view).index("First")
    asked: list[int] = []
    sidebar.settings_requested.connect(asked.append)
    context_menu_action(qtbot, sidebar, view, row, "Settings…")
    assert asked == [ids[0]]


def test_a_long_list_laid_out_in_batches_still_scrolls_to_its_oldest_row_at_once(
    qtbot: QtBot, store: Store, clock: Clock
) -> None:
    """The list lays out its rows in batches from the event loop (each row is a call into
    Python); a row past the first batch, picked before the rest are laid out, is shown."""
    ids = seed(store, clock, *(f"Conversation {n}" for n in range(450)))
    sidebar = Sidebar(store)
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 520)
    sidebar.show()
    _, _, view = parts(sidebar)
    model = view.model()
    oldest = model.index(model.rowCount() - 1, 0)
    sidebar.select_conversation(ids[0])  # the oldest, last in the list: no events handled yet
    assert view.currentIndex() == oldest
    qtbot.waitExposed(sidebar)
    assert view.viewport().rect().intersects(view.visualRect(oldest))
    sidebar.activateWindow()
    qtbot.waitUntil(sidebar.isActiveWindow, timeout=10_000)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.viewport().rect().intersects(view.visualRect(model.index(0, 0)))
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex() == oldest
    assert view.viewport().rect().intersects(view.visualRect(oldest))
