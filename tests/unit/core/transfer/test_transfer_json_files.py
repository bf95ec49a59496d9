"""JSON export and import of real images and documents: byte for byte, each stored once."""

from __future__ import annotations

import base64
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.support.chatgpt_export import image_bytes, pdf_bytes

from kibitz.core.store import Store, blob_digest
from kibitz.core.transfer import export_json_file, import_file
from kibitz.core.types import Conversation, FilePart, ImagePart, Role, TextPart

PNG = image_bytes(64, 48, "red")
JPEG = image_bytes(40, 30, "blue", "JPEG")
PDF = pdf_bytes()


def elsewhere(tmp_path: Path) -> Path:
    """The database file of the `other_store` fixture."""
    return tmp_path / "elsewhere" / "kibitz.sqlite3"


def blob_rows(path: Path) -> list[tuple[str, int]]:
    """(SHA-256, size) of every blob in the database at `path`, read from the file itself."""
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT sha256, size FROM blobs ORDER BY sha256").fetchall()
    return [(str(digest), int(size)) for digest, size in rows]


def attachments(store: Store) -> dict[str, ImagePart | FilePart]:
    """Every image and file part in the store, by name."""
    return {
        p.name: p
        for c in store.list_conversations()
        for m in store.all_messages(c.id)
        for p in m.parts
        if isinstance(p, ImagePart | FilePart)
    }


def photo_album(store: Store) -> tuple[Conversation, Conversation]:
    """Two conversations; the PNG is in both, and twice in the first."""
    png = ImagePart(store.put_blob(PNG), "red.png", "image/png", len(PNG), 64, 48)
    jpeg = ImagePart(store.put_blob(JPEG), "blue photo.jpg", "image/jpeg", len(JPEG), 40, 30)
    pdf = FilePart(store.put_blob(PDF), "report.pdf", "application/pdf", len(PDF), "Q3: up 4%")
    album = store.create_conversation("Album")
    question = store.add_message(
        album.id, None, Role.USER, [TextPart("What are these?"), png, jpeg, pdf]
    )
    again = ImagePart(png.blob, "red again.png", "image/png", len(PNG))
    store.add_message(album.id, question.id, Role.ASSISTANT, [TextPart("Squares:"), again])
    other = store.create_conversation("Other")
    store.add_message(other.id, None, Role.USER, [TextPart("This one again"), png])
    return store.get_conversation(album.id), store.get_conversation(other.id)


def parts_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for c in document["conversations"] for m in c["messages"] for p in m["parts"]]


def test_images_and_files_go_out_as_base64_parts(store: Store, tmp_path: Path) -> None:
    album, other = photo_album(store)
    path = export_json_file(store, [album, other], tmp_path / "out.json")
    parts = parts_of(json.loads(path.read_text(encoding="utf-8")))
    files = [p for p in parts if p["type"] in ("image", "file")]
    png = base64.b64encode(PNG).decode("ascii")
    assert files == [
        {"type": "image", "name": "red.png", "mime_type": "image/png", "width": 64,
         "height": 48, "data": png},
        {"type": "image", "name": "blue photo.jpg", "mime_type": "image/jpeg", "width": 40,
         "height": 30, "data": base64.b64encode(JPEG).decode("ascii")},
        {"type": "file", "name": "report.pdf", "mime_type": "application/pdf",
         "text": "Q3: up 4%", "data": base64.b64encode(PDF).decode("ascii")},
        {"type": "image", "name": "red again.png", "mime_type": "image/png", "data": png},
        {"type": "image", "name": "red.png", "mime_type": "image/png", "width": 64,
         "height": 48, "data": png},
    ]  # fmt: skip


def test_import_restores_the_bytes_and_stores_each_once(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    album, other = photo_album(store)
    path = export_json_file(store, [album, other], tmp_path / "out.json")
    assert len(import_file(other_store, path).imported) == 2
    before, after = attachments(store), attachments(other_store)
    assert after == before, "the same parts: names, types, sizes, dimensions, text, SHA-256"
    assert after["red.png"].blob == blob_digest(PNG)
    for name, data in (("red.png", PNG), ("blue photo.jpg", JPEG), ("report.pdf", PDF)):
        assert other_store.blob(after[name].blob) == data, name
    expected = sorted((blob_digest(d), len(d)) for d in (PNG, JPEG, PDF))
    assert blob_rows(elsewhere(tmp_path)) == expected, "the PNG of three parts is stored once"


def test_two_imports_of_the_same_image_store_it_once(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    album, other = photo_album(store)
    first = export_json_file(store, [album], tmp_path / "album.json")
    second = export_json_file(store, [other], tmp_path / "other.json")
    import_file(other_store, first)
    rows = blob_rows(elsewhere(tmp_path))
    assert len(rows) == 3
    (cid,) = import_file(other_store, second).imported
    assert blob_rows(elsewhere(tmp_path)) == rows, "the second file's PNG was there already"
    (message,) = other_store.all_messages(cid)
    _, png = message.parts
    assert isinstance(png, ImagePart)
    assert other_store.blob(png.blob) == PNG
