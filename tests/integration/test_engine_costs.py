"""What a reply cost, stored with it when its usage arrives: the price in force (a profile's
own, its kind's, the shipped default, free on a local server, unknown otherwise), over a real
store and the fake server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.pricing import DEFAULT_PRICES, Price, reply_cost
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import LedgerGrouping, Store
from kibitz.core.types import Message, Role
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI, Reply

OPTIONS = TurnOptions(stall_timeout=5.0, max_retries=0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


def engine_for(store: Store, fake: FakeOpenAI, kind: str, model: str) -> ConversationEngine:
    settings = (
        Settings()
        .with_value("defaults.model", model)
        .with_value("chat.auto_title", False)
        .with_profile(ProviderProfile("fake", kind=kind, base_url=fake.url))  # type: ignore[arg-type]
        .with_value("providers.active", "fake")
    )
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    return ConversationEngine(store, lambda: settings, secrets, env={})


async def reply_to(engine: ConversationEngine) -> Message:
    conversation = engine.store.create_conversation("costs")
    turn = engine.send(conversation.id, "hello there", options=OPTIONS)
    try:
        async with contextlib.aclosing(turn.run()) as events:
            async for _ in events:
                pass
    finally:
        await engine.aclose()
    (reply,) = [m for m in engine.store.all_messages(conversation.id) if m.role is Role.ASSISTANT]
    return reply


@pytest.mark.asyncio
async def test_an_openai_reply_is_priced_at_the_shipped_default(
    store: Store, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="Priced answer here.", model="gpt-4o-mini-2024-07-18"))
    reply = await reply_to(engine_for(store, fake_openai, "openai", "gpt-4o-mini"))
    price = DEFAULT_PRICES[("openai", "gpt-4o-mini")]
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 0
    assert reply.provider == "fake"
    assert reply.cost_nanos == reply_cost(reply.usage, price)
    assert reply.cost_nanos > 0
    assert store.reply_price(reply.id) == price
    (by_provider,) = store.usage_totals(LedgerGrouping.PROVIDER)
    assert (by_provider.label, by_provider.cost_nanos) == ("fake", reply.cost_nanos)


@pytest.mark.asyncio
async def test_an_unknown_price_stays_unknown_until_the_user_gives_one(
    store: Store, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="Who knows what this cost."))
    unpriced = await reply_to(engine_for(store, fake_openai, "custom", "house-model"))
    assert unpriced.usage is not None
    assert unpriced.cost_nanos is None
    assert unpriced.provider == "fake"
    assert store.reply_price(unpriced.id) is None

    own = Price(1_000_000, 2_000_000, source="edited")
    store.set_price("fake", "house-model", own)
    fake_openai.script(Reply(text="Now this one is priced."))
    priced = await reply_to(engine_for(store, fake_openai, "custom", "house-model"))
    assert priced.usage is not None
    assert priced.cost_nanos == reply_cost(priced.usage, own)
    # The earlier reply is not priced after the fact.
    assert store.get_message(unpriced.id).cost_nanos is None


@pytest.mark.asyncio
async def test_a_local_server_costs_nothing(store: Store, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(text="Free as in my own laptop."))
    reply = await reply_to(engine_for(store, fake_openai, "ollama", "llama3.2"))
    assert reply.usage is not None
    assert reply.cost_nanos == 0
