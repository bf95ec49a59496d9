"""Conversations in the Trash go for good at a later start: 30 days after the delete, the
window's housekeeping purges them with their images and unsent drafts, on its worker thread;
what was deleted since, and everything not deleted, stays (the Trash still restores it). Real
store file, real window."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot
from tests.unit.ui.attachment_window import fake_settings, window_on

from kibitz.core.drafts import Draft, DraftStore, conversation_key
from kibitz.core.errors import NotFoundError
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store, blob_digest
from kibitz.core.store.blobs import UNUSED_GRACE_S
from kibitz.core.store.conversations import TRASH_KEPT_S
from kibitz.core.types import ConversationId, ImagePart, Role, TextPart
from kibitz.ui.controllers.trash_controller import DELETED_MESSAGES_KEPT_S
from kibitz.ui.main_window import DRAFTS, MainWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return resolve_paths(tmp_path / "home").ensure()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(paths: AppPaths, clock: Clock) -> Iterator[Store]:
    with Store.open(paths.database, clock=clock) as opened:
        yield opened


def png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, "PNG")
    return out.getvalue()


def with_image(store: Store, title: str, color: str) -> ConversationId:
    conversation = store.create_conversation(title)
    data = png(color)
    part = ImagePart(store.put_blob(data), f"{color}.png", "image/png", len(data), 8, 8)
    store.add_message(conversation.id, None, Role.USER, (TextPart(title), part))
    return conversation.id


def test_conversations_in_the_trash_for_30_days_go_with_their_images_and_drafts(
    qtbot: QtBot, store: Store, paths: AppPaths, clock: Clock
) -> None:
    old = with_image(store, "deleted last week", "red")
    kept = with_image(store, "never deleted", "green")
    store.delete([old])
    clock.now += TRASH_KEPT_S - 86400
    recent = with_image(store, "deleted a day before", "blue")
    store.delete([recent])
    clock.now += 86400 + UNUSED_GRACE_S
    drafts = DraftStore(paths.data_dir / DRAFTS)
    for cid in (old, kept, recent):
        drafts.save(conversation_key(cid), Draft(text=f"unsent words for {cid}"))

    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        assert isinstance(window, MainWindow)
        # What start_background_work schedules after start-up, on the window's worker thread.
        window._executor.submit(window.purge_old_deletions).result(timeout=30)
        qtbot.waitUntil(lambda: window.sidebar.trash_view.model.rowCount() == 1, timeout=10_000)

    alive = {c.id for c in store.list_conversations()}
    assert alive == {kept}
    assert store.restore([recent]).conversation_ids == (recent,)  # Undo still reaches it
    assert store.restore([old]).conversation_ids == ()  # gone for good
    assert not store.has_blob(blob_digest(png("red")))
    assert store.has_blob(blob_digest(png("green")))
    assert store.has_blob(blob_digest(png("blue")))
    assert drafts.keys() == sorted([conversation_key(kept), conversation_key(recent)])


def test_messages_deleted_before_this_start_go_for_good_with_their_images(
    qtbot: QtBot, store: Store, paths: AppPaths, clock: Clock
) -> None:
    conversation = store.create_conversation("a question and its reply")
    data = png("purple")
    image = ImagePart(store.put_blob(data), "purple.png", "image/png", len(data), 8, 8)
    question = store.add_message(conversation.id, None, Role.USER, (TextPart("look"), image))
    store.add_message(conversation.id, question.id, Role.ASSISTANT, "a purple square")
    store.delete_message(question.id)
    clock.now += DELETED_MESSAGES_KEPT_S + UNUSED_GRACE_S

    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        assert isinstance(window, MainWindow)
        window._executor.submit(window.purge_old_deletions).result(timeout=30)

    with pytest.raises(NotFoundError):  # Undo cannot reach them any more
        store.restore_message(question.id)
    assert store.all_messages(conversation.id) == []
    assert not store.has_blob(blob_digest(data))
