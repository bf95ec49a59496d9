"""CompareView alone: a column per model with its name and provider, streamed text painted
in batches (not per piece), Stop and Continue per column, and a narrow window scrolling the
row sideways rather than squeezing the columns."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtWidgets import QPushButton, QScrollArea
from pytestqt.qtbot import QtBot

from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role, Usage
from kibitz.ui.views.compare_view import COLUMN_MIN_WIDTH, CompareView


def _view(qtbot: QtBot, store: Store, models: int = 3) -> CompareView:
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1100, 600)
    view.show()
    names = [(f"model-{i}", "work") for i in range(models)]
    view.start("Which is bigger, 9.11 or 9.9?", names)
    conversation = store.create_conversation("c")
    question = store.add_message(conversation.id, None, Role.USER, "Which is bigger?")
    for index in range(models):
        writer = store.begin_reply(conversation.id, question.id, model=f"model-{index}")
        view.begin(index, store.get_message(writer.message_id))
    return view


def test_each_column_streams_its_own_reply(qtbot: QtBot, tmp_path: Path) -> None:
    with Store.open(tmp_path / "k.sqlite3") as store:
        view = _view(qtbot, store)
        assert [c.model_name for c in view.columns] == ["model-0", "model-1", "model-2"]
        assert "model-1 · work" in view.column(1).header_text()
        for piece in ("9.9 ", "is ", "bigger."):
            view.append(0, piece)
        view.append(2, "Thinking…", reasoning=True)
        assert view.column(0).plain_text() == ""  # buffered: painted by the timer
        qtbot.waitUntil(lambda: view.column(0).plain_text() == "9.9 is bigger.")
        qtbot.waitUntil(lambda: not any(c.dirty for c in view.columns))
        assert view.column(1).plain_text() == ""
        assert "chars" in view.column(0).header_text()

        reply = view.column(0).message
        assert reply is not None
        writer_done = store.get_message(reply.id)
        assert writer_done.status is MessageStatus.STREAMING


def _button(view: CompareView, index: int, name: str) -> QPushButton:
    button = view.column(index).findChild(QPushButton, name)
    assert button is not None
    return button


def test_stop_and_continue_say_which_column(qtbot: QtBot, tmp_path: Path) -> None:
    with Store.open(tmp_path / "k.sqlite3") as store:
        view = _view(qtbot, store, models=2)
        with qtbot.waitSignal(view.stop_requested) as stopped:
            _button(view, 1, "stopColumn").click()
        assert stopped.args == [1]
        continue_button = _button(view, 0, "continueWithThis")
        assert not continue_button.isEnabled()  # nothing to continue with yet
        reply = view.column(0).message
        assert reply is not None
        done = dataclasses.replace(reply, status=MessageStatus.COMPLETE, usage=Usage(10, 20, 30))
        view.finish(0, done)
        assert continue_button.isEnabled()
        assert _button(view, 0, "stopColumn").isHidden()
        assert "20 tokens" in view.column(0).header_text()
        with qtbot.waitSignal(view.continue_requested) as chosen:
            continue_button.click()
        assert chosen.args == [0]


def test_a_narrow_window_scrolls_the_columns_sideways(qtbot: QtBot, tmp_path: Path) -> None:
    with Store.open(tmp_path / "k.sqlite3") as store:
        view = _view(qtbot, store, models=4)
        view.resize(600, 500)
        qtbot.waitUntil(lambda: view.column(0).width() == COLUMN_MIN_WIDTH)
        row = view.findChild(QScrollArea, "compareColumns")
        assert row is not None
        qtbot.waitUntil(lambda: row.horizontalScrollBar().maximum() > 0)
        assert all(c.width() >= COLUMN_MIN_WIDTH for c in view.columns)
