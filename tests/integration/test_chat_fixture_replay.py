"""Every recorded real stream, replayed byte for byte, gives exactly what the recording holds."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kibitz.core.chat import Delta
from kibitz.core.types import Usage
from tests.integration.chat_support import Runner
from tests.support.fake_openai import FakeOpenAI, Replay
from tests.support.recordings import RECORDINGS as FIXTURES

RECORDINGS = sorted(
    p
    for d in ("sse", "sse/with-usage", "openai-2026", "azure")
    for p in (FIXTURES / d).glob("*.sse")
)


@dataclass
class Recorded:
    """What a recording says, read straight from its data: lines (the test's own oracle)."""

    text: dict[int, str] = field(default_factory=lambda: defaultdict(str))
    refusal: dict[int, bool] = field(default_factory=dict)
    finish: dict[int, str | None] = field(default_factory=dict)
    usage: Usage | None = None
    model: str | None = None


def read_recording(path: Path) -> Recorded:
    rec = Recorded()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[len("data: ") :])
        rec.model = rec.model or chunk.get("model") or None
        for choice in chunk.get("choices", []):
            index = choice["index"]
            delta = choice.get("delta") or {}
            rec.finish.setdefault(index, None)
            for key in ("content", "refusal"):
                if delta.get(key):
                    rec.text[index] += delta[key]
                    rec.refusal[index] = key == "refusal"
            if choice.get("finish_reason"):
                rec.finish[index] = choice["finish_reason"]
        if chunk.get("usage"):
            u = chunk["usage"]
            rec.usage = Usage(u["prompt_tokens"], u["completion_tokens"], u["total_tokens"])
    return rec


def test_the_recordings_are_all_there() -> None:
    # 12 + 12 OpenAI 2024, 4 OpenAI 2026, 1 Azure: a missing folder must not pass silently.
    assert len(RECORDINGS) == 29


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
@pytest.mark.asyncio
async def test_recorded_stream(fake_openai: FakeOpenAI, run_chat: Runner, path: Path) -> None:
    expected = read_recording(path)
    fake_openai.script(Replay(path))
    result = await run_chat()

    assert result.failure is None
    assert result.started[0].model == expected.model
    indexes = set(expected.finish)
    assert {i: result.text(i) for i in indexes} == {i: expected.text[i] for i in indexes}
    assert result.finished == expected.finish
    assert result.usage == expected.usage
    for event in result.events:
        if isinstance(event, Delta):
            assert event.refusal == expected.refusal[event.index]


@pytest.mark.parametrize(
    "name", ["sse/09_parallel_tool_calls_two.sse", "sse/with-usage/08_tool_call_single_usage.sse"]
)
@pytest.mark.asyncio
async def test_recorded_tool_calls_arrive_whole(
    fake_openai: FakeOpenAI, run_chat: Runner, name: str
) -> None:
    fake_openai.script(Replay(FIXTURES / name))
    result = await run_chat()

    calls = result.calls()
    assert calls
    assert result.text() == ""
    for call_id, function, arguments in calls:
        assert (call_id or "").startswith("call_")
        assert function
        assert isinstance(json.loads(arguments), dict)
    assert result.finished == {0: "tool_calls"}
