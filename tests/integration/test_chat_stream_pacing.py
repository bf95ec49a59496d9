"""Pacing: slow streams arrive as paced, text is never held back, and a backlog lets the event
loop run. Nothing here depends on how fast or busy the machine is: the time each takes is
tests/bench/bench_stream.py's."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

import pytest

from kibitz.core.chat import ChatClient, Delta, Finished, ProviderConfig, build_request
from kibitz.core.chat import client as chat_client
from kibitz.core.types import RequestParams
from tests.integration.chat_support import Runner
from tests.support.fake_openai import FakeOpenAI, Reply


@pytest.mark.asyncio
async def test_chars_per_second_paces_the_stream(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    text = "x" * 100
    fake_openai.script(Reply(text=text, chunk_size=10, chars_per_sec=500))  # 0.2 s in all
    started = time.monotonic()
    result = await run_chat()

    assert result.text() == text
    # Never sooner than paced; the upper bound is for a hang only.
    assert 0.18 <= time.monotonic() - started < 30


@pytest.mark.asyncio
async def test_deltas_arrive_as_they_are_sent(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    # Four pieces, then a minute of silence before the rest: what was sent before the silence
    # must reach the consumer during it, each piece as its own delta, not held back for more.
    text = "one two three four five six"
    fake_openai.script(Reply(text=text, cuts=(4, 8, 14, 19, 24), stall_after=19, stall_for=60))
    request = build_request([("user", "x")], RequestParams(model="m"))
    pieces: list[str] = []
    ended = False

    async def read_until_the_silence() -> None:
        nonlocal ended
        async with (
            ChatClient(provider) as client,
            contextlib.aclosing(client.stream(request, stall_timeout=120)) as events,
        ):
            async for event in events:
                if isinstance(event, Delta):
                    pieces.append(event.text)
                ended = ended or isinstance(event, Finished)
                if "".join(pieces) == "one two three four ":
                    return

    # Held back, the pieces would come after the silence: only a hang takes this long.
    await asyncio.wait_for(read_until_the_silence(), 30)
    assert pieces == ["one ", "two ", "three ", "four "]
    assert not ended
    # Leaving the stream hung up on the server in its silence.
    assert await asyncio.to_thread(fake_openai.wait_for_disconnects, 1, 30)


@pytest.mark.asyncio
async def test_a_backlog_does_not_hold_the_loop(
    fake_openai: FakeOpenAI, provider: ProviderConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8000 chunks in one write: the SDK decodes them without ever suspending, so the engine
    # must let other tasks (the UI) run in between. It does so every _YIELD_INTERVAL of loop
    # time; at 0 that is after every chunk, which makes the turns countable on any machine.
    # (The longest hold at the real interval, and without any: tests/bench/bench_stream.py.)
    monkeypatch.setattr(chat_client, "_YIELD_INTERVAL", 0.0)
    fake_openai.script(Reply(words=8000, burst=True))
    request = build_request([("user", "x")], RequestParams(model="m"))
    turns = 0
    stop = asyncio.Event()

    async def other_task() -> None:
        nonlocal turns
        while not stop.is_set():
            await asyncio.sleep(0)
            turns += 1

    other = asyncio.create_task(other_task())
    seen_at: list[int] = []  # the other task's turns so far, at each delta
    async with ChatClient(provider) as client:
        async for event in client.stream(request):
            if isinstance(event, Delta):
                seen_at.append(turns)
    stop.set()
    await other

    assert len(seen_at) == 8000
    # Between any two deltas the other task had its turn: the backlog never held the loop.
    starved = sum(a == b for a, b in itertools.pairwise(seen_at))
    assert starved == 0, f"{starved} of 8000 deltas came without letting the loop run"
