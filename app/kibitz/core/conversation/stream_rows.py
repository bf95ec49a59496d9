"""What each event of a reply's stream does: to the reply rows in the store (`record`), and as
the turn event its consumers see (`translate`); `flush_ticker` writes buffered text out during
pauses in the stream."""

from __future__ import annotations

import asyncio

from kibitz.core.chat import StreamEvent
from kibitz.core.conversation.events import (
    AnswerBecameReasoning,
    ReasoningStreamed,
    RetryWaiting,
    TextStreamed,
    TurnEvent,
)
from kibitz.core.conversation.replies import ReplyRows
from kibitz.core.errors import KibitzError

FLUSH_TICK_S = 0.1  # how often buffered text is checked during pauses in the stream


def record(rows: ReplyRows, event: StreamEvent) -> KibitzError | None:
    """Store what `event` says; the failure if it ends the stream with one."""
    from kibitz.core.chat import (
        AnswerWasReasoning,
        Delta,
        Failed,
        Finished,
        ReasoningDelta,
        Started,
        UsageReport,
    )

    if isinstance(event, Started):
        if event.model:
            rows.set_model(event.model)
    elif isinstance(event, Delta):
        if event.text:
            rows.delivered.add(event.index)
        rows.writer(event.index).append(event.text)
    elif isinstance(event, ReasoningDelta):
        if event.text:
            rows.delivered.add(event.index)
        rows.writer(event.index).append_reasoning(event.text)
    elif isinstance(event, AnswerWasReasoning):
        rows.writer(event.index).answer_was_reasoning()
    elif isinstance(event, Finished):
        # Usage comes after the last finish_reason: record_usage adds it to the finished row.
        rows.finish(event.index, event.status, event.reason)
    elif isinstance(event, UsageReport):
        rows.record_usage(event.usage)
    elif isinstance(event, Failed):
        rows.end_all(event.error)
        return event.error
    return None


def translate(rows: ReplyRows, event: StreamEvent) -> TurnEvent | None:
    from kibitz.core.chat import AnswerWasReasoning, Delta, ReasoningDelta, Retrying

    if isinstance(event, AnswerWasReasoning):
        return AnswerBecameReasoning(rows.message_id(event.index))
    if isinstance(event, Delta) and event.text:
        return TextStreamed(rows.message_id(event.index), event.text)
    if isinstance(event, ReasoningDelta) and event.text:
        return ReasoningStreamed(rows.message_id(event.index), event.text)
    if isinstance(event, Retrying):
        return RetryWaiting(rows.message_id(0), event.attempt, event.delay, event.error)
    return None


async def flush_ticker(rows: ReplyRows) -> None:
    # Text that arrives just before a pause would otherwise wait for the next delta.
    while True:
        await asyncio.sleep(FLUSH_TICK_S)
        rows.flush_due()
