"""The engine's tool loop, for real: the fake OpenAI server streams tool calls in each server's
shape, a real ToolHub runs them on our MCP test server (a real stdio process), a real store
file keeps every part. The approver stands in for the user's answer (the window's card, the
CLI's y/N)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from kibitz.core.conversation.engine import ConversationEngine
from kibitz.core.conversation.events import (
    ParameterLeftOut,
    ToolCallFinished,
    ToolCallRunning,
    ToolCallStarted,
    TurnEnded,
    TurnEvent,
)
from kibitz.core.conversation.tool_calls import ToolUse
from kibitz.core.errors import ToolLoopLimitError
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.tools import (
    DECLINED_TEXT,
    MAX_TOOL_ROUNDS,
    Approval,
    PendingCall,
    Policy,
    ToolSpec,
)
from kibitz.core.tools.approval import decide
from kibitz.core.tools.mcp import ToolHub
from kibitz.core.types import (
    ImagePart,
    MessageStatus,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)
from tests.integration.chat_support import TEST_KEY
from tests.integration.test_conversation_engine import OPTIONS, run, settings_for
from tests.support.fake_openai import FakeOpenAI, Reply, ToolCall
from tests.support.fake_openai.script import Fault
from tests.support.mcp_server import stdio_server

HANG = 120.0  # only a hang fails: the server's first start imports the SDK on a busy machine


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


def tool_settings(fake: FakeOpenAI, **tools: object) -> Settings:
    settings = settings_for(fake).with_server(stdio_server("notes"))
    for name, value in tools.items():
        settings = settings.with_value(f"tools.{name}", value)
    return settings


@pytest_asyncio.fixture
async def hub(fake_openai: FakeOpenAI) -> AsyncIterator[ToolHub]:
    tools_hub = ToolHub(tool_settings(fake_openai).tools, MemorySecretStore())
    try:
        yield tools_hub
    finally:
        async with asyncio.timeout(HANG):
            await tools_hub.aclose()


class User:
    """Answers approvals in turn, and remembers what it was asked."""

    def __init__(self, *answers: Approval) -> None:
        self.answers = list(answers)
        self.asked: list[PendingCall] = []

    async def __call__(self, pending: PendingCall) -> Approval:
        self.asked.append(pending)
        return self.answers.pop(0)


def engine_for(store: Store, settings: Settings) -> ConversationEngine:
    secrets = MemorySecretStore()
    secrets.set_key("fake", TEST_KEY)
    return ConversationEngine(store, lambda: settings, secrets, env={})


def use(hub: ToolHub, settings: Settings, user: User, kept: list[str] | None = None) -> ToolUse:
    servers = {s.name: s for s in settings.tools.servers}

    def policy(spec: ToolSpec) -> Policy:
        return decide(spec, servers[spec.server], settings.tools)

    def always(spec: ToolSpec) -> None:
        if kept is not None:
            kept.append(spec.name)

    return ToolUse(hub, policy, user, always)


async def ask(
    store: Store, settings: Settings, tools: ToolUse | None, text: str
) -> tuple[list[TurnEvent], int]:
    engine = engine_for(store, settings)
    conversation = engine.new_conversation(text)
    turn = engine.send(conversation.id, text, options=OPTIONS).with_tools(tools)
    async with asyncio.timeout(HANG):
        events = await run(turn)
    return events, conversation.id


def reply_parts(store: Store, conversation_id: int) -> list[object]:
    return list(store.branch(conversation_id)[-1].parts)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", ["openai", "vllm", "llama.cpp", "ollama"])
@pytest.mark.asyncio
async def test_an_approved_call_runs_and_the_answer_follows_in_one_reply(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub, dialect: str
) -> None:
    settings = tool_settings(fake_openai)
    fake_openai.script(
        Reply(tool_calls=[ToolCall("lookup", {"key": "capital"})], text=None, dialect=dialect),
        Reply(text="The value is the capital."),
    )
    user = User(Approval.ALLOW_ONCE)
    events, cid = await ask(store, settings, use(hub, settings, user), "What is capital?")

    end = events[-1]
    assert isinstance(end, TurnEnded)
    assert end.failure is None
    (asked,) = user.asked
    assert (asked.spec.server, asked.spec.name, dict(asked.arguments)) == (
        "notes",
        "lookup",
        {"key": "capital"},
    )
    kinds = [
        type(e).__name__
        for e in events
        if isinstance(e, ToolCallStarted | ToolCallRunning | ToolCallFinished)
    ]
    assert kinds == ["ToolCallStarted", "ToolCallRunning", "ToolCallFinished"]
    _question, reply = store.branch(cid)
    assert reply.status is MessageStatus.COMPLETE
    # The inspector's record of both requests (tools offered, then the call and its result
    # sent back) is what the server received, byte for byte.
    recorded = [e.record["body"].encode() for e in store.exchanges(reply.id)]
    assert recorded == [r.raw for r in fake_openai.chat_requests]
    assert len(recorded) == 2
    call, result, answer = reply.parts
    assert isinstance(call, ToolCallPart)
    assert (call.name, call.server, call.tool) == ("lookup", "notes", "lookup")
    assert json.loads(call.arguments) == {"key": "capital"}
    assert isinstance(result, ToolResultPart)
    assert (result.tool_call_id, result.content, result.status) == (
        call.id,
        "value of capital",
        ToolStatus.OK,
    )
    assert result.seconds is not None
    assert answer == TextPart("The value is the capital.")
    # Both requests offered the tools; the second sent the call and its result back.
    first, second = fake_openai.chat_requests
    assert [t["function"]["name"] for t in first.tools or []] == [
        t["function"]["name"] for t in second.tools or []
    ]
    assert "lookup" in [t["function"]["name"] for t in first.tools or []]
    sent = second.messages
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[1]["tool_calls"][0]["id"] == call.id
    assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "value of capital"}


@pytest.mark.asyncio
async def test_a_denied_call_tells_the_model_the_user_declined(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai)
    fake_openai.script(
        Reply(tool_calls=[ToolCall("delete_note", {"note_id": "7"})], text=None),
        Reply(text="I did not delete it."),
    )
    user = User(Approval.DENY)
    events, cid = await ask(store, settings, use(hub, settings, user), "Delete note 7")

    assert events[-1].failure is None  # type: ignore[attr-defined]
    assert user.asked[0].spec.destructive
    _call, result, _answer = store.branch(cid)[-1].parts
    assert isinstance(result, ToolResultPart)
    assert (result.status, result.content, result.is_error) == (
        ToolStatus.DENIED,
        DECLINED_TEXT,
        True,
    )
    assert fake_openai.chat_requests[1].messages[-1]["content"] == DECLINED_TEXT
    # Not run: the server never saw the call (a denied destructive call deletes nothing).
    assert not [e for e in events if isinstance(e, ToolCallRunning)]


@pytest.mark.asyncio
async def test_read_only_tools_run_unasked_when_allowed_and_destructive_ones_still_ask(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai, allow_read_only=True).with_server(
        stdio_server("notes", policy="allow")
    )
    fake_openai.script(
        Reply(
            tool_calls=[
                ToolCall("lookup", {"key": "a"}),
                ToolCall("delete_note", {"note_id": "1"}),
            ],
            text=None,
        ),
        Reply(text="Done."),
    )
    user = User(Approval.ALLOW_ONCE)
    _, cid = await ask(store, settings, use(hub, settings, user), "Look up a, delete 1")

    assert [p.spec.name for p in user.asked] == ["delete_note"]
    parts = store.branch(cid)[-1].parts
    # Parallel calls are stored together, then their results, as the model made them.
    assert [type(p).__name__ for p in parts] == [
        "ToolCallPart",
        "ToolCallPart",
        "ToolResultPart",
        "ToolResultPart",
        "TextPart",
    ]
    assert [p.content for p in parts if isinstance(p, ToolResultPart)] == [
        "value of a",
        "deleted 1",
    ]
    sent = fake_openai.chat_requests[1].messages
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    assert len(sent[1]["tool_calls"]) == 2


@pytest.mark.asyncio
async def test_always_allow_is_handed_to_the_caller_to_keep(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai)
    fake_openai.script(
        Reply(tool_calls=[ToolCall("lookup", {"key": "b"})], text=None), Reply(text="ok")
    )
    kept: list[str] = []
    await ask(store, settings, use(hub, settings, User(Approval.ALWAYS_ALLOW), kept), "b?")
    assert kept == ["lookup"]


@pytest.mark.asyncio
async def test_failures_go_back_to_the_model_as_error_results(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai).with_server(stdio_server("notes", policy="allow"))
    fake_openai.script(
        Reply(
            tool_calls=[
                ToolCall("fail", {"message": "disk on fire"}),
                ToolCall("no_such_tool", {}),
                ToolCall("lookup", "{not json"),
            ],
            text=None,
        ),
        Reply(text="Sorry."),
    )
    events, cid = await ask(store, settings, use(hub, settings, User()), "Try things")

    assert events[-1].failure is None  # type: ignore[attr-defined]
    results = [p for p in store.branch(cid)[-1].parts if isinstance(p, ToolResultPart)]
    assert [r.status for r in results] == [ToolStatus.ERROR] * 3
    assert all(r.is_error for r in results)
    assert "fail" in results[0].content or "disk on fire" in results[0].content
    assert "no tool named no_such_tool" in results[1].content
    assert "not valid JSON" in results[2].content
    tool_messages = [m for m in fake_openai.chat_requests[1].messages if m["role"] == "tool"]
    assert len(tool_messages) == 3


@pytest.mark.asyncio
async def test_an_image_a_tool_returns_is_kept_as_an_image_part(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai).with_server(stdio_server("notes", policy="allow"))
    fake_openai.script(Reply(tool_calls=[ToolCall("image", {})], text=None), Reply(text="A dot."))
    _, cid = await ask(store, settings, use(hub, settings, User()), "Draw")
    images = [p for p in store.branch(cid)[-1].parts if isinstance(p, ImagePart)]
    (image,) = images
    assert image.mime_type == "image/png"
    assert store.blob(image.blob)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.asyncio
async def test_the_loop_stops_after_the_round_limit_keeping_everything(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai).with_server(stdio_server("notes", policy="allow"))
    fake_openai.script(
        *[
            Reply(tool_calls=[ToolCall("lookup", {"key": str(i)})], text=None)
            for i in range(MAX_TOOL_ROUNDS + 2)
        ]
    )
    events, cid = await ask(store, settings, use(hub, settings, User()), "Loop")

    end = events[-1]
    assert isinstance(end, TurnEnded)
    assert isinstance(end.failure, ToolLoopLimitError)
    assert len(fake_openai.chat_requests) == MAX_TOOL_ROUNDS
    reply = store.branch(cid)[-1]
    results = [p for p in reply.parts if isinstance(p, ToolResultPart)]
    assert len(results) == MAX_TOOL_ROUNDS - 1
    assert reply.status is MessageStatus.INTERRUPTED


@pytest.mark.asyncio
async def test_cancelling_while_the_user_is_asked_keeps_the_call_and_ends_the_reply(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai)
    fake_openai.script(Reply(tool_calls=[ToolCall("lookup", {"key": "c"})], text=None))
    asked = asyncio.Event()

    async def never_answers(pending: PendingCall) -> Approval:
        asked.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    servers = {s.name: s for s in settings.tools.servers}
    tools = ToolUse(hub, lambda s: decide(s, servers[s.server], settings.tools), never_answers)
    engine = engine_for(store, settings)
    conversation = engine.new_conversation("c?")
    turn = engine.send(conversation.id, "c?", options=OPTIONS).with_tools(tools)
    task = asyncio.create_task(run(turn))
    async with asyncio.timeout(HANG):
        await asked.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reply = store.branch(conversation.id)[-1]
    assert reply.status is MessageStatus.INTERRUPTED
    assert [type(p).__name__ for p in reply.parts] == ["ToolCallPart"]


@pytest.mark.asyncio
async def test_a_model_that_refuses_tools_is_asked_again_without_and_never_offered_them_again(
    store: Store, fake_openai: FakeOpenAI, hub: ToolHub
) -> None:
    settings = tool_settings(fake_openai)
    fake_openai.script(Fault.tools_not_supported("ollama"), Reply(text="Without tools."))
    events, cid = await ask(store, settings, use(hub, settings, User()), "Anything")
    end = events[-1]
    assert isinstance(end, TurnEnded)
    assert end.failure is None
    [told] = [e for e in events if isinstance(e, ParameterLeftOut)]
    assert (told.model, told.param) == ("gpt-4o-mini", "tools")
    first, again = fake_openai.chat_requests
    assert first.tools is not None
    assert again.tools is None
    question, reply = store.branch(cid)
    assert (question.content, reply.content) == ("Anything", "Without tools.")

    fake_openai.script(Reply(text="Still none."))
    events, _ = await ask(store, settings, use(hub, settings, User()), "More")
    assert not [e for e in events if isinstance(e, ParameterLeftOut)]  # told once
    assert fake_openai.chat_requests[-1].tools is None


@pytest.mark.asyncio
async def test_without_tools_nothing_is_offered(store: Store, fake_openai: FakeOpenAI) -> None:
    settings = tool_settings(fake_openai)
    fake_openai.script(Reply(text="Plain."))
    events, _ = await ask(store, settings, None, "Hi")
    assert events[-1].failure is None  # type: ignore[attr-defined]
    assert fake_openai.chat_requests[0].tools is None
