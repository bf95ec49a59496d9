"""A user's message renders its Markdown as a reply does (code with a Copy link, lists, tables),
keeps each line break as typed, shows raw HTML as text, and still copies and edits as the source.

Also saves user-markdown-{light,dark}.png to $KIBITZ_TEST_SCREENSHOTS: a question with a code
fence and a list, and the reply under it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette, QTextCursor
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot
from tests.support.fake_openai import FakeOpenAI
from tests.support.screenshots import shots_dir
from tests.unit.ui.attachment_window import composer_edit, fake_settings, window_on

from kibitz.core.paths import AppPaths
from kibitz.core.store import Store
from kibitz.core.types import Message, Role
from kibitz.ui.style import dark_palette
from kibitz.ui.views.chat_view import REPAINT_MS, ChatView
from kibitz.ui.views.message_text import MessageTextView
from kibitz.ui.views.message_widget import MessageWidget

CODE = "def parse(line):\n    return line.split(',')"
QUESTION = f"""Why does this **fail** on quoted fields?

```python
{CODE}
```

What I tried:
1. `csv.reader` on the line
2. splitting on `", "` instead"""
ANSWER = (
    "Splitting on commas breaks as soon as a field holds one inside quotes. Let the "
    "`csv` module do the quoting:\n\n```python\nimport csv\n\n"
    "def parse(line):\n    return next(csv.reader([line]))\n```\n\n"
    "`csv.reader` takes any iterable of lines, so a one-item list works."
)


def _user(qtbot: QtBot, store: Store, text: str) -> MessageWidget:
    conv = store.create_conversation("Mine")
    widget = MessageWidget(store.add_message(conv.id, None, Role.USER, text), width=720)
    qtbot.addWidget(widget)
    widget.resize(720, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _list_items(view: MessageTextView) -> list[str]:
    items: list[str] = []
    block = view.document().begin()
    while block.isValid():
        if block.textList() is not None:
            items.append(block.text())
        block = block.next()
    return items


def _bold_texts(view: MessageTextView) -> list[str]:
    cursor = QTextCursor(view.document())
    bold: list[str] = []
    for position in range(1, view.document().characterCount()):
        cursor.setPosition(position)
        if cursor.charFormat().fontWeight() >= QFont.Weight.Bold:
            cursor.setPosition(position - 1, QTextCursor.MoveMode.KeepAnchor)
            bold.append(cursor.selectedText())
            cursor.clearSelection()
    return bold


def _copy_button(widget: MessageWidget) -> QAbstractButton:
    found = [
        b for b in widget.findChildren(QAbstractButton) if b.accessibleName() == "Copy message"
    ]
    assert len(found) == 1
    return found[0]


def test_a_user_message_renders_its_code_and_lists(qtbot: QtBot, store: Store) -> None:
    widget = _user(qtbot, store, QUESTION)
    view = widget.text_view
    shown = widget.plain_text()
    for line in CODE.splitlines():
        assert line in shown
    assert "```" not in shown
    assert "**" not in shown
    assert "fail" in "".join(_bold_texts(view))
    assert _list_items(view) == ["csv.reader on the line", 'splitting on ", " instead']
    assert view.codes == [CODE]  # its code block has a Copy code link, as a reply's has
    assert widget.objectName() == "userMessage"  # still the user's bubble
    bubble = view.parentWidget()
    assert bubble.geometry().right() >= widget.width() - 2


def test_copy_and_the_code_link_give_the_source(qtbot: QtBot, store: Store) -> None:
    widget = _user(qtbot, store, QUESTION)
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(widget.copy_done):
        _copy_button(widget).click()
    assert QGuiApplication.clipboard().text() == QUESTION


def test_line_breaks_stay_as_typed_and_raw_html_is_text(qtbot: QtBot, store: Store) -> None:
    typed = "first line\nsecond line\n<b>not bold</b> <img src=https://example.com/x.png>"
    widget = _user(qtbot, store, typed)
    assert widget.plain_text().split("\n") == [
        "first line",
        "second line",
        "<b>not bold</b> <img src=https://example.com/x.png>",
    ]
    assert _bold_texts(widget.text_view) == []
    assert widget.text_view.refused_resources == []  # nothing was even asked for


@pytest.mark.asyncio
async def test_up_and_edit_bring_back_the_markdown_source(qtbot: QtBot, paths: AppPaths) -> None:
    with FakeOpenAI() as fake, Store.open(paths.database) as store:
        conv = store.create_conversation("Edit")
        question = store.add_message(conv.id, None, Role.USER, QUESTION)
        store.add_message(conv.id, question.id, Role.ASSISTANT, ANSWER)
        with window_on(qtbot, store, paths, fake_settings(fake)) as window:
            window.chat.open_conversation(conv.id)
            qtbot.keyClick(composer_edit(window), Qt.Key.Key_Up)
            assert window.composer.text == QUESTION
            window.composer.clear()
            mine = [w for w in window.chat_view.message_widgets() if w.message.role is Role.USER]
            mine[0].edit_requested.emit(question.id)
            assert window.composer.text == QUESTION
            await window.chat.aclose()


# -- screenshots ----------------------------------------------------------------------------


def _colour_at(widget: MessageWidget, view: MessageTextView, text: str) -> QColor:
    """The colour drawn just left of where `text` starts in `view` (its background)."""
    found = view.document().find(text)
    assert not found.isNull()
    found.setPosition(found.selectionStart())
    rect = view.cursorRect(found)
    point = view.viewport().mapTo(widget, rect.center())
    return widget.grab().toImage().pixelColor(point.x() - 3, point.y())


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshot_of_a_user_message_with_code_and_a_list(
    qtbot: QtBot, store: Store, tmp_path: Path, scheme: str
) -> None:
    conv = store.create_conversation("CSV")
    question = store.add_message(conv.id, None, Role.USER, QUESTION)
    store.add_message(conv.id, question.id, Role.ASSISTANT, ANSWER, model="gpt-4o")
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(880, 640)
    view.show()
    qtbot.waitExposed(view)
    view.show_conversation(conv.id)
    qtbot.wait(REPAINT_MS * 2)
    path = shots_dir(tmp_path) / f"user-markdown-{scheme}.png"
    assert view.grab().toImage().save(str(path))
    assert path.stat().st_size > 10_000

    user, reply = view.message_widgets()
    message: Message = user.message
    assert message.role is Role.USER
    assert reply.message.role is Role.ASSISTANT
    assert _list_items(user.text_view) == ["csv.reader on the line", 'splitting on ", " instead']
    assert user.text_view.codes == [CODE]
    assert reply.text_view.codes[0].startswith("import csv")
    # The code sits on its own shade inside the tinted bubble, which differs from the page.
    page = view.palette().color(QPalette.ColorRole.Base)
    code = _colour_at(user, user.text_view, "def parse")
    prose = _colour_at(user, user.text_view, "What I tried")
    assert code != prose
    assert prose != page
    if scheme == "dark":
        assert code.lightness() < 90
        assert prose.lightness() < 90
    else:
        assert code.lightness() > 180
        assert prose.lightness() > 180


def test_a_user_messages_code_takes_the_new_scheme(qtbot: QtBot, store: Store) -> None:
    conv = store.create_conversation("Scheme")
    store.add_message(conv.id, None, Role.USER, QUESTION)
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(880, 640)
    view.show()
    qtbot.waitExposed(view)
    view.show_conversation(conv.id)
    (user,) = view.message_widgets()
    assert _colour_at(user, user.text_view, "def parse").lightness() > 180
    view.setPalette(dark_palette())
    qtbot.waitUntil(lambda: _colour_at(user, user.text_view, "def parse").lightness() < 90)
    assert user.text_view.codes == [CODE]
