"""The automatic title never replaces a name the user gave while the first reply streamed, or
while the title was being asked for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.events import TextStreamed
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import Store
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI, Reply

OPTIONS = TurnOptions(stall_timeout=5.0, max_retries=0)
QUESTION = "How do I reverse a list in Python?"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


@pytest.fixture
def engine(store: Store, fake_openai: FakeOpenAI) -> ConversationEngine:
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    settings = (
        Settings()
        .with_value("defaults.model", "gpt-4o-mini")
        .with_value("chat.auto_title", True)
        .with_profile(ProviderProfile("fake", kind="custom", base_url=fake_openai.url))
        .with_value("providers.active", "fake")
    )
    return ConversationEngine(store, lambda: settings, secrets, env={})


@pytest.mark.asyncio
async def test_a_rename_while_the_first_reply_streams_is_kept(
    engine: ConversationEngine, store: Store, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(words=20, delay=0.01), Reply(text='"Reversing Lists."'))
    conversation = engine.new_conversation(QUESTION)
    turn = engine.send(conversation.id, QUESTION, options=OPTIONS)
    async with contextlib.aclosing(turn.run()) as events:
        async for event in events:
            if isinstance(event, TextStreamed):
                store.set_title(conversation.id, "My list notes")
    assert await engine.name_conversation(conversation.id) is None
    await engine.aclose()
    assert store.get_conversation(conversation.id).title == "My list notes"
    assert len(fake_openai.chat_requests) == 1, "no title is asked for a renamed conversation"


@pytest.mark.asyncio
async def test_a_rename_while_the_title_is_asked_for_is_kept(
    engine: ConversationEngine, store: Store, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        Reply(text="Use reversed()."), Reply(text='"Reversing Lists."', header_delay=0.5)
    )
    conversation = engine.new_conversation(QUESTION)
    turn = engine.send(conversation.id, QUESTION, options=OPTIONS)
    async with contextlib.aclosing(turn.run()) as events:
        async for _ in events:
            pass
    naming = asyncio.ensure_future(engine.name_conversation(conversation.id))
    while len(fake_openai.chat_requests) < 2:
        await asyncio.sleep(0.01)
    store.set_title(conversation.id, "My list notes")
    assert await naming is None
    await engine.aclose()
    assert store.get_conversation(conversation.id).title == "My list notes"
