"""The request inspector's record of each request: what the server received, byte for byte,
what it answered, the timings, and never the key — also in the cURL command, which works."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess

import pytest

from kibitz.core.chat import ChatClient, build_request
from kibitz.core.chat.exchange import (
    MASK,
    OPENAI_KEY_VARIABLE,
    Exchange,
    curl_command,
    readable_body,
)
from kibitz.core.chat.provider import ProviderConfig
from kibitz.core.types import RequestParams, Role
from tests.integration.chat_support import FAST_RETRY, TEST_KEY
from tests.support.fake_openai import FakeOpenAI, Fault, Reply


def _png_data_url() -> str:
    """A real picture (the fake server looks at it), big enough to be worth shortening."""
    from PIL import Image

    image = Image.effect_noise((48, 48), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


PNG_DATA_URL = _png_data_url()


async def _stream(provider: ProviderConfig, request: dict[str, object]) -> list[Exchange]:
    kept: list[Exchange] = []
    async with ChatClient(provider) as client:
        async for _ in client.stream(request, retry=FAST_RETRY, on_exchange=kept.append):
            pass
    return kept


def _request(*content: str | list[dict[str, object]], **params: object) -> dict[str, object]:
    turns = [(Role.USER, c) for c in content]
    return build_request(turns, RequestParams(model="gpt-4o-mini", **params))  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_the_recorded_body_is_what_the_server_received_byte_for_byte(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    request = _request("first ü", temperature=0.3, seed=7)
    [exchange] = await _stream(provider, request)

    [received] = fake_openai.chat_requests
    assert received.raw
    assert exchange.body.encode("utf-8") == received.raw
    assert exchange.method == "POST"
    assert exchange.url == fake_openai.url.rstrip("/") + "/chat/completions"
    assert exchange.status == 200
    assert exchange.request_id
    assert exchange.request_id.startswith("req_")
    assert exchange.header("openai-processing-ms") == "7"
    assert exchange.usage is not None
    assert exchange.usage.completion_tokens > 0
    assert exchange.headers_s is not None
    assert exchange.first_token_s is not None
    assert exchange.duration_s is not None
    assert exchange.headers_s <= exchange.first_token_s <= exchange.duration_s
    assert exchange.error is None


@pytest.mark.asyncio
async def test_attachments_go_whole_and_read_shortened(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    content: list[dict[str, object]] = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
    ]
    [exchange] = await _stream(provider, _request(content))

    assert exchange.body.encode("utf-8") == fake_openai.chat_requests[0].raw
    assert PNG_DATA_URL in exchange.body
    shown = readable_body(exchange.body)
    assert PNG_DATA_URL not in shown
    assert "data:image/png;base64,…(" in shown
    assert "left out)" in shown
    assert '"what is this?"' in shown


@pytest.mark.asyncio
async def test_every_attempt_is_recorded_with_why_it_failed(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(Fault.rate_limit(retry_after_ms=20), Reply(text="made it"))
    first, second = await _stream(provider, _request("again"))

    assert first.status == 429
    assert first.error
    assert "rate" in first.error.lower()
    assert first.header("x-ratelimit-remaining-requests") == "0"
    assert second.status == 200
    assert second.error is None
    raw = [r.raw for r in fake_openai.chat_requests]
    assert [first.body.encode(), second.body.encode()] == raw


@pytest.mark.asyncio
async def test_the_key_is_nowhere_in_the_record_or_the_curl_command(
    fake_openai: FakeOpenAI, fake_secret_header_provider: ProviderConfig
) -> None:
    [exchange] = await _stream(fake_secret_header_provider, _request("hello"))

    dumped = json.dumps(exchange.to_json()) + curl_command(exchange) + readable_body(exchange.body)
    assert TEST_KEY not in dumped
    assert "s3cret-header-value" not in dumped
    assert dict(exchange.request_headers)["authorization"] == f"Bearer {OPENAI_KEY_VARIABLE}"
    assert dict(exchange.request_headers)["x-team-token"] == MASK
    assert Exchange.from_json(json.loads(json.dumps(exchange.to_json()))) == exchange


@pytest.fixture
def fake_secret_header_provider(fake_openai: FakeOpenAI) -> ProviderConfig:
    return ProviderConfig(
        "fake",
        base_url=fake_openai.url,
        api_key=TEST_KEY,
        extra_headers=(("X-Team-Token", "s3cret-header-value"),),
    )


@pytest.mark.asyncio
async def test_copy_as_curl_sends_the_same_request(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    [exchange] = await _stream(provider, _request('it\'s "quoted" & $HOME'))
    command = curl_command(exchange)
    assert TEST_KEY not in command

    env = {**os.environ, "OPENAI_API_KEY": TEST_KEY}
    done = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=30
    )

    assert done.returncode == 0, done.stderr
    assert "data: [DONE]" in done.stdout  # the server streamed an answer: the key was right
    first, again = fake_openai.chat_requests
    assert again.raw == first.raw
    assert again.api_key == TEST_KEY
