"""A streamed reply ends as the same document as the finished message rendered at once: the same
blocks, list items, tables and block margins, whatever the chunks it arrived in."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.message_text import MessageTextView
from kibitz.ui.views.message_widget import MessageWidget

PIECES = {
    "table": "| Name | Value |\n| --- | --- |\n| one | 1 |\n",
    "quote": "> A quote to think about.\n",
    "numbered": "1. a\n2. b\n3. c\n",
    "bullets": "- x\n- y\n",
    "paragraph": "Some words here.\n",
    "code": "```python\nx = 1\n```\n",
    "heading": "## A heading\n",
    "quoted_list": "> 1. first\n> 2. second\n",
    "nested": "- a\n  1. x\n  2. y\n- b\n",
    "code_in_list": "1. run\n   ```sh\n   make\n   ```\n2. then\n",
}
SEQUENCES = [
    ("table", "quote", "numbered"),  # issue 17: stray "1." markers until reopened
    ("quote", "numbered"),
    ("table", "numbered"),
    ("code", "numbered"),  # a list right after a code fence
    ("quoted_list", "numbered"),  # a list inside a quote, then one outside
    ("table", "paragraph", "numbered"),
    ("code", "paragraph", "bullets"),
    ("quote", "paragraph", "table"),
    ("numbered", "code", "bullets"),
    ("heading", "nested", "quote"),
    ("paragraph", "quoted_list", "table"),
    ("code_in_list", "quote", "numbered"),
]
Block = tuple[str, tuple[str, int, int] | None, bool, float, float, int]


def structure(view: MessageTextView) -> list[Block]:
    """Each block as the user sees it: text, list marker (style, item, of), in a table,
    margins and indent."""
    out: list[Block] = []
    block = view.document().begin()
    while block.isValid():
        listed = block.textList()
        marker = (
            (listed.format().style().name, listed.itemNumber(block), listed.count())
            if listed is not None
            else None
        )
        fmt = block.blockFormat()
        in_table = QTextCursor(block).currentTable() is not None
        out.append(
            (block.text(), marker, in_table, fmt.topMargin(), fmt.bottomMargin(), fmt.indent())
        )
        block = block.next()
    return out


@pytest.fixture
def view(qtbot: QtBot) -> MessageTextView:
    made = MessageTextView()
    qtbot.addWidget(made)
    made.set_layout_width(600)
    return made


def _at_once(view: MessageTextView, text: str) -> list[Block]:
    view.set_markdown(text, dark=False)
    return structure(view)


def _streamed(view: MessageTextView, text: str, chunk: int) -> list[Block]:
    view.begin_stream(dark=False)
    for end in range(chunk, len(text) + chunk, chunk):
        view.stream_text(text[:end])
    view.end_stream()
    return structure(view)


@pytest.mark.parametrize("sequence", SEQUENCES, ids="-".join)
def test_streamed_in_any_chunks_ends_as_rendered_at_once(
    view: MessageTextView, sequence: tuple[str, ...]
) -> None:
    text = "\n".join(PIECES[name] for name in sequence)
    expected = _at_once(view, text)
    for chunk in range(1, 8):
        assert _streamed(view, text, chunk) == expected, f"chunks of {chunk}"


def test_no_list_marker_is_left_where_a_list_was_streamed(view: MessageTextView) -> None:
    text = "\n".join(PIECES[name] for name in ("table", "quote", "numbered"))
    _streamed(view, text, 3)
    items = [block for block in structure(view) if block[1] is not None]
    assert [(text, marker) for text, marker, *_ in items] == [
        ("a", ("ListDecimal", 0, 3)),
        ("b", ("ListDecimal", 1, 3)),
        ("c", ("ListDecimal", 2, 3)),
    ]


def test_a_text_that_starts_over_replaces_what_was_shown(view: MessageTextView) -> None:
    view.begin_stream(dark=False)
    view.stream_text("First paragraph.\n\nSecond paragraph.\n\nthird")
    view.stream_text("Another start.\n\nmore")
    assert view.toPlainText() == "Another start.\nmore"


def test_a_reply_streamed_through_the_chat_view_looks_as_when_reopened(
    qtbot: QtBot, store: Store
) -> None:
    text = "\n".join(PIECES[name] for name in ("table", "quote", "numbered"))
    conv = store.create_conversation("Stream")
    user = store.add_message(conv.id, None, Role.USER, "Show me a table, a quote and a list")
    chat = ChatView(store)
    qtbot.addWidget(chat)
    chat.resize(900, 700)
    chat.show()
    qtbot.waitExposed(chat)
    chat.show_conversation(conv.id)
    writer = store.begin_reply(conv.id, user.id, model="gpt-4o-mini")
    reply = store.get_message(writer.message_id)
    chat.reload()
    chat.begin_reply(reply)
    widget = chat.message_widget(reply.id)
    assert widget is not None
    for start in range(0, len(text), 3):  # each chunk painted before the next arrives
        with qtbot.waitSignal(widget.text_rendered, timeout=5_000):
            chat.append_reply_text(reply.id, text[start : start + 3])
    writer.append(text)
    writer.finish(MessageStatus.COMPLETE, "stop", None)
    finished = store.get_message(reply.id)
    assert finished.status is MessageStatus.COMPLETE
    chat.finish_reply(finished)
    reopened = MessageWidget(dataclasses.replace(finished), width=widget.width())
    qtbot.addWidget(reopened)
    assert structure(widget.text_view) == structure(reopened.text_view)
    assert widget.plain_text().count("\n") == reopened.plain_text().count("\n")
