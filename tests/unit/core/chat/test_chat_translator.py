"""ChunkTranslator over recorded chunks of every dialect (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.support.recordings import RECORDINGS as FIXTURES

from kibitz.core.chat import Delta, Finished, Started, UsageReport
from kibitz.core.chat.streaming import ChunkTranslator
from kibitz.core.types import Usage


def chunks(path: Path) -> list[Any]:
    """The recording's chunks as attribute objects, the way the SDK hands them over."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            out.append(json.loads(line[6:], object_hook=lambda d: SimpleNamespace(**d)))
    return out


def run(path: Path, expected_choices: int = 1) -> list[Any]:
    tr = ChunkTranslator(expected_choices=expected_choices, request_id="req_1")
    events = [e for c in chunks(path) for e in tr.feed(c)]
    return events + tr.end()


def test_azure_preamble_and_missing_done() -> None:
    events = run(FIXTURES / "azure/01_azure_prompt_filter_preamble_abridged.sse")

    # The preamble (empty model, no choices) does not start the stream; the first real chunk does.
    assert events[0] == Started("gpt-5.2-chat-2025-12-11", "req_1")
    text = "".join(e.text for e in events if isinstance(e, Delta))
    assert text.startswith("Hey!")
    assert events[-1] == Finished("stop", 0)
    assert not any(isinstance(e, UsageReport) for e in events)


def test_openai_2026_usage_null_and_obfuscation() -> None:
    events = run(FIXTURES / "openai-2026/07_200_stream_include_usage_gpt-5.1.sse")

    assert [type(e).__name__ for e in events] == [
        "Started",
        "Delta",
        "Finished",
        "UsageReport",
    ]
    assert events[1] == Delta("six", 0)
    assert events[3] == UsageReport(Usage(33, 10, 43))


def test_n3_interleaved() -> None:
    tr = ChunkTranslator(expected_choices=3)
    for c in chunks(FIXTURES / "sse/03_n3_interleaved_choices.sse"):
        tr.feed(c)
    assert tr.all_finished
    assert tr.delivered


def test_refusal_deltas_are_marked() -> None:
    events = run(FIXTURES / "sse/05_refusal_deltas.sse")
    deltas = [e for e in events if isinstance(e, Delta)]
    assert deltas
    assert all(d.refusal for d in deltas)


def test_tool_calls_give_no_text_and_do_not_break() -> None:
    events = run(FIXTURES / "sse/09_parallel_tool_calls_two.sse")
    assert not any(isinstance(e, Delta) for e in events)
    assert Finished("tool_calls", 0) in events


def test_stream_without_finish_reason_ends_open_choices() -> None:
    tr = ChunkTranslator(expected_choices=2)
    role = SimpleNamespace(model="llama", choices=[SimpleNamespace(index=1, delta=None)])
    text = SimpleNamespace(
        model="llama",
        choices=[SimpleNamespace(index=0, delta=SimpleNamespace(content="hi"), finish_reason=None)],
        usage=None,
    )
    events = tr.feed(role) + tr.feed(text) + tr.end()

    assert events == [Started("llama", None), Delta("hi", 0), Finished(None, 0), Finished(None, 1)]
    assert not tr.all_finished


def test_empty_stream_still_finishes_choice_zero() -> None:
    tr = ChunkTranslator()
    assert tr.end() == [Started(None, None), Finished(None, 0)]


def test_usage_repeated_on_every_chunk_is_reported_once() -> None:
    tr = ChunkTranslator()
    for n in (1, 2, 3):
        usage = SimpleNamespace(prompt_tokens=5, completion_tokens=n, total_tokens=None)
        tr.feed(SimpleNamespace(model="m", choices=[], usage=usage))
    reports = [e for e in tr.end() if isinstance(e, UsageReport)]
    assert reports == [UsageReport(Usage(5, 3, 8))]
