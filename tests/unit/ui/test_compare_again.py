"""Compare, its leftovers: the question line shows the images and files the question carried
(thumbnails and chips that open on a click); a question compared before, reopened later, is
compared again from its "Compare again…" (the Compare menu's ticked models, as new versions of
its answer, in the columns); and the hidden chat renders none of the streaming replies, showing
the chosen one once "Continue with this" brings it back.

Photographs the question line with an image and a file, and the Compare again offer, as
compare-question-attachments.png and compare-again-offer.png in $KIBITZ_TEST_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor, QPainter
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from tests.support import attachment_files as files
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.screenshots import shots_dir
from tests.unit.ui.attachment_window import MODEL, composer_edit, fake_settings, until, window_on
from tests.unit.ui.test_compare_window import pick_models

from kibitz.core.paths import AppPaths
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role
from kibitz.ui.main_window import MainWindow
from kibitz.ui.views.attachment_chip import AttachmentChip
from kibitz.ui.views.image_viewer import ImageViewer
from kibitz.ui.views.message_attachments import ImageThumbnail
from kibitz.ui.views.message_widget import MessageWidget

LONG = "The answer, at length. " * 60  # ~1,400 characters: seconds at the paces below


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI) -> Iterator[MainWindow]:
    with window_on(qtbot, store, paths, fake_settings(fake)) as main:
        yield main


def _send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    qtbot.keyClicks(composer_edit(window), text)
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)


def _question_widget(window: MainWindow) -> MessageWidget:
    widgets = [w for w in window.chat_view.message_widgets() if w.message.role is Role.USER]
    assert widgets
    return widgets[-1]


def _shot(window: QWidget, popup: QWidget | None, path: Path) -> None:
    """The window as on screen, a popup (a window of its own) drawn where it is."""
    image = window.grab().toImage()
    if popup is not None:
        painter = QPainter(image)
        painter.drawPixmap(window.mapFromGlobal(popup.mapToGlobal(QPoint(0, 0))), popup.grab())
        painter.end()
    assert image.save(str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.asyncio
async def test_the_question_line_shows_the_images_and_files_it_carried(
    qtbot: QtBot, window: MainWindow, fake: FakeOpenAI, tmp_path: Path
) -> None:
    photo = tmp_path / "street.jpg"
    photo.write_bytes(files.photo(1200, 900))
    report = tmp_path / "report.pdf"
    files.text_pdf("Visitors doubled in May.", path=report)
    await pick_models(qtbot, window, ["gpt-4o"])
    window.chat.intake.add_paths([photo, report])
    await until(lambda: len(window.composer.attachments) == 2, "the chips")
    _send(qtbot, window, "What do you see?")
    view = window.compare_view
    assert window.compare.showing
    assert view.question_text() == "What do you see?"

    shown = view.question_attachments
    assert shown.isVisibleTo(window)
    thumb, chip = shown.items
    assert isinstance(thumb, ImageThumbnail)
    assert isinstance(chip, AttachmentChip)
    assert thumb.part.name == "street.jpg"
    assert chip.name == "report.pdf"
    assert chip.details == f"PDF · {report.stat().st_size} bytes"
    # Small, beside each other, under the question: the columns keep the room.
    assert thumb.height() == chip.height() <= 64
    assert thumb.mapTo(view, QPoint(0, 0)).y() == chip.mapTo(view, QPoint(0, 0)).y()
    await until(lambda: thumb.loaded, "the thumbnail")
    await until(lambda: not window.chat.busy, "every reply")
    _shot(window, None, shots_dir(tmp_path) / "compare-question-attachments.png")

    # A click on the thumbnail opens the image, as in the chat.
    qtbot.mouseClick(thumb, Qt.MouseButton.LeftButton)
    viewers = [w for w in QApplication.topLevelWidgets() if isinstance(w, ImageViewer)]
    assert len(viewers) == 1
    viewers[0].close()
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_a_question_compared_before_is_compared_again_from_its_actions(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI, tmp_path: Path
) -> None:
    await pick_models(qtbot, window, ["gpt-4o"])
    _send(qtbot, window, "Which is bigger, 9.11 or 9.9?")
    await until(lambda: not window.chat.busy, "the first comparison")
    window.compare_view.continue_requested.emit(0)
    conversation = window.chat.conversation_id
    assert conversation is not None
    question = store.branch(conversation)[0]
    assert len(store.children(question.id)) == 2

    # Reopened later: the chat shows one reply, the other a version (‹ 1/2 ›).
    window.chat.new_chat()
    window.chat.open_conversation(conversation)
    assert not window.compare.showing
    widget = _question_widget(window)
    assert widget.message_id == question.id
    button = widget.action_row.compare_again
    assert button.isVisibleTo(window)
    assert button.accessibleName() == "Compare again"

    # The pointer on the button (the row's buttons show), then a click: the menu opens there.
    QCursor.setPos(button.mapToGlobal(button.rect().center()))
    widget.action_row.set_hovered(True)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    menu = window.compare.menu
    assert menu is not None
    qtbot.waitExposed(menu)
    assert abs(menu.y() - QCursor.pos().y()) <= 2  # at the button, not over the composer
    await until(lambda: not window._runner.running("models:fake"), "the model list")
    again = menu.again_action
    assert again is not None
    assert again.isEnabled()
    assert again.text() == "Compare again: ask 2 models “Which is bigger, 9.11 or 9.9?”"
    qtbot.wait(50)
    _shot(window, menu, shots_dir(tmp_path) / "compare-again-offer.png")

    fake.script(Reply(text="Again, first."), Reply(text="Again, second."))
    menu.setActiveAction(again)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    assert not menu.isVisible()
    view = window.compare_view
    assert window.compare.showing
    assert view.question_text() == "Which is bigger, 9.11 or 9.9?"
    assert [c.model_name for c in view.columns] == [MODEL, "gpt-4o"]
    await until(lambda: not window.chat.busy, "the second comparison")
    texts = sorted(c.plain_text() for c in view.columns)
    assert texts == ["Again, first.", "Again, second."]
    # No second question: the new replies are versions of the same answer.
    assert [m.role for m in store.all_messages(conversation)].count(Role.USER) == 1
    assert len(store.children(question.id)) == 4
    assert sorted(r.body["model"] for r in fake.chat_requests[2:]) == ["gpt-4o", MODEL]

    view.continue_requested.emit(1)
    last = window.chat_view.message_widgets()[-1]
    assert last.plain_text() == view.column(1).plain_text()
    assert "/4" in last.footer_text()
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_compare_again_with_one_model_ticked_asks_for_another_first(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    _send(qtbot, window, "Plain question?")
    await until(lambda: not window.chat.busy and len(fake.chat_requests) == 1, "the reply")
    widget = _question_widget(window)
    qtbot.mouseClick(widget.action_row.compare_again, Qt.MouseButton.LeftButton)
    menu = window.compare.menu
    assert menu is not None
    await until(lambda: not window._runner.running("models:fake"), "the model list")
    again = menu.again_action
    assert again is not None
    assert not again.isEnabled()  # only the current model is ticked
    [gpt_4o] = [a for a in menu.model_actions() if a.text() == "gpt-4o"]
    menu.setActiveAction(gpt_4o)
    qtbot.keyClick(menu, Qt.Key.Key_Space)
    again = menu.again_action
    assert again is not None
    assert again.isEnabled()
    again.trigger()
    assert window.compare.showing
    await until(lambda: not window.chat.busy and len(fake.chat_requests) == 3, "the comparison")
    conversation = window.chat.conversation_id
    assert conversation is not None
    question = store.branch(conversation)[0]
    assert len(store.children(question.id)) == 3
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_the_hidden_chat_renders_none_of_the_streaming_replies(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    await pick_models(qtbot, window, ["gpt-4o"])
    fake.script(Reply(text=LONG, chars_per_sec=700), Reply(text=LONG, chars_per_sec=400))
    _send(qtbot, window, "Tell me at length.")
    conversation = window.chat.conversation_id
    assert conversation is not None

    def stored_streaming_text() -> bool:
        return any(
            m.status is MessageStatus.STREAMING and m.content
            for m in store.all_messages(conversation)
        )

    # The store holds text of the replies (committed as they stream), so a chat view that
    # followed it would have their rows by now.
    await until(stored_streaming_text, "text of a reply in the store")
    await until(lambda: any(c.plain_text() for c in window.compare_view.columns), "a column")
    # What the chat would show changes not once while more text arrives.
    changes: list[str] = []
    model = window.chat_view.model
    model.dataChanged.connect(lambda *_: changes.append("changed"))
    model.rowsInserted.connect(lambda *_: changes.append("inserted"))
    await until(lambda: len(store.get_message(store.branch(conversation)[-1].id).content) > 200,
                "more text")  # fmt: skip
    chat_texts = [w.plain_text() for w in window.chat_view.message_widgets()]
    assert not any("The answer" in t for t in chat_texts)
    assert not [w for w in window.chat_view.message_widgets() if w.message.role is Role.ASSISTANT]
    assert changes == []

    await until(lambda: not window.chat.busy, "every reply")
    chosen = window.compare_view.column(1).message
    assert chosen is not None
    window.compare_view.continue_requested.emit(1)
    assert window.chat_view.isVisible()
    question, last = window.chat_view.message_widgets()
    assert question.plain_text() == "Tell me at length."
    assert last.message_id == chosen.id
    assert last.plain_text().count("The answer, at length.") == 60
    await window.chat.aclose()


@pytest.mark.asyncio
async def test_with_compare_turned_off_over_the_columns_the_chat_takes_the_follow_up(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    await pick_models(qtbot, window, ["gpt-4o"])
    _send(qtbot, window, "First?")
    # The composer takes the next message once it says the replies are in.
    await until(lambda: not window.chat.busy and not window.composer.busy, "the comparison")
    leftmost = window.compare_view.column(0).message
    assert leftmost is not None
    window.compare.set_on(False)  # "Compare off" in the menu, the columns still shown
    fake.script(Reply(text="Just one of us."))
    _send(qtbot, window, "And then?")
    # The columns give way: the follow-up streams where it is seen, under the leftmost reply.
    assert not window.compare.showing
    assert window.chat_view.isVisible()
    await until(lambda: not window.chat.busy and len(fake.chat_requests) == 3, "the follow-up")
    assert fake.chat_requests[-1].body["model"] == MODEL
    conversation = window.chat.conversation_id
    assert conversation is not None
    texts = [m.content for m in store.branch(conversation)]
    assert texts == ["First?", leftmost.content, "And then?", "Just one of us."]
    await until(
        lambda: window.chat_view.message_widgets()[-1].plain_text() == "Just one of us.",
        "the reply shown",
    )
    await window.chat.aclose()
