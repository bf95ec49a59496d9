"""Tools in the main window, for real: the fake OpenAI server scripts tool calls, the window's
ToolHub runs them on our MCP test server (a stdio process), a real SQLite store keeps every
part. Approvals are answered with real keys and clicks on the approval card: Return runs the
call and its result goes back, Escape declines, "Always allow" keeps the policy; a read-only
tool runs without a card when allowed; the toggle off sends no tools; a cancel while the card
waits leaves the call unrun; destructive tools say so; a huge result stays capped; a refused
`tools` offers "Send without tools"; a stored turn reopens with its cards."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from types import MappingProxyType

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QToolButton
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI, Fault, Reply, ToolCall
from tests.support.mcp_server import stdio_server
from tests.unit.ui.attachment_window import TEST_KEY, composer_edit, fake_settings, until

from kibitz.core.paths import AppPaths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings, load_settings
from kibitz.core.store import Store
from kibitz.core.tools import DECLINED_TEXT, MAX_TOOL_ROUNDS
from kibitz.core.transfer import export_json_file, import_file
from kibitz.core.types import (
    ConversationId,
    ImagePart,
    Message,
    MessageStatus,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.main_window import MainWindow
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.message_attachments import MessageAttachments
from kibitz.ui.views.message_widget import MessageWidget
from kibitz.ui.views.reply_layout import CardState
from kibitz.ui.views.tool_approval import ToolApprovalCard
from kibitz.ui.views.tool_card import ToolCallCard
from kibitz.ui.views.tool_text import SHOWN_ALL_CHARS, SHOWN_RESULT_CHARS

# The SDK's first import and a server's start on a busy machine: only a hang fails.
WAIT = 90.0


def tool_settings(
    fake: FakeOpenAI, policies: dict[str, str] | None = None, **values: object
) -> Settings:
    """The fake provider and our MCP test server as "notes" (tools' own policies given)."""
    server = stdio_server("notes", tool_policies=MappingProxyType(policies or {}))
    return fake_settings(fake, **values).with_server(server)


@pytest.fixture
def settings(request: pytest.FixtureRequest, fake: FakeOpenAI) -> Settings:
    """tool_settings(fake, **param) for a test parametrized with indirect=["settings"]."""
    return tool_settings(fake, **getattr(request, "param", {}))


@asynccontextmanager
async def running_window(
    qtbot: QtBot, store: Store, paths: AppPaths, settings: Settings
) -> AsyncIterator[MainWindow]:
    """A shown MainWindow as the app builds it; at the end its tool servers stop (before the
    window goes, as at quit)."""
    executor = ThreadPoolExecutor(max_workers=1)
    secrets = SessionSecretStore(MemorySecretStore())
    secrets.set_key("fake", TEST_KEY, remember=False)
    runner = TaskRunner()
    main = MainWindow(
        store, paths, SettingsHolder(settings, paths.settings_file), secrets, runner, executor
    )
    try:
        main.resize(1100, 760)
        main.show()
        qtbot.waitExposed(main)
        main.activateWindow()
        yield main
    finally:
        await runner.shutdown()
        await main.chat.aclose()  # the HTTP client's connections
        await main.tools.aclose()
        main.close()
        main.deleteLater()
        executor.shutdown(wait=True)


@pytest_asyncio.fixture
async def window(
    qtbot: QtBot, store: Store, paths: AppPaths, settings: Settings
) -> AsyncIterator[MainWindow]:
    async with running_window(qtbot, store, paths, settings) as main:
        yield main


# -- helpers -------------------------------------------------------------------------------------


def ask(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type a question and press Return, as a user does."""
    edit = composer_edit(window)
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def approval(window: MainWindow) -> ToolApprovalCard | None:
    cards = [c for c in window.chat_view.findChildren(ToolApprovalCard) if c.isVisible()]
    return cards[-1] if cards else None


async def armed_card(window: MainWindow) -> ToolApprovalCard:
    """The approval card once it is shown and takes keys."""
    await until(lambda: (c := approval(window)) is not None and c.armed, "the approval card", WAIT)
    card = approval(window)
    assert card is not None
    return card


def conversation(window: MainWindow) -> ConversationId:
    cid = window.chat.conversation_id
    assert cid is not None
    return cid


def last_reply(store: Store, cid: ConversationId) -> Message:
    last = store.branch(cid)[-1]
    assert last.role is Role.ASSISTANT
    return last


def answered(store: Store, window: MainWindow) -> bool:
    cid = window.chat.conversation_id
    # The composer too: it takes Return again only once the runner has said the reply ended
    # (a moment after its task is done), and the next question is typed right after this.
    if cid is None or window.chat.busy or window.composer.busy:
        return False
    last = store.branch(cid)[-1]
    return last.role is Role.ASSISTANT and last.status is not MessageStatus.STREAMING


def reply_widget(window: MainWindow) -> MessageWidget:
    widgets = [w for w in window.chat_view.message_widgets() if w.message.role is Role.ASSISTANT]
    assert widgets
    return widgets[-1]


def reply_text(window: MainWindow) -> str:
    """The answer shown so far ("" before the reply shows)."""
    widgets = [w for w in window.chat_view.message_widgets() if w.message.role is Role.ASSISTANT]
    return widgets[-1].plain_text() if widgets else ""


def cards(window: MainWindow) -> list[ToolCallCard]:
    steps = reply_widget(window).steps_view
    return steps.cards() if steps is not None else []


def tool_messages(fake: FakeOpenAI, request: int) -> list[dict[str, object]]:
    return [m for m in fake.chat_requests[request].messages if m["role"] == "tool"]


# -- approvals -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_return_runs_the_call_its_result_goes_back_and_the_answer_is_stored(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(text="Let me look.", tool_calls=[ToolCall("lookup", {"key": "release"})]),
        Reply(text="The release is value of release."),
    )
    ask(qtbot, window, "When is the release?")
    status = window.composer.findChild(QLabel, "ComposerStatus")
    assert status is not None
    assert status.text().endswith("Starting tool servers…")
    card = await armed_card(window)
    assert status.text().endswith("Waiting for your approval (Return allows, Esc denies)…")
    assert card.headline.text() == "Run “lookup” on notes?"
    assert '"key": "release"' in card.arguments.toPlainText()
    assert card.hasFocus(), "the approval takes the keyboard"
    assert card.allow_always.isVisibleTo(card)
    assert not card.destructive_note.isVisibleTo(card)
    (waiting,) = [c for c in cards(window) if c.state is CardState.ASKING]
    assert not waiting.isVisible(), "the card stands in the call's place"

    qtbot.keyClick(card, Qt.Key.Key_Return)
    await until(lambda: answered(store, window), "the answer", WAIT)

    reply = last_reply(store, conversation(window))
    assert reply.status is MessageStatus.COMPLETE
    text, call, result, answer = reply.parts
    assert text == TextPart("Let me look.")
    assert isinstance(call, ToolCallPart)
    assert (call.name, call.server, json.loads(call.arguments)) == (
        "lookup",
        "notes",
        {"key": "release"},
    )
    assert isinstance(result, ToolResultPart)
    assert (result.content, result.status) == ("value of release", ToolStatus.OK)
    assert answer == TextPart("The release is value of release.")
    assert [t["function"]["name"] for t in fake.chat_requests[0].tools or []].count("lookup") == 1
    (sent,) = tool_messages(fake, 1)
    assert sent["content"] == "value of release"
    assert approval(window) is None
    (shown,) = cards(window)
    assert shown.isVisible()
    assert shown.state is CardState.DONE
    assert shown.status.startswith("Done in ")
    widget = reply_widget(window)
    assert widget.steps_view is not None
    assert widget.steps_view.texts() == ["Let me look."]
    assert widget.plain_text() == "The release is value of release."
    assert composer_edit(window).hasFocus(), "the keyboard goes back to the composer"


@pytest.mark.asyncio
async def test_escape_declines_and_the_model_is_told(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(tool_calls=[ToolCall("lookup", {"key": "secret"})]),
        Reply(text="Understood, I will not look."),
    )
    ask(qtbot, window, "Look up the secret")
    card = await armed_card(window)
    qtbot.keyClick(card, Qt.Key.Key_Escape)
    await until(lambda: answered(store, window), "the answer", WAIT)

    (sent,) = tool_messages(fake, 1)
    assert sent["content"] == DECLINED_TEXT
    reply = last_reply(store, conversation(window))
    results = [p for p in reply.parts if isinstance(p, ToolResultPart)]
    assert [r.status for r in results] == [ToolStatus.DENIED]
    (shown,) = cards(window)
    assert (shown.state, shown.status) == (CardState.DECLINED, "Declined")
    assert reply.content == "Understood, I will not look."


@pytest.mark.asyncio
async def test_always_allow_keeps_the_policy_and_the_next_call_runs_without_asking(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI, paths: AppPaths
) -> None:
    fake.script(
        Reply(tool_calls=[ToolCall("lookup", {"key": "a"})]),
        Reply(text="First."),
        Reply(tool_calls=[ToolCall("lookup", {"key": "b"})]),
        Reply(text="Second."),
    )
    ask(qtbot, window, "Look up a")
    card = await armed_card(window)
    qtbot.mouseClick(card.allow_always, Qt.MouseButton.LeftButton)
    await until(lambda: answered(store, window), "the first answer", WAIT)
    server = window.tools.hub.settings.server("notes")
    assert server is not None
    assert dict(server.tool_policies) == {"lookup": "allow"}
    saved = load_settings(paths.settings_file).settings.tools.server("notes")
    assert saved is not None
    assert dict(saved.tool_policies) == {"lookup": "allow"}

    ask(qtbot, window, "Look up b")
    # No card is answered here: the turn ends only if none was needed.
    await until(lambda: answered(store, window) and len(fake.chat_requests) == 4, "b", WAIT)
    assert last_reply(store, conversation(window)).content == "Second."
    (sent,) = tool_messages(fake, 3)[-1:]
    assert sent["content"] == "value of b"


@pytest.mark.asyncio
@pytest.mark.parametrize("settings", [{"tools__allow_read_only": True}], indirect=True)
async def test_a_read_only_tool_runs_without_a_card_when_read_only_tools_are_allowed(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(tool_calls=[ToolCall("lookup", {"key": "k"})]),
        Reply(text="Found it."),
    )
    ask(qtbot, window, "Look up k")
    await until(lambda: answered(store, window), "the answer", WAIT)
    assert last_reply(store, conversation(window)).status is MessageStatus.COMPLETE
    (sent,) = tool_messages(fake, 1)
    assert sent["content"] == "value of k"
    assert [c.state for c in cards(window)] == [CardState.DONE]


@pytest.mark.asyncio
async def test_a_destructive_tool_says_so_and_cannot_be_always_allowed(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(tool_calls=[ToolCall("delete_note", {"note_id": "n-17"})]),
        Reply(text="Deleted."),
    )
    ask(qtbot, window, "Delete note n-17")
    card = await armed_card(window)
    assert card.destructive_note.isVisibleTo(card)
    assert "delete or change data" in card.destructive_note.text()
    assert not card.allow_always.isVisibleTo(card)
    qtbot.mouseClick(card.allow_once, Qt.MouseButton.LeftButton)
    await until(lambda: answered(store, window), "the answer", WAIT)
    (sent,) = tool_messages(fake, 1)
    assert sent["content"] == "deleted n-17"


# -- the toggle ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_toggle_off_sends_no_tools_and_is_kept_with_the_conversation(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    button = window.composer.tools_button
    assert button.isVisible()
    assert button.isChecked()
    assert button.accessibleName() == "Tools"
    assert button.text() == "1 server"
    assert "Tools on" in button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isChecked()
    assert button.text() == "Off"
    assert "Tools off" in button.toolTip()

    fake.script(Reply(text="No tools here."))
    ask(qtbot, window, "Answer without tools")
    await until(lambda: answered(store, window), "the answer", WAIT)
    request = fake.chat_requests[0]
    assert request.tools is None
    assert "tools" not in request.body
    cid = conversation(window)
    assert store.get_conversation(cid).params.tools is False

    window.new_chat()
    assert button.isChecked(), "a new chat offers tools again"
    window.chat.open_conversation(cid)
    assert not button.isChecked(), "the conversation went without tools"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert store.get_conversation(cid).params.tools is None
    fake.script(Reply(text="Now with tools."))
    ask(qtbot, window, "And now?")
    await until(lambda: answered(store, window) and len(fake.chat_requests) == 2, "it", WAIT)
    offered = fake.chat_requests[1].tools or []
    assert "lookup" in [t["function"]["name"] for t in offered]
    assert button.text() == f"{len(offered)} tools", "the count once the server is up"
    assert "tools" not in fake.chat_requests[1].body["messages"][-1]


@pytest.mark.asyncio
async def test_without_an_enabled_server_the_button_asks_for_settings(
    qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI
) -> None:
    async with running_window(qtbot, store, paths, fake_settings(fake)) as window:
        button = window.composer.tools_button
        assert button.isVisible()
        assert not button.isChecked()
        assert "no MCP server is enabled" in button.toolTip()
        with qtbot.waitSignal(window.chat.setup_requested) as opened:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert opened.args == ["open_tools"]
        assert not button.isChecked()
        fake.script(Reply(text="Plain."))
        ask(qtbot, window, "Hello")
        await until(lambda: answered(store, window), "the answer", WAIT)
        assert fake.chat_requests[0].tools is None


# -- cancelling, errors and limits -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_stopping_while_the_card_waits_removes_it_and_the_call_is_not_run(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(Reply(tool_calls=[ToolCall("delete_note", {"note_id": "keep-me"})]))
    ask(qtbot, window, "Delete keep-me")
    await armed_card(window)
    stop = window.composer.findChild(QPushButton, "SendButton")
    assert stop is not None
    qtbot.mouseClick(stop, Qt.MouseButton.LeftButton)
    await until(lambda: answered(store, window), "the stop", WAIT)

    assert approval(window) is None
    reply = last_reply(store, conversation(window))
    assert reply.status is MessageStatus.INTERRUPTED
    assert not [p for p in reply.parts if isinstance(p, ToolResultPart)]
    assert len(fake.chat_requests) == 1, "nothing went back to the model"
    (shown,) = cards(window)
    assert shown.isVisible()
    assert (shown.state, shown.status) == (CardState.NOT_RUN, "Not run")


@pytest.mark.asyncio
async def test_escape_with_no_card_up_still_stops_the_reply(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text="word " * 400, chars_per_sec=200))
    ask(qtbot, window, "Talk slowly")
    await until(lambda: "word" in reply_text(window), "the reply to start", WAIT)
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Escape)
    await until(lambda: answered(store, window), "the stop", WAIT)
    assert last_reply(store, conversation(window)).status is MessageStatus.INTERRUPTED


@pytest.mark.asyncio
async def test_a_model_refusing_tools_is_asked_again_without_them_and_it_is_said_once(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(Fault.tools_not_supported("ollama"), Reply(text="Fine without tools."))
    ask(qtbot, window, "Use a tool")
    await until(lambda: answered(store, window), "the answer", WAIT)

    assert last_reply(store, conversation(window)).content == "Fine without tools."
    assert [r.tools is None for r in fake.chat_requests] == [False, True]
    assert not reply_widget(window).error_card.isVisible()
    notice = window.notices.current
    assert notice is not None
    assert "does not take tools" in notice.text


@pytest.mark.asyncio
async def test_a_server_refusing_the_tools_offered_offers_to_send_without_them(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    # A tool's schema refused (not tools as such): nothing is learned, the user decides.
    schema_refused = {
        "error": {
            "message": "Invalid schema for function 'lookup': 'object' is not valid.",
            "type": "invalid_request_error",
            "param": "tools[0].function.parameters",
            "code": "invalid_function_parameters",
        }
    }
    fake.script(Fault.http(400, schema_refused), Reply(text="Fine without tools."))
    ask(qtbot, window, "Use a tool")
    await until(lambda: answered(store, window), "the refusal", WAIT)
    error = reply_widget(window).error_card
    assert error.isVisible()
    assert error.action_text == "Send without tools"
    qtbot.mouseClick(error.findChild(QPushButton), Qt.MouseButton.LeftButton)
    await until(lambda: answered(store, window) and len(fake.chat_requests) == 2, "it", WAIT)

    assert fake.chat_requests[1].tools is None
    assert last_reply(store, conversation(window)).content == "Fine without tools."
    assert store.get_conversation(conversation(window)).params.tools is False
    assert not window.composer.tools_button.isChecked()


@pytest.mark.asyncio
@pytest.mark.parametrize("settings", [{"tools__allow_read_only": True}], indirect=True)
async def test_the_round_limit_shows_on_the_reply(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(
        *(Reply(tool_calls=[ToolCall("lookup", {"key": str(i)})]) for i in range(MAX_TOOL_ROUNDS))
    )
    ask(qtbot, window, "Keep looking")
    await until(lambda: answered(store, window), "the limit", WAIT)
    error = reply_widget(window).error_card
    assert error.isVisible()
    assert error.headline == "Stopped after 10 rounds of tool calls"
    assert len(cards(window)) == MAX_TOOL_ROUNDS - 1
    assert all(c.state is CardState.DONE for c in cards(window))


# -- results ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("settings", [{"policies": {"huge": "allow"}}], indirect=True)
async def test_a_huge_result_is_shown_capped(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(tool_calls=[ToolCall("huge", {"megabytes": 2})]),
        Reply(text="That was long."),
    )
    ask(qtbot, window, "Give me a lot")
    await until(lambda: answered(store, window), "the answer", WAIT)
    reply = last_reply(store, conversation(window))
    (result,) = [p for p in reply.parts if isinstance(p, ToolResultPart)]
    (card,) = cards(window)
    qtbot.mouseClick(card.header, Qt.MouseButton.LeftButton)
    assert card.is_open
    shown = card.result_text()
    assert SHOWN_RESULT_CHARS - 2_000 <= len(shown) <= SHOWN_RESULT_CHARS
    assert card.result_note() == f"Showing {len(shown):,} of {len(result.content):,} characters."
    assert '"megabytes": 2' in card.arguments_text()
    (more,) = [b for b in card.findChildren(QToolButton) if b.text() == "Show all"]
    qtbot.mouseClick(more, Qt.MouseButton.LeftButton)
    assert len(card.result_text()) == min(len(result.content), SHOWN_ALL_CHARS)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "settings", [{"policies": {"image": "allow"}, "tools__allow_read_only": True}], indirect=True
)
async def test_an_image_a_tool_returned_shows_with_its_call_and_the_turn_reopens_with_cards(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(
            text="Two things.",
            tool_calls=[ToolCall("image", {}), ToolCall("lookup", {"key": "z"})],
        ),
        Reply(text="Here they are."),
    )
    ask(qtbot, window, "Show me")
    await until(lambda: answered(store, window), "the answer", WAIT)
    cid = conversation(window)
    reply = last_reply(store, cid)
    (image,) = [p for p in reply.parts if isinstance(p, ImagePart)]
    first, second = cards(window)
    (pictures,) = first.findChildren(MessageAttachments)
    assert pictures.parts == (image,)
    assert not second.findChildren(MessageAttachments)
    assert reply_widget(window).attachments_view is None, "not again below the answer"

    window.new_chat()
    window.chat.open_conversation(cid)
    reopened = cards(window)
    assert [(c.step.call.name, c.state) for c in reopened] == [
        ("image", CardState.DONE),
        ("lookup", CardState.DONE),
    ]
    assert [c.status.startswith("Done in ") for c in reopened] == [True, True]
    widget = reply_widget(window)
    assert widget.steps_view is not None
    assert widget.steps_view.texts() == ["Two things."]
    assert widget.plain_text() == "Here they are."


@pytest.mark.asyncio
async def test_an_exported_tool_turn_imported_again_shows_the_same_cards(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.script(
        Reply(text="Checking.", tool_calls=[ToolCall("lookup", {"key": "q"})]),
        Reply(text="It is value of q."),
    )
    ask(qtbot, window, "What is q?")
    card = await armed_card(window)
    qtbot.keyClick(card, Qt.Key.Key_Return)
    await until(lambda: answered(store, window), "the answer", WAIT)
    cid = conversation(window)
    before = [(c.step.call.name, c.status) for c in cards(window)]
    export = tmp_path / "export.json"
    export_json_file(store, [store.get_conversation(cid)], export)
    store.delete([cid])
    store.purge_deleted()
    window.new_chat()
    import_file(store, export)
    (imported,) = store.conversation_ids()
    window.chat.open_conversation(imported)
    assert [(c.step.call.name, c.status) for c in cards(window)] == before
    assert [c.state for c in cards(window)] == [CardState.DONE]
    widget = reply_widget(window)
    assert widget.steps_view is not None
    assert widget.steps_view.texts() == ["Checking."]
    assert widget.plain_text() == "It is value of q."
