"""The fake server's reasoning replies on the wire, in each server's shape (see wire.py)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.fake_openai.script import step_from_json

USAGE = {"stream_options": {"include_usage": True}}


def post(server: FakeOpenAI, body: dict[str, Any]) -> str:
    """The raw body of one chat request's reply."""
    request = urllib.request.Request(
        server.url + "/chat/completions",
        data=json.dumps(
            {"model": "m", "messages": [{"role": "user", "content": "q"}], **body}
        ).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(response.read().decode())


def sse(server: FakeOpenAI, body: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The events of one streamed reply: comment lines, and the data objects in order."""
    lines = post(server, body).splitlines()
    comments = [line for line in lines if line.startswith(":")]
    data = [
        json.loads(line[6:])
        for line in lines
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    return comments, data


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


@pytest.fixture
def server() -> Any:
    with FakeOpenAI() as fake:
        yield fake
        assert fake.errors == []


def test_deepseek_nulls_and_usage_on_the_finish_chunk(server: FakeOpenAI) -> None:
    server.script(Reply(dialect="deepseek", reasoning="a b", text="c"))
    _, chunks = sse(server, {"stream": True, **USAGE})

    found = deltas(chunks)
    assert found[0] == {"role": "assistant", "content": None, "reasoning_content": ""}
    assert found[1] == {"content": None, "reasoning_content": "a"}
    assert found[3] == {"content": "c", "reasoning_content": None}
    assert all("usage" in c for c in chunks)  # "usage": null until the end
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["usage"]["completion_tokens_details"] == {"reasoning_tokens": 2}


def test_vllm_sends_only_the_fields_it_sets(server: FakeOpenAI) -> None:
    server.script(
        Reply(dialect="vllm", reasoning="x", text="y"),
        Reply(dialect="vllm", shape="both", reasoning="x", text="y"),
    )
    _, plain = sse(server, {"stream": True})
    _, both = sse(server, {"stream": True})

    assert deltas(plain)[1:3] == [{"reasoning": "x"}, {"content": "y"}]
    assert deltas(both)[1] == {"reasoning": "x", "reasoning_content": "x"}


def test_openrouter_comments_details_and_usage_chunk_with_a_choice(server: FakeOpenAI) -> None:
    server.script(Reply(dialect="openrouter", reasoning="r", text="t"))
    comments, chunks = sse(server, {"stream": True, **USAGE})

    assert comments == [": OPENROUTER PROCESSING"] * 2
    thinking = deltas(chunks)[1]
    assert thinking["reasoning"] == "r"
    assert thinking["reasoning_details"][0]["text"] == "r"
    assert thinking["content"] == ""
    assert chunks[-1]["choices"]
    assert "usage" in chunks[-1]


def test_ollama_has_no_role_chunk_and_empty_content_while_thinking(server: FakeOpenAI) -> None:
    server.script(Reply(dialect="ollama", reasoning="r", text="t"))
    _, chunks = sse(server, {"stream": True, **USAGE})

    assert deltas(chunks)[0] == {"role": "assistant", "content": "", "reasoning": "r"}
    assert chunks[-1]["choices"] == []
    assert "usage" in chunks[-1]


def test_think_tags_are_in_the_content_and_cuts_place_the_chunks(server: FakeOpenAI) -> None:
    server.script(
        Reply(dialect="llama.cpp", shape="think_tags", reasoning="r", text="t", cuts=(3,))
    )
    _, chunks = sse(server, {"stream": True})

    assert [d.get("content") for d in deltas(chunks)[1:-1]] == ["<th", "ink>\nr\n</think>\n\nt"]


@pytest.mark.parametrize(
    ("dialect", "shape", "fields"),
    [
        ("deepseek", None, {"reasoning_content": "r"}),
        ("vllm", None, {"reasoning": "r"}),
        ("ollama", None, {"reasoning": "r"}),
        ("openai", "both", {"reasoning": "r", "reasoning_content": "r"}),
        ("openai", "think_tags", {"content": "<think>\nr\n</think>\n\nt"}),
    ],
)
def test_unstreamed_message_shapes(
    server: FakeOpenAI, dialect: str, shape: str | None, fields: dict[str, str]
) -> None:
    server.script(Reply(dialect=dialect, shape=shape, reasoning="r", text="t"))
    reply = json.loads(post(server, {}))
    message = reply["choices"][0]["message"]
    assert {k: message[k] for k in fields} == fields
    assert message["content"] == fields.get("content", "t")


def test_reasoning_steps_from_the_control_channel_json() -> None:
    step = step_from_json(
        {"kind": "reply", "reasoning": "r", "shape": "think_tags", "reasonings": ["a"], "cuts": [2]}
    )
    assert isinstance(step, Reply)
    assert (step.reasonings, step.cuts) == (("a",), (2,))
    with pytest.raises(ValueError, match="reasoning shape"):
        Reply(shape="thoughts")
