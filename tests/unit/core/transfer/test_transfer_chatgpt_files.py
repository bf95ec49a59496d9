"""ChatGPT exports with real images and documents: parts where they appear, bytes kept exactly."""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from PIL import Image
from tests.support.chatgpt_export import (
    ChatGPTConversation,
    archive_files,
    image_bytes,
    pdf_bytes,
    write_export_folder,
    write_export_zip,
)

from kibitz.core.store import Store, blob_digest
from kibitz.core.transfer import export_markdown, import_file
from kibitz.core.transfer.file_facts import TEXT_BYTES, decoded_text, image_size
from kibitz.core.types import (
    ConversationId,
    FilePart,
    ImagePart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

PNG = image_bytes(64, 48, "red")
JPEG = image_bytes(40, 30, "blue", "JPEG")
WEBP = image_bytes(32, 32, "green", "WEBP")
PDF = pdf_bytes()
NOTES = "# Notes\n\nnaïve café, 3 × 4\n"


def photos() -> ChatGPTConversation:
    """Uploads of both eras, a generated image, documents, and one image the export lacks."""
    chat = ChatGPTConversation("Photos", conversation_id="conv-photos")
    # 2025 on: sediment://file_…, stored as file_<id>-<name>; the text before the image.
    chat.image_question("Before the image:", "red.png", file_id="file_00000000aa11", data=PNG,
                        text_first=True)  # fmt: skip
    chat.assistant("Red.")
    # Older: file-service://file-…, stored as file-<id>-<name>, listed as PNG but a JPEG.
    chat.image_question("And this one?", "IMG_0001.png", file_id="file-Jp9", data=JPEG)
    chat.assistant("Blue.")
    chat.file_question("Read these", "report.pdf", "application/pdf", file_id="file-Pdf1",
                       data=PDF)  # fmt: skip
    chat.assistant("Done.")
    chat.user("Draw a green square")
    chat.json_call("dalle.text2im", {"prompt": "A green square"})
    chat.generated_image("A green square", file_id="file-Gen2", data=WEBP)
    chat.assistant("Here it is.")
    chat.image_question("Lost one", "lost.png", file_id="file_00000000dead")  # not archived
    return chat


def check_photos(store: Store, cid: ConversationId) -> None:
    first, _, second, _, documents, _, _, generated, lost = store.branch(cid)
    text, red = first.parts
    assert text == TextPart("Before the image:"), "in the order the message had them"
    assert red == ImagePart(blob_digest(PNG), "red.png", "image/png", len(PNG), 64, 48)
    assert store.blob(red.blob) == PNG
    blue, question = second.parts
    assert question == TextPart("And this one?")
    # The name is the upload's; the type and size are the bytes' own, not what was listed.
    assert blue == ImagePart(blob_digest(JPEG), "IMG_0001.png", "image/jpeg", len(JPEG), 40, 30)
    assert store.blob(blue.blob) == JPEG
    assert documents.parts == (
        TextPart("Read these"),
        FilePart(blob_digest(PDF), "report.pdf", "application/pdf", len(PDF), None),
    )
    assert store.blob(blob_digest(PDF)) == PDF
    call, result, green, answer = generated.parts
    assert isinstance(call, ToolCallPart)
    assert result == ToolResultPart(call.id, "Generated image: A green square")
    assert isinstance(green, ImagePart)
    assert (green.mime_type, green.width, green.height) == ("image/webp", 32, 32)
    assert green.name.endswith(".webp"), "named after its file when no upload describes it"
    assert store.blob(green.blob) == WEBP
    assert answer == TextPart("Here it is.")
    assert lost.parts == (TextPart("*[Image: lost.png (602×149)]*"), TextPart("Lost one"))


@pytest.mark.parametrize("form", ["zip", "folder", "conversations.json"])
def test_images_and_documents_become_parts(store: Store, tmp_path: Path, form: str) -> None:
    chat = photos()
    if form == "zip":
        path = write_export_zip(tmp_path / "export.zip", [chat.to_json()], files=chat.files)
    else:
        path = write_export_folder(tmp_path / "export", [chat.to_json()], chat.files)
        if form == "conversations.json":
            path = path / "conversations.json"
    (cid,) = import_file(store, path).imported
    check_photos(store, cid)


def test_text_uploads_keep_their_text(store: Store, tmp_path: Path) -> None:
    chat = ChatGPTConversation("Texts", conversation_id="conv-texts")
    chat.file_question("Notes", "notes.md", "text/markdown", file_id="file-Md1",
                       data=NOTES.encode())  # fmt: skip
    chat.file_question("Old", "old.txt", "text/plain", file_id="file-Lat1",
                       data="Grüße aus Köln, ça va".encode("latin-1"))  # fmt: skip
    chat.file_question("Data", "data.json", "application/json", file_id="file-Js1",
                       data=b'{"a": 1}')  # fmt: skip
    chat.file_question("Huge", "huge.txt", "text/plain", file_id="file-Big1",
                       data=b"x" * (TEXT_BYTES + 1))  # fmt: skip
    chat.user("Camel case", metadata={"attachments": [
        {"id": "file-Cc1", "name": "script.py", "mimeType": "text/x-python", "size": 12}
    ]})  # fmt: skip
    files = {**chat.files, "file-Cc1-script.py": b"print('hi')\n"}
    path = write_export_zip(tmp_path / "export.zip", [chat.to_json()], files=files)
    (cid,) = import_file(store, path).imported
    found = {p.name: p for m in store.branch(cid) for p in m.parts if isinstance(p, FilePart)}
    assert found["notes.md"].text == NOTES
    assert found["notes.md"].mime_type == "text/markdown"
    assert found["old.txt"].text == "Grüße aus Köln, ça va"
    assert found["data.json"].text == '{"a": 1}'
    assert found["huge.txt"].text is None, "too long to send: kept as a file only"
    assert store.blob(found["huge.txt"].blob) == b"x" * (TEXT_BYTES + 1)
    assert (found["script.py"].mime_type, found["script.py"].text) == (
        "text/x-python", "print('hi')\n",
    )  # fmt: skip


def blob_rows(store_path: Path) -> int:
    with closing(sqlite3.connect(store_path)) as conn:
        return int(conn.execute("SELECT count(*) FROM blobs").fetchone()[0])


def test_the_same_image_is_stored_once(store: Store, tmp_path: Path) -> None:
    one = ChatGPTConversation("One", conversation_id="conv-one")
    one.image_question("First", "a.png", file_id="file_00000000a1", data=PNG)
    one.image_question("Again", "b.png", file_id="file_00000000a2", data=PNG)  # re-uploaded
    two = ChatGPTConversation("Two", conversation_id="conv-two")
    two.image_question("Elsewhere", "c.png", file_id="file_00000000a3", data=PNG)
    first = write_export_zip(tmp_path / "first.zip", [one.to_json()], files=one.files)
    second = write_export_zip(tmp_path / "second.zip", [one.to_json(), two.to_json()],
                              files=archive_files(one, two))  # fmt: skip
    import_file(store, first)
    report = import_file(store, second)
    assert (len(report.imported), len(report.skipped)) == (1, 1)
    digests = {
        p.blob
        for c in store.list_conversations()
        for m in store.all_messages(c.id)
        for p in m.parts
        if isinstance(p, ImagePart)
    }
    assert digests == {blob_digest(PNG)}
    assert blob_rows(tmp_path / "data" / "kibitz.sqlite3") == 1


def test_imported_images_export_to_markdown_beside_it(store: Store, tmp_path: Path) -> None:
    chat = photos()
    path = write_export_zip(tmp_path / "export.zip", [chat.to_json()], files=chat.files)
    (cid,) = import_file(store, path).imported
    (markdown,) = export_markdown(store, [store.get_conversation(cid)], tmp_path / "md")
    folder = markdown.parent / markdown.stem
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert written["red.png"] == PNG
    assert written["IMG_0001.png"] == JPEG, "named as uploaded: an image extension is kept"
    assert written["report.pdf"] == PDF
    assert [data for name, data in written.items() if name.endswith(".webp")] == [WEBP]


def test_image_size_reads_the_header_and_turns_with_exif() -> None:
    assert image_size(PNG) == (64, 48)
    turned = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # shot with the camera on its side
    Image.new("RGB", (40, 30), "blue").save(turned, "JPEG", exif=exif)
    assert image_size(turned.getvalue()) == (30, 40)
    assert image_size(b"\x89PNG\r\n\x1a\n not really") is None
    assert image_size(PDF) is None


def test_decoded_text() -> None:
    assert decoded_text("\ufeffBOM and ü".encode()) == "BOM and ü"
    assert decoded_text(b"\x00\x01binary") is None
