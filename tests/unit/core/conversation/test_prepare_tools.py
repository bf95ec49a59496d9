"""prepare_request with tools: the offer, a tool round as history, and trimming around it
(a real store in tmp_path, no network)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core.conversation import context
from kibitz.core.conversation.prepare import TurnOptions, prepare_request, sendable
from kibitz.core.errors import ContextTooLongError
from kibitz.core.store import Store
from kibitz.core.tools import ToolSpec
from kibitz.core.types import (
    ConversationId,
    MessageId,
    MessageStatus,
    Part,
    ReasoningPart,
    RequestParams,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

MODEL = "gpt-4o-mini"
SPEC = ToolSpec(
    "weather",
    "get_weather",
    "get_weather",
    "The weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


def question_and_round(
    store: Store, parts: tuple[Part, ...], *, status: MessageStatus = MessageStatus.STREAMING
) -> tuple[ConversationId, MessageId, MessageId]:
    """A conversation whose newest reply holds `parts` (a tool round in progress)."""
    conversation = store.create_conversation("t")
    question = store.add_message(conversation.id, None, Role.USER, "Weather in Oslo?")
    reply = store.add_message(conversation.id, question.id, Role.ASSISTANT, parts, status=status)
    return conversation.id, question.id, reply.id


ROUND = (
    ReasoningPart("Look it up."),
    ToolCallPart("call_1", "get_weather", '{"city": "Oslo"}', server="weather"),
    ToolResultPart("call_1", "Oslo: 4 °C, rain"),
)


def test_the_offer_goes_with_the_request(store: Store) -> None:
    conversation = store.create_conversation("t")
    question = store.add_message(conversation.id, None, Role.USER, "hi")
    params = RequestParams(model=MODEL, n=3)

    prepared = prepare_request(store, question.id, params, TurnOptions(), tools=[SPEC])
    assert prepared.body["tools"] == [SPEC.as_openai_tool()]
    assert "n" not in prepared.body  # one reply per request when tools are offered

    plain = prepare_request(store, question.id, params, TurnOptions())
    assert "tools" not in plain.body
    assert plain.body["n"] == 3


def test_a_tool_round_in_progress_is_sent_as_history(store: Store) -> None:
    _, _, reply = question_and_round(store, ROUND)

    prepared = prepare_request(
        store, reply, RequestParams(model=MODEL), TurnOptions(), tools=[SPEC]
    )
    messages = prepared.body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["content"] == ""  # not null: llama-cpp-python refuses null
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert messages[2] == {"role": "tool", "tool_call_id": "call_1", "content": "Oslo: 4 °C, rain"}
    assert "Look it up." not in json.dumps(messages)


def test_a_reply_with_calls_but_no_text_is_sendable(store: Store) -> None:
    _, _, reply = question_and_round(store, ROUND[1:2], status=MessageStatus.INTERRUPTED)
    assert sendable(store.get_message(reply))
    empty = store.add_message(
        store.get_message(reply).conversation_id, reply, Role.ASSISTANT, (ReasoningPart("x"),)
    )
    assert not sendable(empty)


def test_trimming_counts_calls_results_and_tools(store: Store) -> None:
    big = "x " * 3000
    parts = (ToolCallPart("c", "get_weather", '{"city": "Oslo"}'), ToolResultPart("c", big))
    _, _, reply = question_and_round(store, parts)
    message = store.get_message(reply)

    counted = context.message_tokens(message, MODEL)
    assert counted > context.count_tokens(big, MODEL)  # the result is counted, and the call
    params = RequestParams(model=MODEL)
    with_tools = prepare_request(store, reply, params, TurnOptions(), tools=[SPEC])
    without = prepare_request(store, reply, params, TurnOptions())
    tools_cost = context.tools_tokens([SPEC.as_openai_tool()], MODEL)
    assert tools_cost > 10
    assert with_tools.prompt_tokens == without.prompt_tokens + tools_cost


def test_old_tool_rounds_are_dropped_whole_and_the_newest_round_is_kept(store: Store) -> None:
    conversation = store.create_conversation("t")
    parent: MessageId | None = None
    for i in range(6):  # six old turns, each with a tool round holding a long result
        question = store.add_message(conversation.id, parent, Role.USER, f"question {i}")
        parts = (
            ToolCallPart(f"old{i}", "get_weather", "{}"),
            ToolResultPart(f"old{i}", "word " * 600),
            TextPart(f"answer {i}"),
        )
        parent = store.add_message(conversation.id, question.id, Role.ASSISTANT, parts).id
    question = store.add_message(conversation.id, parent, Role.USER, "and now?")
    reply = store.add_message(
        conversation.id, question.id, Role.ASSISTANT, ROUND, status=MessageStatus.STREAMING
    )
    options = TurnOptions(max_prompt_tokens=2500)

    prepared = prepare_request(store, reply.id, RequestParams(model=MODEL), options, tools=[SPEC])
    messages = prepared.body["messages"]
    assert prepared.dropped_messages > 0
    assert prepared.dropped_messages % 2 == 0  # questions with their replies
    # Every call that is sent is answered, and the round in progress is there.
    call_ids = [c["id"] for m in messages for c in m.get("tool_calls") or ()]
    answered = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
    assert call_ids == answered
    assert call_ids[-1] == "call_1"
    assert messages[-1]["role"] == "tool"


def test_a_round_too_big_for_the_window_says_tools_may_help(store: Store) -> None:
    parts = (ToolCallPart("c", "f", "{}"), ToolResultPart("c", "word " * 5000))
    _, _, reply = question_and_round(store, parts)
    options = TurnOptions(max_prompt_tokens=1000)

    with pytest.raises(ContextTooLongError) as raised:
        prepare_request(store, reply, RequestParams(model=MODEL), options, tools=[SPEC])
    assert "tools" in raised.value.detail
    assert "without tools" in raised.value.hint


def test_usage_of_a_reply_with_calls_is_no_anchor(store: Store) -> None:
    conversation = store.create_conversation("t")
    question = store.add_message(conversation.id, None, Role.USER, "q")
    reply = store.add_message(
        conversation.id,
        question.id,
        Role.ASSISTANT,
        (*ROUND, TextPart("4 °C")),
        usage=Usage(prompt_tokens=900, completion_tokens=20, total_tokens=920),
    )
    follow = store.add_message(conversation.id, reply.id, Role.USER, "thanks")
    branch = store.branch(conversation.id, follow.id)
    assert context.anchor_from_messages(branch) is None
