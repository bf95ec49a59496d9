"""Reasoning in every shape servers send it, through ChunkTranslator (no network).

Chunks are built the way the SDK builds them (`ChatCompletionChunk.construct`: nothing
validated, unknown fields such as `reasoning_content` kept as extras), in the shapes the fake
server's wire.py documents from real recordings.
"""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from kibitz.core.chat import (
    AnswerWasReasoning,
    Delta,
    Finished,
    ReasoningDelta,
    Started,
    StreamEvent,
    UsageReport,
)
from kibitz.core.chat.streaming import ChunkTranslator
from kibitz.core.chat.think_tags import MOVED, Piece, ThinkTagSplitter
from kibitz.core.types import Usage


def chunk(*choices: dict[str, Any], model: str = "m", **extra: Any) -> ChatCompletionChunk:
    data = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": list(choices),
        **extra,
    }
    return ChatCompletionChunk.construct(**data)


def choice(delta: dict[str, Any], index: int = 0, finish: str | None = None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


def run(chunks: list[ChatCompletionChunk], expected_choices: int = 1) -> list[StreamEvent]:
    tr = ChunkTranslator(expected_choices=expected_choices)
    return [e for c in chunks for e in tr.feed(c)] + tr.end()


def reasoning(events: list[StreamEvent], index: int = 0) -> str:
    return "".join(e.text for e in events if isinstance(e, ReasoningDelta) and e.index == index)


def answer(events: list[StreamEvent], index: int = 0) -> str:
    return "".join(e.text for e in events if isinstance(e, Delta) and e.index == index)


def content_stream(pieces: list[str], **first: Any) -> list[ChatCompletionChunk]:
    """A llama.cpp-style stream whose content is `pieces` (think tags left in the text)."""
    role = chunk(choice({"role": "assistant", "content": None}))
    body = [chunk(choice({"content": p})) for p in pieces]
    return [role, *body, chunk(choice({}, finish="stop"))]


# -- the field shapes ------------------------------------------------------------------------


def test_deepseek_reasoning_content_then_content_with_usage_on_the_finish_chunk() -> None:
    usage = {
        "prompt_tokens": 6,
        "completion_tokens": 9,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 5},
        "prompt_cache_hit_tokens": 0,
        "prompt_cache_miss_tokens": 6,
    }
    chunks = [
        chunk(
            choice({"role": "assistant", "content": None, "reasoning_content": ""}),
            model="deepseek-reasoner",
            usage=None,
        ),
        chunk(choice({"content": None, "reasoning_content": "The user"}), usage=None),
        chunk(choice({"content": None, "reasoning_content": " greets me."}), usage=None),
        chunk(choice({"content": "Hello", "reasoning_content": None}), usage=None),
        chunk(choice({"content": "!", "reasoning_content": None}), usage=None),
        chunk(choice({"content": "", "reasoning_content": None}, finish="stop"), usage=usage),
    ]
    events = run(chunks)

    assert events == [
        Started("deepseek-reasoner", None),
        ReasoningDelta("The user", 0),
        ReasoningDelta(" greets me.", 0),
        Delta("Hello", 0),
        Delta("!", 0),
        Finished("stop", 0),
        UsageReport(Usage(6, 9, 15, 5)),
    ]


def test_vllm_reasoning_field() -> None:
    chunks = [
        chunk(
            choice({"role": "assistant", "content": "", "reasoning_content": None}),
            prompt_token_ids=None,
        ),
        chunk({**choice({"reasoning": "Thinking"}), "token_ids": None}),
        chunk({**choice({"reasoning": " process"}), "token_ids": None}),
        chunk({**choice({"content": "Hi."}), "token_ids": None}),
        chunk(choice({"content": ""}, finish="stop")),
    ]
    events = run(chunks)
    assert reasoning(events) == "Thinking process"
    assert answer(events) == "Hi."


def test_both_fields_with_the_same_text_are_taken_once() -> None:
    # vLLM 0.11 sent each piece in reasoning and reasoning_content (vllm-project/vllm#29408).
    chunks = [
        chunk(choice({"reasoning": "Okay", "reasoning_content": "Okay"})),
        chunk(choice({"reasoning": ", so", "reasoning_content": ", so"})),
        chunk(choice({"content": "Yes."}, finish="stop")),
    ]
    events = run(chunks)
    assert reasoning(events) == "Okay, so"
    assert answer(events) == "Yes."


