"""Building the chat-completions request body from a conversation branch and parameters."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kibitz.core.errors import ConfigError
from kibitz.core.models import model_limits
from kibitz.core.types import Message, MessageStatus, RequestParams, Role

from .structured_output import response_format_body
from .tool_history import assistant_messages, has_tool_parts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One message to send, for callers that hold no stored `Message` (the CLI, tests)."""

    role: Role
    content: str | list[dict[str, Any]]  # a list: text and image_url parts


TurnLike = ChatTurn | Message | tuple[Role | str, str]


def _wire(item: TurnLike) -> list[dict[str, Any]]:
    """The wire messages of one input: none for messages the model should not see, several
    for a reply that holds tool calls (tool_history.py)."""
    if isinstance(item, Message):
        # A failed reply has no text worth sending; an interrupted one keeps its partial text.
        if item.status is MessageStatus.ERROR:
            return []
        if item.role is Role.ASSISTANT and has_tool_parts(item):
            return assistant_messages(item.parts)
        if item.role is Role.ASSISTANT and not item.content:
            return []
        turn = ChatTurn(item.role, item.content)
    elif isinstance(item, ChatTurn):
        turn = item
    else:
        role, content = item
        turn = ChatTurn(Role(role), content)
    if turn.role is Role.TOOL:
        # Results travel inside the reply that made the call (above); a lone tool message has
        # no tool_call_id to answer, and sending one is a 400.
        log.debug("leaving out a tool message that answers no call")
        return []
    return [{"role": turn.role.value, "content": turn.content}]


def build_request(
    messages: Iterable[TurnLike],
    params: RequestParams,
    *,
    system_prompt: str | None = None,
    stream: bool = True,
    include_usage: bool = True,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON body for POST /chat/completions; only parameters that are set are sent.

    `messages` is the conversation's current branch, oldest first, as stored `Message`s,
    `ChatTurn`s or `(role, content)` pairs. Failed replies (status ERROR), empty assistant
    messages and lone tool messages are left out; a reply holding tool calls goes as the
    assistant's calls, each followed by its result (tool_history.py). A non-blank
    `system_prompt` goes first. `tools` (ToolSpec.as_openai_tool() entries) is sent when not
    empty. For OpenAI's reasoning models (o-series, gpt-5) max_tokens is sent as
    max_completion_tokens.
    """
    model = (params.model or "").strip()
    if not model:
        raise ConfigError(
            "The request names no model.",
            headline="No model is chosen",
            hint="Pick a model in Settings or in this conversation's parameters, then send again.",
        )
    wire: list[dict[str, Any]] = []
    if system_prompt and system_prompt.strip():
        wire.append({"role": Role.SYSTEM.value, "content": system_prompt})
    for item in messages:
        wire.extend(_wire(item))
    if not wire:
        raise ValueError("build_request needs at least one message")

    body: dict[str, Any] = {"model": model, "messages": wire}
    if tools:
        body["tools"] = [dict(tool) for tool in tools]
    if params.max_tokens is not None:
        # OpenAI's reasoning models refuse max_tokens; max_completion_tokens means the same.
        limits = model_limits(model)
        reasoning = limits is not None and limits.reasoning
        body["max_completion_tokens" if reasoning else "max_tokens"] = params.max_tokens
    for name in (
        "temperature",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "n",
        # OpenAI's reasoning models take it, as do Ollama and vLLM (ollama/ollama
        # openai/openai.go, vllm/entrypoints/openai/reasoning_effort.py); others may refuse it.
        "reasoning_effort",
    ):
        value = getattr(params, name)
        if value is not None:
            body[name] = value
    if params.stop:
        body["stop"] = list(params.stop)
    if params.json_schema:
        body["response_format"] = response_format_body(params.json_schema)
    elif params.response_format == "json_object":
        body["response_format"] = {"type": "json_object"}
    if stream:
        body["stream"] = True
        if include_usage:
            body["stream_options"] = {"include_usage": True}
    return body
