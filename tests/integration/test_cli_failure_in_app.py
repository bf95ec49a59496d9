"""A question that failed in `kibitz ask` is, in the app, what a failure of the app's own is: a
failed reply carrying the error (headline, and the server's words under Details) with Retry.

The CLI runs as a real process against the fake server; the window is the real MainWindow on
the CLI's database, asking the same fake server when Retry is pressed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.errors import Action
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store, read_error_record
from kibitz.core.types import MessageStatus, Role
from tests.integration.chat_support import TEST_KEY
from tests.integration.cli_support import cli_env, run_cli, stored, write_settings
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.unit.ui.attachment_window import fake_settings, until, window_on

PROMPT = "What is the capital of France?"
ANSWER = "Paris."
SERVER_WORDS = "The server had an error while processing your request. Sorry about that!"
NO_RETRIES = "[chat]\nmax_retries = 0\n"


def save_screenshot(qtbot: QtBot, window: QWidget, name: str, fallback: Path) -> None:
    """The window as `name`.png in $KIBITZ_TEST_SCREENSHOTS (else under `fallback`); it must
    show more than a blank."""
    qtbot.wait(100)  # the repaint after Details opened
    shots = Path(os.environ.get("KIBITZ_TEST_SCREENSHOTS") or fallback / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    image = window.grab().toImage()
    assert image.save(str(shots / f"{name}.png"))
    sample = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, 300, 7)}
    assert len(sample) >= 20, "the window painted (almost) nothing"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The data folder both use: `kibitz ask --basedir` and the app's."""
    return tmp_path / "home"


@pytest.fixture
def paths(base: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return resolve_paths(base).ensure()


def ask_in_the_cli(base: Path, fake: FakeOpenAI) -> None:
    """`kibitz ask` on the app's data folder, failing with the server's 500."""
    fake.script(Fault.server_error(500))
    write_settings(base, NO_RETRIES)
    result = run_cli(["--basedir", str(base), "ask", PROMPT], env=cli_env(base_url=fake.url))
    assert result.returncode == 1, result.describe()
    assert "The server had an internal error" in result.messages[0], result.describe()


async def the_app_fails_the_same_way(tmp_path: Path, fake: FakeOpenAI) -> str:
    """What the app's engine stores for the same failure: the error column of its reply."""
    fake.script(Fault.server_error(500))
    settings = Settings().with_value("chat.max_retries", 0)
    secrets = MemorySecretStore()
    env = {"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": TEST_KEY}
    with Store.open(tmp_path / "app.sqlite3") as store:
        engine = ConversationEngine(store, lambda: settings, secrets, env=env)
        conversation = engine.new_conversation(PROMPT)
        turn = engine.send(conversation.id, PROMPT)
        async with contextlib.aclosing(turn.run()) as events:
            async for _ in events:
                pass
        await engine.aclose()
        (reply,) = [m for m in store.branch(conversation.id) if m.role is Role.ASSISTANT]
        assert reply.error is not None
        return reply.error


@pytest.mark.asyncio
async def test_the_cli_stores_the_failed_reply_the_app_would(
    tmp_path: Path, base: Path, fake: FakeOpenAI
) -> None:
    ask_in_the_cli(base, fake)
    (conversation,) = stored(base)
    question, reply = conversation.branch
    assert (question.role, question.content) == (Role.USER, PROMPT)
    assert (reply.role, reply.status, reply.content) == (Role.ASSISTANT, MessageStatus.ERROR, "")
    assert reply.error is not None
    code, headline, detail = read_error_record(reply.error)
    assert (code, headline) == ("server_error", "The server had an internal error")
    assert SERVER_WORDS in detail
    # One engine: the very record the app stores when its own request fails so.
    assert reply.error == await the_app_fails_the_same_way(tmp_path, fake)


@pytest.mark.asyncio
async def test_the_app_shows_the_cli_failure_with_retry_that_answers(
    qtbot: QtBot, base: Path, paths: AppPaths, fake: FakeOpenAI
) -> None:
    ask_in_the_cli(base, fake)
    fake.script(Reply(text=ANSWER))  # the server works again
    with (
        Store.open(paths.database) as store,
        window_on(qtbot, store, paths, fake_settings(fake)) as window,
    ):
        (conversation_id,) = window.sidebar.conversation_model.ids()
        window.sidebar.conversation_selected.emit(conversation_id)
        widgets = window.chat_view.message_widgets()
        assert [w.message.role for w in widgets] == [Role.USER, Role.ASSISTANT]
        card = widgets[1].error_card
        assert card.isVisible()
        assert card.headline == "The server had an internal error"
        assert card.action is Action.RETRY
        assert card.action_text == "Retry"
        card.toggle_details()
        assert SERVER_WORDS in card.details_text
        save_screenshot(qtbot, window, "cli-failure-in-the-app", base.parent)

        button = next(b for b in card.findChildren(QPushButton) if b.text() == "Retry")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        await until(lambda: not window.chat.busy, "the retried reply")

        replies = [m for m in store.branch(conversation_id) if m.role is Role.ASSISTANT]
        assert (replies[-1].status, replies[-1].content) == (MessageStatus.COMPLETE, ANSWER)
        assert fake.chat_requests[-1].body["messages"][-1]["content"] == PROMPT
        shown = window.chat_view.message_widgets()[-1]
        assert shown.message.content == ANSWER
        assert not shown.error_card.isVisible()
        # The failed reply stays as an earlier version of the answer (‹ 2/2 ›).
        assert window.chat_view.model.sibling_position(shown.message.id) == (1, 2)
        await window.chat.aclose()