def test_openrouter_reasoning_and_details_are_not_doubled() -> None:
    def detail(text: str) -> list[dict[str, Any]]:
        return [
            {"type": "reasoning.text", "text": text, "format": "anthropic-claude-v1", "index": 0}
        ]

    chunks = [
        chunk(choice({"role": "assistant", "content": ""}), provider="Google"),
        chunk(
            choice({"role": "assistant", "content": "", "reasoning": None, "reasoning_details": []})
        ),
        chunk(
            choice(
                {
                    "role": "assistant",
                    "content": "",
                    "reasoning": "Simple",
                    "reasoning_details": detail("Simple"),
                }
            )
        ),
        chunk(
            choice(
                {
                    "role": "assistant",
                    "content": "",
                    "reasoning": " sums.",
                    "reasoning_details": detail(" sums."),
                }
            )
        ),
        chunk(
            choice(
                {
                    "role": "assistant",
                    "content": "",
                    "reasoning": None,
                    "reasoning_details": [
                        {"type": "reasoning.text", "signature": "c2ln", "index": 0}
                    ],
                }
            )
        ),
        chunk(choice({"role": "assistant", "content": "2 + 2 = 4", "reasoning": None})),
        chunk(
            {
                **choice({"role": "assistant", "content": ""}, finish="stop"),
                "native_finish_reason": "stop",
            }
        ),
        # The usage chunk keeps a choice (with an empty delta) instead of empty choices.
        chunk(
            choice({"role": "assistant", "content": ""}),
            usage={
                "prompt_tokens": 43,
                "completion_tokens": 36,
                "total_tokens": 79,
                "cost": 0.0006,
                "completion_tokens_details": {"reasoning_tokens": 13, "image_tokens": 0},
            },
        ),
    ]
    events = run(chunks)

    assert reasoning(events) == "Simple sums."
    assert answer(events) == "2 + 2 = 4"
    assert events[-2:] == [Finished("stop", 0), UsageReport(Usage(43, 36, 79, 13))]


def test_openrouter_details_alone_give_the_summary_and_never_the_encrypted_blob() -> None:
    summary = [{"type": "reasoning.summary", "summary": "Compared the two.", "index": 0}]
    encrypted = [{"type": "reasoning.encrypted", "data": "gAAAA", "index": 0}]
    chunks = [
        chunk(
            choice(
                {
                    "role": "assistant",
                    "content": "",
                    "reasoning": None,
                    "reasoning_details": encrypted,
                }
            )
        ),
        chunk(
            choice(
                {
                    "role": "assistant",
                    "content": "",
                    "reasoning": None,
                    "reasoning_details": summary,
                }
            )
        ),
        chunk(choice({"role": "assistant", "content": "B."}, finish="stop")),
    ]
    events = run(chunks)
    assert reasoning(events) == "Compared the two."
    assert answer(events) == "B."


