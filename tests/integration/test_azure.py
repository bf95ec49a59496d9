"""Azure OpenAI profiles over real HTTP: deployment URL, api-version, api-key header, streaming."""

from __future__ import annotations

import pytest

from kibitz.core.chat import ChatClient, ProviderConfig, build_request
from kibitz.core.conversation import connect
from kibitz.core.errors import AuthError, ModelNotFoundError
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile, Settings
from kibitz.core.types import RequestParams
from tests.integration.chat_support import FAST_RETRY, TEST_KEY, Runner
from tests.support.fake_openai import FakeOpenAI, Replay
from tests.support.recordings import RECORDINGS

API_VERSION = "2024-10-21"
AZURE_FIXTURE = RECORDINGS / "azure" / "01_azure_prompt_filter_preamble_abridged.sse"


def azure_settings(endpoint: str, deployment: str | None = "chat-4o") -> Settings:
    profile = ProviderProfile(
        "work-azure",
        kind="azure",
        base_url=endpoint,
        api_version=API_VERSION,
        deployment=deployment,
        extra_headers={"X-Team": "ml"},
    )
    return Settings().with_profile(profile)


def azure_provider(fake: FakeOpenAI, deployment: str | None = "chat-4o") -> ProviderConfig:
    """What the app builds for an Azure profile: settings + key store -> ProviderConfig."""
    secrets = MemorySecretStore()
    secrets.set_key("work-azure", TEST_KEY)
    return connect.provider_config(azure_settings(fake.base, deployment), secrets, {})


def test_provider_config_carries_the_azure_fields(fake_openai: FakeOpenAI) -> None:
    provider = azure_provider(fake_openai)
    assert (provider.kind, provider.api_version, provider.deployment) == (
        "azure",
        API_VERSION,
        "chat-4o",
    )
    assert provider.is_azure
    assert TEST_KEY not in repr(provider)


@pytest.mark.asyncio
async def test_a_streamed_request_goes_to_the_deployment_with_api_version_and_api_key(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.require_key(TEST_KEY)
    result = await run_chat("hello azure", provider_config=azure_provider(fake_openai))

    assert result.failure is None
    assert result.text() == "You said: hello azure"
    assert result.finished == {0: "stop"}
    (request,) = fake_openai.chat_requests
    assert request.method == "POST"
    assert request.path == "/openai/deployments/chat-4o/chat/completions"
    assert request.query == {"api-version": API_VERSION}
    assert request.headers["api-key"] == TEST_KEY
    assert "authorization" not in request.headers  # the key goes only where Azure looks
    assert request.headers["x-team"] == "ml"
    assert request.body["stream"] is True


@pytest.mark.asyncio
async def test_without_a_deployment_the_model_names_it(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    provider = azure_provider(fake_openai, deployment=None)
    result = await run_chat(params=RequestParams(model="gpt4o-prod"), provider_config=provider)
    assert result.failure is None
    (request,) = fake_openai.chat_requests
    assert request.path == "/openai/deployments/gpt4o-prod/chat/completions"
    assert request.query == {"api-version": API_VERSION}


@pytest.mark.asyncio
async def test_a_recorded_azure_stream_replays_through_the_profile(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    if not AZURE_FIXTURE.is_file():
        pytest.skip("the shared Azure recording is not on this machine")
    fake_openai.script(Replay(AZURE_FIXTURE))
    result = await run_chat("hi", provider_config=azure_provider(fake_openai))
    assert result.failure is None
    assert result.text().startswith("Hey")
    assert result.started[0].model == "gpt-5.2-chat-2025-12-11"


@pytest.mark.asyncio
async def test_a_wrong_key_is_azures_401_mapped_to_the_key_error(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.require_key("some-other-key-entirely")
    result = await run_chat(provider_config=azure_provider(fake_openai))
    assert isinstance(result.failure, AuthError)
    assert result.failure.status == 401
    assert "Access denied" in result.failure.detail
    assert TEST_KEY not in str(result.failure)


@pytest.mark.asyncio
async def test_an_unknown_deployment_asks_for_the_deployment_name(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.azure_deployments = ["prod-4o"]
    result = await run_chat(provider_config=azure_provider(fake_openai))
    error = result.failure
    assert isinstance(error, ModelNotFoundError)
    assert error.status == 404
    assert "deployment" in error.headline.lower()
    assert "deployment" in error.hint.lower()


@pytest.mark.asyncio
async def test_the_model_list_comes_from_azures_models_endpoint(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.models = ["gpt-4o-2024-08-06", "gpt-4.1-mini-2025-04-14"]
    async with ChatClient(azure_provider(fake_openai)) as client:
        names = await client.list_models()
    assert names == ["gpt-4.1-mini-2025-04-14", "gpt-4o-2024-08-06"]
    (request,) = fake_openai.requests
    assert (request.method, request.path) == ("GET", "/openai/models")
    assert request.query == {"api-version": API_VERSION}
    assert request.headers["api-key"] == TEST_KEY


@pytest.mark.asyncio
async def test_a_non_streamed_azure_request_works_too(fake_openai: FakeOpenAI) -> None:
    body = build_request([("user", "ping")], RequestParams(model="chat-4o"), stream=False)
    async with ChatClient(azure_provider(fake_openai)) as client:
        events = [e async for e in client.stream(body, retry=FAST_RETRY)]
    assert not any(type(e).__name__ == "Failed" for e in events)
    (request,) = fake_openai.chat_requests
    assert request.path == "/openai/deployments/chat-4o/chat/completions"
    assert "stream" not in request.body
