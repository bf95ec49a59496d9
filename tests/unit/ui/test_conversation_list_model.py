"""The conversation list model: display order, lazy rows, and following the store."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QListView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from kibitz.core.store import Store
from kibitz.core.types import Conversation, ConversationId, Role
from kibitz.ui.models.conversation_list import (
    PAGE_SIZE,
    ConversationListModel,
    ConversationRole,
)


class Clock:
    """Wall time that moves only when told, so the display order is known."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class CountingStore(Store):
    """The real store, noting how many conversation rows were read."""

    rows_read = 0
    calls = 0

    def get_conversations(self, ids: Iterable[ConversationId]) -> list[Conversation]:
        wanted = list(ids)
        self.calls += 1
        self.rows_read += len(wanted)
        return super().get_conversations(wanted)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[CountingStore]:
    s = CountingStore.open(tmp_path / "kibitz.sqlite3", clock=clock)
    yield s
    s.close()


def seed(
    store: Store, clock: Clock, n: int, *, pinned: Iterable[int] = (), untitled: Iterable[int] = ()
) -> list[ConversationId]:
    """`n` conversations, one minute apart; returns their ids in creation order."""
    pinned, untitled = set(pinned), set(untitled)
    ids = []
    for i in range(n):
        clock.now += 60
        title = "" if i in untitled else f"Chat {i}"
        ids.append(store.create_conversation(title, pinned=i in pinned).id)
    return ids


def titles(model: ConversationListModel) -> list[str]:
    return [model.index(r).data(Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]


def test_model_passes_the_model_tester_through_changes(
    qtmodeltester: ModelTester, store: Store, clock: Clock
) -> None:
    ids = seed(store, clock, 50, pinned=(3, 10), untitled=(5, 6, 49))
    model = ConversationListModel(store)
    qtmodeltester.check(model)
    # The C++ tester stays attached: every change below is checked as it happens.
    store.set_title(ids[7], "Renamed")
    store.set_pinned(ids[20], True)
    store.delete([ids[0], ids[1], ids[30]])
    clock.now += 60
    store.add_message(ids[2], None, Role.USER, "bump to the top")
    store.restore([ids[1]])
    seed(store, clock, 3)
    model.refresh()
    qtmodeltester.check(model)
    assert model.rowCount() == 50 - 2 + 3


def test_rows_show_pinned_first_then_newest_and_untitled_as_new_chat(
    store: Store, clock: Clock
) -> None:
    seed(store, clock, 5, pinned=(1,), untitled=(3,))
    model = ConversationListModel(store)
    assert titles(model) == ["Chat 1", "Chat 4", "New chat", "Chat 2", "Chat 0"]
    first = model.index(0)
    assert first.data(ConversationRole.PINNED) is True
    assert model.index(1).data(ConversationRole.PINNED) is False
    assert model.index(2).data(Qt.ItemDataRole.EditRole) == ""
    assert model.index(2).data(ConversationRole.MESSAGE_COUNT) == 0
    assert model.index(0).data(ConversationRole.UPDATED_AT) == clock.now - 3 * 60


def test_a_stored_rename_is_shown_in_place(qtbot: QtBot, store: Store, clock: Clock) -> None:
    ids = seed(store, clock, 3)
    model = ConversationListModel(store)
    row = model.row_of(ids[0])
    assert row == 2
    # Rows are editable (the sidebar's title editor); the rename itself is stored by the
    # sidebar's controller, and the model follows the store.
    assert model.flags(model.index(row)) & Qt.ItemFlag.ItemIsEditable
    with qtbot.waitSignal(model.dataChanged, timeout=10_000):
        store.set_title(ids[0], "Trip plans")
    assert model.index(row).data(Qt.ItemDataRole.DisplayRole) == "Trip plans"
    # Renaming leaves the activity order alone.
    assert model.row_of(ids[0]) == 2
    # A model opened afterwards sees the stored title.
    assert titles(ConversationListModel(store))[2] == "Trip plans"


def test_pinning_moves_the_row_to_the_top_and_persistent_indexes_follow(
    store: Store, clock: Clock
) -> None:
    ids = seed(store, clock, 10)
    model = ConversationListModel(store)
    watched = QPersistentModelIndex(model.index(model.row_of(ids[0]) or 0))
    other = QPersistentModelIndex(model.index(model.row_of(ids[5]) or 0))
    store.set_pinned(ids[0], True)
    assert titles(model)[0] == "Chat 0"
    assert watched.row() == 0
    assert watched.data(ConversationRole.PINNED) is True
    assert other.data(ConversationRole.ID) == ids[5]
    store.set_pinned(ids[0], False)
    assert model.row_of(ids[0]) == 9
    assert watched.row() == 9


def test_new_messages_and_new_conversations_reach_the_list(store: Store, clock: Clock) -> None:
    ids = seed(store, clock, 4)
    model = ConversationListModel(store)
    clock.now += 60
    store.add_message(ids[0], None, Role.USER, "hello again")
    assert titles(model)[0] == "Chat 0"
    assert model.index(0).data(ConversationRole.MESSAGE_COUNT) == 1
    clock.now += 60
    new = store.create_conversation("Fresh")
    assert model.row_of(new.id) == 0
    assert titles(model) == ["Fresh", "Chat 0", "Chat 3", "Chat 2", "Chat 1"]


def test_delete_removes_the_row_and_restore_brings_it_back(store: Store, clock: Clock) -> None:
    ids = seed(store, clock, 5)
    model = ConversationListModel(store)
    store.delete([ids[2]])
    assert "Chat 2" not in titles(model)
    assert model.row_of(ids[2]) is None
    store.restore([ids[2]])
    assert titles(model) == ["Chat 4", "Chat 3", "Chat 2", "Chat 1", "Chat 0"]


def test_changes_made_on_another_thread_arrive_on_the_ui_thread(
    qtbot: QtBot, store: Store, clock: Clock
) -> None:
    seed(store, clock, 2)
    model = ConversationListModel(store)
    seen_on: list[threading.Thread] = []
    model.rowsInserted.connect(lambda *_: seen_on.append(threading.current_thread()))
    worker = threading.Thread(target=lambda: store.create_conversation("From a worker"))
    worker.start()
    worker.join()
    # Queued to the model's thread: nothing changed until the event loop runs.
    assert model.rowCount() == 2
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=10_000)
    assert seen_on == [threading.main_thread()]
    assert titles(model)[0] == "From a worker"


