"""A server refusing a parameter: the stored reply and the error say which setting to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core.chat import ProviderConfig
from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.events import TurnEnded
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.errors import Action, BadRequestError
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, RequestParams, Role
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI, Fault

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


async def exchange_once(
    tmp_path: Path, provider: ProviderConfig, params: RequestParams
) -> tuple[Store, BadRequestError]:
    store = Store.open(tmp_path / "kibitz.sqlite3")
    conversation = store.create_conversation("c", params=params)
    settings = (
        Settings()
        .with_profile(ProviderProfile("fake", kind="custom", base_url=provider.base_url))
        .with_value("providers.active", "fake")
    )
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    engine = ConversationEngine(
        store, lambda: settings.with_value("providers.active", "fake"), secrets, env={}
    )
    turn = engine.send(conversation.id, "Think hard.", options=TurnOptions(stall_timeout=5.0))
    try:
        events = [e async for e in turn.run()]
    finally:
        await engine.aclose()
    ended = events[-1]
    assert isinstance(ended, TurnEnded)
    assert isinstance(ended.failure, BadRequestError)
    return store, ended.failure


@pytest.mark.asyncio
async def test_temperature_refused_by_the_model_says_to_clear_it(
    tmp_path: Path, fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(Fault.http(400, TEMPERATURE_BODY))
    store, error = await exchange_once(
        tmp_path, provider, RequestParams(model="o3-mini", temperature=0.3)
    )
    with store:
        assert error.headline == "This model does not accept temperature"
        assert error.hint == (
            "Clear Temperature in this conversation's settings (or the defaults), then send again."
        )
        assert (error.action, error.param, error.status) == (
            Action.OPEN_SETTINGS,
            "temperature",
            400,
        )
        # Not retried: the same request would be refused again.
        assert len(fake_openai.chat_requests) == 1
        assert fake_openai.chat_requests[0].body["temperature"] == 0.3
        # The question is kept; the failed reply names the problem.
        (conversation,) = store.list_conversations()
        messages = store.all_messages(conversation.id)
        assert [(m.role, m.status) for m in messages] == [
            (Role.USER, MessageStatus.COMPLETE),
            (Role.ASSISTANT, MessageStatus.ERROR),
        ]
        assert messages[0].content == "Think hard."
        assert messages[1].error is not None
        first = messages[1].error.splitlines()[0]
        assert first == "bad_request: This model does not accept temperature"


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
