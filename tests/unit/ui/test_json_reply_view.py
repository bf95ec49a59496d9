"""A reply that is all JSON shows pretty-printed as a JSON code block once it is finished (never
while it streams), and its action row offers Copy JSON (the pretty JSON, on the real
clipboard); other replies and the user's own JSON are shown as written. Screenshots light and
dark: json-reply-{light,dark}.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from tests.support.screenshots import shots_dir

from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Message, MessageStatus, Role, TextPart, Usage
from kibitz.ui.views.chat_view import REPAINT_MS, ChatView
from kibitz.ui.views.message_widget import MessageWidget

COMPACT = (
    '{"city":"Paris","country":"France","population":2102650,"landmarks":["Louvre","Eiffel Tower"]}'
)
PRETTY = """{
  "city": "Paris",
  "country": "France",
  "population": 2102650,
  "landmarks": [
    "Louvre",
    "Eiffel Tower"
  ]
}"""


def _message(store: Store, role: Role, content: str, **fields: object) -> Message:
    conv = store.create_conversation("JSON")
    parent = None
    if role is Role.ASSISTANT:
        parent = store.add_message(conv.id, None, Role.USER, "Capital of France, as JSON?").id
    return store.add_message(ConversationId(conv.id), parent, role, content, **fields)  # type: ignore[arg-type]


def _widget(qtbot: QtBot, message: Message) -> MessageWidget:
    widget = MessageWidget(message, width=640)
    qtbot.addWidget(widget)
    widget.resize(640, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.mark.parametrize("text", [COMPACT, f"```json\n{COMPACT}\n```"])
def test_a_json_reply_is_pretty_and_copy_json_copies_it(
    qtbot: QtBot, store: Store, text: str
) -> None:
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, text))
    assert widget.plain_text().strip().endswith(PRETTY)
    assert widget.text_view.codes == [PRETTY]
    row = widget.action_row
    assert row.copy_json.isVisibleTo(widget)
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(widget.copy_done) as done:
        qtbot.mouseClick(row.copy_json, Qt.MouseButton.LeftButton)
    assert done.args == ["JSON copied"]
    assert QGuiApplication.clipboard().text() == PRETTY
    assert row.copy_json.text() == "Copied"
    qtbot.waitUntil(lambda: row.copy_json.text() == "Copy JSON", timeout=5000)
    # Copy still copies the reply as the model wrote it.
    qtbot.mouseClick(row.copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text


@pytest.mark.parametrize(
    ("role", "text"),
    [
        (Role.ASSISTANT, f"Here it is:\n\n{COMPACT}"),
        (Role.ASSISTANT, '{"broken": '),
        (Role.USER, COMPACT),
    ],
)
def test_other_messages_are_shown_as_written(
    qtbot: QtBot, store: Store, role: Role, text: str
) -> None:
    widget = _widget(qtbot, _message(store, role, text))
    assert PRETTY not in widget.plain_text()
    assert not widget.action_row.copy_json.isVisibleTo(widget)


def test_streaming_json_switches_form_only_when_finished(qtbot: QtBot, store: Store) -> None:
    message = _message(store, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    widget = _widget(qtbot, message)
    seen: list[str] = []
    for end in range(0, len(COMPACT) + 9, 9):
        widget.stream_text(COMPACT[:end])
        seen.append(widget.plain_text())
    # While it streams: the text as it arrives, never the pretty form, no Copy JSON.
    assert all("\n  " not in text for text in seen)
    assert seen[-1].strip() == COMPACT
    assert not widget.action_row.copy_json.isVisibleTo(widget)
    fields = {name: getattr(message, name) for name in message.__slots__}
    widget.finish(
        Message(**{**fields, "parts": (TextPart(COMPACT),), "status": MessageStatus.COMPLETE})
    )
    assert widget.plain_text().strip().endswith(PRETTY)
    assert widget.text_view.codes == [PRETTY]
    assert widget.action_row.copy_json.isVisibleTo(widget)


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_a_json_reply(
    qtbot: QtBot, store: Store, tmp_path: Path, scheme: str
) -> None:
    shots = shots_dir(tmp_path)
    conv = store.create_conversation("Capitals")
    question = store.add_message(conv.id, None, Role.USER, "Capital of France, as JSON?")
    reply = store.add_message(
        conv.id,
        question.id,
        Role.ASSISTANT,
        COMPACT,
        model="gpt-4o-mini",
        finish_reason="stop",
        usage=Usage(61, 38, 99),
    )
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(820, 520)
    view.show()
    qtbot.waitExposed(view)
    view.show_conversation(conv.id)
    widget = view.message_widget(reply.id)
    assert widget is not None
    row = widget.action_row
    qtbot.mouseMove(view, QPoint(view.width() - 5, view.height() - 5))
    qtbot.mouseMove(widget.text_view.viewport(), QPoint(40, 10))
    qtbot.waitUntil(lambda: row.revealed)
    qtbot.wait(REPAINT_MS * 2)
    assert view.grab().save(str(shots / f"json-reply-{scheme}.png"))
    assert row.copy_json.isVisible()
    assert widget.plain_text().strip().endswith(PRETTY)
