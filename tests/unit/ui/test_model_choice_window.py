"""Choosing the model in the window's composer, against the fake server: a pick made before
the first message is the model the question goes to, and the conversation's own; the next new
chat starts with it; a pick in one conversation leaves the others as they were; the reasoning
effort shows only for models that take one, and goes with the request."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI
from tests.unit.ui.attachment_window import MODEL, composer_edit, fake_settings, until, window_on

from kibitz.core.paths import AppPaths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Role
from kibitz.ui.main_window import MainWindow
from kibitz.ui.views.model_menu import ModelMenu


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI) -> Iterator[MainWindow]:
    with window_on(qtbot, store, paths, fake_settings(fake)) as main:
        yield main


def menu_of(window: MainWindow) -> ModelMenu:
    menu = window.models.menu
    assert menu is not None
    return menu


async def pick(qtbot: QtBot, window: MainWindow, model: str) -> None:
    """Ctrl+Shift+M, the model's name typed, Enter; then the server's list has come."""
    # The offscreen platform leaves no window active once a popup has closed.
    window.activateWindow()
    await until(window.isActiveWindow, "the window's activation")
    qtbot.keyClick(
        window,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    menu = menu_of(window)
    assert menu.isVisible()
    qtbot.keyClicks(menu.search, model)
    qtbot.keyClick(menu.search, Qt.Key.Key_Return)
    assert not menu.isVisible()
    await until(lambda: not window._runner.running("models:fake"), "the model list")


async def ask(qtbot: QtBot, window: MainWindow, store: Store, text: str) -> ConversationId:
    qtbot.keyClicks(composer_edit(window), text)
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    conversation = window.chat.conversation_id
    assert conversation is not None

    def answered() -> bool:
        last = store.branch(conversation)[-1]
        return last.role is Role.ASSISTANT and not window.chat.busy

    await until(answered, "the reply")
    return conversation


@pytest.mark.asyncio
async def test_a_model_picked_before_the_first_message_is_the_one_asked(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    assert window.composer.model_text == f"{MODEL} · fake"
    await pick(qtbot, window, "o3-mini")
    assert window.composer.model_text == "o3-mini · fake"
    assert window.chat.conversation_id is None  # nothing stored for a pick alone

    conversation = await ask(qtbot, window, store, "Which model are you?")
    assert [r.body["model"] for r in fake.chat_requests] == ["o3-mini"]
    stored = store.get_conversation(conversation)
    assert (stored.provider, stored.params.model) == ("fake", "o3-mini")

    # The next new chat starts with the last model picked.
    window.new_chat()
    assert window.chat.conversation_id is None
    assert window.composer.model_text == "o3-mini · fake"
    # The defaults stay: a conversation that follows them (made by the CLI, say) keeps its model.
    assert window._settings().defaults.model == MODEL
    from_cli = store.create_conversation("Made by kibitz ask")
    window.chat.open_conversation(from_cli.id)
    assert window.composer.model_text.startswith(f"{MODEL} · ")
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_a_pick_in_one_conversation_leaves_the_others_as_they_were(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    first = await ask(qtbot, window, store, "Hello?")
    window.new_chat()
    await pick(qtbot, window, "gpt-4o")
    second = await ask(qtbot, window, store, "And you?")
    window.chat.open_conversation(first)
    assert window.composer.model_text == f"{MODEL} · fake"
    await pick(qtbot, window, "fake-model")  # the first one's own pick, from now on
    await ask(qtbot, window, store, "Once more?")
    assert [r.body["model"] for r in fake.chat_requests] == [MODEL, "gpt-4o", "fake-model"]
    assert store.get_conversation(first).params.model == "fake-model"
    assert store.get_conversation(second).params.model == "gpt-4o"
    window.chat.open_conversation(second)
    assert window.composer.model_text == "gpt-4o · fake"
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_the_reasoning_effort_shows_for_models_that_take_one_and_is_sent(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    button = window.composer.reasoning_button
    assert not button.isVisible()  # gpt-4o-mini takes none
    await pick(qtbot, window, "o3-mini")
    assert button.isVisible()
    assert button.text() == "Default"
    menu = button.menu()
    assert menu is not None
    assert [a.text() for a in menu.actions()] == ["Default", "Low", "Medium", "High"]
    next(a for a in menu.actions() if a.text() == "High").trigger()
    assert button.text() == "High"

    conversation = await ask(qtbot, window, store, "Think hard: 2 + 2?")
    assert fake.chat_requests[-1].body.get("reasoning_effort") == "high"
    assert store.get_conversation(conversation).params.reasoning_effort == "high"
    assert button.text() == "High"  # kept with the conversation it was chosen for

    next(a for a in menu.actions() if a.text() == "Low").trigger()
    assert store.get_conversation(conversation).params.reasoning_effort == "low"
    # A model without reasoning: no control, and the effort goes (it could be refused).
    await pick(qtbot, window, "gpt-4o")
    assert not button.isVisible()
    assert store.get_conversation(conversation).params.reasoning_effort is None
    await ask(qtbot, window, store, "And now?")
    assert "reasoning_effort" not in fake.chat_requests[-1].body
    await window.chat.aclose()


def test_the_conversation_settings_window_and_the_button_agree(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    conversation = store.create_conversation("Earlier")
    store.add_message(conversation.id, None, Role.USER, "hello")
    window.chat.open_conversation(conversation.id)
    assert window.composer.model_text == f"{MODEL} · fake"  # follows the defaults
    params = store.get_conversation(conversation.id).params
    store.set_params(conversation.id, dataclasses.replace(params, model="o4-mini"))
    assert window.composer.model_text == "o4-mini · fake"
    assert window.composer.reasoning_button.isVisible()
