"""Translating the chunks of one streamed response into events, whatever the server's dialect.

Chunks arrive as the SDK's loosely built objects (it does not validate them), so every field
is read defensively (fields.py): Azure's preamble has empty choices, id and model; newer OpenAI
models add "usage": null and an obfuscation field to every chunk; llama.cpp sends no usage.

Reasoning comes three ways, per choice: `delta.reasoning_content` (DeepSeek, llama.cpp, vLLM
before 0.11), `delta.reasoning` (vLLM since, OpenRouter, Ollama) or `<think>…</think>` at the
start of `delta.content` (think_tags.py; or only `</think>` in it, when the chat template
opened the tag: then `AnswerWasReasoning` says the text before it was reasoning). The SDK's
types know neither field: they are read from the object's extra attributes. Some vLLM builds
send both fields with the same text (vllm-project/vllm#29408); it is taken once. OpenRouter's
`reasoning_details` repeats `reasoning` and is read only when neither field is there.

Tool calls (`delta.tool_calls`, or the legacy `delta.function_call`) become `ToolCallDelta`s,
numbered per choice in the order the calls begin, whichever way the server pieces them
(tool_deltas.py). A whole reply (`stream: false`) gives the same events, each call in one
piece. The finish_reason is passed on as the server sent it: some say "stop" after tool calls
(older Ollama), so a consumer goes by the deltas, not by the reason.
"""

from __future__ import annotations

import logging
from typing import Any

from kibitz.core.types import Usage

from .events import (
    AnswerWasReasoning,
    Delta,
    Finished,
    ReasoningDelta,
    Started,
    StreamEvent,
    UsageReport,
)
from .fields import field_of, int_or_zero, text_of
from .think_tags import Piece, ReasoningTagFilter, ThinkTagSplitter
from .tool_deltas import ToolCallReader

log = logging.getLogger(__name__)


def reasoning_text(delta: Any) -> str:
    """The reasoning a delta (or a whole message) carries, in whichever field the server used."""
    if getattr(delta, "__pydantic_extra__", None) == {}:
        return ""  # an SDK model with no fields beyond OpenAI's: the common case, kept quick
    content = text_of(delta, "reasoning_content")
    other = text_of(delta, "reasoning")
    if content and other and content != other:
        # Never seen from a real server; keep the older name's text rather than double it.
        log.debug("reasoning_content and reasoning differ; using reasoning_content")
    if content or other:
        return content or other
    # OpenRouter: structured details; "reasoning.text" repeats `reasoning`, "reasoning.summary"
    # (OpenAI models) is the only readable text there is, "reasoning.encrypted" has none.
    details = field_of(delta, "reasoning_details")
    if not isinstance(details, list):
        return ""
    parts = []
    for item in details:
        kind = text_of(item, "type")
        if kind == "reasoning.text":
            parts.append(text_of(item, "text"))
        elif kind == "reasoning.summary":
            parts.append(text_of(item, "summary"))
    return "".join(parts)


class _ChoiceText:
    """One choice's reasoning and answer as they are read: tags split off, held text kept."""

    def __init__(self) -> None:
        self.content = ThinkTagSplitter()
        self.reasoning = ReasoningTagFilter()

    def read(self, index: int, reasoning: str, content: str) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        if reasoning:
            text = self.reasoning.feed(reasoning)
            if text:
                self.content.reasoning_elsewhere()
                out.append(ReasoningDelta(text, index))
        if content:
            out.extend(_event(piece, index) for piece in self.content.feed(content))
        return out

    def finish(self, index: int) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        held = self.reasoning.finish()
        if held:
            out.append(ReasoningDelta(held, index))
        out.extend(_event(piece, index) for piece in self.content.finish())
        return out


def _event(piece: Piece, index: int) -> StreamEvent:
    if piece.moved:
        return AnswerWasReasoning(index)
    return ReasoningDelta(piece.text, index) if piece.reasoning else Delta(piece.text, index)


