"""ChatView: a conversation's branch, streamed replies, versions and paging through long ones."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from kibitz.core.errors import Action, RateLimitError
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Message, MessageStatus, Role, Usage
from kibitz.ui.views import message_widget
from kibitz.ui.views.chat_view import INITIAL_ROWS, REPAINT_MS, ChatView
from kibitz.ui.views.message_widget import MessageWidget

REPLY = (
    "Sure. First the idea, then the code.\n\n"
    + "".join(f"{n}. Step number {n} explains one more thing.\n" for n in range(1, 9))
    + "\n```python\n"
    + "".join(f"value_{n} = compute({n})  # line {n}\n" for n in range(30))
    + "```\n\n| Name | Value |\n| --- | --- |\n"
    + "".join(f"| row {n} | {n * n} |\n" for n in range(12))
    + "\nThat is all. " * 40
)


@pytest.fixture(scope="module")
def long_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ConversationId, list[int]]:
    """A 2,000-message conversation (1,000 exchanges), built once for the module."""
    path = tmp_path_factory.mktemp("long") / "kibitz.sqlite3"
    with Store.open(path) as s:
        conv = s.create_conversation("Long")
        ids: list[int] = []
        parent = None
        with s.batch():
            for n in range(1000):
                q = s.add_message(conv.id, parent, Role.USER, f"Question {n}: what about *{n}*?")
                a = s.add_message(
                    conv.id, q.id, Role.ASSISTANT, f"Answer **{n}**.\n\n- a point\n- another"
                )
                ids += [q.id, a.id]
                parent = a.id
    return path, conv.id, ids


@pytest.fixture
def long_store(long_db: tuple[Path, ConversationId, list[int]]) -> Iterator[Store]:
    s = Store.open(long_db[0])
    yield s
    s.close()


def _view(qtbot: QtBot, store: Store, height: int = 700) -> ChatView:
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(900, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def _button(widget: MessageWidget, name: str) -> QAbstractButton:
    matches = [b for b in widget.findChildren(QAbstractButton) if b.accessibleName() == name]
    assert len(matches) == 1
    return matches[0]


def _visible_ids(view: ChatView) -> list[int]:
    """Messages at least partly inside the scroll area's viewport, top to bottom."""
    scroll = view.scroll_area
    area = scroll.viewport().rect()
    out = []
    for widget in view.message_widgets():
        top = widget.mapTo(scroll.viewport(), widget.rect().topLeft())
        bottom = widget.mapTo(scroll.viewport(), widget.rect().bottomLeft())
        if widget.isVisible() and bottom.y() >= area.top() and top.y() <= area.bottom():
            out.append(widget.message_id)
    return out


