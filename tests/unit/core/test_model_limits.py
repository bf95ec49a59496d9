"""Published model limits: windows and reply lengths, name matching, max_tokens bounds."""

from __future__ import annotations

import pytest

from kibitz.core.chat import build_request
from kibitz.core.models import ModelLimits, check_max_tokens, context_window, model_limits
from kibitz.core.types import RequestParams


@pytest.mark.parametrize(
    ("model", "window", "output"),
    [
        ("gpt-4o", 128_000, 16_384),
        ("gpt-4o-2024-08-06", 128_000, 16_384),
        ("gpt-4o-2024-05-13", 128_000, 4_096),  # the first gpt-4o wrote shorter replies
        ("gpt-4o-mini", 128_000, 16_384),
        ("gpt-4o-mini-2024-07-18", 128_000, 16_384),
        ("chatgpt-4o-latest", 128_000, 16_384),
        ("gpt-4.1", 1_047_576, 32_768),
        ("gpt-4.1-mini-2025-04-14", 1_047_576, 32_768),
        ("gpt-4.1-nano", 1_047_576, 32_768),
        ("o1", 200_000, 100_000),
        ("o1-2024-12-17", 200_000, 100_000),
        ("o1-mini", 128_000, 65_536),
        ("o3", 200_000, 100_000),
        ("o3-mini-2025-01-31", 200_000, 100_000),
        ("o4-mini", 200_000, 100_000),
        ("gpt-3.5-turbo", 16_385, 4_096),
        ("gpt-3.5-turbo-0125", 16_385, 4_096),
        ("gpt-35-turbo", 16_385, 4_096),  # Azure's spelling
        ("openai/gpt-4o-mini", 128_000, 16_384),  # OpenRouter
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", 128_000, 16_384),
        ("GPT-4o", 128_000, 16_384),
    ],
)
def test_known_models_have_published_limits(model: str, window: int, output: int) -> None:
    limits = model_limits(model)
    assert limits is not None
    assert (limits.context_window, limits.max_output_tokens) == (window, output)
    assert context_window(model) == window


@pytest.mark.parametrize("model", ["llama3.1:8b", "my-azure-deployment", "gpt-4oops", "o10", ""])
def test_unknown_models_have_no_limits(model: str) -> None:
    assert model_limits(model) is None
    assert context_window(model) is None


def test_reasoning_models_are_marked() -> None:
    names = ("o1", "o3-mini", "o4-mini", "gpt-5", "gpt-4o", "gpt-4.1", "gpt-5-chat")
    marked = {m for m in names if (limits := model_limits(m)) is not None and limits.reasoning}
    assert marked == {"o1", "o3-mini", "o4-mini", "gpt-5"}


def test_max_tokens_within_the_models_limit_is_fine() -> None:
    assert check_max_tokens("gpt-4o-mini", 16_384) is None
    assert check_max_tokens("gpt-4o-mini", 1) is None
    assert check_max_tokens("gpt-4o-mini", None) is None
    assert check_max_tokens("llama3.1:8b", 1_000_000) is None  # unknown: no upper bound
    assert check_max_tokens(None, 500) is None


def test_max_tokens_over_the_limit_names_the_allowed_range() -> None:
    message = check_max_tokens("gpt-4o-mini-2024-07-18", 20_000)
    assert message is not None
    assert "gpt-4o-mini-2024-07-18 writes at most 16,384 tokens" in message
    assert "from 1 to 16,384" in message
    low = check_max_tokens("llama3.1:8b", 0)
    assert low is not None
    assert "at least 1" in low


def test_reasoning_models_get_max_completion_tokens() -> None:
    o3 = build_request([("user", "q")], RequestParams(model="o3-mini", max_tokens=300))
    assert o3["max_completion_tokens"] == 300
    assert "max_tokens" not in o3
    plain = build_request([("user", "q")], RequestParams(model="gpt-4o", max_tokens=300))
    assert plain["max_tokens"] == 300
    assert "max_completion_tokens" not in plain
    # Local servers running an open model keep the widely understood name.
    local = build_request([("user", "q")], RequestParams(model="gpt-oss:20b", max_tokens=9))
    assert local["max_tokens"] == 9


def test_limits_are_plain_values() -> None:
    assert model_limits("gpt-4o") == ModelLimits(128_000, 16_384)
