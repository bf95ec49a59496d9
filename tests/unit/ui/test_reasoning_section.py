"""The reasoning section of a reply: streams live, folds when the answer starts, reopens."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from kibitz.core.store import Store
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    ReasoningPart,
    Role,
    TextPart,
    Usage,
)
from kibitz.ui.style import dark_palette
from kibitz.ui.views.chat_view import REPAINT_MS, ChatView
from kibitz.ui.views.message_widget import MessageWidget
from kibitz.ui.views.reasoning_section import THINKING_LABEL, thought_label

REASONING = (
    "The user wants a list reversed. Two ways come to mind: slicing with a negative step, "
    "which copies, and `list.reverse()`, which works in place.\n\n"
    "- slicing keeps the original\n- reverse() saves memory\n\n"
    "I will show both and say when each fits."
)
ANSWER = "Use `xs[::-1]` for a reversed copy, or `xs.reverse()` to reverse in place."


def _question(store: Store) -> tuple[ConversationId, MessageId]:
    conv = store.create_conversation("Reasoning")
    user = store.add_message(conv.id, None, Role.USER, "How do I reverse a list?")
    return conv.id, user.id


def _stored_reply(store: Store, seconds: float | None = 12.0, **fields: object) -> Message:
    cid, parent = _question(store)
    parts = (ReasoningPart(REASONING, seconds), TextPart(ANSWER))
    return store.add_message(cid, parent, Role.ASSISTANT, parts, model="o3", **fields)  # type: ignore[arg-type]


def _widget(qtbot: QtBot, message: Message) -> MessageWidget:
    widget = MessageWidget(message, width=640)
    qtbot.addWidget(widget)
    widget.resize(640, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _view(qtbot: QtBot, store: Store) -> ChatView:
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def _top(widget: MessageWidget, child: object) -> int:
    assert hasattr(child, "mapTo")
    return int(child.mapTo(widget, child.rect().topLeft()).y())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (None, "Reasoning"),
        (0.0, "Thought for a moment"),
        (0.95, "Thought for a moment"),
        (1.2, "Thought for 1 s"),
        (12.4, "Thought for 12 s"),
        (59.6, "Thought for 1 min"),
        (75.0, "Thought for 1 min 15 s"),
    ],
)
def test_the_folded_line_says_how_long_the_model_thought(seconds: float | None, label: str) -> None:
    assert thought_label(seconds) == label


def test_reasoning_streams_above_the_answer_then_folds_when_the_answer_starts(
    qtbot: QtBot, store: Store
) -> None:
    cid, parent = _question(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    writer = store.begin_reply(cid, parent, model="o3")
    view.begin_reply(store.get_message(writer.message_id))
    widget = view.message_widget(writer.message_id)
    assert widget is not None
    section = widget.reasoning_section
    assert not section.isVisibleTo(widget)  # nothing to show before the first reasoning
    half = len(REASONING) // 2
    view.append_reply_reasoning(writer.message_id, REASONING[:half])
    qtbot.waitUntil(lambda: section.isVisible() and "slicing" in section.plain_text())
    assert (section.label, section.thinking, section.expanded) == (THINKING_LABEL, True, True)
    assert section.header.thinking  # the shimmer runs while the model thinks
    assert not widget.text_view.isVisible()  # no empty answer line under it yet
    view.append_reply_reasoning(writer.message_id, REASONING[half:])
    qtbot.waitUntil(lambda: "each fits" in section.plain_text())
    view.append_reply_text(writer.message_id, ANSWER[:20])
    qtbot.waitUntil(lambda: widget.text_view.isVisible() and not section.expanded)
    assert section.isVisible()
    assert section.label == "Thought for a moment"  # timed in memory, from the stream
    assert not section.thinking
    assert not section.header.thinking
    assert not section.text_view.isVisible()
    assert _top(widget, section) < _top(widget, widget.text_view)  # above the answer
    view.append_reply_text(writer.message_id, ANSWER[20:])
    qtbot.waitUntil(lambda: widget.plain_text() == ANSWER.replace("`", ""))
    assert "slicing" not in widget.plain_text()  # the answer holds no reasoning
    writer.append_reasoning(REASONING)
    writer.append(ANSWER)
    writer.finish(MessageStatus.COMPLETE, "stop", Usage(30, 900, 930, reasoning_tokens=700))
    view.finish_reply(store.get_message(writer.message_id))
    assert not section.expanded
    assert section.label.startswith("Thought for")
    assert widget.footer_text() == "30 → 900 tokens (700 reasoning)"


def test_the_time_shown_is_that_of_the_thinking(qtbot: QtBot, store: Store) -> None:
    cid, parent = _question(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    writer = store.begin_reply(cid, parent)
    view.begin_reply(store.get_message(writer.message_id))
    began = time.monotonic()
    view.append_reply_reasoning(writer.message_id, "Let me think.")
    thinking = time.monotonic()
    qtbot.wait(1100)  # "Thought for 1 s"; a loaded machine may make it longer
    answering = time.monotonic()
    view.append_reply_text(writer.message_id, "Done.")
    answered = time.monotonic()
    widget = view.message_widget(writer.message_id)
    assert widget is not None
    # The thinking lasted from the first reasoning to the first answer text: between these.
    shown = {thought_label(answering - thinking), thought_label(answered - began)}
    assert shown <= {f"Thought for {n} s" for n in range(1, 60)}
    qtbot.waitUntil(lambda: widget.reasoning_section.label in shown)
    writer.finish(MessageStatus.COMPLETE, "stop")


def test_a_stored_reply_opens_folded_and_reopens_by_click(qtbot: QtBot, store: Store) -> None:
    widget = _widget(qtbot, _stored_reply(store, 12.0))
    section = widget.reasoning_section
    assert section.isVisible()
    assert (section.label, section.expanded) == ("Thought for 12 s", False)
    assert section.header.accessibleName() == "Thought for 12 s"
    assert section.plain_text() == ""  # folded: not even rendered yet
    assert widget.plain_text() == ANSWER.replace("`", "")
    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    assert section.expanded
    assert section.text_view.isVisible()
    assert "slicing keeps the original" in section.plain_text()
    assert "**" not in section.plain_text()
    assert "`" not in section.plain_text()
    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    assert not section.expanded
    assert not section.text_view.isVisible()


def test_the_header_opens_and_folds_from_the_keyboard(qtbot: QtBot, store: Store) -> None:
    widget = _widget(qtbot, _stored_reply(store, None))
    section = widget.reasoning_section
    header = section.header
    assert section.label == "Reasoning"
    assert header.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert header.accessibleDescription()
    widget.activateWindow()
    header.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(header.hasFocus)
    qtbot.keyClick(header, Qt.Key.Key_Return)
    assert section.expanded
    assert header.toolTip() == "Hide the reasoning"
    qtbot.keyClick(header, Qt.Key.Key_Space)
    assert not section.expanded
    qtbot.keyClick(header, Qt.Key.Key_Enter)
    assert section.expanded


def test_copy_takes_the_answer_and_the_section_copies_its_own_text(
    qtbot: QtBot, store: Store
) -> None:
    widget = _widget(qtbot, _stored_reply(store))
    copy = [b for b in widget.findChildren(QAbstractButton) if b.accessibleName() == "Copy message"]
    with qtbot.waitSignal(widget.copy_done):
        qtbot.mouseClick(copy[0], Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == ANSWER
    section = widget.reasoning_section
    section.set_expanded(True)
    view = section.text_view
    assert view.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    view.selectAll()
    view.copy()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("The user wants a list reversed.")
    assert "slicing keeps the original" in copied
    assert ANSWER not in copied


def test_folded_by_the_user_while_thinking_it_stays_folded_and_reopens_whole(
    qtbot: QtBot, store: Store
) -> None:
    cid, parent = _question(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    writer = store.begin_reply(cid, parent)
    view.begin_reply(store.get_message(writer.message_id))
    widget = view.message_widget(writer.message_id)
    assert widget is not None
    section = widget.reasoning_section
    view.append_reply_reasoning(writer.message_id, REASONING[:40])
    qtbot.waitUntil(section.isVisible)
    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)  # the user folds it
    assert not section.expanded
    view.append_reply_reasoning(writer.message_id, REASONING[40:])
    qtbot.wait(REPAINT_MS * 2)
    assert section.label == THINKING_LABEL  # still thinking, folded
    section.set_expanded(True)
    assert section.plain_text().endswith("say when each fits.")  # all of it, at once
    view.append_reply_text(writer.message_id, ANSWER)
    qtbot.waitUntil(lambda: section.label != THINKING_LABEL)
    assert section.expanded  # opened by the user: the answer does not fold it
    writer.finish(MessageStatus.COMPLETE, "stop")


def test_a_streamed_reasoning_ends_as_a_full_render(qtbot: QtBot, store: Store) -> None:
    stored = _widget(qtbot, _stored_reply(store))
    stored.reasoning_section.set_expanded(True)
    cid, parent = _question(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    writer = store.begin_reply(cid, parent)
    view.begin_reply(store.get_message(writer.message_id))
    widget = view.message_widget(writer.message_id)
    assert widget is not None
    renders: list[int] = []
    widget.reasoning_section.text_view.rendered.connect(lambda: renders.append(1))
    started = time.monotonic()
    for start in range(0, len(REASONING), 9):
        view.append_reply_reasoning(writer.message_id, REASONING[start : start + 9])
        qtbot.wait(3)
    qtbot.waitUntil(lambda: widget.reasoning_section.plain_text().endswith("each fits."))
    elapsed = time.monotonic() - started
    # Throttled (at most one render per REPAINT_MS however long a loaded machine takes), yet
    # along the way.
    assert 2 <= len(renders) <= elapsed * 1000 / REPAINT_MS + 2, (len(renders), elapsed)
    assert widget.reasoning_section.plain_text() == stored.reasoning_section.plain_text()
    writer.finish(MessageStatus.COMPLETE, "stop")


def test_reasoning_is_muted_in_light_and_dark(qtbot: QtBot, store: Store) -> None:
    widget = _widget(qtbot, _stored_reply(store))
    section = widget.reasoning_section
    section.set_expanded(True)
    for palette in (QPalette(widget.palette()), dark_palette()):
        widget.setPalette(palette)
        widget.set_dark(palette.color(QPalette.ColorRole.Base).lightness() < 128)
        answer = widget.text_view.palette().color(QPalette.ColorRole.Text)
        base = widget.text_view.palette().color(QPalette.ColorRole.Base)
        muted = section.text_view.palette().color(QPalette.ColorRole.Text)
        # Nearer the background than the answer is, and still far from it (readable).
        assert abs(muted.lightness() - base.lightness()) < abs(
            answer.lightness() - base.lightness()
        )
        assert abs(muted.lightness() - base.lightness()) > 80
        assert section.text_view.font().pointSizeF() < widget.text_view.font().pointSizeF()
    assert "slicing" in section.plain_text()  # rendered again for the dark scheme
