"""What a turn yields to whoever runs it (the window's controller, quick ask, the CLI).

A turn holds one or more requests. In order: `RequestStarted` for each request, the
`ReplyStarted` of each reply row as it is created (choice 0 at once, other choices as their
first text arrives; a continued reply is announced again), then `ReasoningStreamed` and
`TextStreamed` pieces (an `AnswerBecameReasoning` says the reply's text streamed so far was
its reasoning: show the reply again from the store), `RetryWaiting` between attempts, and
`ReplyFinished` once a reply's row is final. `TurnEnded` always comes last, with the failure
if there was one (shown on the reply it names). Every event is yielded after what it reports
is stored.

When the model calls tools, its reply row stays open across the requests of the turn: each
call yields `ToolCallStarted` (the call is stored; approval, if needed, is asked right after),
`ToolCallRunning` once it may run, and `ToolCallFinished` with its stored result (or why it
did not run); then the next `RequestStarted` streams into the same reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kibitz.core.errors import ApiError, KibitzError
from kibitz.core.tools import ToolSpec
from kibitz.core.types import Message, MessageId, ToolCallPart, ToolResultPart

if TYPE_CHECKING:
    # Only named in annotations: whoever reads events (the window's controllers) need not
    # load the request machinery (prepare, the wire) before the first question.
    from kibitz.core.conversation.prepare import PreparedRequest


@dataclass(frozen=True, slots=True)
class RequestStarted:
    """Request `number` (1 for the first) of the turn is about to be sent."""

    number: int
    prepared: PreparedRequest


@dataclass(frozen=True, slots=True)
class ReplyStarted:
    """A reply row exists (status `streaming`); its text follows."""

    message: Message


@dataclass(frozen=True, slots=True)
class ReasoningStreamed:
    message_id: MessageId
    text: str


@dataclass(frozen=True, slots=True)
class TextStreamed:
    message_id: MessageId
    text: str


@dataclass(frozen=True, slots=True)
class AnswerBecameReasoning:
    """The reply's answer so far is stored as its reasoning now: the model wrote `</think>`
    without `<think>` (its chat template opened the tag). The `TextStreamed` that follow are
    the answer."""

    message_id: MessageId


@dataclass(frozen=True, slots=True)
class RetryWaiting:
    """The request failed before any reply arrived; attempt `attempt` starts in `delay` s."""

    message_id: MessageId
    attempt: int
    delay: float
    error: ApiError

    def describe(self) -> str:
        """ "<what failed>; retrying in 2 s (attempt 2)", as the command line says it."""
        return f"{self.error.headline}; retrying in {self.delay:.2g} s (attempt {self.attempt + 1})"


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """The model called a tool; the call is stored in the reply. `spec` is None when no
    enabled server offers that function (the model gets an error result)."""

    message_id: MessageId
    call: ToolCallPart
    spec: ToolSpec | None


@dataclass(frozen=True, slots=True)
class ToolCallRunning:
    """The call was allowed (by a setting or the user) and runs now."""

    message_id: MessageId
    call_id: str


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    """The call's result is stored (ok, error, or denied)."""

    message_id: MessageId
    call: ToolCallPart
    result: ToolResultPart


@dataclass(frozen=True, slots=True)
class ReplyFinished:
    """The reply's row as stored at its end (complete, length, interrupted, error, ...)."""

    message: Message


@dataclass(frozen=True, slots=True)
class ParameterLeftOut:
    """The model refused `param` (the server's words in `message`): it is left out of this
    model's requests from now on (kibitz.core.capabilities), and the request went again
    without it. Comes once per model and parameter; tell the user."""

    model: str
    provider: str
    param: str
    message: str


@dataclass(frozen=True, slots=True)
class TurnEnded:
    """Always the last event. `failure` is shown on the reply `failed_reply`."""

    replies: tuple[Message, ...]
    failure: KibitzError | None = None
    failed_reply: MessageId | None = None


TurnEvent = (
    RequestStarted
    | ReplyStarted
    | ReasoningStreamed
    | TextStreamed
    | AnswerBecameReasoning
    | RetryWaiting
    | ParameterLeftOut
    | ToolCallStarted
    | ToolCallRunning
    | ToolCallFinished
    | ReplyFinished
    | TurnEnded
)
