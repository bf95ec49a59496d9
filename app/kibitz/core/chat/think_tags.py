"""Telling reasoning from the answer when a server leaves the model's think tags in the text.

Qwen and the DeepSeek-R1 distills write `<think>…</think>` before their answer; servers run
without a reasoning parser (llama.cpp with `reasoning_format: none`, ggml-org/llama.cpp#13867;
vLLM without `--reasoning-parser`, vllm-project/vllm#34625) pass it on inside `delta.content`,
and the chunking can cut a tag at any character (the network cuts bytes too, but the SSE decoder
hands over whole events, so a delta's text is always whole characters). Other servers send the
reasoning in its own field and leave a tag behind: `<think>` at the start of it, `</think>` in
it (ggml-org/llama.cpp#22577) or at the start of `content`.

Only a `<think>` at the very start of a choice's text (after optional whitespace) opens
reasoning, so a model that writes about the tag in its answer is not cut. Some chat templates
put `<think>` into the prompt (DeepSeek-R1 distills, QwQ, Qwen3), so the output starts with
the reasoning itself and only later writes `</think>`: text without an opening tag is answer
until a first `</think>` arrives, which says everything before it was reasoning (a marker
piece, `moved`), and is dropped; after it, after a real `<think>…</think>`, and after a
`<think>` in the answer (the model writing about the tags), every tag is answer text.

While a tag may still be forming at the end of a chunk its characters are held back, and
released as what they turn out to be; `finish()` releases whatever is still held, so nothing
is ever lost.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class Piece(NamedTuple):
    """Text for the consumer: reasoning, or the answer. A `moved` piece has no text: it says
    the choice's answer so far was reasoning (a `</think>` came without its `<think>`)."""

    text: str
    reasoning: bool
    moved: bool = False


MOVED = Piece("", True, moved=True)


def partial_tag(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is the start of `tag` (0 when none is)."""
    for size in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class _State(enum.Enum):
    START = enum.auto()  # nothing but whitespace and a possible tag start seen yet
    THINKING = enum.auto()  # inside <think>: text is reasoning until </think>
    AFTER_OPEN = enum.auto()  # just after <think>: whitespace before the reasoning is dropped
    AFTER_CLOSE = enum.auto()  # just after </think>: whitespace before the answer is dropped
    UNOPENED = enum.auto()  # answer with no <think> seen: a first </think> makes it reasoning
    ANSWER = enum.auto()  # everything from here on is answer text, tags included


class ThinkTagSplitter:
    """Splits one choice's content stream into reasoning and answer pieces.

    A `</think>` at the very start (no opening tag: the reasoning came in its own field, or
    the template put `<think>` in the prompt and the model thought nothing) is dropped.
    """

    def __init__(self) -> None:
        self._state = _State.START
        self._held = ""  # text not yet known to be reasoning, answer or a tag
        self._unopened = _State.UNOPENED  # what text without an opening tag is read as

    def reasoning_elsewhere(self) -> None:
        """The choice's reasoning came in its own field: a `</think>` in the content that
        follows does not make the answer before it reasoning."""
        self._unopened = _State.ANSWER
        if self._state is _State.UNOPENED:
            self._state = _State.ANSWER

    @property
    def decided(self) -> bool:
        """True once the start of the content has been read (answer or reasoning)."""
        return self._state is not _State.START

    def feed(self, text: str) -> list[Piece]:
        """The pieces `text` completes; characters that may start a tag stay held."""
        if self._state is _State.ANSWER:
            return [Piece(text, False)] if text else []
        out: list[Piece] = []
        text = self._held + text
        self._held = ""
        while text:
            text = self._step(text, out)
        return _merged(out)

    def finish(self) -> list[Piece]:
        """The end of the stream: whatever is held, as what it would have been."""
        held, self._held = self._held, ""
        if not held:
            return []
        # An unclosed <think> keeps its text as reasoning; a tag start that never completed
        # ("<thi", "</th") is text of the state it was read in (answer, outside <think>).
        return [Piece(held, self._state is _State.THINKING)]

    def _step(self, text: str, out: list[Piece]) -> str:
        """Consume a prefix of `text` (appending to `out`); return the rest to read."""
        state = self._state
        if state is _State.ANSWER:
            out.append(Piece(text, False))
            return ""
        if state in (_State.AFTER_OPEN, _State.AFTER_CLOSE):
            rest = text.lstrip()
            if rest:
                self._state = _State.THINKING if state is _State.AFTER_OPEN else _State.ANSWER
            return rest
        if state is _State.THINKING:
            # Models write "<think>\n…\n</think>\n\n": the whitespace just inside and after the
            # tags is layout, so whitespace at the end is held until it is known not to be the
            # last before </think>.
            end = text.find(CLOSE_TAG)
            if end >= 0:
                out.append(Piece(text[:end].rstrip(), True))
                self._state = _State.AFTER_CLOSE
                return text[end + len(CLOSE_TAG) :]
            reasoning = text[: len(text) - partial_tag(text, CLOSE_TAG)].rstrip()
            out.append(Piece(reasoning, True))
            self._held = text[len(reasoning) :]
            return ""
        if state is _State.UNOPENED:
            end = text.find(CLOSE_TAG)
            opened = text.find(OPEN_TAG)
            if opened >= 0 and (end < 0 or opened < end):
                # A <think> in the answer: the model writes about the tags, not behind them.
                self._state = _State.ANSWER
                return text
            if end >= 0:
                out.extend((Piece(text[:end], False), MOVED))
                self._state = _State.AFTER_CLOSE
                return text[end + len(CLOSE_TAG) :]
            keep = max(partial_tag(text, CLOSE_TAG), partial_tag(text, OPEN_TAG))
            out.append(Piece(text[: len(text) - keep], False))
            self._held = text[len(text) - keep :]
            return ""
        # START: skip whitespace, then a whole tag decides, a tag's beginning waits.
        body = text.lstrip()
        for tag, after in ((OPEN_TAG, _State.AFTER_OPEN), (CLOSE_TAG, _State.AFTER_CLOSE)):
            if body.startswith(tag):
                self._state = after
                return body[len(tag) :]
        if not body or OPEN_TAG.startswith(body) or CLOSE_TAG.startswith(body):
            self._held = text
            return ""
        self._state = self._unopened
        return text


class ReasoningTagFilter:
    """One choice's reasoning field without think tags: a `<think>` at its start and any
    `</think>` are dropped (the field already says the text is reasoning)."""

    def __init__(self) -> None:
        self._started = False  # some reasoning text (not whitespace) went out
        self._held = ""

    def feed(self, text: str) -> str:
        text = self._held + text
        self._held = ""
        out: list[str] = []
        if not self._started:
            body = text.lstrip()
            if body.startswith(OPEN_TAG):
                text = body[len(OPEN_TAG) :]
            elif not body or OPEN_TAG.startswith(body):
                self._held = text
                return ""
            self._started = True
        while (end := text.find(CLOSE_TAG)) >= 0:
            out.append(text[:end])
            text = text[end + len(CLOSE_TAG) :]
        keep = partial_tag(text, CLOSE_TAG)
        out.append(text[: len(text) - keep])
        self._held = text[len(text) - keep :]
        return "".join(out)

    def finish(self) -> str:
        held, self._held = self._held, ""
        return held


def _merged(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if piece.moved:
            out.append(piece)
            continue
        if not piece.text:
            continue
        if out and not out[-1].moved and out[-1].reasoning == piece.reasoning:
            out[-1] = Piece(out[-1].text + piece.text, piece.reasoning)
        else:
            out.append(piece)
    return out
