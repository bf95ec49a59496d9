"""Reasoning over real HTTP: every server's shape through ChatClient.stream, streamed or not."""

from __future__ import annotations

import pytest

from kibitz.core.chat import ChatClient, Delta, ProviderConfig, ReasoningDelta, build_request
from kibitz.core.errors import StreamInterruptedError
from kibitz.core.types import RequestParams
from tests.integration.chat_support import Runner, StreamResult
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.support.fake_openai.wire import think_tagged

THOUGHT = "The user wants the sum. Two and two make four; no trick in it."
ANSWER = "2 + 2 = **4**."


def reasoning(result: StreamResult, index: int = 0) -> str:
    return "".join(
        e.text for e in result.events if isinstance(e, ReasoningDelta) and e.index == index
    )


# dialect, shape (None: the dialect's own), whether its usage counts reasoning tokens
SERVERS = [
    ("deepseek", None, True),
    ("llama.cpp", None, None),  # no usage chunk at all
    ("vllm", None, False),
    ("vllm", "both", False),
    ("openrouter", None, True),
    ("ollama", None, False),
    ("openai", "reasoning_content", True),
    ("llama.cpp", "think_tags", None),
    ("vllm", "think_tags", False),
    ("azure", "think_tags", True),
]


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "unstreamed"])
@pytest.mark.parametrize(("dialect", "shape", "counts"), SERVERS)
@pytest.mark.asyncio
async def test_reasoning_then_answer_in_every_shape(
    fake_openai: FakeOpenAI,
    run_chat: Runner,
    dialect: str,
    shape: str | None,
    counts: bool | None,
    stream: bool,
) -> None:
    fake_openai.script(Reply(dialect=dialect, shape=shape, reasoning=THOUGHT, text=ANSWER))
    request = build_request([("user", "2+2?")], RequestParams(model="m"), stream=stream)
    result = await run_chat(request=request)

    assert result.failure is None
    assert reasoning(result) == THOUGHT
    assert result.text() == ANSWER
    assert result.finished == {0: "stop"}
    kinds = [type(e).__name__ for e in result.events]
    assert kinds.index("ReasoningDelta") < kinds.index("Delta")  # it thinks, then answers
    usage = result.usage
    if stream and counts is None:
        assert usage is None
    else:
        assert usage is not None
        thought_pieces = len(THOUGHT.split())
        assert usage.reasoning_tokens == (thought_pieces if counts else 0)


@pytest.mark.asyncio
async def test_think_tags_cut_at_every_position_over_http(
    fake_openai: FakeOpenAI, provider: ProviderConfig
) -> None:
    thought, answer = "Short thought.", "Done."
    content = think_tagged(thought, answer)
    request = build_request([("user", "go")], RequestParams(model="m"))
    async with ChatClient(provider) as client:
        for cut in range(1, len(content)):
            # The cut and one character after it: every tag is split at every place, and a
            # one-character chunk lands on every position.
            fake_openai.script(
                Reply(
                    dialect="llama.cpp",
                    shape="think_tags",
                    reasoning=thought,
                    text=answer,
                    cuts=(cut, cut + 1),
                )
            )
            result = StreamResult([e async for e in client.stream(request)])
            assert result.failure is None, cut
            assert (reasoning(result), result.text()) == (thought, answer), cut


@pytest.mark.parametrize("shape", ["reasoning", "think_tags"])
@pytest.mark.asyncio
async def test_two_choices_each_think(
    fake_openai: FakeOpenAI, run_chat: Runner, shape: str
) -> None:
    fake_openai.script(
        Reply(
            dialect="vllm",
            shape=shape,
            reasonings=("First line of thought.", "Second line of thought."),
            texts=("Answer one.", "Answer two."),
            chunk_size=4,
        )
    )
    result = await run_chat(params=RequestParams(model="m", n=2))

    assert [reasoning(result, i) for i in (0, 1)] == [
        "First line of thought.",
        "Second line of thought.",
    ]
    assert [result.text(i) for i in (0, 1)] == ["Answer one.", "Answer two."]
    assert result.finished == {0: "stop", 1: "stop"}
    indexes = [e.index for e in result.events if isinstance(e, ReasoningDelta)]
    assert indexes[:2] == [0, 1]  # interleaved


@pytest.mark.asyncio
async def test_a_drop_while_thinking_keeps_the_reasoning_and_is_not_retried(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.script(Fault.drop(after=20, dialect="deepseek", reasoning=THOUGHT, text=ANSWER))
    result = await run_chat()

    assert isinstance(result.failure, StreamInterruptedError)
    assert result.retries == []
    assert THOUGHT.startswith(reasoning(result))
    assert len(reasoning(result)) >= 20
    assert not any(isinstance(e, Delta) for e in result.events)
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
async def test_a_reply_that_never_closes_its_think_tag(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    # Cut off by max_tokens inside <think>: what it thought is kept as reasoning.
    fake_openai.script(
        Reply(dialect="llama.cpp", text="<think>\nI was still thinking abo", finish_reason="length")
    )
    result = await run_chat()

    assert reasoning(result) == "I was still thinking abo"
    assert result.text() == ""
    assert result.finished == {0: "length"}


@pytest.mark.asyncio
async def test_reasoning_by_keyword_in_the_prompt(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    # How end-to-end tests (the app as a subprocess) ask for a reasoning reply.
    result = await run_chat("why? [[reply:reasoning=Because.,shape=think_tags,text=So.]]")
    assert (reasoning(result), result.text()) == ("Because.", "So.")


@pytest.mark.asyncio
async def test_reasoning_effort_is_on_the_wire_only_when_set(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    await run_chat(params=RequestParams(model="o3-mini", reasoning_effort="low"))
    await run_chat(params=RequestParams(model="o3-mini"))

    first, second = (r.body for r in fake_openai.chat_requests)
    assert first["reasoning_effort"] == "low"
    assert "reasoning_effort" not in second
