"""Screenshots of a reply's reasoning (thinking, then folded), light and dark, for review.

Saved to $KIBITZ_TEST_SCREENSHOTS (tests/run.sh sets it to tests/artifacts/screenshots) as
reasoning-{thinking,folded,opened}-{light,dark}.png; the test also checks what they show.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.support.screenshots import shots_dir

from kibitz.core.store import Store
from kibitz.core.types import ConversationId, MessageStatus, ReasoningPart, Role, TextPart, Usage
from kibitz.ui.style import dark_palette
from kibitz.ui.views.chat_view import REPAINT_MS, ChatView

QUESTION = "What is the fastest way to check if a Python list has duplicates?"
REASONING = (
    "The user wants to know whether a list contains duplicates, and fast. The obvious way is "
    "to compare the length of the list with the length of a set built from it: "
    "`len(xs) != len(set(xs))`. That is O(n) time and O(n) memory.\n\n"
    "But that only works when the items are hashable. For unhashable items (lists, dicts) "
    "one would sort first, or fall back to a quadratic scan.\n\n"
    "Also: if duplicates are likely to appear early, a loop that stops at the first repeat "
    "is faster on average than building the whole set. I should mention both and keep the "
    "answer short, with a small example."
)
ANSWER = (
    "Compare the list's length with that of a set made from it:\n\n"
    "```python\ndef has_duplicates(xs):\n    return len(xs) != len(set(xs))\n```\n\n"
    "This runs in **O(n)**. If a repeat is likely early on, stop at the first one:\n\n"
    "```python\ndef has_duplicates(xs):\n    seen = set()\n    for x in xs:\n"
    "        if x in seen:\n            return True\n        seen.add(x)\n    return False\n```\n\n"
    "Both need hashable items; for lists of lists, sort first or compare tuples."
)


@pytest.fixture
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    """The application's palette for the scheme, as the app sets it (links take their
    colour from it), and the one before restored afterwards."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QPalette(app.palette())
    if request.param == "dark":
        app.setPalette(dark_palette())
    yield str(request.param)
    app.setPalette(before)


def _view(qtbot: QtBot, store: Store) -> ChatView:
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(880, 640)
    view.show()
    qtbot.waitExposed(view)
    return view


def _save(qtbot: QtBot, view: ChatView, path: Path) -> None:
    qtbot.wait(REPAINT_MS * 2)
    image = view.grab().toImage()
    assert image.save(str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshots_of_thinking_and_folded_reasoning(
    qtbot: QtBot, store: Store, tmp_path: Path, scheme: str
) -> None:
    shots = shots_dir(tmp_path)
    dark = scheme == "dark"

    # A reply still thinking: the reasoning streams, open, under "Thinking…".
    conv = store.create_conversation("Duplicates")
    question = store.add_message(conv.id, None, Role.USER, QUESTION)
    view = _view(qtbot, store)
    view.show_conversation(conv.id)
    writer = store.begin_reply(conv.id, question.id, model="o4-mini")
    view.begin_reply(store.get_message(writer.message_id))
    view.append_reply_reasoning(writer.message_id, REASONING[: int(len(REASONING) * 0.8)])
    widget = view.message_widget(writer.message_id)
    assert widget is not None
    qtbot.waitUntil(lambda: "hashable" in widget.reasoning_section.plain_text())
    assert widget.reasoning_section.label == "Thinking…"
    _save(qtbot, view, shots / f"reasoning-thinking-{scheme}.png")
    writer.finish(MessageStatus.INTERRUPTED)

    # The same question answered: the reasoning folded to one line above the answer.
    done = _finished(store)
    view.show_conversation(done)
    reply = view.message_widgets()[-1]
    section = reply.reasoning_section
    assert (section.label, section.expanded) == ("Thought for 12 s", False)
    assert reply.footer_text().startswith("48 → 1,250 tokens (1,024 reasoning)")
    _save(qtbot, view, shots / f"reasoning-folded-{scheme}.png")
    section.set_expanded(True)
    bar = view.scroll_area.verticalScrollBar()
    bar.setValue(0)
    assert "quadratic scan" in section.plain_text()
    _save(qtbot, view, shots / f"reasoning-opened-{scheme}.png")
    if dark:
        assert view.grab().toImage().pixelColor(4, 4).lightness() < 60
    else:
        assert view.palette().color(QPalette.ColorRole.Base).lightness() > 200


def _finished(store: Store) -> ConversationId:
    conv = store.create_conversation("Duplicates, answered")
    question = store.add_message(conv.id, None, Role.USER, QUESTION)
    store.add_message(
        conv.id,
        question.id,
        Role.ASSISTANT,
        (ReasoningPart(REASONING, 12.3), TextPart(ANSWER)),
        model="o4-mini",
        finish_reason="stop",
        usage=Usage(48, 1250, 1298, reasoning_tokens=1024),
    )
    return conv.id
