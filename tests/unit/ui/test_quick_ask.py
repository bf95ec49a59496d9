"""The quick-ask panel as a user meets it: summoned centred with the input focused, Esc hides
it without losing typed text, prefill from the clipboard, Ctrl+Enter hands off to the main
window, and a failed ask shows inline like in the chat view with the question kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QApplication
from pytestqt.qtbot import QtBot

from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.quick_ask import TITLE, QuickAskWindow


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


@pytest.fixture
def holder(tmp_path: Path) -> SettingsHolder:
    return SettingsHolder(Settings(), tmp_path / "settings.toml")


@pytest.fixture
def quick(qtbot: QtBot, store: Store, holder: SettingsHolder) -> Iterator[QuickAskWindow]:
    executor = ThreadPoolExecutor(max_workers=1)
    window = QuickAskWindow(store, holder, MemorySecretStore(), executor)
    qtbot.addWidget(window)
    yield window
    executor.shutdown(wait=True)


def edit(quick: QuickAskWindow) -> object:
    return quick.composer.findChild(object, "ComposerEdit")


def test_summon_shows_a_centred_panel_with_the_input_focused(
    qtbot: QtBot, quick: QuickAskWindow
) -> None:
    assert not quick.isVisible()  # built ahead, shown only when summoned
    quick.summon()
    qtbot.waitExposed(quick)
    assert quick.windowTitle() == TITLE
    area = quick.screen().availableGeometry()
    assert abs(quick.geometry().center().x() - area.center().x()) <= 1
    assert area.contains(quick.geometry())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit(quick))
    assert quick.chat_view.isHidden()  # compact until there is an answer
    for button in quick.findChildren(QAbstractButton):
        assert button.accessibleName(), button


def test_escape_hides_and_typed_text_survives(qtbot: QtBot, quick: QuickAskWindow) -> None:
    quick.summon()
    qtbot.waitUntil(quick.isActiveWindow)
    qtbot.keyClicks(edit(quick), "half a question")
    qtbot.keyClick(edit(quick), Qt.Key.Key_Escape)
    assert not quick.isVisible()
    quick.summon()
    assert quick.isVisible()
    assert quick.composer.text == "half a question"


def test_prefill_from_the_clipboard_only_into_an_empty_input(
    qtbot: QtBot, quick: QuickAskWindow, holder: SettingsHolder
) -> None:
    holder.update(holder().with_value("ui.quick_ask_prefill", "clipboard"))
    QGuiApplication.clipboard().setText("  def f(): return 42  ")
    quick.summon()
    assert quick.composer.text == "def f(): return 42\n\n"
    qtbot.keyClicks(edit(quick), "What does this do?")
    assert quick.composer.text == "def f(): return 42\n\nWhat does this do?"
    quick.dismiss()
    QGuiApplication.clipboard().setText("something else")
    quick.summon()  # what the user typed is never replaced
    assert quick.composer.text == "def f(): return 42\n\nWhat does this do?"


def test_prefill_off_leaves_the_input_empty(quick: QuickAskWindow) -> None:
    QGuiApplication.clipboard().setText("not wanted")
    quick.summon()
    assert quick.composer.text == ""


def test_ctrl_enter_hands_the_text_to_the_main_window(qtbot: QtBot, quick: QuickAskWindow) -> None:
    handed: list[tuple[object, str]] = []
    quick.open_requested.connect(lambda cid, draft: handed.append((cid, draft)))
    quick.summon()
    qtbot.waitUntil(quick.isActiveWindow)
    qtbot.keyClick(edit(quick), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert handed == []  # nothing asked, nothing typed: nothing to open
    assert quick.isVisible()
    qtbot.keyClicks(edit(quick), "continue there")
    qtbot.keyClick(edit(quick), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert handed == [(None, "continue there")]
    assert not quick.isVisible()
    assert quick.composer.text == ""


@pytest.mark.asyncio
async def test_a_failed_ask_shows_inline_and_keeps_the_question(
    qtbot: QtBot, quick: QuickAskWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    quick.summon()
    quick.composer.set_text("Is anyone there?")
    quick.composer.send_requested.emit(quick.composer.text)  # what Enter does
    conversation = quick.chat.conversation_id
    assert conversation is not None
    assert not quick.chat_view.isHidden()  # the panel grew for the answer
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while quick.chat.busy:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    question, reply = store.branch(conversation)
    assert (question.role, question.content) == (Role.USER, "Is anyone there?")
    assert (reply.role, reply.status) == (Role.ASSISTANT, MessageStatus.ERROR)
    widget = quick.chat_view.message_widget(reply.id)
    assert widget is not None
    card = widget.error_card
    assert card.isVisibleTo(quick)
    assert card.headline == "No API key is set"  # the error tree's words, as in the chat view
    assert card.action_text  # and its action

    handed: list[tuple[object, str]] = []
    quick.open_requested.connect(lambda cid, draft: handed.append((cid, draft)))
    quick.open_in_kibitz()
    assert handed == [(conversation, "")]
    # Summoned again later: the finished exchange gives way to a fresh one (it is stored).
    quick.summon()
    assert quick.chat.conversation_id is None
    assert quick.chat_view.isHidden()
