"""Screenshots of a reply's action row under the pointer and of the message inspector, light
and dark, for review.

Saved to $KIBITZ_TEST_SCREENSHOTS (tests/run.sh sets it to tests/artifacts/screenshots) as
message-actions-hover-{light,dark}.png and message-inspector-{light,dark}.png; the test also
checks what they show.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from tests.support.screenshots import shots_dir

from kibitz.core.store import Store
from kibitz.core.types import ReasoningPart, Role, TextPart, Usage
from kibitz.ui.views.chat_view import REPAINT_MS, ChatView
from kibitz.ui.views.message_inspector import MessageInspector

QUESTION = "How do I check if a Python list has duplicates?"
FIRST = "Compare lengths: `len(xs) != len(set(xs))`."
ANSWER = (
    "Compare the list's length with that of a set made from it:\n\n"
    "```python\ndef has_duplicates(xs):\n    return len(xs) != len(set(xs))\n```\n\n"
    "This runs in **O(n)** and needs hashable items."
)


def _distinct_colours(image: QImage, widget: QWidget, inside: QWidget) -> int:
    """How many colours are drawn where `widget` is, in a grab of `inside`."""
    top_left = widget.mapTo(inside, QPoint(0, 0))
    colours = {
        image.pixel(x, y)
        for x in range(top_left.x(), top_left.x() + widget.width())
        for y in range(top_left.y(), top_left.y() + widget.height())
    }
    return len(colours)


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_the_action_row_and_the_inspector(
    qtbot: QtBot, store: Store, tmp_path: Path, scheme: str
) -> None:
    shots = shots_dir(tmp_path)
    conv = store.create_conversation("Duplicates")
    question = store.add_message(conv.id, None, Role.USER, QUESTION)
    store.add_message(conv.id, question.id, Role.ASSISTANT, FIRST, model="gpt-4o")
    reply = store.add_message(
        conv.id,
        question.id,
        Role.ASSISTANT,
        (ReasoningPart("Sets drop repeats, so compare sizes.", 3.2), TextPart(ANSWER)),
        model="gpt-4o",
        finish_reason="stop",
        usage=Usage(48, 120, 168, reasoning_tokens=24),
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
    qtbot.mouseMove(view, QPoint(view.width() - 5, view.height() - 5))  # from elsewhere
    qtbot.mouseMove(widget.text_view.viewport(), QPoint(40, 10))
    qtbot.waitUntil(lambda: row.revealed)
    qtbot.wait(REPAINT_MS * 2)
    image = view.grab().toImage()
    path = shots / f"message-actions-hover-{scheme}.png"
    assert image.save(str(path))
    assert row.versions.text == "2/2"
    for button in (row.copy, row.regenerate, row.inspect, row.delete):
        assert _distinct_colours(image, button, view) > 2, button.accessibleName()
    user_widget = view.message_widget(question.id)
    assert user_widget is not None
    assert _distinct_colours(image, user_widget.action_row.copy, view) == 1  # not hovered

    inspector = MessageInspector(store.get_message(reply.id), "work")
    qtbot.addWidget(inspector)
    inspector.show()
    qtbot.waitExposed(inspector)
    assert inspector.fact("Provider") == "work"
    assert inspector.fact("Reasoning tokens") == "24"
    assert inspector.parts_text.splitlines()[0] == "Reasoning: 36 characters, 3.2 s"
    picture = inspector.grab().toImage()
    assert picture.save(str(shots / f"message-inspector-{scheme}.png"))
    background = picture.pixelColor(3, 3).lightness()
    assert background < 100 if scheme == "dark" else background > 150
