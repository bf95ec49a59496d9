"""The chat controller with real widgets, a real store and the fake server over HTTP (qasync)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kibitz.core.errors import Action
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role
from kibitz.ui.chat_controller import ChatController
from kibitz.ui.notify import Notice
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.composer import Composer
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.support.store_faults import READ_ONLY, TOLD, read_only

# A plain asyncio loop, not qasync: the widgets need no Qt event processing here, and a
# qasync loop's socket notifiers for the fake server's connections must not outlive the test.


class Pane:
    """The chat pane's parts, wired the way the main window wires them."""

    def __init__(self, store: Store, qtbot: QtBot, settings: Settings) -> None:
        self.store = store
        self.view = ChatView(store)
        self.composer = Composer()
        qtbot.addWidget(self.view)
        qtbot.addWidget(self.composer)
        self.notices: list[Notice] = []
        self.settings = settings
        self.runner = TaskRunner()
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.controller = ChatController(
            store,
            self.view,
            self.composer,
            self.runner,
            self.notices.append,
            lambda: self.settings,
            MemorySecretStore(),
            self.executor,
        )

    async def until_idle(self, timeout: float = 10.0) -> None:
        """Wait until no reply or title task runs (awaits; never spins a nested loop)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.controller.busy or self.runner.running_any():
            assert asyncio.get_running_loop().time() < deadline, "the reply never ended"
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.runner.shutdown()
        await self.controller.aclose()
        self.executor.shutdown(wait=True)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kibitz.sqlite3") as opened:
        yield opened


@pytest.fixture
def pane(
    store: Store, qtbot: QtBot, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> Pane:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    return Pane(store, qtbot, Settings())


@pytest.mark.asyncio
async def test_send_stores_the_question_first_and_streams_the_reply(
    pane: Pane, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="Hello **there**.", delay=0.01), Reply(text="A Greeting"))
    pane.composer.set_text("hi")
    pane.controller.send("hi")
    # Committed before the network: the question is in the store at once.
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    assert [m.content for m in pane.store.branch(conversation_id)][:1] == ["hi"]
    assert pane.composer.text == ""
    assert pane.composer.busy
    await pane.until_idle()
    _question, reply = pane.store.branch(conversation_id)
    assert (reply.role, reply.status, reply.content) == (
        Role.ASSISTANT,
        MessageStatus.COMPLETE,
        "Hello **there**.",
    )
    widget = pane.view.message_widget(reply.id)
    assert widget is not None
    assert "Hello there." in widget.plain_text()
    assert not pane.composer.busy
    # The first complete exchange names the conversation.
    assert pane.store.get_conversation(conversation_id).title == "A Greeting"
    await pane.close()


@pytest.mark.asyncio
async def test_reasoning_without_its_opening_tag_shows_in_its_section(
    pane: Pane, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        Reply(
            reasoning="They greet me. Greet back.",
            text="Hello there.",
            shape="think_close",
            delay=0.01,
        ),
        Reply(text="A Greeting"),
    )
    pane.controller.send("hi")
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    await pane.until_idle()
    _question, reply = pane.store.branch(conversation_id)
    assert (reply.reasoning, reply.content) == ("They greet me. Greet back.", "Hello there.")
    widget = pane.view.message_widget(reply.id)
    assert widget is not None
    assert widget.plain_text() == "Hello there."
    section = widget.reasoning_section
    assert not section.isHidden()
    assert not section.expanded
    assert section.text == "They greet me. Greet back."
    await pane.close()


@pytest.mark.asyncio
async def test_stop_keeps_the_partial_reply(pane: Pane, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(words=400, delay=0.02))
    pane.controller.send("tell me a long story")
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    for _ in range(200):
        await asyncio.sleep(0.02)
        reply = pane.store.branch(conversation_id)[-1]
        if reply.role is Role.ASSISTANT and len(reply.content) > 40:
            break
    pane.controller.stop()
    await pane.until_idle()
    reply = pane.store.branch(conversation_id)[-1]
    assert reply.status is MessageStatus.INTERRUPTED
    assert reply.content
    assert fake_openai.wait_for_disconnects(1)
    await pane.close()


@pytest.mark.asyncio
async def test_failure_shows_inline_and_retry_makes_a_sibling(
    pane: Pane, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Fault.http(500))
    pane.settings = Settings().with_value("chat.max_retries", 0)
    pane.controller.send("will this work?")
    await pane.until_idle()
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    failed = pane.store.branch(conversation_id)[-1]
    assert failed.status is MessageStatus.ERROR
    widget = pane.view.message_widget(failed.id)
    assert widget is not None
    assert widget.error_card.isVisibleTo(widget)
    fake_openai.script(Reply(text="Now it works."))
    pane.view.error_action_requested.emit(failed.id, Action.RETRY)
    await pane.until_idle()
    retried = pane.store.branch(conversation_id)[-1]
    assert retried.id != failed.id
    assert retried.parent_id == failed.parent_id
    assert retried.content == "Now it works."
    assert [m.id for m in pane.store.siblings(retried.id)] == [failed.id, retried.id]
    await pane.close()


@pytest.mark.asyncio
async def test_edit_makes_a_new_branch_and_keeps_the_old(
    pane: Pane, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="first answer"), Reply(text="Title"), Reply(text="second"))
    pane.controller.send("first question")
    await pane.until_idle()
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    question = pane.store.branch(conversation_id)[0]
    pane.controller.edit(question.id)
    assert pane.composer.text == "first question"
    pane.controller.send("edited question")
    await pane.until_idle()
    branch = pane.store.branch(conversation_id)
    assert [m.content for m in branch] == ["edited question", "second"]
    assert [m.content for m in pane.store.siblings(branch[0].id)] == [
        "first question",
        "edited question",
    ]
    # Switching back shows the old branch, whole.
    pane.controller.switch_branch(question.id)
    assert [m.content for m in pane.store.branch(conversation_id)] == [
        "first question",
        "first answer",
    ]
    await pane.close()


@pytest.mark.asyncio
async def test_continue_after_a_length_cut(pane: Pane, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(text="cut sho", finish_reason="length"), Reply(text="rt, done."))
    pane.controller.send("write a lot")
    await pane.until_idle()
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    cut = pane.store.branch(conversation_id)[-1]
    assert cut.status is MessageStatus.LENGTH
    pane.view.continue_requested.emit(cut.id)
    await pane.until_idle()
    # One answer: the continuation joins the reply, in the store and on screen.
    branch = pane.store.branch(conversation_id)
    assert [m.content for m in branch] == ["write a lot", "cut short, done."]
    assert branch[-1].id == cut.id
    assert branch[-1].status is MessageStatus.COMPLETE
    widget = pane.view.message_widget(cut.id)
    assert widget is not None
    assert "cut short, done." in widget.plain_text()
    await pane.close()


@pytest.mark.asyncio
async def test_no_key_shows_the_error_on_the_reply(
    pane: Pane, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    requested: list[str] = []
    pane.controller.setup_requested.connect(requested.append)
    pane.controller.send("hello?")
    await pane.until_idle()
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    question, reply = pane.store.branch(conversation_id)
    assert question.content == "hello?"
    assert reply.status is MessageStatus.ERROR
    assert reply.error is not None
    assert reply.error.startswith("no_api_key")
    assert fake_openai.chat_requests == []
    pane.view.error_action_requested.emit(reply.id, Action.SET_KEY)
    assert requested == ["set_key"]
    await pane.close()


@pytest.mark.asyncio
async def test_ctrl_r_regenerates_and_alt_arrows_switch_versions(
    pane: Pane, fake_openai: FakeOpenAI
) -> None:
    pane.settings = pane.settings.with_value("chat.auto_title", False)
    fake_openai.script(Reply(text="First answer."), Reply(text="Second answer."))
    pane.controller.regenerate_last()  # nothing open: nothing happens
    pane.controller.send("question")
    await pane.until_idle()
    conversation_id = pane.controller.conversation_id
    assert conversation_id is not None
    pane.controller.regenerate_last()
    await pane.until_idle()
    first, second = (
        m for m in pane.store.all_messages(conversation_id) if m.role is Role.ASSISTANT
    )
    assert (first.content, second.content) == ("First answer.", "Second answer.")
    assert first.parent_id == second.parent_id  # versions of one reply, not a follow-up

    def current() -> str:
        return pane.store.branch(conversation_id)[-1].content

    assert current() == "Second answer."
    pane.controller.step_last_reply(-1)
    assert current() == "First answer."
    widget = pane.view.message_widget(first.id)
    assert widget is not None
    assert "First answer." in widget.plain_text()
    pane.controller.step_last_reply(-1)  # already the first: stays
    assert current() == "First answer."
    pane.controller.step_last_reply(1)
    assert current() == "Second answer."
    # The reply's own ‹ arrow: the view says which way, the controller switches.
    pane.view.sibling_step_requested.emit(second.id, -1)
    assert current() == "First answer."
    await pane.close()


@pytest.mark.asyncio
async def test_a_store_that_refuses_the_question_keeps_it_and_says_so(
    pane: Pane, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Reply(text="Now it works."))
    conversation = pane.store.create_conversation("Full disk")
    pane.controller.open_conversation(conversation.id)
    pane.composer.set_text("keep me")
    with read_only(pane.store):
        pane.controller.send("keep me")
    # Nothing sent, nothing lost: the text is still in the composer, the user is told why.
    assert pane.store.branch(conversation.id) == []
    assert pane.composer.text == "keep me"
    assert not pane.controller.busy
    (notice,) = pane.notices
    headline, hint = TOLD[READ_ONLY]
    assert notice.text == f"Could not send your message. {headline}: {READ_ONLY}. {hint}"
    assert (notice.kind, notice.action_text) == ("error", "Retry")
    # Once the store takes writes again, Retry sends it.
    assert notice.on_action is not None
    notice.on_action()
    await pane.until_idle()
    assert [m.content for m in pane.store.branch(conversation.id)] == ["keep me", "Now it works."]
    assert pane.composer.text == ""
    await pane.close()
