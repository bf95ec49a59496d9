"""Integration fixtures: a fresh fake OpenAI server per test, a provider for it, a stream runner;
a store file and a conversation engine that talks to the fake server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kibitz.core.chat import ChatClient, ProviderConfig, RetryPolicy, build_request
from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.store import Store
from kibitz.core.types import RequestParams
from tests.integration.chat_support import (
    FAST_RETRY,
    TEST_KEY,
    Runner,
    StreamResult,
    settings_for,
)
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
    assert server.errors == [], "the fake server itself failed:\n" + "\n".join(server.errors)


@pytest.fixture
def provider(fake_openai: FakeOpenAI) -> ProviderConfig:
    return ProviderConfig("fake", base_url=fake_openai.url, api_key=TEST_KEY)


@pytest.fixture
def run_chat(provider: ProviderConfig) -> Runner:
    """Stream one prompt through a real ChatClient against the fake server."""

    async def run(
        prompt: str = "hello there",
        *,
        params: RequestParams | None = None,
        request: dict[str, Any] | None = None,
        stall_timeout: float = 5.0,
        retry: RetryPolicy = FAST_RETRY,
        provider_config: ProviderConfig | None = None,
    ) -> StreamResult:
        if request is None:
            request = build_request(
                [("user", prompt)], params or RequestParams(model="gpt-4o-mini")
            )
        result = StreamResult()
        async with ChatClient(provider_config or provider) as client:
            async for event in client.stream(request, stall_timeout=stall_timeout, retry=retry):
                result.events.append(event)
        return result

    return run


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kibitz.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


@pytest.fixture
def engine(store: Store, fake_openai: FakeOpenAI) -> ConversationEngine:
    """An engine on `store` whose default provider is the fake server, its key in memory."""
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    settings = settings_for(fake_openai)
    return ConversationEngine(store, lambda: settings, secrets, env={})
