"""Model lists and "Test connection" against the fake server over real HTTP."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest

from kibitz.core import errors, server_models
from kibitz.core.chat import ProviderConfig
from kibitz.core.conversation import connect
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.server_models import ModelCache
from kibitz.core.settings import ProviderProfile, Settings
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI, Fault, Reply


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.asyncio
async def test_list_models_returns_the_servers_list_sorted(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.models = ["zeta-7b", "alpha-2", "mid-13b"]
    assert await server_models.list_models(provider) == ["alpha-2", "mid-13b", "zeta-7b"]
    (request,) = fake_openai.requests
    assert (request.method, request.path, request.api_key) == ("GET", "/v1/models", TEST_KEY)


@pytest.mark.asyncio
async def test_a_server_without_models_says_so_not_unknown_model(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.models_status = 404
    with pytest.raises(errors.ApiError) as caught:
        await server_models.list_models(provider)
    assert not isinstance(caught.value, errors.ModelNotFoundError)
    assert caught.value.headline == "This server does not list its models"
    assert caught.value.hint == "Type the model name instead."
    assert caught.value.action is errors.Action.NONE


@pytest.mark.asyncio
async def test_connection_through_the_model_list(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    report = await server_models.check_connection(provider, "gpt-4o-mini")
    assert report.ok
    assert report.via == "models"
    assert report.models == ("fake-model", "gpt-4o", "gpt-4o-mini", "o3-mini")
    assert report.model_listed is True
    assert report.headline == f"Connected in {report.elapsed_ms} ms: 4 models available"
    assert report.hint == ""
    assert report.describe().startswith("✓ Connected in ")
    assert fake_openai.chat_requests == []  # the list was enough: no tokens spent


@pytest.mark.asyncio
async def test_connection_notes_a_model_the_server_does_not_list(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    report = await server_models.check_connection(provider, "gpt-9-ultra")
    assert report.ok
    assert report.model_listed is False
    assert "does not list gpt-9-ultra" in report.hint


@pytest.mark.parametrize("status", [404, 405])
@pytest.mark.asyncio
async def test_without_a_model_list_one_token_is_asked_for(
    fake_openai: FakeOpenAI, provider: ProviderConfig, status: int
) -> None:
    fake_openai.models_status = status
    fake_openai.script(Reply(text="OK", model="local-llama-3.1-8b"))
    report = await server_models.check_connection(provider, "llama")
    assert report.ok, report.lines()
    assert report.via == "completion"
    assert report.answered_by == "local-llama-3.1-8b"
    assert report.headline == f"Connected in {report.elapsed_ms} ms: local-llama-3.1-8b answered"
    assert "does not list its models" in report.hint
    (request,) = fake_openai.chat_requests
    assert request.body["max_tokens"] == 1
    assert request.body["model"] == "llama"
    assert "stream" not in request.body


@pytest.mark.asyncio
async def test_an_empty_model_list_falls_back_to_a_completion(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.models = []
    report = await server_models.check_connection(provider, "gpt-4o-mini")
    assert report.ok
    assert report.via == "completion"
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
async def test_no_list_and_no_model_asks_for_a_model_name(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.models_status = 404
    report = await server_models.check_connection(provider, None)
    assert not report.ok
    assert report.headline == "Enter a model name to test with"
    assert fake_openai.chat_requests == []


@pytest.mark.asyncio
async def test_a_wrong_key_is_reported_as_the_key(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.require_key("sk-the-right-one-0000000000000")
    report = await server_models.check_connection(provider, "gpt-4o-mini")
    assert not report.ok
    assert isinstance(report.error, errors.AuthError)
    assert report.headline == "The server refused the API key"
    assert "Check the API key" in report.hint
    assert report.describe().startswith("✗ The server refused the API key: Incorrect API key")
    assert TEST_KEY not in report.describe()


@pytest.mark.asyncio
async def test_an_unknown_model_on_a_server_without_a_list(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.models_status = 404
    fake_openai.strict_models = True
    report = await server_models.check_connection(provider, "gpt-4o-typo")
    assert not report.ok
    assert isinstance(report.error, errors.ModelNotFoundError)
    assert report.headline == "The server does not know this model"


@pytest.mark.asyncio
async def test_a_parameter_the_server_rejects_is_reported(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.models_status = 404
    fake_openai.script(Fault.unsupported_param("max_tokens"))
    report = await server_models.check_connection(provider, "some-model")
    assert not report.ok
    assert isinstance(report.error, errors.BadRequestError)
    assert len(fake_openai.chat_requests) == 1  # no retries in a connection test


@pytest.mark.asyncio
async def test_an_unreachable_host_is_reported_plainly() -> None:
    port = closed_port()
    provider = ProviderConfig("nowhere", base_url=f"http://127.0.0.1:{port}/v1", api_key=TEST_KEY)
    report = await server_models.check_connection(provider, "gpt-4o-mini")
    assert not report.ok
    assert isinstance(report.error, errors.ApiConnectionError)
    assert report.headline == "Could not reach the server"
    assert report.error.detail == f"http://127.0.0.1:{port}/v1: connection refused"


@pytest.mark.asyncio
async def test_tls_to_a_plain_http_server_is_reported_as_tls(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    tls = dataclasses.replace(provider, base_url=f"https://127.0.0.1:{fake_openai.port}/v1")
    report = await server_models.check_connection(tls, "gpt-4o-mini")
    assert not report.ok
    assert isinstance(report.error, errors.ApiConnectionError)
    assert "TLS failed" in report.error.detail


@pytest.mark.asyncio
async def test_a_server_that_does_not_answer_times_out_quickly(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.models_status = 404
    # The server would answer after a minute; the check gives up after its 0.5 s (30 s: a
    # bound for a hang, which no load reaches).
    fake_openai.script(Reply(header_delay=60.0))
    report = await server_models.check_connection(provider, "gpt-4o-mini", timeout=0.5)
    assert not report.ok
    assert isinstance(report.error, errors.ApiTimeoutError)
    assert report.elapsed_ms < 30_000


@pytest.mark.asyncio
async def test_refresh_keeps_the_list_for_next_time(
    fake_openai: FakeOpenAI, provider: ProviderConfig, tmp_path: Path
) -> None:
    cache = ModelCache(tmp_path / "cache")
    assert cache.get(provider.name, provider.base_url) is None
    fake_openai.models = ["b-model", "a-model"]
    fresh = await server_models.refresh_models(cache, provider)
    assert fresh.models == ("a-model", "b-model")
    cached = ModelCache(tmp_path / "cache").get(provider.name, provider.base_url)
    assert cached is not None
    assert (cached.models, cached.stale) == (("a-model", "b-model"), False)
    assert TEST_KEY not in cache.path.read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_an_unsaved_profile_is_tested_with_the_key_typed_in_the_dialog(
    fake_openai: FakeOpenAI,
) -> None:
    typed = "sk-typed-in-the-dialog-000000000"
    fake_openai.require_key(typed)
    profile = ProviderProfile("new-server", kind="custom", base_url=fake_openai.url)
    settings = Settings()  # the profile is not in the settings yet
    provider = connect.draft_provider_config(
        profile, settings, MemorySecretStore(), {}, api_key=typed + "\n"
    )
    report = await server_models.check_connection(provider, None)
    assert report.ok, report.lines()
    # Without a typed key, the profile's stored key is looked up as for a saved profile.
    with pytest.raises(errors.NoApiKeyError):
        connect.draft_provider_config(profile, settings, MemorySecretStore(), {})
    stored = MemorySecretStore()
    stored.set_key("new-server", typed)
    assert connect.draft_provider_config(profile, settings, stored, {}).api_key == typed
