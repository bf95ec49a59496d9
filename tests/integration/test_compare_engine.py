"""One question to several models at once: the question stored once, each model's reply a
sibling under it, streamed concurrently, a failing model failing alone."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from kibitz.core.conversation.engine import ConversationEngine, ModelChoice, Turn
from kibitz.core.conversation.events import TurnEnded, TurnEvent
from kibitz.core.errors import ModelNotFoundError
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role
from tests.integration.chat_support import OPTIONS
from tests.support.fake_openai import FakeOpenAI


async def _events(turn: Turn) -> list[TurnEvent]:
    async with contextlib.aclosing(turn.run()) as events:
        return [event async for event in events]


@pytest.mark.asyncio
async def test_each_model_answers_as_a_sibling_and_a_failing_one_fails_alone(
    engine: ConversationEngine, store: Store, fake_openai: FakeOpenAI
) -> None:
    fake_openai.strict_models = True  # an unknown model gets OpenAI's 404
    conversation = store.create_conversation("compare")
    choices = [ModelChoice("gpt-4o-mini"), ModelChoice("no-such-model"), ModelChoice("gpt-4o")]
    turns = engine.compare(
        conversation.id, "Which is bigger, 9.11 or 9.9?", choices, options=OPTIONS
    )
    try:
        results = await asyncio.gather(*(_events(t) for t in turns))
    finally:
        await engine.aclose()

    ends = [r[-1] for r in results]
    assert all(isinstance(end, TurnEnded) for end in ends)
    failures = [end.failure for end in ends if isinstance(end, TurnEnded)]
    assert failures[0] is None
    assert isinstance(failures[1], ModelNotFoundError)
    assert failures[2] is None
    [question] = [m for m in store.all_messages(conversation.id) if m.role is Role.USER]
    replies = store.children(question.id)
    assert sorted(m.model or "" for m in replies) == ["gpt-4o", "gpt-4o-mini", "no-such-model"]
    statuses = {m.model: m.status for m in replies}
    assert statuses["no-such-model"] is MessageStatus.ERROR
    assert statuses["gpt-4o"] is MessageStatus.COMPLETE
    assert sorted(r.body["model"] for r in fake_openai.chat_requests) == [
        "gpt-4o",
        "gpt-4o-mini",
        "no-such-model",
    ]


def test_compare_takes_two_to_four_models(engine: ConversationEngine, store: Store) -> None:
    conversation = store.create_conversation("c")
    with pytest.raises(ValueError, match="2 to 4"):
        engine.compare(conversation.id, "q", [ModelChoice("a")])
    assert store.all_messages(conversation.id) == []  # nothing stored for a refused call
