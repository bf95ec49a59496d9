"""build_request: what goes on the wire for a branch and a parameter set (no network)."""

from __future__ import annotations

import pytest

from kibitz.core.chat import ChatTurn, build_request
from kibitz.core.errors import ConfigError
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    RequestParams,
    Role,
    as_parts,
)


def stored(role: Role, content: str, status: MessageStatus = MessageStatus.COMPLETE) -> Message:
    return Message(
        id=MessageId(1),
        conversation_id=ConversationId(1),
        parent_id=None,
        role=role,
        parts=as_parts(content),
        status=status,
        created_at=0.0,
        updated_at=0.0,
    )


def test_minimal_request_sends_only_what_is_set() -> None:
    body = build_request([("user", "hi")], RequestParams(model="gpt-4o-mini"))

    assert body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_every_parameter_is_mapped() -> None:
    params = RequestParams(
        model="m",
        temperature=0.0,
        top_p=0.5,
        max_tokens=100,
        stop=("END", "STOP"),
        presence_penalty=-0.5,
        frequency_penalty=1.5,
        seed=42,
        n=2,
        response_format="json_object",
    )
    body = build_request([("user", "hi")], params)

    assert body["temperature"] == 0.0  # a falsy value that is set is still sent
    assert body["top_p"] == 0.5
    assert body["max_tokens"] == 100
    assert body["stop"] == ["END", "STOP"]
    assert body["presence_penalty"] == -0.5
    assert body["frequency_penalty"] == 1.5
    assert body["seed"] == 42
    assert body["n"] == 2
    assert body["response_format"] == {"type": "json_object"}


def test_text_response_format_and_empty_stop_are_omitted() -> None:
    body = build_request(
        [("user", "hi")], RequestParams(model="m", response_format="text", stop=())
    )

    assert "response_format" not in body
    assert "stop" not in body


def test_not_streaming_and_no_usage() -> None:
    assert "stream_options" not in build_request(
        [("user", "hi")], RequestParams(model="m"), include_usage=False
    )
    body = build_request([("user", "hi")], RequestParams(model="m"), stream=False)
    assert "stream" not in body
    assert "stream_options" not in body


def test_system_prompt_goes_first() -> None:
    body = build_request(
        [ChatTurn(Role.USER, "q"), ChatTurn(Role.ASSISTANT, "a"), ChatTurn(Role.USER, "q2")],
        RequestParams(model="m"),
        system_prompt="You are terse.",
    )

    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["messages"][0]["content"] == "You are terse."


def test_blank_system_prompt_is_not_sent() -> None:
    body = build_request([("user", "q")], RequestParams(model="m"), system_prompt="  \n")
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_stored_messages_skip_failed_and_empty_replies() -> None:
    branch = [
        stored(Role.USER, "first"),
        stored(Role.ASSISTANT, "", MessageStatus.ERROR),
        stored(Role.USER, "again"),
        stored(Role.ASSISTANT, "partial", MessageStatus.INTERRUPTED),
        stored(Role.ASSISTANT, "", MessageStatus.INTERRUPTED),
        stored(Role.TOOL, "tool output"),
        stored(Role.USER, "last"),
    ]
    body = build_request(branch, RequestParams(model="m"))

    assert body["messages"] == [
        {"role": "user", "content": "first"},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": "partial"},
        {"role": "user", "content": "last"},
    ]


def test_mixed_inputs_and_string_roles() -> None:
    body = build_request(
        [("system", "s"), (Role.USER, "u"), stored(Role.ASSISTANT, "a")], RequestParams(model="m")
    )
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant"]


def test_unknown_role_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="wizard"):
        build_request([("wizard", "hi")], RequestParams(model="m"))


@pytest.mark.parametrize("model", [None, "", "   "])
def test_missing_model_is_a_config_error(model: str | None) -> None:
    with pytest.raises(ConfigError) as caught:
        build_request([("user", "hi")], RequestParams(model=model))
    assert caught.value.headline == "No model is chosen"
    assert "model" in caught.value.hint


def test_model_is_trimmed() -> None:
    assert build_request([("user", "x")], RequestParams(model=" gpt-4o "))["model"] == "gpt-4o"


def test_nothing_to_send() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        build_request([stored(Role.ASSISTANT, "", MessageStatus.ERROR)], RequestParams(model="m"))
