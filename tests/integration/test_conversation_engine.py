"""The conversation engine over a real store file and the fake server: what a turn leaves in
the database, and what it yields."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path

import pytest

from kibitz.core.conversation.engine import ConversationEngine, Turn
from kibitz.core.conversation.events import (
    AnswerBecameReasoning,
    ReasoningStreamed,
    ReplyFinished,
    ReplyStarted,
    RequestStarted,
    TextStreamed,
    TurnEnded,
    TurnEvent,
)
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.errors import ContextTooLongError, StreamStalledError
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import ProviderProfile
from kibitz.core.store import Store, error_record
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageStatus,
    ReasoningPart,
    RequestParams,
    Role,
    TextPart,
    Usage,
)
from tests.integration.chat_support import OPTIONS as OPTIONS
from tests.integration.chat_support import TEST_KEY
from tests.integration.chat_support import settings_for as settings_for
from tests.integration.cli_support import committed_reply_text
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.support.fake_openai.script import split_text

# OPTIONS and settings_for are re-exported (`as`): other engine tests import them from here.

SLOW = Reply(words=200, delay=0.02)  # four seconds if nobody stops it


def ask(engine: ConversationEngine, text: str = "hello there", **kwargs: object) -> Turn:
    conversation = engine.store.create_conversation("test")
    return engine.send(conversation.id, text, options=OPTIONS, **kwargs)  # type: ignore[arg-type]


async def run(turn: Turn) -> list[TurnEvent]:
    try:
        async with contextlib.aclosing(turn.run()) as events:
            return [event async for event in events]
    finally:
        await turn.engine.aclose()


def replies(store: Store, conversation_id: ConversationId) -> list[Message]:
    return [m for m in store.all_messages(conversation_id) if m.role is Role.ASSISTANT]


def text_of(events: list[TurnEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextStreamed))


def ended(events: list[TurnEvent]) -> TurnEnded:
    last = events[-1]
    assert isinstance(last, TurnEnded)
    assert sum(isinstance(e, TurnEnded) for e in events) == 1
    return last


@pytest.mark.asyncio
async def test_the_question_is_stored_at_once_and_the_reply_row_before_the_request(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="All good here.", model="gpt-4o-mini-2024-07-18"))
    turn = ask(engine)
    store = engine.store
    # Stored by send() itself, before run() is even started.
    assert turn.question is not None
    assert [m.content for m in store.branch(turn.conversation_id)] == ["hello there"]
    seen_before_request: list[Message] = []
    events: list[TurnEvent] = []
    async with contextlib.aclosing(turn.run()) as stream:
        async for event in stream:
            events.append(event)
            if isinstance(event, RequestStarted):
                assert fake_openai.chat_requests == []
                assert event.prepared.dropped_messages == 0
                seen_before_request.extend(replies(store, turn.conversation_id))
    await engine.aclose()
    (waiting,) = seen_before_request
    assert (waiting.status, waiting.content, waiting.parent_id) == (
        MessageStatus.STREAMING,
        "",
        turn.question.id,
    )
    assert isinstance(events[0], ReplyStarted)
    assert events[0].message.id == waiting.id
    (reply,) = replies(store, turn.conversation_id)
    assert reply.id == waiting.id
    assert (reply.status, reply.content, reply.finish_reason) == (
        MessageStatus.COMPLETE,
        "All good here.",
        "stop",
    )
    assert text_of(events) == "All good here."
    # The model the server says answered, not the alias that was asked for.
    assert reply.model == "gpt-4o-mini-2024-07-18"
    assert store.get_conversation(turn.conversation_id).current_leaf_id == reply.id
    assert ended(events).failure is None
    assert [m.id for m in ended(events).replies] == [reply.id]


@pytest.mark.asyncio
async def test_usage_is_stored_on_choice_0(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    texts = ("First alternative here.", "Second one, a bit longer here.")
    fake_openai.script(Reply(texts=texts))
    turn = ask(engine, overrides=RequestParams(model="gpt-4o", n=2))
    await run(turn)
    first, second = replies(engine.store, turn.conversation_id)
    assert first.usage is not None
    assert first.usage.completion_tokens == sum(len(split_text(t, None)) for t in texts)
    assert second.usage is None


@pytest.mark.asyncio
async def test_several_choices_become_siblings_with_choice_0_current(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    texts = ("Zero.", "One, the second.", "Two, the third.")
    fake_openai.script(Reply(texts=texts, delay=0.005))
    turn = ask(engine, overrides=RequestParams(model="gpt-4o", n=3))
    events = await run(turn)
    store = engine.store
    rows = replies(store, turn.conversation_id)
    assert [(r.choice_index, r.content, r.status, r.parent_id) for r in rows] == [
        (i, text, MessageStatus.COMPLETE, turn.parent_id) for i, text in enumerate(texts)
    ]
    assert store.get_conversation(turn.conversation_id).current_leaf_id == rows[0].id
    assert [m.id for m in store.siblings(rows[0].id)] == [r.id for r in rows]
    assert fake_openai.chat_requests[0].body["n"] == 3
    # Each row is announced before its first text, and finished once.
    started = [e.message.id for e in events if isinstance(e, ReplyStarted)]
    assert started == [r.id for r in rows]
    for row in rows:
        first_text = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, TextStreamed) and e.message_id == row.id
        )
        announced = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, ReplyStarted) and e.message.id == row.id
        )
        assert announced < first_text
    assert sorted(e.message.id for e in events if isinstance(e, ReplyFinished)) == [
        r.id for r in rows
    ]


@pytest.mark.asyncio
async def test_failure_before_any_text_leaves_an_error_row(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Fault.auth())
    turn = ask(engine)
    events = await run(turn)
    store = engine.store
    (reply,) = replies(store, turn.conversation_id)
    end = ended(events)
    assert end.failure is not None
    assert end.failed_reply == reply.id
    assert (reply.status, reply.content) == (MessageStatus.ERROR, "")
    assert reply.error is not None
    assert reply.error.splitlines()[0] == "auth: The server refused the API key"
    assert reply.error == error_record(end.failure)
    # The question stays, and is what the next request would send.
    branch = store.branch(turn.conversation_id)
    assert [m.content for m in branch if m.role is Role.USER] == ["hello there"]


@pytest.mark.asyncio
async def test_no_key_fails_before_any_request_with_the_error_as_the_reply(
    store: Store, fake_openai: FakeOpenAI
) -> None:
    settings = settings_for(fake_openai, kind="openai")  # a kind that needs a key
    engine = ConversationEngine(store, lambda: settings, MemorySecretStore(), env={})
    turn = ask(engine)
    events = await run(turn)
    assert fake_openai.chat_requests == []
    (reply,) = replies(store, turn.conversation_id)
    end = ended(events)
    assert end.failed_reply == reply.id
    assert end.failure is not None
    assert reply.status is MessageStatus.ERROR
    assert reply.error == error_record(end.failure)
    assert [type(e) for e in events] == [ReplyFinished, TurnEnded]


@pytest.mark.asyncio
async def test_failure_after_text_keeps_it_interrupted(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Fault.drop(after=15, text="Some words arrive before the line is cut."))
    turn = ask(engine)
    events = await run(turn)
    delivered = text_of(events)
    (reply,) = replies(engine.store, turn.conversation_id)
    assert reply.status is MessageStatus.INTERRUPTED
    assert reply.content == delivered
    assert len(delivered) >= 15
    assert reply.error is not None
    assert reply.error.startswith("stream_interrupted: ")
    assert ended(events).failed_reply == reply.id


@pytest.mark.asyncio
@pytest.mark.parametrize("consumer_awaits", [False, True])
async def test_cancelling_the_consumer_marks_interrupted_and_hangs_up(
    engine: ConversationEngine, fake_openai: FakeOpenAI, consumer_awaits: bool
) -> None:
    """Cancelled while waiting for the stream, or (with aclosing) in the consumer's own await."""
    fake_openai.script(SLOW)
    turn = ask(engine)
    received: list[str] = []
    enough = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(turn.run()) as events:
            async for event in events:
                if isinstance(event, TextStreamed):
                    received.append(event.text)
                    if len(received) == 10:
                        enough.set()
                        if consumer_awaits:
                            await asyncio.sleep(10)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(enough.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Hung up at once: only a hang would take the generous bound.
    assert await asyncio.to_thread(fake_openai.wait_for_disconnects, 1, 30.0)
    await engine.aclose()
    (reply,) = replies(engine.store, turn.conversation_id)
    assert reply.status is MessageStatus.INTERRUPTED
    assert reply.content == "".join(received)
    assert reply.error == "cancelled: Stopped"


@pytest.mark.asyncio
async def test_text_before_a_stall_is_committed_by_the_ticker(
    engine: ConversationEngine, fake_openai: FakeOpenAI, db_path: Path
) -> None:
    fake_openai.script(
        Fault.stall(after=30, seconds=10, text="These words come quickly and then nothing more.")
    )
    turn = ask(engine)
    turn.options = dataclasses.replace(OPTIONS, stall_timeout=4.0)
    delivered: list[str] = []
    events: list[TurnEvent] = []

    async def consume() -> None:
        async with contextlib.aclosing(turn.run()) as stream:
            async for event in stream:
                events.append(event)
                if isinstance(event, TextStreamed):
                    delivered.append(event.text)

    task = asyncio.create_task(consume())
    # The text that came before the pause must reach the file while the stream is still
    # waiting (no further delta will come to trigger a commit): the ticker commits it.
    committed = False
    while not task.done():
        text = "".join(delivered)
        if len(text) >= 30 and committed_reply_text(db_path) == text:
            committed = True
            break
        await asyncio.sleep(0.01)
    assert committed, "the text before the stall was not committed while the stream waited"
    assert replies(engine.store, turn.conversation_id)[0].status is MessageStatus.STREAMING

    await asyncio.wait_for(task, 30)
    await engine.aclose()
    end = ended(events)
    assert isinstance(end.failure, StreamStalledError)
    (reply,) = replies(engine.store, turn.conversation_id)
    assert (reply.status, reply.content) == (MessageStatus.INTERRUPTED, "".join(delivered))


@pytest.mark.asyncio
async def test_long_history_is_trimmed_to_the_window(
    store: Store, engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    conversation = store.create_conversation("long", system_prompt="Be brief.")
    parent = None
    for i in range(8):
        q = store.add_message(conversation.id, parent, Role.USER, f"question {i} " + "word " * 40)
        a = store.add_message(conversation.id, q.id, Role.ASSISTANT, f"answer {i} " + "x " * 40)
        parent = a.id
    options = TurnOptions(max_retries=0, unknown_context_window=600, reserve_tokens=100)
    turn = engine.send(
        conversation.id,
        "the newest question",
        overrides=RequestParams(model="local-model"),
        options=options,
    )
    events = await run(turn)
    (done,) = [e.prepared for e in events if isinstance(e, RequestStarted)]
    sent = fake_openai.chat_requests[0].body["messages"]
    assert done.dropped_messages > 0
    assert len(sent) == 1 + 16 + 1 - done.dropped_messages
    assert sent[0] == {"role": "system", "content": "Be brief."}
    assert sent[-1] == {"role": "user", "content": "the newest question"}
    assert sent[1]["role"] == "user", "a dropped question takes its answer with it"
    assert 0 < done.prompt_tokens <= 500


@pytest.mark.asyncio
async def test_prompt_too_long_for_the_window_fails_without_a_request(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    turn = ask(engine, "word " * 2000, overrides=RequestParams(model="local"))
    turn.options = TurnOptions(max_retries=0, unknown_context_window=1000, reserve_tokens=100)
    events = await run(turn)
    end = ended(events)
    assert isinstance(end.failure, ContextTooLongError)
    assert fake_openai.chat_requests == []
    (reply,) = replies(engine.store, turn.conversation_id)
    assert reply.status is MessageStatus.ERROR
    assert reply.error is not None
    first = reply.error.splitlines()[0]
    assert first == "context_length_exceeded: The conversation is too long for this model"


@pytest.mark.asyncio
async def test_server_reported_usage_decides_what_is_trimmed(
    store: Store, engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    """A local model's tokenizer is unknown: the server's prompt_tokens is the better count."""
    conversation = store.create_conversation("long")
    first = store.add_message(conversation.id, None, Role.USER, "the oldest question")
    store.add_message(
        conversation.id, first.id, Role.ASSISTANT, "the oldest answer", usage=Usage(895, 5, 900)
    )
    options = TurnOptions(max_retries=0, unknown_context_window=1000, reserve_tokens=100)
    turn = engine.send(
        conversation.id,
        "a new question",
        overrides=RequestParams(model="local-model"),
        options=options,
    )
    events = await run(turn)
    # Our own count of those three short messages is far below 900; the server said 895
    # for the first one alone, so the oldest turn has to go.
    (prepared,) = [e.prepared for e in events if isinstance(e, RequestStarted)]
    assert prepared.dropped_messages == 2
    sent = fake_openai.chat_requests[0].body["messages"]
    assert sent == [{"role": "user", "content": "a new question"}]


# -- reasoning ---------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["reasoning_content", "reasoning", "think_tags"])
async def test_reasoning_is_stored_apart_and_never_sent_back(
    engine: ConversationEngine, fake_openai: FakeOpenAI, shape: str
) -> None:
    fake_openai.script(
        Reply(reasoning="The user greets me; greet back.", text="Hello!", shape=shape),
        Reply(text="Fine, thanks."),
    )
    turn = ask(engine)
    events = await run(turn)
    store = engine.store
    (reply,) = replies(store, turn.conversation_id)
    assert reply.reasoning == "The user greets me; greet back."
    assert reply.content == "Hello!"
    assert "".join(e.text for e in events if isinstance(e, ReasoningStreamed)) == reply.reasoning
    assert text_of(events) == "Hello!"
    # The follow-up sends the answer only: no reasoning, no tags.
    await run(engine.send(turn.conversation_id, "How are you?", options=OPTIONS))
    sent = fake_openai.chat_requests[1].body["messages"]
    assert sent == [
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "How are you?"},
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("chunk_size", [None, 3])  # 3: "</think>" is cut across chunks
async def test_reasoning_without_its_opening_tag_is_stored_apart_and_never_sent_back(
    engine: ConversationEngine, fake_openai: FakeOpenAI, chunk_size: int | None
) -> None:
    # The chat template put <think> into the prompt: the model writes its reasoning, then
    # </think>, then the answer, all in the content.
    fake_openai.script(
        Reply(
            reasoning="The user greets me; greet back.",
            text="Hello!",
            shape="think_close",
            chunk_size=chunk_size,
        ),
        Reply(text="Fine, thanks."),
    )
    turn = ask(engine)
    events = await run(turn)
    store = engine.store
    (reply,) = replies(store, turn.conversation_id)
    assert [type(p) for p in reply.parts] == [ReasoningPart, TextPart]
    assert reply.reasoning == "The user greets me; greet back."
    assert reply.content == "Hello!"
    moved = [i for i, e in enumerate(events) if isinstance(e, AnswerBecameReasoning)]
    assert len(moved) == 1
    assert events[moved[0]] == AnswerBecameReasoning(reply.id)
    assert text_of(events[moved[0] :]) == "Hello!"  # the answer follows the event
    await run(engine.send(turn.conversation_id, "How are you?", options=OPTIONS))
    sent = fake_openai.chat_requests[1].body["messages"]
    assert sent == [
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "How are you?"},
    ]


# -- the other kinds of turn ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_edit_and_resend_branches_and_regenerate_adds_a_sibling(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="one"), Reply(text="two"), Reply(text="three"))
    first = ask(engine, "first wording")
    await run(first)
    assert first.question is not None
    edited = engine.edit(first.question.id, "second wording", options=OPTIONS)
    await run(edited)
    store = engine.store
    assert edited.question is not None
    assert edited.question.parent_id is None
    assert [m.content for m in store.roots(first.conversation_id)] == [
        "first wording",
        "second wording",
    ]
    assert [m.content for m in store.branch(first.conversation_id)] == ["second wording", "two"]
    reply = store.branch(first.conversation_id)[-1]
    await run(engine.regenerate(reply.id, options=OPTIONS))
    assert [m.content for m in store.siblings(reply.id)] == ["two", "three"]
    assert store.branch(first.conversation_id)[-1].content == "three"
    assert [r.body["messages"][-1]["content"] for r in fake_openai.chat_requests] == [
        "first wording",
        "second wording",
        "second wording",
    ]


async def _cut_off_reply(engine: ConversationEngine, fake: FakeOpenAI) -> Message:
    fake.script(Reply(text="Roses are red, violets", finish_reason="length"))
    turn = ask(engine, "A poem please")
    await run(turn)
    (reply,) = replies(engine.store, turn.conversation_id)
    assert reply.status is MessageStatus.LENGTH
    return reply


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kind", "instruction", "extra"),
    [
        ("custom", True, None),  # OpenAI and the rest: an instruction, sent but not stored
        ("llamacpp", False, None),  # extends a trailing assistant message itself
        ("vllm", False, {"continue_final_message": True, "add_generation_prompt": False}),
    ],
)
async def test_continue_joins_the_reply_it_continues(
    store: Store,
    fake_openai: FakeOpenAI,
    kind: str,
    instruction: bool,
    extra: dict[str, bool] | None,
) -> None:
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    settings = settings_for(fake_openai, kind=kind)
    engine = ConversationEngine(store, lambda: settings, secrets, env={})
    reply = await _cut_off_reply(engine, fake_openai)
    fake_openai.script(Reply(text=" are blue."))
    events = await run(engine.continue_reply(reply.id, options=OPTIONS))
    after = store.get_message(reply.id)
    assert after.content == "Roses are red, violets are blue."
    assert after.status is MessageStatus.COMPLETE
    # One answer: no extra turn in the store.
    branch = store.branch(reply.conversation_id)
    assert [m.content for m in branch] == ["A poem please", "Roses are red, violets are blue."]
    assert [e.message.id for e in events if isinstance(e, ReplyStarted)] == [reply.id]
    body = fake_openai.chat_requests[-1].body
    sent = body["messages"]
    assert sent[:2] == [
        {"role": "user", "content": "A poem please"},
        {"role": "assistant", "content": "Roses are red, violets"},
    ]
    if instruction:
        assert len(sent) == 3
        assert sent[2]["role"] == "user"
        assert "cut off" in sent[2]["content"]
    else:
        assert len(sent) == 2
    for key in ("continue_final_message", "add_generation_prompt"):
        assert body.get(key) == (extra or {}).get(key)


@pytest.mark.asyncio
async def test_a_failed_continuation_keeps_the_text_it_continued(
    engine: ConversationEngine, fake_openai: FakeOpenAI
) -> None:
    reply = await _cut_off_reply(engine, fake_openai)
    fake_openai.script(Fault.server_error())
    events = await run(engine.continue_reply(reply.id, options=OPTIONS))
    after = engine.store.get_message(reply.id)
    assert after.content == "Roses are red, violets"
    assert after.status is MessageStatus.INTERRUPTED
    assert ended(events).failed_reply == reply.id


@pytest.mark.asyncio
async def test_a_conversation_uses_its_own_provider_profile(
    store: Store, fake_openai: FakeOpenAI
) -> None:
    with FakeOpenAI() as other:
        secrets = MemorySecretStore()
        secrets.set_key("fake", TEST_KEY)
        secrets.set_key("other", TEST_KEY)
        settings = settings_for(fake_openai).with_profile(
            ProviderProfile("other", kind="custom", base_url=other.url)
        )
        engine = ConversationEngine(store, lambda: settings, secrets, env={})
        conversation = store.create_conversation("elsewhere", provider="other")
        other.script(Reply(text="from the other server"))
        await run(engine.send(conversation.id, "hi", options=OPTIONS))
        assert [r.body["messages"][-1]["content"] for r in other.chat_requests] == ["hi"]
    assert fake_openai.chat_requests == []
    assert store.branch(conversation.id)[-1].content == "from the other server"


@pytest.mark.asyncio
async def test_the_first_exchange_names_the_conversation(
    store: Store, fake_openai: FakeOpenAI
) -> None:
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    settings = settings_for(fake_openai).with_value("chat.auto_title", True)
    engine = ConversationEngine(store, lambda: settings, secrets, env={})
    fake_openai.script(
        Reply(text="Use reversed()."), Reply(text='"Reversing Lists."'), Reply(text="Use .rev().")
    )
    conversation = engine.new_conversation("How do I reverse a list in Python?")
    turn = engine.send(conversation.id, "How do I reverse a list in Python?", options=OPTIONS)
    await run(turn)
    assert await engine.name_conversation(conversation.id) == "Reversing Lists"
    # Only after the first exchange: later ones send nothing more.
    await run(engine.send(conversation.id, "And in Rust?", options=OPTIONS))
    assert await engine.name_conversation(conversation.id) is None
    assert len(fake_openai.chat_requests) == 3
    await engine.aclose()
    assert store.get_conversation(conversation.id).title == "Reversing Lists"
