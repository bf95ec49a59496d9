"""What Kibitz knows of well-known models: context window, output limit, whether they reason,
and which token table counts their text.

Shared by the settings (bounds of max_tokens), the wire (reasoning models take
max_completion_tokens) and the conversation engine (trimming to the window).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

EncodingName = Literal["o200k_base", "cl100k_base"]

_O200K_FAMILIES = (
    "gpt-4o",
    "chatgpt-4o",
    "gpt-4.1",
    "gpt-4.5",
    "gpt-5",
    "gpt-oss",
    "o1",
    "o3",
    "o4",
)
_CL100K_FAMILIES = ("gpt-4", "gpt-3.5", "gpt-35")  # gpt-35-turbo: Azure's spelling


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What OpenAI publishes for a model: its context window (input + output tokens) and the
    longest reply it writes. `reasoning` marks OpenAI's reasoning models (o-series, gpt-5):
    they take max_completion_tokens instead of max_tokens and refuse sampling parameters."""

    context_window: int
    max_output_tokens: int | None
    reasoning: bool = False


# First match wins, so specific names come before their family ("gpt-4o-2024-05-13" before
# "gpt-4o"); a name matches its family plus any suffix ("gpt-4o-2024-08-06", "o3-mini").
# Unknown models get None and the caller falls back to the `chat.unknown_context_window`
# setting: local servers often run a model with a smaller window than it supports (Ollama's
# num_ctx), so only the user can know.
_LIMITS: tuple[tuple[str, ModelLimits], ...] = (
    ("gpt-4.1", ModelLimits(1_047_576, 32_768)),
    ("gpt-4.5", ModelLimits(128_000, 16_384)),
    ("gpt-4o-2024-05-13", ModelLimits(128_000, 4_096)),
    ("gpt-4o", ModelLimits(128_000, 16_384)),
    ("chatgpt-4o", ModelLimits(128_000, 16_384)),
    ("gpt-5-chat", ModelLimits(128_000, 16_384)),
    ("gpt-5.1-chat", ModelLimits(128_000, 16_384)),
    ("gpt-5", ModelLimits(400_000, 128_000, reasoning=True)),
    ("gpt-oss", ModelLimits(131_072, 131_072)),
    ("o1-mini", ModelLimits(128_000, 65_536, reasoning=True)),
    ("o1-preview", ModelLimits(128_000, 32_768, reasoning=True)),
    ("o1", ModelLimits(200_000, 100_000, reasoning=True)),
    ("o3", ModelLimits(200_000, 100_000, reasoning=True)),
    ("o4-mini", ModelLimits(200_000, 100_000, reasoning=True)),
    ("gpt-4-32k", ModelLimits(32_768, 32_768)),
    ("gpt-4-turbo", ModelLimits(128_000, 4_096)),
    ("gpt-4-1106", ModelLimits(128_000, 4_096)),
    ("gpt-4-0125", ModelLimits(128_000, 4_096)),
    ("gpt-4-vision", ModelLimits(128_000, 4_096)),
    ("gpt-4", ModelLimits(8_192, 8_192)),
    ("gpt-3.5-turbo-instruct", ModelLimits(4_096, 4_096)),
    ("gpt-3.5-turbo-0613", ModelLimits(4_096, 4_096)),
    ("gpt-3.5-turbo-0301", ModelLimits(4_096, 4_096)),
    ("gpt-3.5-turbo", ModelLimits(16_385, 4_096)),
    ("gpt-35-turbo", ModelLimits(16_385, 4_096)),
)


def _normalise(model: str) -> str:
    name = model.strip().lower()
    name = name.removeprefix("ft:")  # fine-tuned: "ft:gpt-4o-mini-2024-07-18:org::id"
    return name.rsplit("/", 1)[-1]  # OpenRouter and friends: "openai/gpt-4o"


def _in_family(name: str, family: str) -> bool:
    return name == family or (name.startswith(family) and name[len(family)] in "-.:_@")


@dataclass(frozen=True, slots=True)
class EncodingChoice:
    name: EncodingName
    exact: bool  # False: the model's own tokenizer is unknown and counts are estimates


@lru_cache(maxsize=256)
def encoding_for(model: str) -> EncodingChoice:
    name = _normalise(model)
    if any(_in_family(name, f) for f in _O200K_FAMILIES):
        return EncodingChoice("o200k_base", True)
    if any(_in_family(name, f) for f in _CL100K_FAMILIES):
        return EncodingChoice("cl100k_base", True)
    return EncodingChoice("cl100k_base", False)


@lru_cache(maxsize=256)
def model_limits(model: str) -> ModelLimits | None:
    """Published limits of a well-known OpenAI model (date suffixes, "openai/" prefixes and
    fine-tunes included), or None for a model Kibitz does not know."""
    name = _normalise(model)
    return next((limits for family, limits in _LIMITS if _in_family(name, family)), None)


def context_window(model: str) -> int | None:
    """The model's context window in tokens, or None for a model not in the table."""
    limits = model_limits(model)
    return limits.context_window if limits is not None else None


def check_max_tokens(model: str | None, value: int | None) -> str | None:
    """Why `value` cannot be the max_tokens for `model`, naming the allowed range; None if it can.

    Only a model whose output limit is known has an upper bound; None (the server's default)
    is always fine.
    """
    if value is None:
        return None
    limits = model_limits(model) if model else None
    high = limits.max_output_tokens if limits is not None else None
    if value < 1 or (high is not None and value > high):
        allowed = f"from 1 to {high:,}" if high is not None else "of at least 1"
        whose = f"{model} writes at most {high:,} tokens per reply; " if high is not None else ""
        return f"{whose}max_tokens must be a whole number {allowed} (or empty for the default)"
    return None
