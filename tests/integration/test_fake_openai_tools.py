"""The fake server's tool calls: OpenAI's shape checked against the recordings, every dialect
read back whole through the real client, scripted rounds, and refusals of `tools`."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from kibitz.core.chat import ToolCallDelta, build_request
from kibitz.core.errors import Action, ToolsNotSupportedError
from kibitz.core.tools import ToolSpec
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    RequestParams,
    Role,
    ToolCallPart,
    ToolResultPart,
    as_parts,
)
from tests.integration.chat_support import TEST_KEY, Runner
from tests.support.fake_openai import FakeOpenAI, Fault, Reply, ToolCall
from tests.support.fake_openai.script import step_from_json, step_from_keywords
from tests.support.fake_openai.tools import REFUSAL_DIALECTS, argument_pieces
from tests.support.recordings import RECORDINGS

PARAMS = RequestParams(model="gpt-4o-mini")
SPEC = ToolSpec("weather", "get_weather", "get_weather", "The weather in a city.")
WEATHER = ToolCall("get_weather", {"city": "Edinburgh", "country": "UK", "units": "c"})
STOCK = ToolCall("get_stock_price", {"ticker": "AAPL", "exchange": "NASDAQ"})


def offer(prompt: str = "Weather and AAPL?", *, stream: bool = True) -> dict[str, Any]:
    return build_request([("user", prompt)], PARAMS, tools=[SPEC.as_openai_tool()], stream=stream)


def raw_chunks(url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The data: events of a streamed reply, as sent."""
    request = urllib.request.Request(
        url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {TEST_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
    return [
        json.loads(line[6:])
        for line in text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


def recorded_chunks(name: str) -> list[dict[str, Any]]:
    lines = (RECORDINGS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


def skeleton(value: Any) -> Any:
    """The shape of a chunk: its keys, nesting and value types, never its values."""
    if isinstance(value, dict):
        return tuple((key, skeleton(value[key])) for key in sorted(value))
    if isinstance(value, list):
        return tuple(skeleton(item) for item in value)
    return type(value).__name__


def kind(chunk: dict[str, Any]) -> str:
    """R(ole) H(ead of a call) A(rguments) F(inish), U(sage)."""
    if not chunk["choices"]:
        return "U"
    choice = chunk["choices"][0]
    delta = choice["delta"]
    if choice["finish_reason"]:
        return "F"
    if "role" in delta:
        return "R"
    return "H" if "id" in delta["tool_calls"][0] else "A"


@pytest.mark.parametrize(
    "name",
    ["sse/09_parallel_tool_calls_two.sse", "sse/with-usage/09_parallel_tool_calls_usage.sse"],
)
def test_openai_tool_calls_have_the_recordings_shape(fake_openai: FakeOpenAI, name: str) -> None:
    recorded = [c for c in recorded_chunks(name) if c["choices"]]
    fake_openai.script(Reply(tool_calls=[WEATHER, STOCK]))
    sent = [c for c in raw_chunks(fake_openai.url, offer()) if c["choices"]]

    assert {skeleton(c) for c in sent} == {skeleton(c) for c in recorded}
    for chunks in (sent, recorded):
        order = "".join(kind(c) for c in chunks)
        assert re.fullmatch(r"R(HA+)+F", order)  # role, then each call's head and pieces
        assert order.count("H") == 2
    ids = [c["choices"][0]["delta"]["tool_calls"][0]["id"] for c in sent if kind(c) == "H"]
    recorded_ids = [
        c["choices"][0]["delta"]["tool_calls"][0]["id"] for c in recorded if kind(c) == "H"
    ]
    for found in (*ids, *recorded_ids):
        assert re.fullmatch(r"call_[A-Za-z0-9]{24}", found)
    # Arguments in small pieces, as OpenAI sends them.
    pieces = [
        c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
        for c in sent
        if kind(c) == "A"
    ]
    assert max(len(p) for p in pieces) <= 8
    assert len(pieces) >= 10


def test_argument_pieces_join_back_exactly() -> None:
    for text in ('{"city":"Edinburgh","units":"c"}', '{"q": "naïve café", "n": [1, 2]}', "{}"):
        assert "".join(argument_pieces(text)) == text


@pytest.mark.parametrize(
    ("dialect", "id_pattern", "finish"),
    [
        ("openai", r"call_[A-Za-z0-9]{24}", "tool_calls"),
        ("vllm", r"chatcmpl-tool-[0-9a-f]{32}", "tool_calls"),
        ("llama.cpp", r"[A-Za-z0-9]{32}", "tool_calls"),
        ("ollama", r"call_[a-z0-9]{8}", "stop"),
    ],
)
@pytest.mark.asyncio
async def test_every_dialect_reads_back_whole(
    fake_openai: FakeOpenAI, run_chat: Runner, dialect: str, id_pattern: str, finish: str
) -> None:
    fake_openai.script(Reply(dialect=dialect, tool_calls=[WEATHER, STOCK]))
    result = await run_chat(request=offer())

    calls = result.calls()
    assert [(name, json.loads(args)) for _, name, args in calls] == [
        ("get_weather", WEATHER.arguments),
        ("get_stock_price", STOCK.arguments),
    ]
    for call_id, _, _ in calls:
        assert re.fullmatch(id_pattern, call_id or "")
    assert result.finished == {0: finish}
    assert result.text() == ""


@pytest.mark.parametrize("dialect", ["llama.cpp", "ollama"])
def test_whole_call_dialects_send_each_call_in_one_chunk(
    fake_openai: FakeOpenAI, dialect: str
) -> None:
    fake_openai.script(Reply(dialect=dialect, tool_calls=[WEATHER, STOCK]))
    entries = [
        entry
        for c in raw_chunks(fake_openai.url, offer())
        if c["choices"]
        for entry in c["choices"][0]["delta"].get("tool_calls") or ()
    ]
    assert len(entries) == 2
    assert all(json.loads(e["function"]["arguments"]) for e in entries)
    assert all(("index" in e) == (dialect == "llama.cpp") for e in entries)


@pytest.mark.asyncio
async def test_text_before_the_calls_and_unstreamed_replies(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.script(Reply(text="Let me look.", tool_calls=[WEATHER]))
    streamed = await run_chat(request=offer())
    first_call = next(i for i, e in enumerate(streamed.events) if isinstance(e, ToolCallDelta))
    assert streamed.text() == "Let me look."
    assert all(not isinstance(e, ToolCallDelta) for e in streamed.events[: first_call - 1])

    fake_openai.script(Reply(text="Let me look.", tool_calls=[WEATHER, STOCK]))
    whole = await run_chat(request=offer(stream=False))
    assert whole.text() == "Let me look."
    assert [name for _, name, _ in whole.calls()] == ["get_weather", "get_stock_price"]
    assert whole.finished == {0: "tool_calls"}


def reply_holding(*parts: Any) -> Message:
    return Message(
        MessageId(2),
        ConversationId(1),
        MessageId(1),
        Role.ASSISTANT,
        MessageStatus.STREAMING,
        0.0,
        0.0,
        parts=as_parts(parts),
    )


@pytest.mark.asyncio
async def test_a_scripted_round_then_the_answer(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    fake_openai.script(
        Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"}, id="call_oslo")]),
        Reply(text="It is 4 °C in Oslo."),
    )
    question = ("user", "Weather in Oslo?")
    first = await run_chat(request=offer(question[1]))
    call_id, name, arguments = first.calls()[0]
    assert call_id == "call_oslo"

    stored = reply_holding(
        ToolCallPart(call_id, name or "", arguments), ToolResultPart(call_id, "4 °C, rain")
    )
    body = build_request([question, stored], PARAMS, tools=[SPEC.as_openai_tool()])
    second = await run_chat(request=body)
    assert second.text() == "It is 4 °C in Oslo."

    sent = fake_openai.chat_requests
    assert [r.tools for r in sent] == [[SPEC.as_openai_tool()]] * 2
    assert [m["role"] for m in sent[1].messages] == ["user", "assistant", "tool"]
    assert sent[1].messages[2] == {
        "role": "tool",
        "tool_call_id": "call_oslo",
        "content": "4 °C, rain",
    }


@pytest.mark.asyncio
async def test_unscripted_answer_to_tool_results_says_what_they_said(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    stored = reply_holding(ToolCallPart("c1", "now", "{}"), ToolResultPart("c1", "12:00"))
    body = build_request([("user", "time?"), stored], PARAMS, tools=[SPEC.as_openai_tool()])
    result = await run_chat(request=body)
    assert result.text() == "The tool said: 12:00"


@pytest.mark.asyncio
async def test_a_model_that_ignores_tools_just_answers(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    result = await run_chat(request=offer("hello"))
    assert result.text() == "You said: hello"
    assert result.calls() == []


@pytest.mark.parametrize("dialect", REFUSAL_DIALECTS)
@pytest.mark.asyncio
async def test_refusals_of_tools_map_to_send_without_tools(
    fake_openai: FakeOpenAI, run_chat: Runner, dialect: str
) -> None:
    fake_openai.script(Fault.tools_not_supported(dialect))
    result = await run_chat(request=offer())

    assert isinstance(result.failure, ToolsNotSupportedError)
    assert result.failure.action is Action.SEND_WITHOUT_TOOLS
    assert result.retries == []  # llama.cpp's 500 is not retried


@pytest.mark.asyncio
async def test_a_model_without_tools_refuses_only_requests_that_offer_them(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.no_tool_models["gpt-4o-mini"] = "ollama"
    refused = await run_chat(request=offer())
    assert isinstance(refused.failure, ToolsNotSupportedError)
    assert "registry.ollama.ai/library/gpt-4o-mini does not support tools" in (
        refused.failure.detail
    )
    plain = await run_chat("hi")
    assert plain.text() == "You said: hi"


def test_tool_calls_from_the_control_channel_and_keywords() -> None:
    step = step_from_json(
        {
            "kind": "reply",
            "dialect": "vllm",
            "tool_calls": [{"name": "get_time", "arguments": {"zone": "UTC"}, "id": "t1"}],
        }
    )
    assert isinstance(step, Reply)
    assert step.tool_calls == (ToolCall("get_time", {"zone": "UTC"}, "t1"),)

    found, rest = step_from_keywords('time? [[reply:tool=get_time,tool_args={"zone":"UTC"}]]')
    assert found is not None
    assert isinstance(found.step, Reply)
    assert found.step.tool_calls == (ToolCall("get_time", {"zone": "UTC"}),)
    assert rest == "time?"
    refusal = step_from_json({"kind": "tools_not_supported", "dialect": "vllm"})
    assert not isinstance(refusal, Reply)
    assert refusal.status == 400