def _count_message_widgets(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the messages ChatView makes a MessageWidget for from now on, in order."""
    made: list[int] = []

    class CountedMessageWidget(MessageWidget):
        def __init__(self, message: Message, *args: Any, **kwargs: Any) -> None:
            made.append(message.id)
            super().__init__(message, *args, **kwargs)

    # ChatView imports it when it makes the first one (not at start-up): patched at home.
    monkeypatch.setattr(message_widget, "MessageWidget", CountedMessageWidget)
    return made


def _conversation(store: Store) -> tuple[ConversationId, list[Message]]:
    conv = store.create_conversation("Chat")
    user = store.add_message(conv.id, None, Role.USER, "How do I sort a list?")
    reply = store.add_message(
        conv.id, user.id, Role.ASSISTANT, REPLY, model="gpt-4o-mini",
        usage=Usage(42, 420, 462), finish_reason="stop",
    )  # fmt: skip
    return conv.id, [user, reply]


def test_shows_the_branch_in_order_and_clears(qtbot: QtBot, store: Store) -> None:
    cid, (user, reply) = _conversation(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    widgets = view.message_widgets()
    assert [w.message_id for w in widgets] == [user.id, reply.id]
    assert widgets[0].plain_text() == "How do I sort a list?"
    assert "value_29 = compute(29)" in widgets[1].plain_text()
    assert "row 11" in widgets[1].plain_text()
    assert widgets[1].footer_text() == "42 → 420 tokens"
    view.show_conversation(None)
    assert view.message_widgets() == []


def test_column_is_centred_and_readable(qtbot: QtBot, store: Store) -> None:
    cid, _ = _conversation(store)
    view = _view(qtbot, store)
    view.resize(1400, 700)
    view.show_conversation(cid)
    reply = view.message_widgets()[1]
    qtbot.waitUntil(lambda: reply.width() > 600)
    assert reply.width() <= 760
    left = reply.mapTo(view, reply.rect().topLeft()).x()
    right_gap = view.width() - (left + reply.width())
    assert abs(left - right_gap) <= 30  # centred (the scroll bar takes a little on the right)


def test_sibling_navigation_switches_to_the_right_version(qtbot: QtBot, store: Store) -> None:
    cid, (user, _first) = _conversation(store)
    second = store.add_message(cid, user.id, Role.ASSISTANT, "Second")
    store.add_message(cid, user.id, Role.ASSISTANT, "Third", make_current=False)
    store.select_branch(second.id)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    reply = view.message_widgets()[1]
    assert reply.message_id == second.id
    assert "2/3" in reply.footer_text()
    # The view only says which way; the controller finds the version and switches to it.
    with qtbot.waitSignal(view.sibling_step_requested) as back:
        qtbot.mouseClick(_button(reply, "Previous version"), Qt.MouseButton.LeftButton)
    assert back.args == [second.id, -1]
    with qtbot.waitSignal(view.sibling_step_requested) as forward:
        qtbot.mouseClick(_button(reply, "Next version"), Qt.MouseButton.LeftButton)
    assert forward.args == [second.id, 1]
    third = store.siblings(second.id)[2]
    # The controller switches the branch; the view follows on reload, keeping the user's turn.
    kept = view.message_widgets()[0]
    store.select_branch(third.id)
    view.reload()
    assert view.message_widgets()[0] is kept
    assert view.message_widgets()[1].plain_text() == "Third"
    assert "3/3" in view.message_widgets()[1].footer_text()


def test_regenerate_edit_and_continue_reach_the_controller(qtbot: QtBot, store: Store) -> None:
    cid, (user, _reply) = _conversation(store)
    cut = store.add_message(
        cid, user.id, Role.ASSISTANT, "Cut short", status=MessageStatus.LENGTH,
        finish_reason="length",
    )  # fmt: skip
    view = _view(qtbot, store)
    view.show_conversation(cid)
    user_widget, reply_widget = view.message_widgets()
    with qtbot.waitSignal(view.edit_requested) as edit:
        qtbot.mouseClick(_button(user_widget, "Edit message"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.regenerate_requested) as regen:
        qtbot.mouseClick(_button(reply_widget, "Regenerate reply"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.continue_requested) as cont:
        qtbot.mouseClick(_button(reply_widget, "Continue reply"), Qt.MouseButton.LeftButton)
    assert (edit.args, regen.args, cont.args) == ([user.id], [cut.id], [cut.id])


def _stream(
    qtbot: QtBot, view: ChatView, reply: Message, text: str, *, chunk: int, every_ms: int
) -> None:
    """Feed `text` into the view `chunk` characters every `every_ms`, like a server."""
    pos = [0]
    feeder = QTimer()
    feeder.setTimerType(Qt.TimerType.PreciseTimer)

    def feed() -> None:
        view.append_reply_text(reply.id, text[pos[0] : pos[0] + chunk])
        pos[0] += chunk
        if pos[0] >= len(text):
            feeder.stop()

    feeder.timeout.connect(feed)
    feeder.start(every_ms)
    qtbot.waitUntil(lambda: not feeder.isActive(), timeout=20_000)


def test_streaming_repaints_at_most_every_50_ms_and_ends_with_the_full_reply(
    qtbot: QtBot, store: Store
) -> None:
    cid, (user, _) = _conversation(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    writer = store.begin_reply(cid, user.id, model="gpt-4o-mini")
    reply = store.get_message(writer.message_id)
    view.reload()  # the regenerated reply replaced the old one on the branch
    view.begin_reply(reply)
    widget = view.message_widget(reply.id)
    assert widget is not None
    assert widget.footer_text() == "2/2"  # a second version of the reply
    renders: list[float] = []
    widget.text_rendered.connect(lambda: renders.append(time.monotonic()))
    started = time.monotonic()
    _stream(qtbot, view, reply, REPLY, chunk=7, every_ms=2)  # 308 appends
    # The last repaint catches up: the reply ends with "That is all. " 40 times.
    qtbot.waitUntil(lambda: widget.plain_text().count("That is all.") == 40, timeout=30_000)
    elapsed = time.monotonic() - started
    # Repaints start at least REPAINT_MS apart, so there are at most that many in the time the
    # stream took, however long a loaded machine makes it (painting each append: 308).
    assert len(renders) <= elapsed * 1000 / REPAINT_MS + 2, (len(renders), elapsed)
    assert len(renders) >= 3  # it did paint along the way, not only at the end
    writer.append(REPLY)
    writer.finish(MessageStatus.COMPLETE, "stop", Usage(10, 500, 510))
    view.finish_reply(store.get_message(reply.id))
    full = MessageWidget(store.get_message(reply.id), width=widget.width())
    qtbot.addWidget(full)
    assert widget.plain_text() == full.plain_text()
    assert widget.footer_text().startswith("10 → 500 tokens")
    assert "2/2" in widget.footer_text()


def test_follows_the_stream_only_when_at_the_bottom(qtbot: QtBot, store: Store) -> None:
    cid, (_, reply) = _conversation(store)
    question = store.add_message(cid, reply.id, Role.USER, "And more?")
    view = _view(qtbot, store, height=400)
    view.show_conversation(cid)
    bar = view.scroll_area.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0  # opened at the end
    writer = store.begin_reply(cid, question.id)
    streamed = store.get_message(writer.message_id)
    view.begin_reply(streamed)
    _stream(qtbot, view, streamed, REPLY[:1500], chunk=50, every_ms=5)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and bar.maximum() > 600)
    bar.setValue(bar.maximum() - 300)  # the user scrolls up to read
    qtbot.wait(20)  # older messages may load above; what is in view stays put
    widget = view.message_widget(streamed.id)
    assert widget is not None
    viewport = view.scroll_area.viewport()
    reading_at = widget.mapTo(viewport, widget.rect().topLeft()).y()
    _stream(qtbot, view, streamed, REPLY[1500:], chunk=50, every_ms=5)
    # Once the end of the reply is shown (however long a loaded machine takes to get there):
    qtbot.waitUntil(lambda: widget.plain_text().count("That is all.") == 40, timeout=30_000)
    assert widget.mapTo(viewport, widget.rect().topLeft()).y() == reading_at
    assert bar.value() < bar.maximum() - 300


def test_errors_show_inline_with_an_action_and_a_countdown(qtbot: QtBot, store: Store) -> None:
    cid, (user, _) = _conversation(store)
    writer = store.begin_reply(cid, user.id)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    reply = store.get_message(writer.message_id)
    view.show_retry_countdown(reply.id, 4, "The server is rate-limiting requests")
    widget = view.message_widget(reply.id)
    assert widget is not None
    card = widget.error_card
    assert (card.headline, card.action_text) == ("The server is rate-limiting requests", "")
    assert card.countdown_text == "Retrying in 4 s…"
    view.show_error(reply.id, RateLimitError(hint="Wait a little."))
    assert (card.hint, card.action_text, card.countdown_text) == ("Wait a little.", "Retry", "")
    with qtbot.waitSignal(view.error_action_requested) as asked:
        qtbot.mouseClick(_button(widget, "Error action"), Qt.MouseButton.LeftButton)
    assert asked.args == [reply.id, Action.RETRY]
    writer.finish(
        MessageStatus.ERROR, error="context_length_exceeded: The conversation is too long"
    )
    view.finish_reply(store.get_message(reply.id))
    assert card.headline == "The conversation is too long"
    assert card.action_text == "Trim history"


def test_long_conversation_opens_at_the_end_with_few_widgets(
    qtbot: QtBot,
    long_store: Store,
    long_db: tuple[Path, ConversationId, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, cid, ids = long_db
    view = _view(qtbot, long_store)
    made = _count_message_widgets(monkeypatch)
    view.show_conversation(cid)
    view.grab()
    widgets = view.message_widgets()
    # The work of opening, counted: messages rendered into widgets (the time it takes is
    # bench_chat_view.py's). A page may load to fill the screen, no more.
    assert len(made) == len(widgets) <= INITIAL_ROWS + 20
    assert widgets[-1].message_id == ids[-1]
    assert ids[-1] in _visible_ids(view)
    assert "Answer 999." in widgets[-1].plain_text()


def test_scrolling_up_loads_older_messages_without_jumping(
    qtbot: QtBot, long_store: Store, long_db: tuple[Path, ConversationId, list[int]]
) -> None:
    _, cid, ids = long_db
    view = _view(qtbot, long_store)
    view.show_conversation(cid)
    qtbot.wait(20)
    before = len(view.message_widgets())
    bar = view.scroll_area.verticalScrollBar()
    top_widget = view.message_widgets()[0]
    bar.setValue(0)
    at_top = top_widget.mapTo(view, top_widget.rect().topLeft()).y()
    qtbot.waitUntil(lambda: len(view.message_widgets()) > before)
    # The message the user was looking at stays where it was.
    assert top_widget.mapTo(view, top_widget.rect().topLeft()).y() == at_top
    assert bar.value() > 0
    first_id = view.message_widgets()[0].message_id
    assert ids.index(first_id) < ids.index(top_widget.message_id)


def test_scroll_to_an_old_message_loads_and_flashes_it(
    qtbot: QtBot, long_store: Store, long_db: tuple[Path, ConversationId, list[int]]
) -> None:
    _, cid, ids = long_db
    view = _view(qtbot, long_store)
    view.show_conversation(cid)
    target = ids[10]
    assert view.message_widget(target) is None
    assert view.scroll_to_message(target)
    widget = view.message_widget(target)
    assert widget is not None
    assert widget.flashing
    assert target in _visible_ids(view)
    assert len(view.message_widgets()) < 80
    assert not view.scroll_to_message(999_999)
    qtbot.waitUntil(lambda: not widget.flashing, timeout=10_000)


def test_dark_palette_recolours_the_view(qtbot: QtBot, store: Store) -> None:
    cid, _ = _conversation(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    light_bg = view.grab().toImage().pixelColor(5, 5)
    dark = QPalette(view.palette())
    for role, colour in (
        (QPalette.ColorRole.Window, QColor(32, 33, 36)),
        (QPalette.ColorRole.Base, QColor(24, 25, 28)),
        (QPalette.ColorRole.Text, QColor(230, 230, 230)),
        (QPalette.ColorRole.WindowText, QColor(230, 230, 230)),
    ):
        dark.setColor(role, colour)
    view.setPalette(dark)
    image = view.grab().toImage()
    assert image.pixelColor(5, 5).lightness() < 60 < light_bg.lightness()
    reply = view.message_widgets()[1]
    assert "value_29" in reply.plain_text()


def test_begin_reply_for_an_unshown_alternative_only_updates_the_count(
    qtbot: QtBot, store: Store
) -> None:
    cid, (user, reply) = _conversation(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    writer = store.begin_reply(cid, user.id, choice_index=1)  # n=2: not made current
    alternative = store.get_message(writer.message_id)
    view.begin_reply(alternative)
    view.append_reply_text(alternative.id, "ignored here")
    writer.finish(MessageStatus.COMPLETE, "stop")
    view.finish_reply(dataclasses.replace(alternative, status=MessageStatus.COMPLETE))
    shown = view.message_widgets()
    assert [w.message_id for w in shown] == [user.id, reply.id]
    assert "1/2" in shown[1].footer_text()


def test_the_view_follows_the_store_without_being_told(qtbot: QtBot, store: Store) -> None:
    cid, (user, reply) = _conversation(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    kept = view.message_widgets()[0]
    follow_up = store.add_message(cid, reply.id, Role.USER, "And descending?")
    assert [w.message_id for w in view.message_widgets()] == [user.id, reply.id, follow_up.id]
    assert view.message_widgets()[2].plain_text() == "And descending?"
    other = store.add_message(cid, user.id, Role.ASSISTANT, "Another answer")
    # The new version became the branch: the rows below the question changed, its widget stays.
    assert [w.message_id for w in view.message_widgets()] == [user.id, other.id]
    assert view.message_widgets()[0] is kept
    assert "2/2" in view.message_widgets()[1].footer_text()
    store.set_usage(other.id, Usage(7, 3, 10, reasoning_tokens=2))
    assert view.message_widgets()[1].footer_text().startswith("7 → 3 tokens (2 reasoning)")


def test_a_stored_copy_mid_stream_does_not_make_the_text_jump_back(
    qtbot: QtBot, store: Store
) -> None:
    cid, (user, _) = _conversation(store)
    view = _view(qtbot, store)
    view.show_conversation(cid)
    writer = store.begin_reply(cid, user.id, model="m")
    reply = store.get_message(writer.message_id)
    view.begin_reply(reply)
    widget = view.message_widget(reply.id)
    assert widget is not None
    view.append_reply_text(reply.id, "The first words, ")
    writer.append("The first")
    writer.flush()
    qtbot.waitUntil(lambda: "words" in widget.plain_text())
    view.append_reply_text(reply.id, "then more.")
    store.set_usage(reply.id, Usage(1, 2, 3))  # the store's copy has only "The first"
    qtbot.waitUntil(lambda: widget.plain_text() == "The first words, then more.")
    writer.append(" words, then more.")
    writer.finish(MessageStatus.COMPLETE, "stop", Usage(1, 5, 6))
    view.finish_reply(store.get_message(reply.id))
    assert widget.plain_text() == "The first words, then more."
    assert widget.footer_text().startswith("1 → 5 tokens")


def test_a_failure_shown_off_screen_is_there_when_scrolled_to(
    qtbot: QtBot, long_store: Store, long_db: tuple[Path, ConversationId, list[int]]
) -> None:
    _, cid, ids = long_db
    view = _view(qtbot, long_store)
    view.show_conversation(cid)
    old_reply = ids[21]
    assert view.message_widget(old_reply) is None
    view.show_error(old_reply, RateLimitError(hint="Wait a minute, then retry."))
    assert view.scroll_to_message(old_reply)
    widget = view.message_widget(old_reply)
    assert widget is not None
    assert widget.error_card.hint == "Wait a minute, then retry."
    assert widget.error_card.action is Action.RETRY


def test_an_answer_that_was_reasoning_shows_again_under_its_folded_section(
    qtbot: QtBot, store: Store
) -> None:
    # The model wrote its reasoning, then </think> (its template opened the tag): the text
    # shown as the answer moves into the reasoning section, and the answer starts afresh.
    conv = store.create_conversation("Chat")
    user = store.add_message(conv.id, None, Role.USER, "Why is the sky blue?")
    view = _view(qtbot, store)
    view.show_conversation(conv.id)
    writer = store.begin_reply(conv.id, user.id, model="qwq")
    reply = store.get_message(writer.message_id)
    view.begin_reply(reply)
    thinking = "Rayleigh scattering.\n\nShorter waves scatter more.\n"
    for piece in (thinking[:25], thinking[25:]):
        writer.append(piece)
        view.append_reply_text(reply.id, piece)
    widget = view.message_widget(reply.id)
    assert widget is not None
    qtbot.waitUntil(lambda: "Shorter waves" in widget.plain_text(), timeout=5_000)

    writer.answer_was_reasoning()
    view.answer_was_reasoning(store.get_message(reply.id))  # as the controller does
    section = widget.reasoning_section
    qtbot.waitUntil(section.isVisible, timeout=5_000)
    assert "Rayleigh" not in widget.plain_text()
    assert section.text == "Rayleigh scattering.\n\nShorter waves scatter more."

    writer.append("Because blue light scatters most.")
    view.append_reply_text(reply.id, "Because blue light scatters most.")
    qtbot.waitUntil(lambda: "blue light" in widget.plain_text(), timeout=5_000)
    assert not section.expanded  # folded once the answer starts
    writer.finish(MessageStatus.COMPLETE, "stop")
    view.finish_reply(store.get_message(reply.id))
    assert widget.plain_text() == "Because blue light scatters most."
    assert section.isVisible()
    assert not section.expanded
    assert section.label.startswith("Thought")
