"""Screenshots of tool calls, light and dark, for review: an approval card waiting for the user
(tools-approval-*.png), and a finished turn with two calls, one folded and one open, and the
answer (tools-cards-*.png).

Saved to $KIBITZ_TEST_SCREENSHOTS (tests/run.sh sets it to tests/artifacts/screenshots); the
test also checks what they show (the card's words and focus, the cards' statuses), never pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.support.mcp_server import stdio_server
from tests.unit.ui.attachment_window import fake_settings, window_on
from tests.unit.ui.test_attachment_screenshots import save, scheme, shots

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.core.tools import PendingCall, ToolSpec
from kibitz.core.types import (
    MessageStatus,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from kibitz.ui.views.reply_layout import CardState

__all__ = ["scheme"]  # the fixture, shared with the attachment screenshots

ISSUE = {
    "repo": "kibitz-app/kibitz",
    "title": "Pasting a 40 MB screenshot freezes the composer",
    "labels": ["bug", "attachments"],
    "body": "Steps: copy a 7680x4320 PNG, press Ctrl+V in the composer. The window stops "
    "responding for about 9 s before the chip appears.",
}
NOTES_FOUND = (
    "3 notes match “launch”:\n"
    "n-204  Launch checklist (edited 2 days ago)\n"
    "n-187  Launch retro, v1.2 (edited in March)\n"
    "n-131  Press kit and launch copy (edited in January)\n"
)
NOTE_204 = (
    "# Launch checklist\n"
    "- [x] Release notes reviewed by Dana\n"
    "- [x] Installers signed (Windows, macOS)\n"
    "- [ ] Flathub update: waiting on review\n"
    "- [ ] Announcement post scheduled for Tuesday 10:00\n"
)
ANSWER = (
    "Three notes mention the launch. The newest, **Launch checklist** (n-204), has two items "
    "still open:\n\n"
    "1. The **Flathub update** is waiting on review.\n"
    "2. The **announcement post** is not scheduled yet (planned for Tuesday 10:00).\n\n"
    "Everything else on it is done."
)


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return resolve_paths(tmp_path / "home").ensure()


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_tool_calls(
    qtbot: QtBot, store: Store, paths: AppPaths, tmp_path: Path, scheme: str
) -> None:
    folder = shots(tmp_path)
    settings = fake_settings(None).with_server(stdio_server("notes"))

    # A finished turn: text, two calls with their results, the answer.
    done = store.create_conversation("Launch notes")
    question = store.add_message(
        done.id, None, Role.USER, "Which of my notes mention the launch, and what is still open?"
    )
    store.add_message(
        done.id,
        question.id,
        Role.ASSISTANT,
        [
            TextPart("I'll search your notes first."),
            ToolCallPart(
                "call_1", "search_notes", '{"query": "launch", "limit": 5}', "notes", "search_notes"
            ),
            ToolResultPart("call_1", NOTES_FOUND, seconds=0.21),
            ToolCallPart("call_2", "read_note", '{"note_id": "n-204"}', "notes", "read_note"),
            ToolResultPart("call_2", NOTE_204, seconds=0.08),
            TextPart(ANSWER),
        ],
        model="gpt-4o",
        usage=Usage(2_310, 188, 2_498),
    )

    # A turn waiting for the user: the model asks to file an issue.
    waiting = store.create_conversation("File the paste bug")
    asked = store.add_message(
        waiting.id, None, Role.USER, "File an issue for the paste freeze we found today."
    )
    call = ToolCallPart("call_9", "create_issue", json.dumps(ISSUE), "github", "create_issue")
    streaming = store.add_message(
        waiting.id,
        asked.id,
        Role.ASSISTANT,
        [TextPart("I'll file it in kibitz-app/kibitz."), call],
        status=MessageStatus.STREAMING,
        model="gpt-4o",
    )
    spec = ToolSpec(
        "github",
        "create_issue",
        "create_issue",
        "Create a new issue in a GitHub repository.",
        title="Create issue",
    )

    with window_on(qtbot, store, paths, settings) as window:
        window.chat.open_conversation(done.id)
        first, second = window.chat_view.message_widgets()[-1].steps_view.cards()  # type: ignore[union-attr]
        assert [c.state for c in (first, second)] == [CardState.DONE, CardState.DONE]
        assert [c.status for c in (first, second)] == ["Done in 0.2 s", "Done in 80 ms"]
        qtbot.mouseClick(second.header, Qt.MouseButton.LeftButton)
        assert second.is_open
        assert second.result_text() == NOTE_204.rstrip("\n")
        window.chat_view.scroll_area.verticalScrollBar().setValue(0)
        save(qtbot, window, folder / f"tools-cards-{scheme}.png")

        window.chat.open_conversation(waiting.id)
        view = window.chat_view
        view.begin_reply(streaming)
        window.composer.set_busy(True)
        pending = PendingCall(call.id, spec, ISSUE, call.arguments)
        view.ask_approval(streaming.id, pending, offer_always=True)
        window.composer.set_status("Waiting for your approval (Return allows, Esc denies)…")
        card = view.message_widgets()[-1].steps_view.approval_card  # type: ignore[union-attr]
        assert card is not None
        qtbot.waitUntil(lambda: card.hasFocus(), timeout=5_000)
        assert card.headline.text() == "Run “Create issue” on github?"
        assert '"labels"' in card.arguments.toPlainText()
        save(qtbot, window, folder / f"tools-approval-{scheme}.png")
        view.end_approval(streaming.id, call.id)
        window.composer.set_busy(False)
