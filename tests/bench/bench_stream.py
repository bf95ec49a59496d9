"""Benchmark of the chat stream's timing against the fake server: what the tests only bound.

Run with `.venv/bin/python tests/bench/bench_stream.py [--runs 5]`. The integration tests
check these behaviours by counting (tests/integration/test_chat_stream_pacing.py,
test_chat_stream_cancel.py, test_chat_stream_faults.py); the times they used to assert are here:
1. A backlog: 8,000 chunks in one write, decoded by ChatClient.stream. How late a 1 ms timer
   fires meanwhile (the longest the event loop, and so the UI, was held): median over --runs of
   each run's longest, against the same with the engine's yielding turned off (the baseline).
   Target: under 50 ms.
2. Stopping: from cancelling the consuming task to the server seeing the connection closed
   (median and worst of --runs). Target: under 1 s.
3. A stall: a stream silent after its first words with stall_timeout=0.3 s, from the request to
   StreamStalledError; the time past the 0.3 s. Target: under 1.2 s past it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script

from tests.support.fake_openai import FakeOpenAI, Fault, Reply  # noqa: E402

from kibitz.core.chat import (  # noqa: E402
    ChatClient,
    Delta,
    Failed,
    ProviderConfig,
    build_request,
    stream_chat,
)
from kibitz.core.chat import client as chat_client  # noqa: E402
from kibitz.core.errors import StreamStalledError  # noqa: E402
from kibitz.core.types import RequestParams  # noqa: E402

KEY = "sk-bench-0123456789abcdefghijklmn"
REQUEST = build_request([("user", "tell me a long story")], RequestParams(model="m"))
HOLD_TARGET_MS = 50.0
HANG_UP_TARGET_MS = 1000.0
STALL_TARGET_MS = 1200.0


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values):7.1f} ms, worst {max(values):7.1f} ms"


async def _longest_hold(server: FakeOpenAI, provider: ProviderConfig) -> float:
    server.script(Reply(words=8000, burst=True))
    lags: list[float] = []
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - started - 0.001)

    watcher = asyncio.create_task(watch())
    async with ChatClient(provider) as client:
        async for _event in client.stream(REQUEST):
            pass
    stop.set()
    await watcher
    return max(lags) * 1000


async def _hang_up(server: FakeOpenAI, provider: ProviderConfig) -> float:
    server.script(Reply(words=600, delay=0.1))  # a minute of text if nobody stops it
    first = asyncio.Event()
    before = server.stats()["disconnects"]

    async def consume() -> None:
        async for event in stream_chat(provider, REQUEST):
            if isinstance(event, Delta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 30)
    started = time.perf_counter()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    seen = await asyncio.to_thread(server.wait_for_disconnects, before + 1, 30)
    assert seen, "the server never saw the connection close"
    return (time.perf_counter() - started) * 1000


async def _stall(server: FakeOpenAI, provider: ProviderConfig) -> float:
    server.script(Fault.stall(after=5, seconds=60, text="Hello there, friend"))
    started = time.perf_counter()
    events = [e async for e in stream_chat(provider, REQUEST, stall_timeout=0.3)]
    took = (time.perf_counter() - started) * 1000
    last = events[-1]
    assert isinstance(last, Failed), last
    assert isinstance(last.error, StreamStalledError), last.error
    return took - 300


async def main(runs: int) -> None:
    server = FakeOpenAI().start()
    try:
        provider = ProviderConfig("bench", base_url=server.url, api_key=KEY, max_retries=0)
        await _longest_hold(server, provider)  # warm up: imports, the first connection
        held, baseline = [], []
        default = chat_client._YIELD_INTERVAL
        for _ in range(runs):  # interleaved, so that machine load hits both alike
            held.append(await _longest_hold(server, provider))
            chat_client._YIELD_INTERVAL = float("inf")
            try:
                baseline.append(await _longest_hold(server, provider))
            finally:
                chat_client._YIELD_INTERVAL = default
        print("== a backlog of 8,000 chunks in one write: the longest hold of the event loop")
        print(f"  engine (yields every {default * 1000:g} ms): {_ms(held)}")
        print(f"  baseline (never yields):           {_ms(baseline)}")
        verdict = "PASS" if statistics.median(held) < HOLD_TARGET_MS else "MISS"
        print(f"  {verdict} median < {HOLD_TARGET_MS:.0f} ms")

        hang_ups = [await _hang_up(server, provider) for _ in range(runs)]
        print("== cancelling a stream: until the server sees the connection closed")
        print(f"  {_ms(hang_ups)}")
        verdict = "PASS" if max(hang_ups) < HANG_UP_TARGET_MS else "MISS"
        print(f"  {verdict} worst < {HANG_UP_TARGET_MS:.0f} ms")

        stalls = [await _stall(server, provider) for _ in range(runs)]
        print("== a stall after the first words, stall_timeout 0.3 s: the time past 0.3 s")
        print(f"  {_ms(stalls)}")
        verdict = "PASS" if max(stalls) < STALL_TARGET_MS else "MISS"
        print(f"  {verdict} worst < {STALL_TARGET_MS:.0f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