def test_ollama_reasoning_with_empty_content_on_every_delta() -> None:
    chunks = [
        chunk(
            choice({"role": "assistant", "content": "", "reasoning": "We"}),
            system_fingerprint="fp_ollama",
        ),
        chunk(choice({"role": "assistant", "content": "", "reasoning": " need a word."})),
        chunk(choice({"role": "assistant", "content": "Fluffy."})),
        chunk(choice({"role": "assistant", "content": ""}, finish="stop")),
        chunk(usage={"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}),
    ]
    events = run(chunks)
    assert reasoning(events) == "We need a word."
    assert answer(events) == "Fluffy."
    assert UsageReport(Usage(9, 7, 16, 0)) in events


def test_llamacpp_reasoning_content_with_timings() -> None:
    timings = {"prompt_n": 10, "predicted_n": 3}
    chunks = [
        chunk(choice({"role": "assistant", "content": None})),
        chunk(choice({"reasoning_content": "Check"}), timings=timings),
        chunk(choice({"reasoning_content": " it."}), timings=timings),
        chunk(choice({"content": "Done"}), timings=timings),
        chunk(choice({}, finish="stop"), timings=timings),
    ]
    events = run(chunks)
    assert reasoning(events) == "Check it."
    assert answer(events) == "Done"


def test_think_tags_inside_reasoning_content_are_dropped() -> None:
    chunks = [
        chunk(choice({"reasoning_content": "<thi"})),
        chunk(choice({"reasoning_content": "nk>\nWeigh it"})),
        chunk(choice({"reasoning_content": " up.</th"})),
        chunk(choice({"reasoning_content": "ink>"})),
        chunk(choice({"content": "</think>"})),  # and a stray closing tag in the content
        chunk(choice({"content": "\n\nDone."}, finish="stop")),
    ]
    events = run(chunks)
    assert reasoning(events) == "\nWeigh it up."
    assert answer(events) == "Done."


def test_reasoning_alone_is_delivered_so_the_client_never_retries() -> None:
    tr = ChunkTranslator()
    tr.feed(chunk(choice({"role": "assistant", "content": None, "reasoning_content": ""})))
    assert not tr.delivered
    tr.feed(chunk(choice({"content": None, "reasoning_content": "Hmm"})))
    assert tr.delivered


def test_usage_without_details_has_no_reasoning_tokens() -> None:
    events = run(
        [
            chunk(choice({"content": "x"}, finish="stop")),
            chunk(
                usage={
                    "prompt_tokens": 1,
                    "completion_tokens": 1,
                    "total_tokens": 2,
                    "completion_tokens_details": None,
                }
            ),
        ]
    )
    assert UsageReport(Usage(1, 1, 2, 0)) in events


# -- think tags in the content ---------------------------------------------------------------

STREAM = (
    "\n<think>\nThe user asks for 2+2. A </thin tag is not one, nor <think> here.\n</think>"
    "\n\nIt is **4** (see <think>, a tag in the answer)."
)
REASONING = "The user asks for 2+2. A </thin tag is not one, nor <think> here."
ANSWER = "It is **4** (see <think>, a tag in the answer)."


def test_think_tags_in_one_piece() -> None:
    events = run(content_stream([STREAM]))
    assert reasoning(events) == REASONING
    assert answer(events) == ANSWER
    assert events[-1] == Finished("stop", 0)


def test_think_tags_split_at_every_position() -> None:
    # Property: wherever the stream is cut, the reasoning and the answer come out the same.
    for cut in range(len(STREAM) + 1):
        events = run(content_stream([STREAM[:cut], STREAM[cut:]]))
        assert (reasoning(events), answer(events)) == (REASONING, ANSWER), cut


def test_think_tags_split_at_every_pair_of_positions() -> None:
    # The same over two cuts, on the splitter alone (12,000 streams through the SDK's models
    # would take seconds).
    for i in range(len(STREAM) + 1):
        for j in range(i, len(STREAM) + 1):
            splitter = ThinkTagSplitter()
            pieces = [
                p for part in (STREAM[:i], STREAM[i:j], STREAM[j:]) for p in splitter.feed(part)
            ]
            pieces += splitter.finish()
            got = tuple("".join(p.text for p in pieces if p.reasoning is r) for r in (True, False))
            assert got == (REASONING, ANSWER), (i, j)


def test_think_tags_one_character_per_chunk() -> None:
    events = run(content_stream(list(STREAM)))
    assert reasoning(events) == REASONING
    assert answer(events) == ANSWER
    # Reasoning streams as it comes, not all at the end.
    assert sum(isinstance(e, ReasoningDelta) for e in events) > 10


def test_think_tag_later_in_the_text_is_ordinary_text() -> None:
    events = run(content_stream(["Use ", "<think>", "x</think> in prompts."]))
    assert reasoning(events) == ""
    assert answer(events) == "Use <think>x</think> in prompts."


@pytest.mark.parametrize("cut", range(1, len("<think>")))
def test_a_tag_start_that_turns_out_to_be_text_is_released(cut: int) -> None:
    text = "<thinking> is my favourite tag"
    events = run(content_stream([text[:cut], text[cut:]]))
    assert answer(events) == text
    assert reasoning(events) == ""


@pytest.mark.parametrize("held", ["<", "<thi", "<think", "  \n<th", "</th", "\n\n"])
def test_held_text_is_never_lost_at_the_end(held: str) -> None:
    # A stream that ends (finish_reason, or no finish at all) right after a possible tag start.
    with_finish = run(content_stream([held]))
    tr = ChunkTranslator()
    without_finish = tr.feed(chunk(choice({"content": held}))) + tr.end()
    for events in (with_finish, without_finish):
        assert answer(events) == held
        finished = [i for i, e in enumerate(events) if isinstance(e, Finished)]
        deltas = [i for i, e in enumerate(events) if isinstance(e, Delta)]
        assert max(deltas) < min(finished)  # released before the choice is finished


def test_unclosed_think_keeps_its_text_as_reasoning() -> None:
    tr = ChunkTranslator()
    events = tr.feed(chunk(choice({"content": "<think>\nStill weighing it</th"})))
    events += tr.end()
    assert reasoning(events) == "Still weighing it</th"
    assert answer(events) == ""
    assert events[-1] == Finished(None, 0)


def test_flush_gives_what_a_broken_stream_held() -> None:
    tr = ChunkTranslator()
    assert tr.feed(chunk(choice({"content": "<thi"}))) == [Started("m", None)]
    assert not tr.delivered  # held text is not shown: a retry would lose nothing
    assert tr.flush() == [Delta("<thi", 0)]
    assert tr.delivered
    assert tr.flush() == []


def test_whitespace_before_the_opening_tag_and_around_the_closing_one() -> None:
    events = run(
        content_stream(["  \n", "<think>", "\n\n", "Plan.", "\n", "</think>", "\n\n", "Go."])
    )
    assert reasoning(events) == "Plan."
    assert answer(events) == "Go."


def test_closing_tag_at_the_start_without_reasoning_is_dropped() -> None:
    events = run(content_stream(["</think>", "\n\nAnswer"]))
    assert answer(events) == "Answer"


# -- the template opened <think>: only </think> in the content -------------------------------

UNOPENED = "The user asks for 2+2. Easy.\n</think>\n\nIt is **4**. A </think> here is text."


def moved_answer(events: list[StreamEvent], index: int = 0) -> tuple[str, str]:
    """(the text before AnswerWasReasoning, the text after it) of choice `index`."""
    at = events.index(AnswerWasReasoning(index))
    return answer(events[:at], index), answer(events[at:], index)


def test_closing_tag_without_an_opening_one_makes_the_text_before_it_reasoning() -> None:
    events = run(content_stream([UNOPENED]))
    assert moved_answer(events) == (
        "The user asks for 2+2. Easy.\n",
        "It is **4**. A </think> here is text.",
    )
    assert reasoning(events) == ""
    assert sum(isinstance(e, AnswerWasReasoning) for e in events) == 1


@pytest.mark.parametrize("cut", range(1, len(UNOPENED)))
def test_closing_tag_without_an_opening_one_split_at_every_position(cut: int) -> None:
    events = run(content_stream([UNOPENED[:cut], UNOPENED[cut:]]))
    before, after = moved_answer(events)
    assert before == "The user asks for 2+2. Easy.\n"
    assert after == "It is **4**. A </think> here is text."


def test_closing_tag_without_an_opening_one_one_character_per_chunk() -> None:
    events = run(content_stream(list(UNOPENED)))
    assert moved_answer(events)[1] == "It is **4**. A </think> here is text."


def test_the_splitter_holds_a_cut_closing_tag_and_marks_the_move() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("Weighing it.</th") == [Piece("Weighing it.", False)]
    assert splitter.feed("ink>\n\nYes.") == [MOVED, Piece("Yes.", False)]
    assert splitter.feed(" </think> stays.") == [Piece(" </think> stays.", False)]
    assert splitter.finish() == []


def test_no_tag_at_all_is_all_answer() -> None:
    events = run(content_stream(["Just ", "an answer </th", "ink about it."]))
    assert answer(events) == "Just an answer </think about it."
    assert not any(isinstance(e, AnswerWasReasoning) for e in events)


def test_closing_tag_after_a_real_one_is_answer_text() -> None:
    events = run(content_stream(["<think>plan</think>", "Write </think> ", "as a tag."]))
    assert reasoning(events) == "plan"
    assert answer(events) == "Write </think> as a tag."
    assert not any(isinstance(e, AnswerWasReasoning) for e in events)


def test_closing_tag_after_reasoning_in_its_field_is_answer_text() -> None:
    chunks = [
        chunk(choice({"reasoning_content": "Think."})),
        chunk(choice({"content": "Say </think> "})),
        chunk(choice({"content": "plainly."}, finish="stop")),
    ]
    events = run(chunks)
    assert reasoning(events) == "Think."
    assert answer(events) == "Say </think> plainly."
    assert not any(isinstance(e, AnswerWasReasoning) for e in events)


def test_unopened_closing_tag_in_an_unstreamed_reply() -> None:
    events = run_completion(completion({"content": "Hm.</think>Hi!"}))
    assert moved_answer(events) == ("Hm.", "Hi!")


# -- several choices -------------------------------------------------------------------------


def test_two_choices_each_with_reasoning_in_a_field() -> None:
    chunks = [
        chunk(choice({"role": "assistant", "content": "", "reasoning_content": None}, 0)),
        chunk(choice({"role": "assistant", "content": "", "reasoning_content": None}, 1)),
        chunk(choice({"reasoning": "first "}, 0)),
        chunk(choice({"reasoning": "second "}, 1)),
        chunk(choice({"reasoning": "idea"}, 0)),
        chunk(choice({"reasoning": "idea"}, 1)),
        chunk(choice({"content": "A"}, 0)),
        chunk(choice({"content": "B"}, 1)),
        chunk(choice({}, 0, "stop")),
        chunk(choice({}, 1, "stop")),
    ]
    events = run(chunks, expected_choices=2)
    assert [reasoning(events, i) for i in (0, 1)] == ["first idea", "second idea"]
    assert [answer(events, i) for i in (0, 1)] == ["A", "B"]


def test_two_choices_each_with_think_tags_interleaved_and_split() -> None:
    texts = ["<think>\nalpha thoughts\n</think>\n\nAlpha.", "<think>beta</think>Beta."]
    chunks = [chunk(choice({"role": "assistant", "content": None}, i)) for i in (0, 1)]
    for start in range(0, 60, 3):
        for i, text in enumerate(texts):
            if text[start : start + 3]:
                chunks.append(chunk(choice({"content": text[start : start + 3]}, i)))
    chunks += [chunk(choice({}, i, "stop")) for i in (0, 1)]
    events = run(chunks, expected_choices=2)

    assert [reasoning(events, i) for i in (0, 1)] == ["alpha thoughts", "beta"]
    assert [answer(events, i) for i in (0, 1)] == ["Alpha.", "Beta."]
    assert events[-2:] == [Finished("stop", 0), Finished("stop", 1)]


# -- unstreamed replies ----------------------------------------------------------------------


def completion(*messages: dict[str, Any], usage: dict[str, Any] | None = None) -> ChatCompletion:
    data: dict[str, Any] = {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": i, "message": {"role": "assistant", **m}, "finish_reason": "stop"}
            for i, m in enumerate(messages)
        ],
        "usage": usage,
    }
    return ChatCompletion.construct(**data)


def run_completion(reply: ChatCompletion, expected_choices: int = 1) -> list[StreamEvent]:
    tr = ChunkTranslator(expected_choices=expected_choices)
    return tr.feed_completion(reply) + tr.end()


@pytest.mark.parametrize(
    "message",
    [
        {"content": "Hello!", "reasoning_content": "They said hello."},  # DeepSeek, llama.cpp
        {"content": "Hello!", "reasoning": "They said hello."},  # vLLM, Ollama, OpenRouter
        {
            "content": "Hello!",
            "reasoning": "They said hello.",
            "reasoning_content": "They said hello.",
        },
        {"content": "<think>\nThey said hello.\n</think>\n\nHello!"},  # tags left in
    ],
    ids=["reasoning_content", "reasoning", "both", "think_tags"],
)
def test_unstreamed_reply_in_every_shape(message: dict[str, Any]) -> None:
    usage = {
        "prompt_tokens": 6,
        "completion_tokens": 92,
        "total_tokens": 98,
        "completion_tokens_details": {"reasoning_tokens": 81},
    }
    events = run_completion(completion(message, usage=usage))
    assert events == [
        Started("m", None),
        ReasoningDelta("They said hello.", 0),
        Delta("Hello!", 0),
        Finished("stop", 0),
        UsageReport(Usage(6, 92, 98, 81)),
    ]


def test_unstreamed_two_choices_with_reasoning() -> None:
    reply = completion(
        {"content": "A", "reasoning_content": "one"},
        {"content": "<think>two</think>B"},
    )
    events = run_completion(reply, expected_choices=2)
    assert [reasoning(events, i) for i in (0, 1)] == ["one", "two"]
    assert [answer(events, i) for i in (0, 1)] == ["A", "B"]
