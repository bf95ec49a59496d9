"""Conversation titles: the request is small and cheap, the answer is cleaned."""

from __future__ import annotations

import pytest

from kibitz.core.chat import ChatClient, ProviderConfig
from kibitz.core.conversation.titles import clean_title, fallback_title, suggest_title
from kibitz.core.types import RequestParams
from tests.support.fake_openai import FakeOpenAI, Fault, Reply


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ('"Reversing Lists in Python."', "Reversing Lists in Python"),
        ("Title: **Sorting a dict by value**\n\nSome extra words", "Sorting a dict by value"),
        ("\n\n  Rust lifetimes explained  \n", "Rust lifetimes explained"),
        ("x" * 200, "x" * 59 + "…"),
    ],
)
def test_clean_title(raw: str, title: str) -> None:
    assert clean_title(raw) == title


def test_fallback_title_is_the_start_of_the_question() -> None:
    assert fallback_title("  How do   I\nreverse a list?  ") == "How do I reverse a list?"


@pytest.mark.asyncio
async def test_suggested_title(fake_openai: FakeOpenAI, provider: ProviderConfig) -> None:
    fake_openai.script(Reply(text='"Greeting a Friend."'))
    async with ChatClient(provider) as client:
        title = await suggest_title(
            client, RequestParams(model="gpt-4o-mini", temperature=1.5, n=3), "hi", "Hello!"
        )
    assert title == "Greeting a Friend"
    (request,) = fake_openai.chat_requests
    assert "stream" not in request.body
    assert request.body["max_tokens"] == 24
    assert request.body["temperature"] == 0.2
    assert "n" not in request.body


@pytest.mark.asyncio
async def test_no_title_when_the_server_fails(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(Fault.http(500))
    async with ChatClient(provider) as client:
        assert await suggest_title(client, RequestParams(model="m"), "q", "a") is None
    assert len(fake_openai.chat_requests) == 1  # no retries for a nicety


@pytest.mark.asyncio
async def test_a_title_after_reasoning_without_its_opening_tag_is_the_title_only(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    # The template opened <think> in the prompt: the model reasons, writes </think>, then the
    # title (titles are asked for unstreamed, so this is the whole-message path).
    fake_openai.script(
        Reply(reasoning="They greet each other.", text="Greeting a Friend", shape="think_close")
    )
    async with ChatClient(provider) as client:
        title = await suggest_title(client, RequestParams(model="m"), "hi", "Hello!")
    assert title == "Greeting a Friend"
