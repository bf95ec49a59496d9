"""build_request with tools: the offer, and a stored tool round replayed as calls and results."""

from __future__ import annotations

from typing import Any

from kibitz.core.chat import build_request
from kibitz.core.chat.tool_history import NOT_RUN_TEXT
from kibitz.core.tools import DECLINED_TEXT, ToolSpec
from kibitz.core.types import (
    ConversationId,
    ImagePart,
    Message,
    MessageId,
    MessageStatus,
    Part,
    ReasoningPart,
    RequestParams,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
    as_parts,
)

PARAMS = RequestParams(model="gpt-4o-mini")


def message(
    role: Role, parts: str | tuple[Part, ...], status: MessageStatus = MessageStatus.COMPLETE
) -> Message:
    return Message(
        id=MessageId(1),
        conversation_id=ConversationId(1),
        parent_id=None,
        role=role,
        parts=as_parts(parts),
        status=status,
        created_at=0.0,
        updated_at=0.0,
    )


def call(call_id: str, name: str = "get_weather", arguments: str = '{"city": "Oslo"}') -> Any:
    return ToolCallPart(call_id, name, arguments, server="weather", tool=name)


def wire_call(call_id: str, name: str = "get_weather", args: str = '{"city": "Oslo"}') -> Any:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def sent(*parts: Part, status: MessageStatus = MessageStatus.COMPLETE) -> list[dict[str, Any]]:
    """The wire messages after the question for a reply holding `parts`."""
    body = build_request(
        [message(Role.USER, "Weather?"), message(Role.ASSISTANT, parts, status)], PARAMS
    )
    return list(body["messages"][1:])


SPEC = ToolSpec("weather", "get_weather", "get_weather", "The weather in a city.")


def test_tools_are_sent_when_offered_and_not_otherwise() -> None:
    offered = build_request([("user", "hi")], PARAMS, tools=[SPEC.as_openai_tool()])
    assert offered["tools"] == [SPEC.as_openai_tool()]
    for tools in (None, []):
        body = build_request([("user", "hi")], PARAMS, tools=tools)
        assert not any("tool" in key for key in body)


def test_a_whole_turn_replays_as_calls_results_and_answers_in_order() -> None:
    parts = (
        ReasoningPart("I should look it up."),
        TextPart("Let me check both."),
        call("call_a"),
        call("call_b", arguments='{"city": "Rome"}'),
        ToolResultPart("call_a", "Oslo: 4 °C"),
        ToolResultPart("call_b", "Rome: 18 °C"),
        TextPart("And tomorrow?"),
        call("call_c", arguments='{"city": "Oslo", "day": 1}'),
        ToolResultPart("call_c", "Oslo tomorrow: 6 °C"),
        TextPart("Oslo is 4 °C, Rome 18 °C; tomorrow Oslo warms to 6 °C."),
    )
    assert sent(*parts) == [
        {
            "role": "assistant",
            "content": "Let me check both.",
            "tool_calls": [wire_call("call_a"), wire_call("call_b", args='{"city": "Rome"}')],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": "Oslo: 4 °C"},
        {"role": "tool", "tool_call_id": "call_b", "content": "Rome: 18 °C"},
        {
            "role": "assistant",
            "content": "And tomorrow?",
            "tool_calls": [wire_call("call_c", args='{"city": "Oslo", "day": 1}')],
        },
        {"role": "tool", "tool_call_id": "call_c", "content": "Oslo tomorrow: 6 °C"},
        {
            "role": "assistant",
            "content": "Oslo is 4 °C, Rome 18 °C; tomorrow Oslo warms to 6 °C.",
        },
    ]


def test_calls_without_text_send_empty_content_and_reasoning_never_goes() -> None:
    # "", not null: llama-cpp-python's server refuses null (and omitting it fails mid-stream).
    messages = sent(ReasoningPart("hmm"), call("c1"), ToolResultPart("c1", "4 °C"))
    assert messages[0] == {"role": "assistant", "content": "", "tool_calls": [wire_call("c1")]}
    assert "hmm" not in str(messages)


def test_results_follow_call_order_whatever_order_they_were_stored_in() -> None:
    messages = sent(call("a"), call("b"), ToolResultPart("b", "B"), ToolResultPart("a", "A"))
    assert [(m["tool_call_id"], m["content"]) for m in messages[1:]] == [("a", "A"), ("b", "B")]


def test_an_interrupted_round_answers_every_call() -> None:
    # Stopped while the second call ran: its result was never stored.
    messages = sent(
        call("a"), call("b"), ToolResultPart("a", "A"), status=MessageStatus.INTERRUPTED
    )
    assert messages[1:] == [
        {"role": "tool", "tool_call_id": "a", "content": "A"},
        {"role": "tool", "tool_call_id": "b", "content": NOT_RUN_TEXT},
    ]


def test_a_round_still_streaming_is_history_for_the_next_request() -> None:
    messages = sent(call("a"), ToolResultPart("a", "A"), status=MessageStatus.STREAMING)
    assert [m["role"] for m in messages] == ["assistant", "tool"]


def test_declined_and_failed_calls_send_what_was_stored() -> None:
    messages = sent(
        call("a"),
        call("b"),
        call("c"),
        ToolResultPart("a", DECLINED_TEXT, status=ToolStatus.DENIED),
        ToolResultPart("b", "Timed out after 60 s", is_error=True, status=ToolStatus.ERROR),
        ToolResultPart("c", "", is_error=True, status=ToolStatus.ERROR),
    )
    assert [m["content"] for m in messages[1:]] == [
        DECLINED_TEXT,
        "Timed out after 60 s",
        "The tool failed without saying why.",
    ]


def test_a_result_whose_call_is_missing_is_left_out() -> None:
    messages = sent(ToolResultPart("ghost", "boo"), TextPart("Done."))
    assert messages == [{"role": "assistant", "content": "Done."}]


def test_a_tool_image_is_named_in_its_result_not_sent() -> None:
    image = ImagePart("ab" * 32, "screenshot.png", "image/png", 1234, 640, 480)
    messages = sent(call("a", "screenshot", "{}"), ToolResultPart("a", "Took it."), image)
    assert messages[1]["content"] == (
        "Took it.\n[The tool also returned an image (screenshot.png), not shown.]"
    )
    assert "image_url" not in str(messages)


def test_calls_without_ids_or_arguments_still_make_a_valid_history() -> None:
    messages = sent(ToolCallPart("", "now", ""), ToolResultPart("", "12:00"))
    assert messages[0]["tool_calls"][0]["function"]["arguments"] == "{}"
    call_id = messages[0]["tool_calls"][0]["id"]
    assert call_id
    assert messages[1] == {"role": "tool", "tool_call_id": call_id, "content": "12:00"}


def test_a_failed_reply_with_calls_is_left_out_like_any_failed_reply() -> None:
    assert sent(call("a"), status=MessageStatus.ERROR) == []


def test_a_lone_tool_turn_is_left_out() -> None:
    body = build_request([("user", "hi"), ("tool", "orphan")], PARAMS)
    assert [m["role"] for m in body["messages"]] == ["user"]
