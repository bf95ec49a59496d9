"""Drafts: what is in the composer (text and attachments) survives closing the window, per
conversation and for the new-chat composer, and an edit in progress stays an edit. Also the
draft files themselves: written whole, private, read back as they were."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.support import attachment_files as files
from tests.support.fake_openai import FakeOpenAI
from tests.unit.ui.attachment_window import composer_edit, fake_settings, until, window_on

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.drafts import NEW_CHAT, Draft, DraftStore, conversation_key
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, FilePart, ImagePart, MessageId, Role, TextPart
from kibitz.ui.main_window import DRAFTS

WAIT_MS = 10_000


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return resolve_paths(tmp_path / "home").ensure()


def names(window: object) -> list[str]:
    return [chip.name for chip in window.composer.chips()]  # type: ignore[attr-defined]


def test_the_new_chat_draft_survives_closing_and_opening_the_window(
    qtbot: QtBot, store: Store, paths: AppPaths, tmp_path: Path
) -> None:
    photo = tmp_path / "garden.jpg"
    photo.write_bytes(files.photo(900, 600))
    notes = tmp_path / "plants.txt"
    notes.write_text("fern, moss, ivy\n", encoding="utf-8")
    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        qtbot.keyClicks(composer_edit(window), "Which of these need shade?")
        window.chat.intake.add_paths([photo, notes])
        qtbot.waitUntil(lambda: len(window.composer.attachments) == 2, timeout=WAIT_MS)
        window.close()  # before sending
    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        assert window.composer.text == "Which of these need shade?"
        assert names(window) == ["garden.jpg", "plants.txt"]
        image, text = window.composer.attachments
        assert isinstance(image, Attachment)
        assert image.data == photo.read_bytes()
        assert (image.kind, image.width, image.height) == (AttachmentKind.IMAGE, 900, 600)
        assert isinstance(text, Attachment)
        assert text.text == "fern, moss, ivy\n"
        qtbot.waitUntil(lambda: window.composer.chips()[0].thumbnail is not None, timeout=WAIT_MS)


def test_each_conversation_keeps_its_own_draft(
    qtbot: QtBot, store: Store, paths: AppPaths, tmp_path: Path
) -> None:
    first, second = store.create_conversation("First"), store.create_conversation("Second")
    for conversation in (first, second):
        store.add_message(conversation.id, None, Role.USER, f"hello {conversation.title}")
    doc = tmp_path / "plan.md"
    doc.write_text("# Plan\n", encoding="utf-8")
    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        window.chat.open_conversation(first.id)
        qtbot.keyClicks(composer_edit(window), "draft for the first")
        window.chat.intake.add_paths([doc])
        qtbot.waitUntil(lambda: bool(window.composer.attachments), timeout=WAIT_MS)
        window.chat.open_conversation(second.id)
        assert window.composer.text == ""
        assert names(window) == []
        qtbot.keyClicks(composer_edit(window), "second thoughts")
        window.chat.new_chat()
        assert window.composer.text == ""
        window.chat.open_conversation(first.id)
        assert window.composer.text == "draft for the first"
        assert names(window) == ["plan.md"]
        window.chat.open_conversation(second.id)
        assert window.composer.text == "second thoughts"
        window.close()
    drafts = DraftStore(paths.data_dir / DRAFTS)
    assert drafts.keys() == sorted([conversation_key(first.id), conversation_key(second.id)])
    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        assert window.composer.text == "", "the new-chat composer was left empty"
        window.chat.open_conversation(second.id)
        assert window.composer.text == "second thoughts"
        window.chat.open_conversation(first.id)
        assert (window.composer.text, names(window)) == ("draft for the first", ["plan.md"])


def test_an_edit_in_progress_is_still_an_edit_after_reopening(
    qtbot: QtBot, store: Store, paths: AppPaths
) -> None:
    picture = files.png(None, 20, 20)
    conversation = store.create_conversation("Edit me")
    question = store.add_message(
        conversation.id,
        None,
        Role.USER,
        [
            TextPart("first try"),
            ImagePart(store.put_blob(picture), "dot.png", "image/png", len(picture), 20, 20),
        ],
    )
    store.add_message(conversation.id, question.id, Role.ASSISTANT, "ok")
    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        window.chat.open_conversation(conversation.id)
        qtbot.keyClick(composer_edit(window), Qt.Key.Key_Up)
        composer_edit(window).selectAll()
        qtbot.keyClicks(composer_edit(window), "second try")
        window.close()
    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        window.chat.open_conversation(conversation.id)
        assert window.composer.text == "second try"
        assert names(window) == ["dot.png"]
        notice = window.notices.current
        assert notice is not None
        assert notice.text.startswith("Editing a message")
        assert window.chat._editing is not None
        assert window.chat._editing.id == question.id


@pytest.mark.asyncio
async def test_sending_discards_the_draft(
    qtbot: QtBot, store: Store, paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    drafts = DraftStore(paths.data_dir / DRAFTS)
    drafts.save(NEW_CHAT, Draft("left from last time"))
    with FakeOpenAI() as fake, window_on(qtbot, store, paths, fake_settings(fake)) as window:
        assert window.composer.text == "left from last time"
        qtbot.keyClick(composer_edit(window), Qt.Key.Key_Return)
        conversation = window.chat.conversation_id
        assert conversation is not None
        assert window.composer.text == ""
        await until(lambda: not window.chat.busy, "the reply")
        window.close()
        await window.chat.aclose()
    assert drafts.load(NEW_CHAT) == Draft()
    assert drafts.load(conversation_key(conversation)) == Draft()


# -- the files on disk -------------------------------------------------------------------------


def test_a_draft_is_written_privately_and_read_back_whole(tmp_path: Path) -> None:
    blobs = {"a" * 64: b"stored bytes"}
    drafts = DraftStore(tmp_path / "drafts", load_blob=blobs.__getitem__)
    photo = files.png(None, 30, 20)
    draft = Draft(
        "text ✓",
        (
            Attachment("p.png", "image/png", photo, AttachmentKind.IMAGE, width=30, height=20),
            FilePart("a" * 64, "kept.txt", "text/plain", 12, "stored bytes"),
        ),
        editing=MessageId(7),
    )
    drafts.save("conversation-3", draft)
    folder = tmp_path / "drafts" / "conversation-3"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    manifest = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    assert [a["name"] for a in manifest["attachments"]] == ["p.png", "kept.txt"]
    loaded = drafts.load("conversation-3")
    assert loaded.text == "text ✓"
    assert loaded.editing == 7
    image, kept = loaded.attachments
    assert image == draft.attachments[0]
    assert kept == Attachment(
        "kept.txt", "text/plain", b"stored bytes", AttachmentKind.FILE, text="stored bytes"
    )
    # A smaller draft leaves no file of the bigger one behind.
    drafts.save("conversation-3", Draft("only text"))
    assert sorted(p.name for p in folder.iterdir()) == ["draft.json"]
    drafts.save("conversation-3", Draft("   "))
    assert not folder.exists()


def test_a_damaged_draft_reads_as_empty_and_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "drafts" / conversation_key(ConversationId(5))
    folder.mkdir(parents=True)
    (folder / "draft.json").write_text('{"format": 1, "text": "cut sh', encoding="utf-8")
    drafts = DraftStore(tmp_path / "drafts")
    assert drafts.load(conversation_key(ConversationId(5))) == Draft()
    assert (folder / "draft.json").exists()
    with pytest.raises(ValueError, match="not a draft key"):
        drafts.load("../elsewhere")
