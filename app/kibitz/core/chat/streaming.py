"""Translating the chunks of one streamed response into events, whatever the server's dialect.

Chunks arrive as the SDK's loosely built objects (it does not validate them), so every field
is read defensively: Azure's preamble has empty choices, id and model; newer OpenAI models add
"usage": null and an obfuscation field to every chunk; llama.cpp sends no usage; tool-call
deltas carry no text and are ignored.

Reasoning comes three ways, per choice: `delta.reasoning_content` (DeepSeek, llama.cpp, vLLM
before 0.11), `delta.reasoning` (vLLM since, OpenRouter, Ollama) or `<think>…</think>` at the
start of `delta.content` (think_tags.py). The SDK's types know neither field: they are read
from the object's extra attributes. Some vLLM builds send both fields with the same text
(vllm-project/vllm#29408); it is taken once. OpenRouter's `reasoning_details` repeats
`reasoning` and is read only when neither field is there.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kibitz.core.types import Usage

from .events import Delta, Finished, ReasoningDelta, Started, StreamEvent, UsageReport
from .think_tags import ReasoningTagFilter, ThinkTagSplitter

log = logging.getLogger(__name__)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


_NO_EXTRAS = object()


def _field(obj: Any, name: str) -> Any:
    """`obj.name` from an SDK model, its pydantic extras, a mapping or any object; else None.

    Read from the instance dict first: getattr of a name a pydantic model lacks raises inside
    pydantic, and an ABC isinstance per field costs as much; together they made a chunk ten
    times slower to read (18 us a chunk instead of 3).
    """
    if obj is None:
        return None
    attrs = getattr(obj, "__dict__", None)
    if attrs is not None:
        if name in attrs:
            return attrs[name]
        extras = getattr(obj, "__pydantic_extra__", _NO_EXTRAS)
        if extras is not _NO_EXTRAS:
            return extras.get(name) if isinstance(extras, dict) else None
    elif isinstance(obj, dict | Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _text(obj: Any, name: str) -> str:
    value = _field(obj, name)
    return value if isinstance(value, str) else ""


def reasoning_text(delta: Any) -> str:
    """The reasoning a delta (or a whole message) carries, in whichever field the server used."""
    if getattr(delta, "__pydantic_extra__", None) == {}:
        return ""  # an SDK model with no fields beyond OpenAI's: the common case, kept quick
    content = _text(delta, "reasoning_content")
    other = _text(delta, "reasoning")
    if content and other and content != other:
        # Never seen from a real server; keep the older name's text rather than double it.
        log.debug("reasoning_content and reasoning differ; using reasoning_content")
    if content or other:
        return content or other
    # OpenRouter: structured details; "reasoning.text" repeats `reasoning`, "reasoning.summary"
    # (OpenAI models) is the only readable text there is, "reasoning.encrypted" has none.
    details = _field(delta, "reasoning_details")
    if not isinstance(details, list):
        return ""
    parts = []
    for item in details:
        kind = _text(item, "type")
        if kind == "reasoning.text":
            parts.append(_text(item, "text"))
        elif kind == "reasoning.summary":
            parts.append(_text(item, "summary"))
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
                out.append(ReasoningDelta(text, index))
        if content:
            for piece in self.content.feed(content):
                out.append(_event(piece.text, piece.reasoning, index))
        return out

    def finish(self, index: int) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        held = self.reasoning.finish()
        if held:
            out.append(ReasoningDelta(held, index))
        out.extend(_event(p.text, p.reasoning, index) for p in self.content.finish())
        return out


def _event(text: str, reasoning: bool, index: int) -> StreamEvent:
    return ReasoningDelta(text, index) if reasoning else Delta(text, index)


class ChunkTranslator:
    """The state of one attempt: what has been delivered and which choices have finished."""

    def __init__(self, *, expected_choices: int = 1, request_id: str | None = None) -> None:
        self.expected_choices = max(1, expected_choices)
        self.request_id = request_id
        self.chunks = 0
        self.delivered = False  # text or reasoning went to the consumer: never retry after this
        self._started = False
        self._seen: set[int] = set()
        self._finished: set[int] = set()
        self._usage: Usage | None = None
        self._texts: dict[int, _ChoiceText] = {}

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

    def _read_choice(self, choice: Any, body: Any, out: list[StreamEvent]) -> None:
        """One choice of a chunk (`body` is its delta) or of a whole reply (its message)."""
        index = _int(_field(choice, "index"))
        self._seen.add(index)
        reasoning = reasoning_text(body)
        content = _text(body, "content")
        if reasoning or content:
            self._emit(self._choice_text(index).read(index, reasoning, content), out)
        refusal = _text(body, "refusal")
        if refusal:
            self._emit([Delta(refusal, index, True)], out)
        reason = _field(choice, "finish_reason")
        if reason and index not in self._finished:
            self._finished.add(index)
            self._start(None, out)
            self._flush(index, out)  # text held for a tag that never came is the choice's end
            out.append(Finished(str(reason), index))

    def _flush(self, index: int, out: list[StreamEvent]) -> None:
        texts = self._texts.pop(index, None)
        if texts is not None:
            self._emit(texts.finish(index), out)

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """Events for one chunk (usually none or one)."""
        self.chunks += 1
        out: list[StreamEvent] = []
        model = _field(chunk, "model")
        if isinstance(model, str) and model:
            self._start(model, out)
        for choice in _field(chunk, "choices") or ():
            self._read_choice(choice, _field(choice, "delta"), out)
        # Some servers repeat usage on every chunk; the last one is the total.
        self._read_usage(_field(chunk, "usage"))
        return out

    def feed_completion(self, completion: Any) -> list[StreamEvent]:
        """Events for a whole non-streamed `chat.completion`: it reads as one big chunk."""
        self.chunks += 1
        out: list[StreamEvent] = []
        model = _field(completion, "model")
        self._start(model if isinstance(model, str) and model else None, out)
        for choice in _field(completion, "choices") or ():
            self._read_choice(choice, _field(choice, "message"), out)
        self._read_usage(_field(completion, "usage"))
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
            prompt = _int(_field(usage, "prompt_tokens"))
            completion = _int(_field(usage, "completion_tokens"))
            total = _int(_field(usage, "total_tokens")) or prompt + completion
            details = _field(usage, "completion_tokens_details")
            reasoning = _int(_field(details, "reasoning_tokens"))
            self._usage = Usage(prompt, completion, total, reasoning)

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
