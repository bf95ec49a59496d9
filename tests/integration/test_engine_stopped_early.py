"""A turn stopped before its request could go (the keyring still asking to be unlocked, say)
leaves the stopped reply a stop a moment later would leave, so that the question does not
stand alone, with nothing to answer it again from: in the window (Esc) and in `kibitz ask`
(Ctrl+C) alike, since both run turns through the one engine."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

import pytest

from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.events import TurnEvent
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role
from tests.integration.chat_support import TEST_KEY

FAKE_URL = "http://127.0.0.1:9/v1"  # never reached: the turn stops before its request


class SlowKeyring(MemorySecretStore):
    """A keyring that answers only once the test lets it (an unlock prompt left open)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.answer = threading.Event()

    def get_key(self, provider: str) -> str | None:
        self.asked.set()
        self.answer.wait(10)
        return super().get_key(provider)


@pytest.mark.asyncio
async def test_stopped_while_the_key_is_looked_up_leaves_a_stopped_reply(tmp_path: Path) -> None:
    settings = (
        Settings()
        .with_value("defaults.model", "gpt-4o-mini")
        .with_profile(ProviderProfile("fake", kind="custom", base_url=FAKE_URL))  # type: ignore[arg-type]
        .with_value("providers.active", "fake")
    )
    keyring = SlowKeyring()
    keyring.set_key("fake", TEST_KEY)
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        engine = ConversationEngine(store, lambda: settings, keyring, env={})
        conversation = store.create_conversation("stopped early")
        turn = engine.send(conversation.id, "Is anyone there?")
        events: list[TurnEvent] = []

        async def run() -> None:
            async with contextlib.aclosing(turn.run()) as stream:
                async for event in stream:
                    events.append(event)

        task = asyncio.create_task(run())
        while not keyring.asked.is_set():
            await asyncio.sleep(0.01)
        task.cancel()  # Esc in the window, Ctrl+C in the terminal
        with contextlib.suppress(asyncio.CancelledError):
            await task
        keyring.answer.set()
        await engine.aclose()

        question, reply = store.branch(conversation.id)
        assert (question.role, question.content) == (Role.USER, "Is anyone there?")
        assert (reply.role, reply.status, reply.content) == (
            Role.ASSISTANT,
            MessageStatus.INTERRUPTED,
            "",
        )
        assert reply.error == "cancelled: Stopped"
        assert events == []  # nothing was shown for it yet: the view reads it from the store
