"""The window follows what another process writes to its database (here a second Store on the
same file, as `kibitz ask` opens it): the list and the open chat, without disturbing the
composer, a scroll position above the end, or a reply streaming in the window."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.unit.ui.attachment_window import composer_edit, fake_settings, until, window_on

from kibitz.core.paths import AppPaths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, MessageStatus, RequestParams, Role
from kibitz.ui.controllers.store_watch import HIDDEN_MS, StoreWatch
from kibitz.ui.main_window import MainWindow
from kibitz.ui.models.conversation_list import ConversationRole

WAIT_MS = 10_000


@pytest.fixture
def store(paths: AppPaths) -> Iterator[Store]:
    with Store.open(paths.database) as opened:
        for n in range(12):  # enough for the chat to scroll
            conversation = opened.create_conversation(f"Long one {n}")
            parent = None
            for turn in range(8 if n == 0 else 1):
                question = opened.add_message(conversation.id, parent, Role.USER, f"Q{turn}")
                answer = "\n\n".join(f"Paragraph {p} of answer {turn}." for p in range(6))
                parent = opened.add_message(conversation.id, question.id, Role.ASSISTANT, answer).id
        yield opened


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI) -> Iterator[MainWindow]:
    with window_on(qtbot, store, paths, fake_settings(fake)) as main:
        yield main


@pytest.fixture
def elsewhere(paths: AppPaths, store: Store) -> Iterator[Store]:
    """The other process's connection (`kibitz ask`), opened once the app's store is."""
    with Store.open(paths.database) as other:
        yield other


def titles(window: MainWindow) -> list[str]:
    model = window.sidebar.conversation_model
    return [model.index(row).data(ConversationRole.TITLE) for row in range(model.rowCount())]


def test_a_conversation_asked_elsewhere_appears_at_the_top_of_the_list(
    qtbot: QtBot, window: MainWindow, elsewhere: Store
) -> None:
    conversation = elsewhere.create_conversation("Asked in a terminal")
    question = elsewhere.add_message(conversation.id, None, Role.USER, "Hi from the shell")
    elsewhere.add_message(conversation.id, question.id, Role.ASSISTANT, "Hello, shell.")
    qtbot.waitUntil(lambda: titles(window)[:1] == ["Asked in a terminal"], timeout=WAIT_MS)
    assert len(titles(window)) == 13


def test_renamed_and_deleted_elsewhere(qtbot: QtBot, window: MainWindow, elsewhere: Store) -> None:
    ids = window.sidebar.conversation_model.ids()
    window.sidebar.conversation_selected.emit(ids[0])
    assert window.chat.conversation_id == ids[0]
    elsewhere.set_title(ids[1], "Renamed by a script")
    qtbot.waitUntil(lambda: "Renamed by a script" in titles(window), timeout=WAIT_MS)
    elsewhere.delete([ids[0]])
    # The open conversation went: the window leaves it, as after a delete of its own.
    qtbot.waitUntil(lambda: window.chat.conversation_id != ids[0], timeout=WAIT_MS)
    assert ids[0] not in window.sidebar.conversation_model.ids()


def test_the_open_chat_follows_a_question_asked_elsewhere_keeping_the_composer_and_scroll(
    qtbot: QtBot, window: MainWindow, elsewhere: Store
) -> None:
    long_one = ConversationId(
        next(c for c in window._store.list_conversations() if c.title == "Long one 0").id
    )
    window.chat.open_conversation(long_one)
    composer_edit(window).setPlainText("half a thought")
    bar = window.chat_view.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT_MS)
    bar.setValue(bar.maximum() // 2)  # the user scrolled up to read
    qtbot.wait(200)  # older rows load near the top edge, keeping what is in view in place
    top = window.chat_view.message_widgets()[0]
    shown_before = top.mapTo(window.chat_view, top.rect().topLeft()).y()
    rows_before = window.chat_view.model.rowCount()

    leaf = elsewhere.get_conversation(long_one).current_leaf_id
    question = elsewhere.add_message(long_one, leaf, Role.USER, "kibitz ask -c: one more thing")
    elsewhere.add_message(long_one, question.id, Role.ASSISTANT, "Here is the one more thing.")

    qtbot.waitUntil(lambda: window.chat_view.model.rowCount() == rows_before + 2, timeout=WAIT_MS)
    assert window.chat_view.model.message_at(rows_before + 1).content == (
        "Here is the one more thing."
    )
    assert composer_edit(window).toPlainText() == "half a thought"
    qtbot.wait(200)  # layout passes after the new rows
    assert top.mapTo(window.chat_view, top.rect().topLeft()).y() == shown_before
    assert bar.value() < bar.maximum() - 100, "the view jumped to the end"


def test_a_reply_kibitz_ask_streams_into_the_open_chat_shows_as_it_arrives(
    qtbot: QtBot, window: MainWindow, elsewhere: Store, tmp_path: Path
) -> None:
    conversation = ConversationId(window.sidebar.conversation_model.ids()[-1])
    window.chat.open_conversation(conversation)
    rows = window.chat_view.model.rowCount()
    leaf = elsewhere.get_conversation(conversation).current_leaf_id
    question = elsewhere.add_message(conversation, leaf, Role.USER, "kibitz ask -c: go on")
    writer = elsewhere.begin_reply(conversation, question.id, model="gpt-4o-mini")
    writer.append("The first half of the answer, ")
    writer.flush()
    model = window.chat_view.model
    qtbot.waitUntil(
        lambda: model.rowCount() == rows + 2 and model.message_at(rows + 1).content != "",
        timeout=WAIT_MS,
    )
    assert model.message_at(rows + 1).status is MessageStatus.STREAMING
    # The chat was at its end (just opened): it follows the new messages there.
    bar = window.chat_view.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() > 0, timeout=WAIT_MS)
    shots = Path(os.environ.get("KIBITZ_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    qtbot.wait(100)  # the repaint
    assert window.grab().save(str(shots / "store-watch-cli-reply-streaming.png"))
    writer.append("and the second half.")
    writer.finish(MessageStatus.COMPLETE, "stop")
    qtbot.waitUntil(
        lambda: model.message_at(rows + 1).status is MessageStatus.COMPLETE, timeout=WAIT_MS
    )
    assert model.message_at(rows + 1).content == (
        "The first half of the answer, and the second half."
    )
    widget = window.chat_view.message_widget(writer.message_id)
    assert widget is not None
    assert not widget.error_card.isVisible()
    qtbot.wait(100)
    assert window.grab().save(str(shots / "store-watch-cli-reply-done.png"))


def test_a_model_chosen_elsewhere_shows_in_the_open_chat_s_composer(
    qtbot: QtBot, window: MainWindow, elsewhere: Store
) -> None:
    conversation = ConversationId(window.sidebar.conversation_model.ids()[0])
    window.chat.open_conversation(conversation)
    button = window.composer.model_button
    assert "gpt-4o-mini" in button.text()
    # `kibitz ask -c ID -m gpt-4.1 ...` keeps the flag as the conversation's own model.
    elsewhere.set_params(conversation, RequestParams(model="gpt-4.1"))
    qtbot.waitUntil(lambda: button.text().startswith("gpt-4.1"), timeout=WAIT_MS)


@pytest.mark.asyncio
async def test_a_reply_streaming_in_the_window_is_left_alone(
    qtbot: QtBot, window: MainWindow, store: Store, elsewhere: Store, fake: FakeOpenAI
) -> None:
    fake.script(Reply(words=150, delay=0.02))
    window.chat.new_chat()
    window.chat.send("Tell me a long story")
    await until(lambda: window.chat_view.model.rowCount() == 2, "the reply's row")
    reply = window.chat_view.model.message_at(1)
    await until(lambda: len(window.chat_view.model.message_at(1).content) > 20, "some text")
    # Meanwhile a script writes elsewhere, and the streaming reply is reported as changed.
    seen: list[int] = []
    window.store_watch.changes_arrived.connect(lambda found: seen.append(len(found)))
    elsewhere.create_conversation("Made while the app streams")
    lengths: list[int] = []
    while window.chat.busy:
        lengths.append(len(window.chat_view.model.message_at(1).content))
        await asyncio.sleep(0.02)
    assert seen, "the watcher did not look while the reply streamed"
    assert lengths == sorted(lengths), "the streamed text jumped back"
    final = store.get_message(reply.id)
    assert final.status is MessageStatus.COMPLETE
    assert window.chat_view.model.message_at(1).content == final.content
    assert len(final.content.split()) == 150
    assert "Made while the app streams" in titles(window)
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_kibitz_ask_starting_while_a_reply_streams_does_not_stop_it_in_the_window(
    qtbot: QtBot, window: MainWindow, store: Store, paths: AppPaths, fake: FakeOpenAI
) -> None:
    fake.script(Reply(words=2000, delay=0.01))  # longer than the test: Stop ends it
    window.chat.new_chat()
    window.chat.send("Tell me a very long story")
    await until(lambda: window.chat_view.model.rowCount() == 2, "the reply's row")
    reply = window.chat_view.model.message_at(1).id
    await until(lambda: len(window.chat_view.model.message_at(1).content) > 20, "some text")
    seen: list[object] = []
    window.store_watch.changes_arrived.connect(seen.append)
    # `kibitz ask` starts now: its store opens the file the app is writing the reply to.
    with Store.open(paths.database) as cli:
        assert cli.interrupted_on_open == 0
        cli.create_conversation("Asked while the app streams")
        await until(lambda: seen, "the watcher's look")
    shown = window.chat_view.model.message_at(1)
    assert shown.status is MessageStatus.STREAMING, "the streaming reply was taken as cut off"
    widget = window.chat_view.message_widget(reply)
    assert widget is not None
    assert not widget.error_card.isVisible()
    before = len(shown.content)
    await until(
        lambda: len(window.chat_view.model.message_at(1).content) > before, "more streamed text"
    )
    window.chat.stop()
    await until(lambda: not window.chat.busy, "the stop")
    assert not (store.get_message(reply).error or "").startswith("app_exit")
    await window.chat.aclose()


def test_a_hidden_window_looks_less_often(qtbot: QtBot, window: MainWindow) -> None:
    window.hide()
    assert window.store_watch.interval_ms == HIDDEN_MS


def test_a_look_cancelled_as_the_app_quits_is_dropped_quietly(
    qtbot: QtBot, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    executor = ThreadPoolExecutor(max_workers=1)
    busy = threading.Event()
    executor.submit(busy.wait, 10)  # the worker is busy (a keyring prompt, say)
    watch = StoreWatch(store, executor, window)  # its first look waits in the queue
    # The app quits: the queue is dropped, the look's future cancelled.
    executor.shutdown(wait=False, cancel_futures=True)
    busy.set()
    executor.shutdown(wait=True)
    qtbot.wait(50)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    watch.poll()  # the timer may fire once more: nothing to submit to
    assert watch.interval_ms == HIDDEN_MS


def test_a_store_that_cannot_be_read_is_told_once_not_every_second(
    qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        store = Store.open(tmp_path / "kibitz.sqlite3")
        watch = StoreWatch(store, executor, window)
        looks: list[object] = []
        watch._polled.connect(looks.append)
        qtbot.waitUntil(lambda: watch._running is None, timeout=WAIT_MS)  # the baseline
        store.close()  # as a store the disk took away would fail
        for n in range(1, 4):
            watch.poll()
            qtbot.waitUntil(lambda n=n: len(looks) >= n, timeout=WAIT_MS)  # type: ignore[misc]
        warnings = [r for r in caplog.records if "could not look for changes" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        executor.shutdown(wait=True)
