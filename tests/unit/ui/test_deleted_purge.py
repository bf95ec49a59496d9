"""Deleted conversations go for good at a later start: a day after the delete, the window's
housekeeping purges them with their images and unsent drafts; what was deleted since, and
everything not deleted, stays (Undo still reaches it). Real store file, real window."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot
from tests.unit.ui.attachment_window import fake_settings, window_on

from kibitz.core.drafts import Draft, DraftStore, conversation_key
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.store import Store, blob_digest
from kibitz.core.store.blobs import UNUSED_GRACE_S
from kibitz.core.types import ConversationId, ImagePart, Role, TextPart
from kibitz.ui.controllers.sidebar_controller import DELETED_KEPT_S
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


def test_conversations_deleted_a_day_ago_go_with_their_images_and_drafts(
    qtbot: QtBot, store: Store, paths: AppPaths, clock: Clock
) -> None:
    old = with_image(store, "deleted last week", "red")
    kept = with_image(store, "never deleted", "green")
    store.delete([old])
    clock.now += max(DELETED_KEPT_S, UNUSED_GRACE_S) + 60
    recent = with_image(store, "deleted a minute ago", "blue")
    store.delete([recent])
    clock.now += 60
    drafts = DraftStore(paths.data_dir / DRAFTS)
    for cid in (old, kept, recent):
        drafts.save(conversation_key(cid), Draft(text=f"unsent words for {cid}"))

    with window_on(qtbot, store, paths, fake_settings(None)) as window:
        assert isinstance(window, MainWindow)
        window.purge_old_deletions()  # what start_background_work schedules after start-up

    alive = {c.id for c in store.list_conversations()}
    assert alive == {kept}
    assert store.restore([recent]).conversation_ids == (recent,)  # Undo still reaches it
    assert store.restore([old]).conversation_ids == ()  # gone for good
    assert not store.has_blob(blob_digest(png("red")))
    assert store.has_blob(blob_digest(png("green")))
    assert store.has_blob(blob_digest(png("blue")))
    assert drafts.keys() == sorted([conversation_key(kept), conversation_key(recent)])
