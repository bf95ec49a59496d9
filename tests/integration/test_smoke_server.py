"""The smoke test's built-in server (kibitz.ui.smoke_server) speaks the API the way the real chat
engine expects: a streamed reply, a plain one, the model list, and a refused key."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from kibitz.core.chat import ChatClient, ProviderConfig, RetryPolicy, build_request
from kibitz.core.errors import AuthError
from kibitz.core.types import RequestParams
from kibitz.ui.smoke_server import MODEL, REPLY_CHUNKS, SmokeServer
from tests.integration.chat_support import StreamResult

KEY = "sk-smoke-test-key-0123456789"
NO_RETRY = RetryPolicy(max_retries=0)


@pytest.fixture
def server() -> Iterator[SmokeServer]:
    running = SmokeServer(api_key=KEY).start()
    try:
        yield running
    finally:
        running.stop()
    assert running.errors == []


async def _stream(server: SmokeServer, key: str) -> StreamResult:
    provider = ProviderConfig("smoke", base_url=server.url, api_key=key)
    request = build_request([("user", "Are you there?")], RequestParams(model=MODEL))
    result = StreamResult()
    async with ChatClient(provider) as client:
        async for event in client.stream(request, stall_timeout=10.0, retry=NO_RETRY):
            result.events.append(event)
    return result


@pytest.mark.asyncio
async def test_the_chat_engine_streams_the_whole_reply(server: SmokeServer) -> None:
    result = await _stream(server, KEY)
    assert result.failure is None
    assert result.text() == "".join(REPLY_CHUNKS)
    assert result.finished == {0: "stop"}
    [request] = server.requests
    assert request.stream
    assert request.key_matched
    assert request.question == "Are you there?"
    assert request.model == MODEL


@pytest.mark.asyncio
async def test_a_wrong_key_is_refused_as_an_authentication_error(server: SmokeServer) -> None:
    result = await _stream(server, "sk-not-the-smoke-key-000000")
    assert isinstance(result.failure, AuthError), result.events
    assert result.text() == ""
    assert [r.key_matched for r in server.requests] == [False]


def test_a_plain_request_and_the_model_list(server: SmokeServer) -> None:
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
    request = urllib.request.Request(
        f"{server.url}/chat/completions",
        data=body.encode(),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        completion = json.load(response)
    assert completion["choices"][0]["message"]["content"] == server.reply_text
    with urllib.request.urlopen(f"{server.url}/models", timeout=10) as response:
        models = json.load(response)
    assert [m["id"] for m in models["data"]] == [MODEL]
    assert [r.stream for r in server.requests] == [False]
