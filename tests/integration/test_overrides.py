"""Per-conversation overrides reach the wire: the request body the fake server records."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.events import TurnEnded
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings, load_settings, save_settings
from kibitz.core.settings.overrides import with_override, without_override
from kibitz.core.settings.presets import Preset, default_prompt, with_default, with_preset
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, RequestParams
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def other_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def saved_settings(tmp_path: Path, fake: FakeOpenAI, other: FakeOpenAI) -> Settings:
    """Global defaults that every override below must beat, written to and read from disk."""
    settings = (
        Settings()
        .with_value("defaults.model", "gpt-4o-mini")
        .with_value("defaults.temperature", 1.0)
        .with_value("defaults.seed", 1)
        .with_value("defaults.top_p", 0.9)
        .with_value("defaults.max_tokens", 200)
        .with_value("defaults.presence_penalty", 0.5)
        .with_profile(ProviderProfile("main", kind="custom", base_url=fake.url))
        .with_profile(ProviderProfile("other", kind="custom", base_url=other.url))
        .with_value("providers.active", "main")
    )
    settings = with_default(with_preset(settings, Preset("Terse", "Be terse.")), "Terse")
    path = tmp_path / "config" / "settings.toml"
    save_settings(path, settings)
    loaded = load_settings(path)
    assert loaded.warnings == ()
    return loaded.settings


async def ask(store: Store, settings: Settings, conversation_id: ConversationId) -> None:
    """One turn the way the app and the CLI run it: through the conversation engine."""
    secrets = MemorySecretStore()
    for name in ("main", "other"):
        secrets.set_key(name, TEST_KEY)
    engine = ConversationEngine(store, lambda: settings, secrets, env={})
    turn = engine.send(conversation_id, "Give me JSON.")
    try:
        async with contextlib.aclosing(turn.run()) as events:
            failures = [e.failure async for e in events if isinstance(e, TurnEnded) and e.failure]
    finally:
        await engine.aclose()
    assert failures == []


@pytest.mark.asyncio
async def test_overrides_replace_exactly_their_defaults_in_the_request(
    tmp_path: Path, fake_openai: FakeOpenAI, other_server: FakeOpenAI
) -> None:
    settings = saved_settings(tmp_path, fake_openai, other_server)
    params = RequestParams()
    for name, value in (
        ("temperature", 0.3),
        ("seed", 7),
        ("stop", ["END"]),
        ("response_format", "json_object"),
    ):
        params = with_override(params, name, value)
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        conversation = store.create_conversation(
            "json please", system_prompt=default_prompt(settings), params=params
        )
        await ask(store, settings, conversation.id)

    (request,) = fake_openai.chat_requests
    assert request.body == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Give me JSON."},
        ],
        # The conversation's own values...
        "temperature": 0.3,
        "seed": 7,
        "stop": ["END"],
        "response_format": {"type": "json_object"},
        # ...and the defaults it does not override.
        "top_p": 0.9,
        "max_tokens": 200,
        "presence_penalty": 0.5,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert other_server.chat_requests == []


@pytest.mark.asyncio
async def test_a_reset_override_sends_the_default_again(
    tmp_path: Path, fake_openai: FakeOpenAI, other_server: FakeOpenAI
) -> None:
    settings = saved_settings(tmp_path, fake_openai, other_server)
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        params = with_override(with_override(RequestParams(), "temperature", 0.3), "seed", 7)
        conversation = store.create_conversation("c", params=params)
        await ask(store, settings, conversation.id)
        stored = store.get_conversation(conversation.id)
        store.set_params(conversation.id, without_override(stored.params, "temperature"))
        await ask(store, settings, conversation.id)

    first, second = fake_openai.chat_requests
    assert (first.body["temperature"], first.body["seed"]) == (0.3, 7)
    assert (second.body["temperature"], second.body["seed"]) == (1.0, 7)


@pytest.mark.asyncio
async def test_a_conversation_can_use_another_provider_profile(
    tmp_path: Path, fake_openai: FakeOpenAI, other_server: FakeOpenAI
) -> None:
    settings = saved_settings(tmp_path, fake_openai, other_server)
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        conversation = store.create_conversation(
            "elsewhere", provider="other", params=RequestParams(model="fake-model")
        )
        await ask(store, settings, conversation.id)
    assert fake_openai.chat_requests == []
    (request,) = other_server.chat_requests
    assert request.body["model"] == "fake-model"
    assert request.api_key == TEST_KEY