class ChunkTranslator:
    """The state of one attempt: what has been delivered and which choices have finished."""

    def __init__(self, *, expected_choices: int = 1, request_id: str | None = None) -> None:
        self.expected_choices = max(1, expected_choices)
        self.request_id = request_id
        self.chunks = 0
        # Text, reasoning or a tool call went to the consumer: never retry after this.
        self.delivered = False
        self._started = False
        self._seen: set[int] = set()
        self._finished: set[int] = set()
        self._usage: Usage | None = None
        self._texts: dict[int, _ChoiceText] = {}
        self._calls: dict[int, ToolCallReader] = {}

    @property
    def all_finished(self) -> bool:
        return len(self._finished) >= self.expected_choices

    def _start(self, model: str | None, out: list[StreamEvent]) -> None:
        if not self._started:
            self._started = True
            out.append(Started(model, self.request_id))

    def _emit(self, events: list[StreamEvent], out: list[StreamEvent]) -> None:
        if events:
            self._start(None, out)
            out.extend(events)
            self.delivered = True

    def _choice_text(self, index: int) -> _ChoiceText:
        found = self._texts.get(index)
        if found is None:
            found = self._texts[index] = _ChoiceText()
        return found

    def _read_choice(
        self, choice: Any, body: Any, out: list[StreamEvent], *, whole: bool = False
    ) -> None:
        """One choice of a chunk (`body` is its delta) or of a whole reply (its message)."""
        index = int_or_zero(field_of(choice, "index"))
        self._seen.add(index)
        reasoning = reasoning_text(body)
        content = text_of(body, "content")
        if reasoning or content:
            self._emit(self._choice_text(index).read(index, reasoning, content), out)
        refusal = text_of(body, "refusal")
        if refusal:
            self._emit([Delta(refusal, index, True)], out)
        tool_calls = field_of(body, "tool_calls")
        function_call = field_of(body, "function_call")
        if tool_calls or function_call:
            self._read_calls(index, tool_calls, function_call, whole, out)
        reason = field_of(choice, "finish_reason")
        if reason and index not in self._finished:
            self._finished.add(index)
            self._start(None, out)
            self._flush(index, out)  # text held for a tag that never came is the choice's end
            out.append(Finished(str(reason), index))

    def _read_calls(
        self, index: int, tool_calls: Any, function_call: Any, whole: bool, out: list[StreamEvent]
    ) -> None:
        reader = self._calls.get(index)
        if reader is None:
            reader = self._calls[index] = ToolCallReader(index)
        pieces = reader.read(tool_calls, whole=whole) + reader.read_function_call(function_call)
        if pieces:
            # Text held back for a tag that may be forming came before the calls: keep the order.
            self._flush(index, out)
            self._emit(list(pieces), out)

    def _flush(self, index: int, out: list[StreamEvent]) -> None:
        texts = self._texts.pop(index, None)
        if texts is not None:
            self._emit(texts.finish(index), out)

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """Events for one chunk (usually none or one)."""
        self.chunks += 1
        out: list[StreamEvent] = []
        model = field_of(chunk, "model")
        if isinstance(model, str) and model:
            self._start(model, out)
        for choice in field_of(chunk, "choices") or ():
            self._read_choice(choice, field_of(choice, "delta"), out)
        # Some servers repeat usage on every chunk; the last one is the total.
        self._read_usage(field_of(chunk, "usage"))
        return out

    def feed_completion(self, completion: Any) -> list[StreamEvent]:
        """Events for a whole non-streamed `chat.completion`: it reads as one big chunk."""
        self.chunks += 1
        out: list[StreamEvent] = []
        model = field_of(completion, "model")
        self._start(model if isinstance(model, str) and model else None, out)
        for choice in field_of(completion, "choices") or ():
            self._read_choice(choice, field_of(choice, "message"), out, whole=True)
        self._read_usage(field_of(completion, "usage"))
        return out

    def flush(self) -> list[StreamEvent]:
        """Text still held back (the start of what might have been a think tag) of every open
        choice: for a stream that broke, so that what arrived is not lost with it."""
        out: list[StreamEvent] = []
        for index in sorted(self._texts):
            self._flush(index, out)
        return out

    def _read_usage(self, usage: Any) -> None:
        if usage is not None:
            prompt = int_or_zero(field_of(usage, "prompt_tokens"))
            completion = int_or_zero(field_of(usage, "completion_tokens"))
            total = int_or_zero(field_of(usage, "total_tokens")) or prompt + completion
            details = field_of(usage, "completion_tokens_details")
            reasoning = int_or_zero(field_of(details, "reasoning_tokens"))
            # Prompt tokens read from the provider's cache (billed lower): OpenAI's field.
            cached = int_or_zero(
                field_of(field_of(usage, "prompt_tokens_details"), "cached_tokens")
            )
            self._usage = Usage(prompt, completion, total, reasoning, cached)

    def end(self) -> list[StreamEvent]:
        """Events for a stream that ended without error: held text, usage, then the choices
        left open."""
        out: list[StreamEvent] = []
        self._start(None, out)
        out.extend(self.flush())
        if self._usage is not None:
            out.append(UsageReport(self._usage))
        open_choices = sorted((self._seen or {0}) - self._finished)
        out.extend(Finished(None, index) for index in open_choices)
        return out
