"""Typed events a chat stream yields, in the order a consumer sees them.

Each attempt that reaches the server yields `Started` before anything else of that attempt,
then `ReasoningDelta`s, `Delta`s and `ToolCallDelta`s (interleaved by choice index when n > 1;
a choice's reasoning usually comes before its text, but a server may interleave them) and a
`Finished`
for each choice as its finish_reason arrives; text a choice held back (what might have been
the start of a think tag) comes out before its `Finished`, as reasoning or text, never lost.
`AnswerWasReasoning` comes when a choice's text, begun without `<think>`, writes `</think>`:
the `Delta`s of that choice before it were reasoning; the `Delta`s after it are the answer.
A successful stream then ends with at most one `UsageReport` and a
`Finished(reason=None)` for every choice the server left open (llama.cpp ends an interrupted
generation that way: treat the reply as interrupted). `Retrying` comes between attempts, before
the pause. A failed stream ends with `Failed`; text already delivered is the consumer's to keep.
"""

from __future__ import annotations

from dataclasses import dataclass

from kibitz.core.errors import ApiError, KibitzError
from kibitz.core.types import MessageStatus, Usage


@dataclass(frozen=True, slots=True)
class Started:
    """The server answered: the model it reports (None if it named none) and its request id."""

    model: str | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of reply text. `refusal` marks text from `delta.refusal` (the model declined)."""

    text: str
    index: int = 0
    refusal: bool = False


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning, whichever way the server sent it
    (`reasoning_content`, `reasoning`, or `<think>` at the start of the content)."""

    text: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class AnswerWasReasoning:
    """Choice `index`'s text so far was reasoning: the chat template put `<think>` into the
    prompt, so the model wrote only `</think>` (dropped), after its reasoning."""

    index: int = 0


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of tool call `call_index` of choice `index`, as the server streams it.

    The first piece of a call carries its `id` and function `name` (OpenAI, vLLM); llama.cpp
    may send a whole call in one piece. `arguments` is the next piece of the JSON arguments
    string (often split mid-token); the consumer joins the pieces by (index, call_index).
    Several calls of one choice (parallel calls) have call_index 0, 1, ...
    """

    call_index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    index: int = 0


@dataclass(frozen=True, slots=True)
class UsageReport:
    usage: Usage


@dataclass(frozen=True, slots=True)
class Retrying:
    """Attempt `attempt` (1 = the first retry) starts after `delay` seconds, because of `error`."""

    attempt: int
    delay: float
    error: ApiError


@dataclass(frozen=True, slots=True)
class Finished:
    """Choice `index` is complete; `reason` is the server's finish_reason, or None."""

    reason: str | None
    index: int = 0

    @property
    def status(self) -> MessageStatus:
        return MessageStatus.from_finish_reason(self.reason)


@dataclass(frozen=True, slots=True)
class Failed:
    """The stream failed; always the last event."""

    error: KibitzError


StreamEvent = (
    Started
    | Delta
    | ReasoningDelta
    | AnswerWasReasoning
    | ToolCallDelta
    | UsageReport
    | Retrying
    | Finished
    | Failed
)
