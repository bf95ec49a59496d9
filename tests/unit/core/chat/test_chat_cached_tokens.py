"""Cached prompt tokens (OpenAI's usage.prompt_tokens_details.cached_tokens) reach Usage, as the
cost ledger bills them at their own price."""

from __future__ import annotations

from kibitz.core.chat import UsageReport
from kibitz.core.chat.streaming import ChunkTranslator
from kibitz.core.types import Usage


def _usage_of(usage: object) -> Usage:
    translator = ChunkTranslator()
    translator.feed({"model": "gpt-4o", "choices": [{"index": 0, "delta": {"content": "hi"}}]})
    translator.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    translator.feed({"choices": [], "usage": usage})
    (report,) = [e for e in translator.end() if isinstance(e, UsageReport)]
    return report.usage


def test_cached_and_reasoning_tokens_are_read_from_their_details() -> None:
    usage = _usage_of(
        {
            "prompt_tokens": 2006,
            "completion_tokens": 300,
            "total_tokens": 2306,
            "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 128},
        }
    )
    assert usage == Usage(2006, 300, 2306, reasoning_tokens=128, cached_tokens=1920)


def test_servers_without_details_report_no_cached_tokens() -> None:
    assert _usage_of({"prompt_tokens": 5, "completion_tokens": 2}) == Usage(5, 2, 7)
    odd = {"prompt_tokens": 5, "completion_tokens": 2, "prompt_tokens_details": None}
    assert _usage_of(odd).cached_tokens == 0
