"""From a stored branch to the body of one request: what is sent, trimmed to the model's window.

Reasoning parts are never sent back (servers either ignore or refuse them, and they cost
tokens); failed replies are left out; a reply being continued goes last, as the assistant's
prefix where the server can extend it, else followed by a short instruction that is sent but
never stored.

Tools: the engine passes the `ToolSpec`s to offer with every request of a turn, and asks for
the next round by passing the reply that holds the round's calls and results as `leaf_id`;
that reply goes last, as the calls and their results (chat/tool_history.py), and is never
trimmed away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kibitz.core.attachments.wire import has_attachments, user_content
from kibitz.core.chat import ChatTurn, ProviderConfig, build_request
from kibitz.core.chat.exchange import RequestNote
from kibitz.core.chat.tool_history import has_tool_parts
from kibitz.core.conversation import context
from kibitz.core.store import Store
from kibitz.core.types import Message, MessageId, MessageStatus, RequestParams, Role

if TYPE_CHECKING:
    from kibitz.core.tools import ToolSpec

log = logging.getLogger(__name__)

# Sent (never stored) after a cut-off reply when the server cannot extend the reply itself.
CONTINUE_INSTRUCTION = (
    "Your previous reply was cut off. Continue it exactly where it stopped: do not repeat "
    "anything and do not comment, just go on."
)
# Servers that extend a trailing assistant message instead of answering it: llama.cpp's
# server does so by default ("assistant prefill"); vLLM when asked (continue_final_message).
_PREFILL_KINDS = frozenset({"llamacpp"})
_CONTINUE_FINAL_KINDS = frozenset({"vllm"})


@dataclass(frozen=True, slots=True)
class TurnOptions:
    stall_timeout: float = 90.0
    max_retries: int = 2
    unknown_context_window: int = 8192  # for models whose window we do not know
    reserve_tokens: int = 2048  # room kept for the reply when trimming history
    stream: bool = True  # False asks for the whole reply at once (no SSE)
    max_prompt_tokens: int | None = None  # a tighter cap than the window ("Trim history")
    image_detail: str | None = None  # sent as image_url.detail (auto, low, high)


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    body: dict[str, Any]
    dropped_messages: int  # oldest messages left out to fit the context window
    prompt_tokens: int  # our estimate
    window_tokens: int | None = None  # what the history was trimmed to fit (prompt + reserve)

    def note(self) -> RequestNote:
        """What was done to the conversation before sending, for the request inspector."""
        return RequestNote(self.dropped_messages, self.window_tokens, self.prompt_tokens)


def _with_attachments(
    load: Callable[[str], bytes], turn: Message | ChatTurn, options: TurnOptions
) -> Message | ChatTurn:
    """A user message with images or documents as the API takes it (the blobs read here)."""
    if not isinstance(turn, Message) or turn.role is not Role.USER or not has_attachments(turn):
        return turn
    return ChatTurn(Role.USER, user_content(turn, load, detail=options.image_detail))


def sendable(message: Message) -> bool:
    """Whether a stored message goes into requests: failed replies and empty ones do not (a
    reply holding tool calls but no text is not empty)."""
    if message.status is MessageStatus.ERROR:
        return False
    if message.role is not Role.ASSISTANT or message.content:
        return True
    return has_tool_parts(message)


def prepare_request(
    store: Store,
    leaf_id: MessageId,
    params: RequestParams,
    options: TurnOptions,
    *,
    provider: ProviderConfig | None = None,
    continuing: bool = False,
    tools: Sequence[ToolSpec] | None = None,
) -> PreparedRequest:
    """The request for the branch ending at `leaf_id`, trimmed to the model's window.

    With `continuing`, `leaf_id` is a cut-off reply that the model is asked to extend.
    `tools` are offered (as `tools`), and then one reply is asked for: `n` is not sent.
    """
    leaf = store.get_message(leaf_id)
    conversation = store.get_conversation(leaf.conversation_id)
    branch = [m for m in store.branch(leaf.conversation_id, leaf_id) if sendable(m)]
    return prepare_turns(
        store.blob,
        conversation.system_prompt,
        branch,
        params,
        options,
        provider=provider,
        continuing=continuing,
        tools=tools,
    )


def prepare_turns(
    load: Callable[[str], bytes],
    system_prompt: str | None,
    history: Sequence[Message | ChatTurn],
    params: RequestParams,
    options: TurnOptions,
    *,
    provider: ProviderConfig | None = None,
    continuing: bool = False,
    tools: Sequence[ToolSpec] | None = None,
) -> PreparedRequest:
    """The request for `history` (sendable messages, oldest first) under `system_prompt`,
    trimmed to the model's window; `load` reads an attachment's stored bytes by key."""
    turns: list[Message | ChatTurn] = []
    if system_prompt and system_prompt.strip():
        turns.append(ChatTurn(Role.SYSTEM, system_prompt))
    turns.extend(history)
    kind = provider.kind if provider is not None else None
    extra: dict[str, Any] = {}
    instruction: list[ChatTurn] = []
    offered = [spec.as_openai_tool() for spec in tools or ()]
    if continuing or offered:
        # One reply: a continuation extends one reply, and a tool loop follows one choice.
        params = RequestParams.from_mapping({**params.overridden(), "n": None})
    if continuing:
        if kind in _CONTINUE_FINAL_KINDS:
            extra = {"continue_final_message": True, "add_generation_prompt": False}
        elif kind not in _PREFILL_KINDS:
            instruction.append(ChatTurn(Role.USER, CONTINUE_INSTRUCTION))
    model = (params.model or "").strip()
    dropped, tokens, window = 0, 0, None
    if model:
        window = context.effective_window(model, options.unknown_context_window)
        reserve = min(options.reserve_tokens, params.max_tokens or options.reserve_tokens)
        if options.max_prompt_tokens is not None:
            window = min(window, options.max_prompt_tokens + reserve)
        # The server's own prompt_tokens of the last reply beats our estimate for that prefix
        # (our tokenizer is only a guess for non-OpenAI models). Not with tools: that figure
        # holds the tools when they were offered then, and they would be counted twice.
        anchor = None if offered else context.anchor_from_messages(turns)
        trimmed = context.trim_to_fit(
            turns,
            model,
            window=window,
            reserve=reserve,
            anchor=anchor,
            overhead=context.tools_tokens(offered, model),
        )
        turns, dropped, tokens = list(trimmed.kept), trimmed.dropped_count, trimmed.tokens
        if dropped:
            log.info("left out the %d oldest messages to fit %d tokens", dropped, window)
    # After trimming, which must keep the reply being continued (the newest turn), and which
    # keeps or drops a message together with its attachments.
    turns = [_with_attachments(load, t, options) for t in turns]
    body = build_request(
        [*turns, *instruction], params, stream=options.stream, tools=offered or None
    )
    if extra:
        body["extra_body"] = extra
    return PreparedRequest(body, dropped, tokens, window)
