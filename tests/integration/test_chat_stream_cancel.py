"""Stopping a stream (task cancelled, iterator closed) hangs up on the server in mid-reply."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from kibitz.core.chat import ChatClient, Delta, ProviderConfig, build_request, stream_chat
from kibitz.core.types import RequestParams
from tests.support.fake_openai import FakeOpenAI, Fault, Reply

# 600 word pieces, 100 ms apart: a minute if nobody stops it.
SLOW = Reply(words=600, delay=0.1)
REQUEST = build_request([("user", "tell me a long story")], RequestParams(model="m"))
# Half the slow reply: a client that hangs up sooner than the server would have finished did
# hang up, however loaded the machine (the time it takes is tests/bench/bench_stream.py's).
HANG_UP_S = 30.0


async def assert_hung_up(server: FakeOpenAI) -> None:
    """Wait (off the loop) until the server saw the client hang up in mid-reply."""
    seen = await asyncio.to_thread(server.wait_for_disconnects, 1, HANG_UP_S)
    assert seen, f"the server did not see the connection close within {HANG_UP_S:g} s"


@pytest.mark.asyncio
async def test_cancelling_the_task_closes_the_connection(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(SLOW)
    first_text = asyncio.Event()
    received: list[str] = []

    async def consume() -> None:
        async for event in stream_chat(provider, REQUEST):
            if isinstance(event, Delta):
                received.append(event.text)
                first_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_text.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await assert_hung_up(fake_openai)
    assert 0 < len(received) < 600


@pytest.mark.asyncio
async def test_aclose_closes_the_connection(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(SLOW)
    async with ChatClient(provider) as client:
        events = client.stream(REQUEST)
        async for event in events:
            if isinstance(event, Delta):
                break
        await events.aclose()
        await assert_hung_up(fake_openai)


@pytest.mark.asyncio
async def test_breaking_out_inside_aclosing_closes_the_connection(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(SLOW)
    async with contextlib.aclosing(stream_chat(provider, REQUEST)) as events:
        async for event in events:
            if isinstance(event, Delta):
                break
    await assert_hung_up(fake_openai)


@pytest.mark.asyncio
async def test_cancelling_during_a_stall_closes_the_connection(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(Fault.stall(after=3, seconds=60))
    first_text = asyncio.Event()

    async def consume() -> None:
        async for event in stream_chat(provider, REQUEST, stall_timeout=120):
            if isinstance(event, Delta):
                first_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_text.wait(), 30)
    await asyncio.sleep(0.05)  # well inside the server's silence
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await assert_hung_up(fake_openai)


@pytest.mark.asyncio
async def test_cancelling_during_a_retry_pause_sends_nothing_more(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    fake_openai.script(Fault.rate_limit(retry_after=30), Reply(text="never"))
    retrying = asyncio.Event()

    async def consume() -> None:
        async for _event in stream_chat(provider, REQUEST):
            retrying.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(retrying.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(fake_openai.chat_requests) == 1
    assert fake_openai.pending_steps == 1
