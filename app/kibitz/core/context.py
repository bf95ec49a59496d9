"""Token counting and context-window trimming, offline.

Counts are tiktoken's, with the o200k_base and cl100k_base tables that the bpe-openai package
ships (kibitz.core.tokenizer: nothing is downloaded). Models of the gpt-4o / 4.1 / 4.5 / 5 /
o-series families are counted with o200k_base, gpt-3.5 and gpt-4 with cl100k_base: those
counts match the server's to within a few tokens. Every other model (local servers,
OpenRouter's non-OpenAI models, Azure deployments with custom names) is counted with
cl100k_base as an estimate, since its real tokenizer is unknown; `EncodingChoice.exact` says
which case applies.

Chat framing follows OpenAI's format: each message costs 3 tokens plus its role and content,
and every request 3 more to prime the reply. When the server has reported usage for an
earlier request of the same branch, `UsageAnchor` lets its exact figure replace our count
for that prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeAlias, TypeVar

from kibitz.core import errors
from kibitz.core.types import Message

if TYPE_CHECKING:
    from kibitz.core.tokenizer import TokenCounter

log = logging.getLogger(__name__)

TOKENS_PER_MESSAGE = 3
REPLY_PRIMING_TOKENS = 3

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


class MessageLike(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def content(self) -> str: ...


ChatItem: TypeAlias = "MessageLike | tuple[str, str]"
M = TypeVar("M", bound="MessageLike | tuple[str, str]")


def _parts(item: ChatItem) -> tuple[str, str]:
    if isinstance(item, tuple):
        return item[0], item[1]
    return str(item.role), item.content


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


# -- the tokenizers ------------------------------------------------------------------------------


def _counter(encoding: EncodingName) -> TokenCounter:
    from kibitz.core.tokenizer import counter

    return counter(encoding)


def count_tokens(text: str, model: str) -> int:
    """Tokens in `text` alone, as `model` would count them (an estimate for unknown models)."""
    if not text:
        return 0
    counter = _counter(encoding_for(model).name)
    try:
        return counter.count(text)
    except UnicodeEncodeError:  # lone surrogates, e.g. from a broken paste
        return counter.count(text.encode("utf-8", "replace").decode("utf-8"))


def message_tokens(item: ChatItem, model: str) -> int:
    role, content = _parts(item)
    return TOKENS_PER_MESSAGE + count_tokens(role, model) + count_tokens(content, model)


def count_messages(messages: Sequence[ChatItem], model: str) -> int:
    """Prompt tokens of a request sending `messages`, including the reply priming."""
    return sum(message_tokens(m, model) for m in messages) + REPLY_PRIMING_TOKENS


# -- server-reported usage -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsageAnchor:
    """The server's own count for the first `covered` messages of a branch.

    `tokens` is the `prompt_tokens` of the request that sent exactly those messages (it
    includes the reply priming). completion_tokens is left out on purpose: for reasoning
    models it includes hidden reasoning tokens that are never sent back, so the reply is
    counted from its text like any newer message.
    """

    covered: int
    tokens: int

    def applies_to(self, messages: Sequence[object]) -> bool:
        return 0 < self.covered <= len(messages) and self.tokens > 0


def anchor_from_messages(messages: Sequence[ChatItem]) -> UsageAnchor | None:
    """The anchor given by the newest stored reply that carries usage, if any.

    Valid only when that reply's request sent everything before it untrimmed and unchanged
    (same system prompt); the chat engine knows whether it did.
    """
    for i in range(len(messages) - 1, 0, -1):
        item = messages[i]
        if isinstance(item, Message) and item.usage is not None and item.usage.prompt_tokens > 0:
            return UsageAnchor(covered=i, tokens=item.usage.prompt_tokens)
    return None


def estimate_prompt_tokens(
    messages: Sequence[ChatItem], model: str, anchor: UsageAnchor | None = None
) -> int:
    """Prompt tokens for sending `messages`: the anchor's exact figure for the prefix it
    covers plus our count of the messages after it (all of them without an anchor)."""
    if anchor is None or not anchor.applies_to(messages):
        return count_messages(messages, model)
    return anchor.tokens + sum(message_tokens(m, model) for m in messages[anchor.covered :])


# -- trimming ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrimResult(Generic[M]):
    kept: tuple[M, ...]
    dropped_count: int
    tokens: int  # estimated prompt tokens of `kept`
    exact: bool  # False when the model's tokenizer is unknown (see EncodingChoice)


def effective_window(model: str, fallback: int) -> int:
    """The model's window, or `fallback` (the `chat.unknown_context_window` setting)."""
    return context_window(model) or fallback


