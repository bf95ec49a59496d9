"""Compare in the window, against the fake server: three models picked in the Compare menu,
one send streams every reply at once into its own column, a failing model fails alone (its
column shows the error card), "Continue with this" makes one reply the branch (the others stay
its versions, ‹ k/3 ›) and the conversation's model; a follow-up goes to the chosen model once
Compare is off, to all of them again while it is on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.unit.ui.attachment_window import MODEL, composer_edit, fake_settings, until, window_on

from kibitz.core.errors import Action
from kibitz.core.paths import AppPaths
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role
from kibitz.ui.main_window import MainWindow
from kibitz.ui.views.compare_menu import CompareMenu
from kibitz.ui.views.model_menu import ChosenModel

LONG = "The answer, at length. " * 60  # ~1,400 characters: seconds at the pace below


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI) -> Iterator[MainWindow]:
    with window_on(qtbot, store, paths, fake_settings(fake)) as main:
        yield main


async def pick_models(qtbot: QtBot, window: MainWindow, models: list[str]) -> CompareMenu:
    """Ctrl+Shift+K, then Space on each model's row (the current one comes ticked)."""
    window.activateWindow()
    await until(window.isActiveWindow, "the window's activation")
    qtbot.keyClick(
        window,
        Qt.Key.Key_K,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    menu = window.compare.menu
    assert menu is not None
    assert menu.isVisible()
    await until(lambda: not window._runner.running("models:fake"), "the model list")
    assert menu.picked == [ChosenModel("fake", MODEL)]
    for model in models:
        [action] = [a for a in menu.model_actions() if a.text() == model]
        menu.setActiveAction(action)
        qtbot.keyClick(menu, Qt.Key.Key_Space)
        assert menu.isVisible()  # ticking keeps it open
    qtbot.keyClick(menu, Qt.Key.Key_Escape)
    return menu


@pytest.mark.asyncio
async def test_compare_is_made_when_first_asked_for_from_its_button(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window._compare is None  # not part of the start
    window.activateWindow()
    await until(window.isActiveWindow, "the window's activation")
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # no columns yet
    assert window._compare is None
    window.composer.compare_button.click()
    menu = window.compare.menu
    assert menu is not None
    assert menu.isVisible()
    assert window.compare_view.parent() is window._stack
    assert not window.compare_view.isVisible()  # the columns only once a question goes


@pytest.mark.asyncio
async def test_three_models_stream_side_by_side_and_the_chosen_one_becomes_the_branch(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    await pick_models(qtbot, window, ["gpt-4o", "o3-mini"])
    assert window.compare.on
    assert window.composer.compare_button.isChecked()
    # Whichever request comes first gets the first step: two paces and a refusal.
    fake.script(
        Reply(text=LONG, chars_per_sec=900),
        Reply(text=LONG, chars_per_sec=500),
        Fault.model_not_found(),
    )
    qtbot.keyClicks(composer_edit(window), "Which is bigger, 9.11 or 9.9?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    view = window.compare_view
    assert window.compare.showing
    assert view.isVisible()
    assert [c.model_name for c in view.columns] == [MODEL, "gpt-4o", "o3-mini"]
    assert view.question_text() == "Which is bigger, 9.11 or 9.9?"

    # Two columns have text while none has finished: they stream at once.
    def two_streaming() -> bool:
        texts = [c for c in view.columns if c.plain_text()]
        return len(texts) >= 2

    await until(two_streaming, "two columns streaming")
    assert sum(1 for c in view.columns if not c.streaming and c.plain_text()) == 0
    await until(lambda: not window.chat.busy and not window.composer.busy, "every reply")

    finished = {c.index: c.message for c in view.columns}
    statuses = sorted(m.status.value for m in finished.values() if m is not None)
    assert statuses == ["complete", "complete", "error"]
    failed = next(c for c in view.columns if c.message and c.message.status is MessageStatus.ERROR)
    assert failed.widget is not None
    assert failed.widget.error_card.isVisible()
    good = next(c for c in view.columns if c.message and c.message.status is MessageStatus.COMPLETE)
    assert "tok" in good.header_text() or "chars" in good.header_text()

    # Continue with this (Alt+N, N the column): the chat shows that reply, the others are
    # its versions.
    good_id = good.message.id if good.message else None
    qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1.value + good.index), Qt.KeyboardModifier.AltModifier)
    assert not window.compare.showing
    assert window.chat_view.isVisible()
    conversation = window.chat.conversation_id
    assert conversation is not None
    branch = store.branch(conversation)
    assert branch[-1].id == good_id
    assert len(store.siblings(branch[-1].id)) == 3
    assert store.get_conversation(conversation).params.model == good.model_name
    last = window.chat_view.message_widgets()[-1]
    assert last.message_id == good_id
    assert "/3" in last.footer_text()

    # With Compare off, the follow-up goes to the chosen model alone.
    window.compare.set_on(False)
    fake.script(Reply(text="Just me."))
    qtbot.keyClicks(composer_edit(window), "And then?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    await until(lambda: not window.chat.busy and len(fake.chat_requests) == 4, "the follow-up")
    assert fake.chat_requests[-1].body["model"] == good.model_name
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_a_follow_up_compares_again_while_compare_is_on(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    await pick_models(qtbot, window, ["gpt-4o"])
    qtbot.keyClicks(composer_edit(window), "First?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    # The composer takes the next message once it says the replies are in.
    await until(lambda: not window.composer.busy, "the first comparison")
    qtbot.keyClicks(composer_edit(window), "Second?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    await until(
        lambda: not window.chat.busy and len(fake.chat_requests) == 4, "the second comparison"
    )
    conversation = window.chat.conversation_id
    assert conversation is not None
    questions = [m for m in store.all_messages(conversation) if m.role is Role.USER]
    assert [q.content for q in questions] == ["First?", "Second?"]
    # The second question went under one of the first replies (the leftmost, none chosen).
    first_replies = store.children(questions[0].id)
    assert questions[1].parent_id in {r.id for r in first_replies}
    assert sorted(r.body["model"] for r in fake.chat_requests[2:]) == ["gpt-4o", MODEL]
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_a_column_stops_alone_and_a_failed_one_is_asked_again(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    await pick_models(qtbot, window, ["gpt-4o"])
    fake.script(Fault.model_not_found(), Reply(text=LONG, chars_per_sec=300))
    qtbot.keyClicks(composer_edit(window), "Slow, please.")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    view = window.compare_view

    def failed_column() -> int | None:
        for column in view.columns:
            if column.message is not None and column.message.status is MessageStatus.ERROR:
                return column.index
        return None

    await until(lambda: failed_column() is not None, "the refused reply")
    await until(lambda: any(c.plain_text() for c in view.columns), "the other reply streaming")
    failed = failed_column()
    assert failed is not None
    going = 1 - failed
    assert view.column(going).streaming

    # Retry on the failed column asks its model again, while the other one goes on.
    failed_id = view.column(failed).message.id  # type: ignore[union-attr]
    fake.script(Reply(text="Second try."))
    view.error_action_requested.emit(int(failed_id), Action.RETRY)
    await until(lambda: "Second try." in view.column(failed).plain_text(), "the retried reply")
    assert view.column(going).streaming
    assert fake.chat_requests[-1].body["model"] == view.column(failed).model_name

    # Stop on the other column ends it alone.
    view.stop_requested.emit(going)
    await until(lambda: not window.chat.busy, "the stop")
    stopped = view.column(going).message
    assert stopped is not None
    assert stopped.status is MessageStatus.INTERRUPTED
    question = store.get_message(stopped.parent_id)  # type: ignore[arg-type]
    assert question.role is Role.USER
    assert len(store.children(question.id)) == 3  # the refused, its retry, the stopped one
    await window.chat.aclose()
