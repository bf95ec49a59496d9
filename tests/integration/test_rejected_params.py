"""A server refusing a parameter: the stored reply and the error say which setting to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core.chat import ProviderConfig
from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.events import ParameterLeftOut, TurnEnded
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.errors import BadRequestError
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, RequestParams
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI, Fault, Reply

# OpenAI's bodies, word for word, for a reasoning model sent sampling parameters.
TEMPERATURE_BODY = {
    "error": {
        "message": "Unsupported parameter: 'temperature' is not supported with this model.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "unsupported_parameter",
    }
}
MAX_TOKENS_BODY = {
    "error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead.",
        "type": "invalid_request_error",
        "param": "max_tokens",
        "code": "unsupported_parameter",
    }
}


def engine_for(store: Store, provider: ProviderConfig) -> ConversationEngine:
    settings = (
        Settings()
        .with_profile(ProviderProfile("fake", kind="custom", base_url=provider.base_url))
        .with_value("providers.active", "fake")
    )
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    return ConversationEngine(store, lambda: settings, secrets, env={})


async def turn_events(
    store: Store, provider: ProviderConfig, params: RequestParams
) -> list[object]:
    """One question in a new conversation with `params`, by a fresh engine (as a new process)."""
    conversation = store.create_conversation("c", params=params)
    engine = engine_for(store, provider)
    turn = engine.send(conversation.id, "Think hard.", options=TurnOptions(stall_timeout=5.0))
    try:
        return [e async for e in turn.run()]
    finally:
        await engine.aclose()


async def exchange_once(
    tmp_path: Path, provider: ProviderConfig, params: RequestParams
) -> tuple[Store, BadRequestError]:
    store = Store.open(tmp_path / "kibitz.sqlite3")
    events = await turn_events(store, provider, params)
    ended = events[-1]
    assert isinstance(ended, TurnEnded)
    assert isinstance(ended.failure, BadRequestError)
    return store, ended.failure


@pytest.mark.asyncio
async def test_a_refused_temperature_is_learned_told_once_and_left_out_from_then_on(
    tmp_path: Path, fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(Fault.http(400, TEMPERATURE_BODY), Reply(text="Thought."))
    params = RequestParams(model="o3-mini", temperature=0.3)
    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        events = await turn_events(store, provider, params)

        ended = events[-1]
        assert isinstance(ended, TurnEnded)
        assert ended.failure is None
        [told] = [e for e in events if isinstance(e, ParameterLeftOut)]
        assert (told.model, told.provider, told.param) == ("o3-mini", "fake", "temperature")
        assert "not supported with this model" in told.message
        refused, again = fake_openai.chat_requests
        assert refused.body["temperature"] == 0.3
        assert "temperature" not in again.body
        (conversation,) = store.list_conversations()
        question, reply = store.branch(conversation.id)
        assert (question.content, reply.content, reply.status) == (
            "Think hard.",
            "Thought.",
            MessageStatus.COMPLETE,
        )
        assert store.get_conversation(conversation.id).params.temperature == 0.3  # kept as set

        # Another process (a new engine on the same data folder) knows it, says nothing.
        later = await turn_events(store, provider, params)
        assert not [e for e in later if isinstance(e, ParameterLeftOut)]
        assert "temperature" not in fake_openai.chat_requests[-1].body

        # Forgotten in Settings: sent again.
        engine_for(store, provider).capabilities.forget("fake", "o3-mini", "temperature")
        fake_openai.script(Reply(text="With it."))
        await turn_events(store, provider, params)
        assert fake_openai.chat_requests[-1].body["temperature"] == 0.3


@pytest.mark.asyncio
async def test_max_tokens_refused_says_the_model_wants_max_completion_tokens(
    tmp_path: Path, fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(Fault.http(400, MAX_TOKENS_BODY))
    # An Azure deployment's own name: Kibitz cannot tell it is a reasoning model.
    store, error = await exchange_once(
        tmp_path, provider, RequestParams(model="reasoning-prod", max_tokens=500)
    )
    with store:
        assert error.headline == "This model does not accept max_tokens"
        assert error.hint.startswith("It takes max_completion_tokens instead: clear Max tokens")
        assert error.param == "max_tokens"
        assert fake_openai.chat_requests[0].body["max_tokens"] == 500