def trim_to_fit(
    messages: Sequence[M],
    model: str,
    *,
    window: int,
    reserve: int,
    anchor: UsageAnchor | None = None,
) -> TrimResult[M]:
    """Drop the oldest turns until the prompt fits in `window - reserve` tokens.

    A turn is a user message with the replies that follow it, so no answer is left without
    its question. System messages and the newest user message (with anything after it) are
    never dropped. Raises errors.ContextTooLongError when even those do not fit.

    With an `anchor`, the server's count for the prefix it covers stands in for ours; once
    part of that prefix is dropped, the difference between the two counts is scaled by the
    share of the prefix still kept.
    """
    budget = window - reserve
    if reserve < 0 or budget <= 0:
        raise errors.InvalidValueError(
            f"a reply reserve of {reserve} tokens leaves no room in a {window}-token window",
            hint="Lower the reply reserve (or max_tokens) in Settings.",
        )
    costs = [message_tokens(m, model) for m in messages]
    estimate = _Estimate(costs, anchor if anchor and anchor.applies_to(messages) else None)
    kept = [True] * len(messages)
    dropped = 0
    for turn in _turns(messages):
        if estimate.total() <= budget:
            break
        for i in turn:
            kept[i] = False
            estimate.drop(i)
        dropped += len(turn)
    tokens = estimate.total()
    if tokens > budget:
        raise _too_long(model, tokens, window, reserve)
    return TrimResult(
        kept=tuple(m for m, keep in zip(messages, kept, strict=True) if keep),
        dropped_count=dropped,
        tokens=tokens,
        exact=encoding_for(model).exact,
    )


def _turns(messages: Sequence[ChatItem]) -> list[list[int]]:
    """Indexes of the droppable messages, grouped into turns, oldest first."""
    roles = [_parts(m)[0] for m in messages]
    newest_user = max((i for i, r in enumerate(roles) if r == "user"), default=len(roles) - 1)
    turns: list[list[int]] = []
    for i in range(newest_user):
        if roles[i] == "system":
            continue
        if roles[i] == "user" or not turns:
            turns.append([i])
        else:
            turns[-1].append(i)
    return turns


class _Estimate:
    """The running prompt size while messages are dropped (O(1) per drop)."""

    def __init__(self, costs: list[int], anchor: UsageAnchor | None) -> None:
        self._costs = costs
        self._local = sum(costs) + REPLY_PRIMING_TOKENS
        self._covered = anchor.covered if anchor else 0
        self._prefix = sum(costs[: self._covered])
        self._prefix_kept = self._prefix
        self._offset = anchor.tokens - (self._prefix + REPLY_PRIMING_TOKENS) if anchor else 0

    def drop(self, i: int) -> None:
        self._local -= self._costs[i]
        if i < self._covered:
            self._prefix_kept -= self._costs[i]

    def total(self) -> int:
        if not self._offset or not self._prefix:
            return self._local + self._offset
        return self._local + round(self._offset * self._prefix_kept / self._prefix)


def _too_long(model: str, tokens: int, window: int, reserve: int) -> errors.ContextTooLongError:
    err = errors.ContextTooLongError(
        f"the newest message and the system prompt need about {tokens:,} tokens, but "
        f"{model} has {window:,} and {reserve:,} are kept for the reply",
        hint="Shorten the message or the system prompt, lower the reply reserve (max_tokens), "
        "or pick a model with a larger context window.",
    )
    err.action = errors.Action.CHOOSE_MODEL  # trimming older messages cannot help here
    return err