def test_a_thousand_conversations_are_not_read_up_front(
    qtbot: QtBot, store: CountingStore, clock: Clock
) -> None:
    with store.batch():
        seed(store, clock, 1000, pinned=range(0, 1000, 97))
    store.rows_read = 0
    model = ConversationListModel(store)
    assert model.rowCount() == 1000
    assert store.rows_read == 0
    view = QListView()
    qtbot.addWidget(view)
    view.setUniformItemSizes(True)
    view.resize(260, 600)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    view.grab()  # paints every visible row now
    shown_reads = store.rows_read
    # The first page (what is on screen), and the last, which the view measures.
    assert PAGE_SIZE <= shown_reads <= 2 * PAGE_SIZE
    # Scrolling to the end reads the pages it shows, not everything in between.
    view.scrollToBottom()
    view.grab()
    assert model.index(999).data(ConversationRole.ID) is not None
    assert store.rows_read <= shown_reads + 2 * PAGE_SIZE
    assert store.rows_read < 300


def test_a_long_block_of_new_rows_is_one_insertion(
    qtmodeltester: ModelTester, store: Store, clock: Clock
) -> None:
    seed(store, clock, 10)
    model = ConversationListModel(store)
    qtmodeltester.check(model)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with store.batch():
        seed(store, clock, 300)
    assert inserted == [(0, 299)]
    assert model.rowCount() == 310
    assert titles(model)[0] == "Chat 299"


def test_an_import_scattered_through_the_list_resets_it_once(
    qtmodeltester: ModelTester, store: Store, clock: Clock
) -> None:
    start = clock.now
    for i in range(100):
        store.create_conversation(f"Old {i}", created_at=start + 2 * i)
    model = ConversationListModel(store)
    qtmodeltester.check(model)
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with store.batch():  # imported history falls between what is there
        for i in range(100):
            store.create_conversation(f"Imported {i}", created_at=start + 2 * i + 1)
    assert resets == [True]
    assert model.rowCount() == 200
    assert titles(model)[:3] == ["Imported 99", "Old 99", "Imported 98"]


def test_a_deleted_model_stops_listening(store: Store, clock: Clock) -> None:
    seed(store, clock, 2)
    model = ConversationListModel(store)
    model.deleteLater()
    QCoreApplication.sendPostedEvents(model, QEvent.Type.DeferredDelete)
    del model
    # Neither fails nor calls into the deleted model.
    store.create_conversation("After")
    assert store.get_conversations(store.conversation_ids())[0].title == "After"
