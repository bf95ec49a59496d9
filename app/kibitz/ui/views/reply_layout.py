"""How a reply that called tools is laid out: its text before the calls, each call with its
result and the images that call returned, and the text after the last call.

A reply row holds every part of its turn in order, e.g. [text, call, call, result, image,
result, text, call, result, text]. The view shows that order: earlier text as finished text,
each call as a card (its result and images with it), and the text after the last call as the
answer, the only text that streams. Qt-free (parts in, steps out), so it is cheap to test.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from kibitz.core.types import (
    TEXT_SEPARATOR,
    ImagePart,
    Part,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)


@dataclass(frozen=True, slots=True)
class TextStep:
    """Text the model wrote before a call (finished: a call came after it)."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolStep:
    """One call, its result once there is one, and the images the call returned."""

    call: ToolCallPart
    result: ToolResultPart | None = None
    images: tuple[ImagePart, ...] = ()


Step = TextStep | ToolStep


@dataclass(frozen=True, slots=True)
class ReplyLayout:
    steps: tuple[Step, ...]
    answer: str  # the text after the last call: what streams, and what a reply ends with
    answer_start: int  # the index of the part the answer begins at (moves with each round)
    tool_images: frozenset[str] = field(default_factory=frozenset)  # blobs shown on cards


def has_tool_parts(parts: Sequence[Part]) -> bool:
    return any(isinstance(p, ToolCallPart | ToolResultPart) for p in parts)


def reply_layout(parts: Sequence[Part]) -> ReplyLayout:
    """The steps of a reply in order. Images right after a result belong to its call; a result
    whose call is not there (an edited export) is left out, as the request leaves it out."""
    steps: list[Step] = []
    texts: list[str] = []
    texts_start = 0
    owner: int | None = None  # the step whose result came last: images after it are its own
    by_call: dict[str, int] = {}
    images: set[str] = set()
    for index, part in enumerate(parts):
        if isinstance(part, TextPart):
            if not texts:
                texts_start = index
            texts.append(part.text)
            owner = None
        elif isinstance(part, ToolCallPart):
            if texts:
                steps.append(TextStep(TEXT_SEPARATOR.join(texts)))
                texts = []
            by_call[part.id] = len(steps)
            steps.append(ToolStep(part))
            owner = None
        elif isinstance(part, ToolResultPart):
            number = by_call.get(part.tool_call_id)
            if number is not None:
                step = steps[number]
                assert isinstance(step, ToolStep)
                steps[number] = ToolStep(step.call, part, step.images)
            owner = number
        elif isinstance(part, ImagePart) and owner is not None and not texts:
            step = steps[owner]
            assert isinstance(step, ToolStep)
            steps[owner] = ToolStep(step.call, step.result, (*step.images, part))
            images.add(part.blob)
    if not texts:
        texts_start = len(parts)
    return ReplyLayout(tuple(steps), TEXT_SEPARATOR.join(texts), texts_start, frozenset(images))


class CallPhase(enum.StrEnum):
    """Where a call without a result stands while its turn runs (the view is told)."""

    ASKING = "asking"  # its approval card waits for the user
    RUNNING = "running"


@dataclass(frozen=True, slots=True)
class LiveCall:
    phase: CallPhase
    since: float  # time.monotonic() when it entered that phase


class CardState(enum.StrEnum):
    """What a tool card says of its call."""

    WAITING = "waiting"  # stored, not yet asked about or run (another call goes first)
    ASKING = "asking"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DECLINED = "declined"
    NOT_RUN = "not_run"  # the turn ended (stopped, failed) before the call ran


def card_state(step: ToolStep, live: LiveCall | None, streaming: bool) -> CardState:
    result = step.result
    if result is not None:
        if result.status is ToolStatus.DENIED:
            return CardState.DECLINED
        return CardState.FAILED if result.status is ToolStatus.ERROR else CardState.DONE
    if not streaming:
        return CardState.NOT_RUN
    if live is None:
        return CardState.WAITING
    return CardState.RUNNING if live.phase is CallPhase.RUNNING else CardState.ASKING
