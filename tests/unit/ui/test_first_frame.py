"""The window's first frame: conversations listed and a focused composer that takes typing,
before the chat view and its controller exist; `finish_start` then completes the window
without losing what was typed. As in the app, the window is made from a StoreOpening: the
first frame lists the database's first page, and the Store comes with finish_start.
Screenshots first-frame-{light,dark}.png show that frame.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI
from tests.unit.ui.attachment_window import TEST_KEY, composer_edit, fake_settings, until

from kibitz.core.paths import AppPaths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store, StoreOpening
from kibitz.core.types import Role
from kibitz.ui.app.first_frame import USABLE, StartupLog, describe_first_frame, paint_first_frame
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.main_window import MainWindow
from kibitz.ui.tasks import TaskRunner

TITLES = ("Trip to Kyoto", "Sourdough starter", "Quarterly report outline")


@pytest.fixture
def store(paths: AppPaths) -> Iterator[Store]:
    with Store.open(paths.database) as s:
        for title in TITLES:
            conversation = s.create_conversation(title)
            question = s.add_message(conversation.id, None, Role.USER, f"About {title}?")
            s.add_message(conversation.id, question.id, Role.ASSISTANT, f"{title}: an answer.")
        yield s


@pytest.fixture
def opening(store: Store, paths: AppPaths) -> Iterator[StoreOpening]:
    """The database as the app opens it for its first frame (beside the test's own store)."""
    opened = StoreOpening.open(paths.database)
    try:
        yield opened
    finally:
        opened.close()


def deferred_window(
    qtbot: QtBot,
    opening: StoreOpening,
    paths: AppPaths,
    settings: Settings,
    executor: ThreadPoolExecutor,
) -> MainWindow:
    """The window as the app makes it before its first frame (finish_start not yet called)."""
    secrets = SessionSecretStore(MemorySecretStore())
    secrets.set_key("fake", TEST_KEY, remember=False)
    main = MainWindow(
        opening,
        paths,
        SettingsHolder(settings, paths.settings_file),
        secrets,
        TaskRunner(),
        executor,
        deferred=True,
    )
    qtbot.addWidget(main)
    return main


@pytest.fixture
def window(qtbot: QtBot, opening: StoreOpening, paths: AppPaths) -> Iterator[MainWindow]:
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        yield deferred_window(qtbot, opening, paths, Settings(), executor)
    finally:
        executor.shutdown(wait=True)


def test_the_first_frame_lists_conversations_and_takes_typing_before_the_rest(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.show()
    assert paint_first_frame(window)
    assert window.sidebar.conversation_model.rowCount() == len(TITLES)
    assert not hasattr(window, "chat"), "the chat controller was built before the first frame"
    assert describe_first_frame(3, window.focusWidget(), window.composer) == (
        "3 conversations listed, keys go to the composer"
    )
    qtbot.keyClicks(window.focusWidget(), "Typed before the engine")
    assert window.composer.text == "Typed before the engine"

    window.finish_start()
    window.finish_start()  # once only
    assert window.composer.text == "Typed before the engine"
    assert window.chat.conversation_id is None
    assert window.welcome.isVisible()
    qtbot.keyClicks(window.focusWidget(), ", and after")
    assert window.composer.text == "Typed before the engine, and after"


def test_rows_are_drawn_plain_in_the_first_frame_and_with_their_states_after(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The first frame's rows leave out hover and selection (reading them builds QStyle's
    Python type, ~4 ms); once the rest is built a selected row is drawn highlighted."""
    window.show()
    assert paint_first_frame(window)
    view = window.sidebar._list
    model = window.sidebar.conversation_model

    def row_fill(row: int) -> QColor:
        rect = view.visualRect(model.index(row, 0))
        image = view.viewport().grab().toImage()
        return image.pixelColor(rect.left() + 9, rect.top() + 4)  # inside the rounded row

    view.setCurrentIndex(model.index(0, 0))
    assert row_fill(0) == row_fill(1)  # plain, though selected
    window.finish_start()
    assert row_fill(0) != row_fill(1)


def test_the_list_catches_up_with_the_store_once_it_comes(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    """What was committed after the first page was read (`kibitz ask`, another window) is
    listed once the Store comes; search and the Trash work from then on."""
    window.show()
    assert paint_first_frame(window)
    model = window.sidebar.conversation_model
    titles = [model.index(r).data() for r in range(model.rowCount())]
    assert titles == list(reversed(TITLES))  # the most recent first
    late = store.create_conversation("Written while the window started")
    store.delete([store.conversation_ids()[-1]])  # the oldest, "Trip to Kyoto", to the Trash
    assert model.rowCount() == len(TITLES)  # the first page does not follow the store

    window.finish_start()
    titles = [model.index(r).data() for r in range(model.rowCount())]
    assert titles == ["Written while the window started", "Quarterly report outline",
                      "Sourdough starter"]  # fmt: skip
    assert model.index(0).data(Qt.ItemDataRole.ToolTipRole).startswith(late.title)
    assert window.sidebar.trash_view.model.rowCount() == 1
    window.sidebar.search_model.search("sourdough")
    assert window.sidebar.search_model.rowCount() == 2  # its question and its answer
    store.set_title(late.id, "Renamed after the start")  # the list follows the store now
    qtbot.waitUntil(lambda: model.index(0).data() == "Renamed after the start", timeout=5_000)


def test_the_start_up_log_says_when_the_window_was_usable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kibitz.ui.app.first_frame")
    StartupLog().mark(USABLE, "1 conversation listed, keys go to the composer")
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("Start-up: window usable ")
    assert "ms after the app began starting (1 conversation listed, keys go to the" in line
    assert "[monotonic " in line


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshot_of_the_first_frame(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, scheme: str
) -> None:
    shots = Path(os.environ.get("KIBITZ_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    window.resize(1100, 640)
    window.show()
    assert paint_first_frame(window)
    image = window.grab().toImage()
    assert image.save(str(shots / f"first-frame-{scheme}.png"))
    # The list on the left is painted with its rows; the composer at the bottom has a frame.
    assert window.sidebar.isVisible()
    assert window.composer.isVisible()
    background = image.pixelColor(image.width() - 20, 60)
    assert (background.lightness() < 80) == (scheme == "dark")


@pytest.mark.asyncio
async def test_enter_pressed_before_the_rest_is_built_sends_once_it_is(
    qtbot: QtBot, store: Store, opening: StoreOpening, paths: AppPaths, fake: FakeOpenAI
) -> None:
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        window = deferred_window(qtbot, opening, paths, fake_settings(fake), executor)
        window.show()
        assert paint_first_frame(window)
        qtbot.keyClicks(composer_edit(window), "Sent before the engine loaded?")
        qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
        window.finish_start()
        question = "Sent before the engine loaded?"

        def answered() -> bool:
            conversation = window.chat.conversation_id
            if conversation is None:
                return False
            branch = store.branch(conversation)
            return [m.role for m in branch] == [Role.USER, Role.ASSISTANT] and (
                branch[0].content == question and not window.chat.busy
            )

        await until(answered, "the question sent and answered")
        assert window.composer.text == ""
        assert len(fake.chat_requests) == 1
        await window.chat.aclose()  # the HTTP client's connections
    finally:
        executor.shutdown(wait=True)
