"""Attachments in the main window, against the fake OpenAI server and a real SQLite store: a
message sent with its images and files (stored as parts, shown in the chat), sent with no words,
refused before anything is stored (text and chips stay), drops on the chat (an export still
imports), edit keeping the attachments, and a model that refuses images offering another."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot
from tests.support import attachment_files as files
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_openai.vision import images_in
from tests.unit.ui.attachment_window import (
    MODEL,
    composer_edit,
    drop_on,
    fake_settings,
    file_drag,
    until,
    window_on,
)

from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.core.transfer import export_json_file
from kibitz.core.types import ConversationId, FilePart, ImagePart, MessageStatus, Role, TextPart
from kibitz.ui.main_window import MainWindow
from kibitz.ui.settings.conversation_page import ConversationSettingsDialog
from kibitz.ui.views.message_widget import MessageWidget


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    # The fake provider's key only: never a developer's environment.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return resolve_paths(tmp_path / "home").ensure()


@pytest.fixture
def window(qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI) -> Iterator[MainWindow]:
    with window_on(qtbot, store, paths, fake_settings(fake)) as main:
        yield main


def answered(store: Store, conversation: ConversationId) -> bool:
    """The branch ends in a reply that is no longer streaming."""
    last = store.branch(conversation)[-1]
    return last.role is Role.ASSISTANT and last.status is not MessageStatus.STREAMING


def user_widget(window: MainWindow) -> MessageWidget:
    widgets = [w for w in window.chat_view.message_widgets() if w.message.role is Role.USER]
    assert widgets
    return widgets[-1]


@pytest.mark.asyncio
async def test_a_message_is_sent_with_its_images_and_files_and_shown_with_them(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI, tmp_path: Path
) -> None:
    photo = tmp_path / "street.jpg"
    photo.write_bytes(files.photo(1200, 900))
    report = tmp_path / "report.pdf"
    files.text_pdf("Visitors doubled in May.", path=report)
    window.chat.intake.add_paths([photo, report])
    await until(lambda: len(window.composer.attachments) == 2, "the chips")
    qtbot.keyClicks(composer_edit(window), "What do you see?")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)

    conversation = window.chat.conversation_id
    assert conversation is not None
    assert window.composer.chips() == []
    assert window.composer.text == ""
    await until(lambda: answered(store, conversation), "the reply")
    question, reply = store.branch(conversation)
    text, image, document = question.parts
    assert text == TextPart("What do you see?")
    assert isinstance(image, ImagePart)
    assert isinstance(document, FilePart)
    assert (image.name, image.width, image.height) == ("street.jpg", 1200, 900)
    assert store.blob(image.blob) == photo.read_bytes()
    assert store.blob(document.blob) == report.read_bytes()
    assert document.text is not None
    assert "Visitors doubled in May." in document.text
    (request,) = fake.chat_requests
    (seen,) = images_in(request.body)
    assert seen.mime_type == "image/jpeg"
    assert "Visitors doubled in May." in json.dumps(request.body)
    assert reply.content.startswith("I see 1 image: image/jpeg")

    shown = user_widget(window).attachments_view
    assert shown is not None
    assert shown.isVisibleTo(window)
    (thumb,) = shown.images()
    (chip,) = shown.file_chips()
    assert chip.name == "report.pdf"
    assert chip.details == f"PDF · {report.stat().st_size} bytes"
    # One image alone keeps its shape, within the box; its thumbnail comes lazily.
    assert (thumb.width(), thumb.height()) == (256, 192)
    await until(lambda: thumb.loaded, "the thumbnail")
    cached = list((tmp_path / "home" / "cache" / "thumbnails").glob(f"{image.blob}-*.png"))
    assert len(cached) == 1, "the thumbnail is kept on disk, made once"
    await window.chat.aclose()  # the HTTP client's connections


@pytest.mark.asyncio
async def test_attachments_may_go_without_words(
    window: MainWindow, store: Store, fake: FakeOpenAI, tmp_path: Path
) -> None:
    picture = tmp_path / "chart.png"
    files.png(picture, 300, 200)
    window.chat.intake.add_paths([picture])
    await until(lambda: window.composer.attachments, "the chip")
    window.composer.send_requested.emit("")  # Enter with no words
    conversation = window.chat.conversation_id
    assert conversation is not None
    assert store.get_conversation(conversation).title == "chart.png"
    (question,) = [m for m in store.branch(conversation) if m.role is Role.USER]
    assert [type(p) for p in question.parts] == [ImagePart]
    await until(lambda: answered(store, conversation), "the reply")
    await window.chat.aclose()  # the HTTP client's connections


def test_a_file_too_big_for_the_model_keeps_the_text_and_the_chips(
    qtbot: QtBot, store: Store, paths: AppPaths, fake: FakeOpenAI, tmp_path: Path
) -> None:
    novel = tmp_path / "novel.txt"
    novel.write_text("It was a dark and stormy night. " * 2000, encoding="utf-8")
    settings = fake_settings(fake, defaults__model="local-model", chat__unknown_context_window=1000)
    with window_on(qtbot, store, paths, settings) as window:
        window.chat.intake.add_paths([novel])
        qtbot.waitUntil(lambda: bool(window.composer.attachments), timeout=10_000)
        qtbot.keyClicks(composer_edit(window), "Summarise this")
        qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
        notice = window.notices.current
        assert notice is not None
        assert notice.kind == "error"
        assert "novel.txt is too big for this model" in notice.text
        assert window.composer.text == "Summarise this"
        assert [c.name for c in window.composer.chips()] == ["novel.txt"]
        assert store.conversation_ids() == [], "no conversation was made for it"
        assert fake.chat_requests == []


@pytest.mark.asyncio
async def test_drops_on_the_chat_attach_and_an_export_still_imports(
    window: MainWindow, store: Store, tmp_path: Path
) -> None:
    old = store.create_conversation("Exported one")
    asked = store.add_message(old.id, None, Role.USER, "an old question")
    store.add_message(old.id, asked.id, Role.ASSISTANT, "an old answer")
    export = tmp_path / "kibitz-export.json"
    export_json_file(store, [store.get_conversation(old.id)], export)
    store.delete([old.id])
    store.purge_deleted()
    window.chat.open_conversation(None)
    package = tmp_path / "package.json"
    package.write_text('{"name": "demo", "version": "1.0.0"}\n', encoding="utf-8")
    photo = tmp_path / "cat.png"
    files.png(photo, 90, 60)

    # Files dropped on the welcome pane of a new chat, then on an open conversation's text.
    assert drop_on(window.welcome, file_drag([photo, package])).isAccepted()
    await until(lambda: len(window.composer.attachments) == 2, "the chips")
    assert [c.name for c in window.composer.chips()] == ["cat.png", "package.json"]

    imported: list[object] = []
    window.transfer.import_finished.connect(imported.append)
    drop_on(window.welcome, file_drag([export]))
    await until(lambda: imported, "the import")
    titles = [store.get_conversation(c).title for c in store.conversation_ids()]
    assert titles == ["Exported one"]
    assert [c.name for c in window.composer.chips()] == ["cat.png", "package.json"]

    window.chat.open_conversation(store.conversation_ids()[0])
    message_text = window.chat_view.message_widgets()[0].text_view.viewport()
    notes = tmp_path / "notes.txt"
    notes.write_text("remember the milk", encoding="utf-8")
    assert drop_on(message_text, file_drag([notes])).isAccepted()
    await until(lambda: [c.name for c in window.composer.chips()] == ["notes.txt"], "the chip")
    await window.chat.aclose()  # the HTTP client's connections


@pytest.mark.asyncio
async def test_edit_and_up_keep_the_attachments(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI
) -> None:
    picture, notes = files.png(None, 50, 40), b"line one\nline two\n"
    conversation = store.create_conversation("Edits")
    parts = [
        TextPart("Look at these"),
        ImagePart(store.put_blob(picture), "dot.png", "image/png", len(picture), 50, 40),
        FilePart(store.put_blob(notes), "notes.txt", "text/plain", len(notes), notes.decode()),
    ]
    question = store.add_message(conversation.id, None, Role.USER, parts)
    store.add_message(conversation.id, question.id, Role.ASSISTANT, "Seen.")
    window.chat.open_conversation(conversation.id)

    # Up in the empty composer: the last question comes back with its attachments.
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Up)
    assert window.composer.text == "Look at these"
    assert [c.name for c in window.composer.chips()] == ["dot.png", "notes.txt"]
    window.composer.clear()

    # Edit on the message: the same, and a chip removed stays out of the new version.
    user_widget(window).edit_requested.emit(question.id)
    chips = window.composer.chips()
    assert [c.name for c in chips] == ["dot.png", "notes.txt"]
    assert chips[1].remove_button is not None
    qtbot.mouseClick(chips[1].remove_button, Qt.MouseButton.LeftButton)
    window.composer.set_text("Only the picture, please")
    qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
    await until(lambda: len(store.siblings(question.id)) == 2, "the new version")
    edited = next(m for m in store.siblings(question.id) if m.id != question.id)
    assert edited.parts == (TextPart("Only the picture, please"), parts[1])
    await until(lambda: fake.chat_requests, "the request")
    assert len(images_in(fake.chat_requests[-1].body)) == 1
    await window.chat.aclose()  # the HTTP client's connections


@pytest.mark.asyncio
async def test_a_model_that_refuses_images_offers_the_conversations_model_setting(
    qtbot: QtBot, window: MainWindow, store: Store, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.text_only_models[MODEL] = "openai"
    picture = tmp_path / "graph.png"
    files.png(picture, 64, 64)
    window.chat.intake.add_paths([picture])
    await until(lambda: window.composer.attachments, "the chip")
    window.composer.send_requested.emit("Read the graph")
    conversation = window.chat.conversation_id
    assert conversation is not None
    await until(lambda: store.branch(conversation)[-1].status is MessageStatus.ERROR, "the refusal")
    reply = window.chat_view.message_widgets()[-1]
    card = reply.error_card
    await until(lambda: card.isVisibleTo(window), "the error card")
    assert card.headline == "This model does not accept images"
    assert card.action_text == "Choose model"
    # The question and its image are kept: a retry with another model sends them again.
    question = store.branch(conversation)[0]
    assert any(isinstance(p, ImagePart) for p in question.parts)
    button = card.findChild(QPushButton)
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialogs = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, ConversationSettingsDialog)
    ]
    assert [d.conversation_id for d in dialogs if d.isVisible()] == [conversation]
    model_field = dialogs[0].editors["model"].input_widget()
    await until(lambda: model_field.hasFocus() or model_field.isAncestorOf(
        QApplication.focusWidget() or window), "the model field focused")  # fmt: skip
    for dialog in dialogs:
        dialog.close()
    await window.chat.aclose()  # the HTTP client's connections
