"""An error card in the real window, against the fake server: once the retries are over the
card no longer says it is retrying, and the server's own words are under a closed "Details"
fold with a Copy button."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.unit.ui.attachment_window import composer_edit, fake_settings, until, window_on

from kibitz.core.paths import AppPaths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, MessageStatus, Role
from kibitz.ui.main_window import MainWindow
from kibitz.ui.style import apply_style
from kibitz.ui.views.message_widget import MessageWidget

SERVER_WORDS = "Rate limit reached for gpt-4o-mini in organization org-fake"


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI) -> Iterator[MainWindow]:
    settings = fake_settings(fake, chat__max_retries=1)
    with window_on(qtbot, store, paths, settings) as main:
        yield main


def failed(store: Store, conversation: ConversationId) -> bool:
    last = store.branch(conversation)[-1]
    return last.role is Role.ASSISTANT and last.status is not MessageStatus.STREAMING


def reply_widget(window: MainWindow) -> MessageWidget:
    widgets = [w for w in window.chat_view.message_widgets() if w.message.role is Role.ASSISTANT]
    assert widgets
    return widgets[-1]


def counting_down(window: MainWindow) -> bool:
    widgets = [w for w in window.chat_view.message_widgets() if w.message.role is Role.ASSISTANT]
    return bool(widgets) and widgets[-1].error_card.countdown_text != ""


async def ask_and_fail(qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI) -> None:
    fake.script(Fault.rate_limit(retry_after=0.1), Fault.rate_limit(retry_after=0.1))
    qtbot.keyClicks(composer_edit(window), "Hello?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    conversation = window.chat.conversation_id
    assert conversation is not None
    await until(lambda: failed(store, conversation), "the failed reply")
    await until(lambda: not window.chat.busy, "the turn's end")
    await until(lambda: reply_widget(window).error_card.isVisible(), "the error card")


@pytest.mark.asyncio
async def test_a_reply_whose_retries_are_over_no_longer_says_it_is_retrying(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    await ask_and_fail(qtbot, window, store, fake)
    card = reply_widget(window).error_card
    qtbot.wait(1200)  # a countdown left running would tick to "Retrying…" by now

    assert card.countdown_text == ""
    assert card.action_text == "Retry"
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_a_reply_stopped_while_it_waits_to_retry_no_longer_says_it_is_retrying(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(Fault.rate_limit(retry_after=5), Fault.rate_limit(retry_after=5))
    qtbot.keyClicks(composer_edit(window), "Hello?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    await until(lambda: counting_down(window), "the countdown")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Escape)
    await until(lambda: not window.chat.busy, "the turn's end")
    card = reply_widget(window).error_card

    assert card.countdown_text == ""
    assert not card.isVisible() or "etrying" not in card.headline
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_once_the_retry_answers_the_status_no_longer_says_retrying(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(Fault.rate_limit(retry_after=0.1), Reply(words=60, delay=0.05))
    status = window.findChild(QLabel, "ComposerStatus")
    assert status is not None
    qtbot.keyClicks(composer_edit(window), "Hello?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    await until(lambda: counting_down(window), "the countdown")
    assert "retrying" in status.text()
    await until(lambda: reply_widget(window).message.content != "", "the retried reply's text")

    assert window.chat.busy
    assert status.isVisible()
    assert "retrying" not in status.text()
    assert not reply_widget(window).error_card.isVisible()
    await until(lambda: not window.chat.busy, "the turn's end")
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_the_server_s_own_words_are_under_a_closed_details_fold_with_copy(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    await ask_and_fail(qtbot, window, store, fake)
    card = reply_widget(window).error_card

    assert not card.details_open
    assert card.details_button_text == "Details"
    card.toggle_details()
    assert card.details_open
    assert SERVER_WORDS in card.details_text
    if os.environ.get("KIBITZ_TEST_SCREENSHOTS"):  # as the app shows it: with its stylesheet
        shots = Path(os.environ["KIBITZ_TEST_SCREENSHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        apply_style(app)
        try:
            QApplication.processEvents()
            assert window.grab().save(str(shots / "error-details-open-light.png"))
        finally:
            app.setStyleSheet("")
    card.copy_details()
    assert SERVER_WORDS in QApplication.clipboard().text()

    window.chat_view.reload()  # as stored: reopened, the words are still there
    assert SERVER_WORDS in reply_widget(window).error_card.details_text
    await window.chat.aclose()
