"""Tool calls read from every server's stream shape into ToolCallDeltas (no network)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tests.support.recordings import RECORDINGS

from kibitz.core.chat import Delta, Finished, ReasoningDelta, StreamEvent, ToolCallDelta
from kibitz.core.chat.streaming import ChunkTranslator

TOOL_RECORDINGS = sorted(
    [*RECORDINGS.glob("sse/*tool_call*.sse"), *RECORDINGS.glob("sse/with-usage/*tool_call*.sse")]
)


def as_objects(data: Any) -> Any:
    """JSON as attribute objects, the way the SDK hands chunks over (dicts are read too)."""
    return json.loads(json.dumps(data), object_hook=lambda d: SimpleNamespace(**d))


def chunk(*calls: dict[str, Any], finish: str | None = None, content: str | None = None) -> Any:
    delta: dict[str, Any] = {"tool_calls": list(calls)} if calls else {}
    if content is not None:
        delta["content"] = content
    return as_objects(
        {"model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    )


def run(chunks: list[Any]) -> list[StreamEvent]:
    tr = ChunkTranslator()
    return [e for c in chunks for e in tr.feed(c)] + tr.end()


def joined(events: list[StreamEvent]) -> list[tuple[str | None, str | None, str]]:
    """The calls of choice 0 as a consumer joins them: (id, name, arguments) by call_index."""
    calls: dict[int, list[Any]] = {}
    for e in events:
        if isinstance(e, ToolCallDelta) and e.index == 0:
            call = calls.setdefault(e.call_index, [None, None, ""])
            assert e.id is None or call[0] is None, "an id goes out once per call"
            assert e.name is None or call[1] is None, "a name goes out once per call"
            call[0] = call[0] or e.id
            call[1] = call[1] or e.name
            call[2] += e.arguments
    assert sorted(calls) == list(range(len(calls))), "calls are numbered 0, 1, ..."
    return [tuple(calls[i]) for i in sorted(calls)]  # type: ignore[misc]


def recorded_calls(path: Path) -> list[tuple[str | None, str | None, str]]:
    """The test's own oracle: the recording's calls joined by their wire index."""
    calls: dict[int, list[Any]] = defaultdict(lambda: [None, None, ""])
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:])["choices"]:
            for piece in (choice.get("delta") or {}).get("tool_calls") or []:
                call = calls[piece["index"]]
                call[0] = call[0] or piece.get("id")
                call[1] = call[1] or piece["function"].get("name")
                call[2] += piece["function"].get("arguments") or ""
    return [tuple(calls[i]) for i in sorted(calls)]  # type: ignore[misc]


@pytest.mark.parametrize("path", TOOL_RECORDINGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_openai_tool_calls_come_out_whole(path: Path) -> None:
    chunks = [
        as_objects(json.loads(line[6:]))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    events = run(chunks)

    calls = joined(events)
    assert calls == recorded_calls(path)
    for call_id, name, arguments in calls:
        assert (call_id or "").startswith("call_")
        assert name
        assert isinstance(json.loads(arguments), dict)
    assert not any(isinstance(e, Delta) for e in events)
    assert Finished("tool_calls", 0) in events


def test_parallel_calls_are_two_calls_in_order() -> None:
    events = run(
        [
            as_objects(json.loads(line[6:]))
            for line in (RECORDINGS / "sse/09_parallel_tool_calls_two.sse").read_text().splitlines()
            if line.startswith("data: {")
        ]
    )
    assert [name for _, name, _ in joined(events)] == ["GetWeatherArgs", "get_stock_price"]
    assert json.loads(joined(events)[1][2]) == {"ticker": "AAPL", "exchange": "NASDAQ"}


def test_sdk_objects_are_read_like_the_recording() -> None:
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk

    path = RECORDINGS / "sse/09_parallel_tool_calls_two.sse"
    chunks = [
        construct_type(type_=ChatCompletionChunk, value=json.loads(line[6:]))
        for line in path.read_text().splitlines()
        if line.startswith("data: {")
    ]
    assert joined(run(chunks)) == recorded_calls(path)


def test_vllm_names_first_then_arguments_with_empty_ids_repeated() -> None:
    # vLLM: no arguments in the first piece; later pieces may repeat type and send id "".
    first = {
        "index": 0,
        "id": "chatcmpl-tool-8d2a",
        "type": "function",
        "function": {"name": "get_weather"},
    }
    events = run(
        [
            chunk(first),
            chunk({"index": 0, "id": "", "type": "function", "function": {"arguments": '{"ci'}}),
            chunk({"index": 0, "function": {"arguments": 'ty": "Oslo"}'}}),
            chunk({"index": 0, "function": {"arguments": ""}}),
            chunk(finish="tool_calls"),
        ]
    )
    assert joined(events) == [("chatcmpl-tool-8d2a", "get_weather", '{"city": "Oslo"}')]
    assert sum(isinstance(e, ToolCallDelta) for e in events) == 3  # the empty piece is no event


def test_llamacpp_whole_call_in_one_piece() -> None:
    call = {
        "index": 0,
        "id": "Jx2mU3rk0sOWkYb8ZZRT3zS1vP5lq7Ld",
        "type": "function",
        "function": {"name": "get_time", "arguments": '{"zone": "UTC"}'},
    }
    events = run([chunk(call, content=None), chunk(finish="tool_calls")])
    assert [e for e in events if isinstance(e, ToolCallDelta)] == [
        ToolCallDelta(0, call["id"], "get_time", '{"zone": "UTC"}', 0)
    ]


def test_pieces_without_index_join_the_newest_call() -> None:
    # llama.cpp builds that leave out index, with type only in the first piece.
    events = run(
        [
            chunk({"id": "a1", "type": "function", "function": {"name": "f", "arguments": ""}}),
            chunk({"function": {"arguments": '{"x":'}}),
            chunk({"function": {"arguments": " 1}"}}),
            chunk({"id": "b2", "type": "function", "function": {"name": "g", "arguments": "{}"}}),
            chunk(finish="tool_calls"),
        ]
    )
    assert joined(events) == [("a1", "f", '{"x": 1}'), ("b2", "g", "{}")]


def test_sglang_repeats_the_id_on_every_piece() -> None:
    events = run(
        [
            chunk({"index": 0, "id": "0", "function": {"name": "f", "arguments": ""}}),
            chunk({"index": 0, "id": "0", "function": {"arguments": '{"a": 1}'}}),
            chunk({"index": 1, "id": "1", "function": {"name": "g", "arguments": ""}}),
            chunk({"index": 1, "id": "1", "function": {"arguments": "{}"}}),
        ]
    )
    assert joined(events) == [("0", "f", '{"a": 1}'), ("1", "g", "{}")]


def test_a_new_id_at_a_known_index_is_another_call() -> None:
    # lmdeploy sends every parallel call at index 0 (InternLM/lmdeploy#3412).
    events = run(
        [
            chunk({"index": 0, "id": "t1", "function": {"name": "f", "arguments": ""}}),
            chunk({"index": 0, "id": "", "function": {"arguments": "{}"}}),
            chunk({"index": 0, "id": "t2", "function": {"name": "f", "arguments": ""}}),
            chunk({"index": 0, "function": {"arguments": '{"n": 2}'}}),
        ]
    )
    assert joined(events) == [("t1", "f", "{}"), ("t2", "f", '{"n": 2}')]


def test_old_ollama_whole_calls_without_index_and_finish_stop() -> None:
    def call(call_id: str, city: str) -> dict[str, Any]:
        function = {"name": "w", "arguments": json.dumps({"city": city})}
        return {"id": call_id, "type": "function", "function": function}

    events = run(
        [
            chunk(call("call_ab12cd34", "Oslo"), content=""),
            chunk(call("call_ef56gh78", "Rome"), content=""),
            chunk(content="", finish="stop"),
        ]
    )
    assert joined(events) == [
        ("call_ab12cd34", "w", '{"city": "Oslo"}'),
        ("call_ef56gh78", "w", '{"city": "Rome"}'),
    ]
    assert Finished("stop", 0) in events  # passed on as sent: the consumer goes by the calls


def test_two_whole_calls_without_ids_or_index_in_one_chunk() -> None:
    events = run(
        [
            chunk(
                {"function": {"name": "f", "arguments": "{}"}},
                {"function": {"name": "g", "arguments": "{}"}},
            )
        ]
    )
    assert joined(events) == [(None, "f", "{}"), (None, "g", "{}")]


def test_plain_dict_chunks_and_arguments_sent_as_an_object() -> None:
    tr = ChunkTranslator()
    raw = {
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {"tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {}}}]},
                "finish_reason": "tool_calls",
            }
        ],
    }
    events = tr.feed(raw) + tr.end()
    assert joined(events) == [("c", "f", "{}")]


def test_legacy_function_call() -> None:
    def legacy(function_call: dict[str, str]) -> Any:
        return as_objects({"choices": [{"index": 0, "delta": {"function_call": function_call}}]})

    events = run([legacy({"name": "f", "arguments": ""}), legacy({"arguments": "{}"})])
    assert joined(events) == [(None, "f", "{}")]


def test_text_before_the_calls_comes_first() -> None:
    events = run(
        [
            chunk(content="Let me check."),
            chunk({"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}),
            chunk(finish="tool_calls"),
        ]
    )
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Started", "Delta", "ToolCallDelta", "Finished"]


def test_text_held_for_a_possible_think_tag_is_not_put_after_the_call() -> None:
    events = run(
        [
            chunk(content="<th"),
            chunk({"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}),
        ]
    )
    text_at = next(i for i, e in enumerate(events) if isinstance(e, Delta))
    call_at = next(i for i, e in enumerate(events) if isinstance(e, ToolCallDelta))
    assert text_at < call_at
    assert not any(isinstance(e, ReasoningDelta) for e in events)


def test_a_tool_call_counts_as_delivered() -> None:
    # After a call has gone to the consumer, a broken stream must not be retried from scratch.
    tr = ChunkTranslator()
    tr.feed(chunk({"index": 0, "id": "c", "function": {"name": "f", "arguments": ""}}))
    assert tr.delivered


def test_unstreamed_reply_gives_each_call_whole() -> None:
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
            {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": "{}"}},
        ],
    }
    completion = as_objects(
        {
            "model": "gpt-4o",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        }
    )
    tr = ChunkTranslator()
    events = tr.feed_completion(completion) + tr.end()
    assert [e for e in events if isinstance(e, ToolCallDelta)] == [
        ToolCallDelta(0, "call_1", "f", "{}", 0),
        ToolCallDelta(1, "call_2", "f", "{}", 0),
    ]
    assert events[-1] == Finished("tool_calls", 0)
