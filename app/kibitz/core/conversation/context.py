"""Token counting and context-window trimming, offline.

Counts are tiktoken's, with the o200k_base and cl100k_base tables that the bpe-openai package
ships (conversation/tokenizer.py: nothing is downloaded). Models of the gpt-4o / 4.1 / 4.5 /
5 / o-series families are counted with o200k_base, gpt-3.5 and gpt-4 with cl100k_base: those
counts match the server's to within a few tokens. Every other model (local servers,
OpenRouter's non-OpenAI models, Azure deployments with custom names) is counted with
cl100k_base as an estimate, since its real tokenizer is unknown; `EncodingChoice.exact` says
which case applies.

Chat framing follows OpenAI's format: each message costs 3 tokens plus its role and content,
and every request 3 more to prime the reply. When the server has reported usage for an
earlier request of the same branch, `UsageAnchor` lets its exact figure replace our count
for that prefix.

A stored reply that holds tool calls is counted as the wire messages it expands into (its
calls, their results, its texts; chat/tool_history.py), so trimming, which keeps or drops a
stored message whole, never parts a call from its result. The `tools` offered are counted
roughly, as their JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias, TypeVar

from kibitz.core import errors
from kibitz.core.models import EncodingName, context_window, encoding_for
from kibitz.core.types import ImagePart, Message, PartType

_TOOL_PARTS = (PartType.TOOL_CALL, PartType.TOOL_RESULT)

_ATTACHED = (PartType.IMAGE, PartType.FILE)

if TYPE_CHECKING:
    from kibitz.core.conversation.tokenizer import TokenCounter

log = logging.getLogger(__name__)

TOKENS_PER_MESSAGE = 3
REPLY_PRIMING_TOKENS = 3


class MessageLike(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def content(self) -> object: ...  # text, or a list of content parts


ChatItem: TypeAlias = "MessageLike | tuple[str, str]"
M = TypeVar("M", bound="MessageLike | tuple[str, str]")


def _parts(item: ChatItem) -> tuple[str, object]:
    if isinstance(item, tuple):
        return item[0], item[1]
    return str(item.role), item.content


# -- the tokenizers ------------------------------------------------------------------------------


def _counter(encoding: EncodingName) -> TokenCounter:
    from kibitz.core.conversation.tokenizer import counter

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
    if isinstance(item, Message) and _holds_tool_calls(item):
        return _tool_round_tokens(item, model)
    role, content = _parts(item)
    return TOKENS_PER_MESSAGE + count_tokens(role, model) + _content_tokens(item, content, model)


# A call's framing beyond its name and arguments (its id and type): a guess, OpenAI does not
# publish how functions are rendered.
TOKENS_PER_CALL = 3


def _holds_tool_calls(message: Message) -> bool:
    return any(p.type in _TOOL_PARTS for p in message.parts)


def _tool_round_tokens(message: Message, model: str) -> int:
    """A reply with tool calls, as the assistant and tool messages it is sent as."""
    from kibitz.core.chat.tool_history import assistant_messages

    total = 0
    for wire in assistant_messages(message.parts):
        total += TOKENS_PER_MESSAGE + count_tokens(wire["role"], model)
        total += count_tokens(wire.get("content") or "", model)
        for call in wire.get("tool_calls") or ():
            function = call["function"]
            total += TOKENS_PER_CALL + count_tokens(function["name"], model)
            total += count_tokens(function["arguments"], model)
    return total


def tools_tokens(tools: Sequence[Mapping[str, Any]], model: str) -> int:
    """The `tools` of a request, roughly: their JSON (servers render them more tersely)."""
    if not tools:
        return 0
    return count_tokens(json.dumps(list(tools), ensure_ascii=False), model)


# An image whose size is unknown here (already turned into a data: URL) is counted as a
# 1024x1024 one at high detail.
_UNKNOWN_IMAGE_TOKENS = 765


def _content_tokens(item: object, content: object, model: str) -> int:
    """The text's tokens, plus documents' text and images' estimates for messages that carry
    them (OpenAI's tile rule, an estimate for other servers)."""
    if isinstance(item, Message) and any(p.type in _ATTACHED for p in item.parts):
        from kibitz.core.attachments.images import estimate_image_tokens
        from kibitz.core.attachments.wire import message_text

        images = sum(
            estimate_image_tokens(p.width or 1024, p.height or 1024)
            for p in item.parts
            if isinstance(p, ImagePart)
        )
        return count_tokens(message_text(item.parts), model) + images
    if isinstance(content, list):
        total = 0
        for piece in content:
            if isinstance(piece, dict) and piece.get("type") == "text":
                total += count_tokens(str(piece.get("text", "")), model)
            else:
                total += _UNKNOWN_IMAGE_TOKENS
        return total
    return count_tokens(str(content), model)


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
    (same system prompt); the chat engine knows whether it did. A reply holding tool calls
    is passed over: it took several requests, and its usage adds up all their prompts.
    """
    for i in range(len(messages) - 1, 0, -1):
        item = messages[i]
        if (
            isinstance(item, Message)
            and item.usage is not None
            and item.usage.prompt_tokens > 0
            and not _holds_tool_calls(item)
        ):
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
    overhead: int = 0,
) -> TrimResult[M]:
    """Drop the oldest turns until the prompt fits in `window - reserve` tokens.

    A turn is a user message with the replies that follow it, so no answer is left without
    its question. System messages and the newest user message (with anything after it, such
    as the tool round in progress) are never dropped. `overhead` is what every request
    carries beyond its messages (the tools offered). Raises errors.ContextTooLongError when
    even those do not fit.

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
    estimate = _Estimate(
        costs, anchor if anchor and anchor.applies_to(messages) else None, overhead
    )
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
        raise _too_long(model, tokens, window, reserve, with_tools=overhead > 0)
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

    def __init__(self, costs: list[int], anchor: UsageAnchor | None, overhead: int = 0) -> None:
        self._costs = costs
        self._local = sum(costs) + REPLY_PRIMING_TOKENS + overhead
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


def _too_long(
    model: str, tokens: int, window: int, reserve: int, *, with_tools: bool = False
) -> errors.ContextTooLongError:
    what = "the system prompt and the tools" if with_tools else "the system prompt"
    err = errors.ContextTooLongError(
        f"the newest message and {what} need about {tokens:,} tokens, but "
        f"{model} has {window:,} and {reserve:,} are kept for the reply",
        hint="Shorten the message or the system prompt, lower the reply reserve (max_tokens), "
        + ("send without tools, " if with_tools else "")
        + "or pick a model with a larger context window.",
    )
    err.action = errors.Action.CHOOSE_MODEL  # trimming older messages cannot help here
    return err
