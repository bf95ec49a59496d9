"""`kibitz export` and `kibitz import` as real processes, with real images and a PDF in messages.

The bytes must survive a JSON export and import exactly (the same SHA-256), be stored once
however many messages or imports bring them, and a Markdown export must hand them to readers
as files beside the .md.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import unquote

from kibitz.core.store import Store, blob_digest
from kibitz.core.types import FilePart, ImagePart, Role, TextPart
from tests.integration.cli_support import cli_env, database, run_cli
from tests.support.chatgpt_export import image_bytes, pdf_bytes

PNG = image_bytes(64, 48, "red")
JPEG = image_bytes(40, 30, "blue", "JPEG")
PDF = pdf_bytes()
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)")


def kibitz(basedir: Path, *args: str) -> tuple[int, str, list[str]]:
    result = run_cli(["--basedir", str(basedir), *args], env=cli_env())
    return result.returncode, result.stdout, result.messages


def fill(basedir: Path) -> None:
    """Two conversations: the PNG twice in the first and once in the second."""
    with Store.open(database(basedir)) as store:
        png = ImagePart(store.put_blob(PNG), "red square.png", "image/png", len(PNG), 64, 48)
        jpeg = ImagePart(store.put_blob(JPEG), "blue.jpg", "image/jpeg", len(JPEG), 40, 30)
        pdf = FilePart(store.put_blob(PDF), "report.pdf", "application/pdf", len(PDF), "Up 4%")
        album = store.create_conversation("Album")
        question = store.add_message(
            album.id, None, Role.USER, [TextPart("What are these?"), png, jpeg, pdf]
        )
        store.add_message(album.id, question.id, Role.ASSISTANT, [TextPart("Squares:"), png])
        other = store.create_conversation("Other")
        store.add_message(other.id, None, Role.USER, [TextPart("Again"), png])


def blobs(basedir: Path) -> dict[str, bytes]:
    """Every stored blob by its key, read from the database file."""
    with closing(sqlite3.connect(database(basedir))) as conn:
        rows = conn.execute("SELECT sha256, data FROM blobs").fetchall()
    return {str(digest): bytes(data) for digest, data in rows}


def parts(basedir: Path) -> list[tuple[str, ImagePart | FilePart]]:
    with Store.open(database(basedir)) as store:
        return sorted(
            (
                (c.title, p)
                for c in store.list_conversations()
                for m in store.all_messages(c.id)
                for p in m.parts
                if isinstance(p, ImagePart | FilePart)
            ),
            key=lambda item: (item[0], item[1].name, item[1].blob),
        )


EXPECTED = {blob_digest(data): data for data in (PNG, JPEG, PDF)}


def test_json_export_and_import_keep_the_bytes(basedir: Path, tmp_path: Path) -> None:
    fill(basedir)
    backup = tmp_path / "backup.json"
    code, _, messages = kibitz(basedir, "export", "--format", "json", "--out", str(backup))
    assert (code, messages) == (0, [f"kibitz: exported 2 conversations to {backup}"])
    document = json.loads(backup.read_text(encoding="utf-8"))
    exported = [p for c in document["conversations"] for m in c["messages"] for p in m["parts"]]
    images = [p for p in exported if p["type"] == "image"]
    assert len(images) == 4
    assert {base64.b64decode(p["data"]) for p in images} == {PNG, JPEG}
    (pdf,) = [p for p in exported if p["type"] == "file"]
    assert (pdf["name"], pdf["mime_type"], pdf["text"]) == (
        "report.pdf",
        "application/pdf",
        "Up 4%",
    )
    assert base64.b64decode(pdf["data"]) == PDF

    elsewhere = tmp_path / "elsewhere"
    code, _, messages = kibitz(elsewhere, "import", str(backup))
    assert (code, messages) == (
        0, ["kibitz: Imported 2 conversations from backup.json (Kibitz export)."]
    )  # fmt: skip
    assert blobs(elsewhere) == EXPECTED, "byte for byte, each stored once"
    assert parts(elsewhere) == parts(basedir)


def test_json_on_stdout_imports_the_same(basedir: Path, tmp_path: Path) -> None:
    fill(basedir)
    code, out, _ = kibitz(basedir, "export", "--format", "json")
    assert code == 0
    piped = tmp_path / "piped.json"
    piped.write_text(out, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    assert kibitz(elsewhere, "import", str(piped))[0] == 0
    assert blobs(elsewhere) == EXPECTED


def test_a_second_import_with_the_same_image_stores_nothing_new(
    basedir: Path, tmp_path: Path
) -> None:
    fill(basedir)
    album, other = tmp_path / "album.json", tmp_path / "other.json"
    assert kibitz(basedir, "export", "1", "--format", "json", "--out", str(album))[0] == 0
    assert kibitz(basedir, "export", "2", "--format", "json", "--out", str(other))[0] == 0
    elsewhere = tmp_path / "elsewhere"
    assert kibitz(elsewhere, "import", str(album))[0] == 0
    assert blobs(elsewhere) == EXPECTED
    code, _, messages = kibitz(elsewhere, "import", str(other))
    assert (code, messages) == (
        0,
        ["kibitz: Imported 1 conversation from other.json (Kibitz export)."],
    )
    assert blobs(elsewhere) == EXPECTED
    assert [title for title, _ in parts(elsewhere)].count("Other") == 1


def test_markdown_export_writes_the_files_it_links(basedir: Path, tmp_path: Path) -> None:
    fill(basedir)
    out = tmp_path / "markdown"
    code, _, messages = kibitz(basedir, "export", "--out", str(out))
    assert (code, messages) == (0, [f"kibitz: exported 2 conversations to {out}"])
    documents = sorted(out.glob("*.md"))
    assert len(documents) == 2
    album = next(d for d in documents if "album" in d.name)
    links = _LINK.findall(album.read_text(encoding="utf-8"))
    assert [name for name, _ in links] == ["red square.png", "blue.jpg", "report.pdf",
                                           "red square.png"]  # fmt: skip
    for name, target in links:
        assert " " not in target, "encoded, or the link would end at the space"
        path = album.parent / unquote(target)
        assert path.parent == out / album.stem
        assert path.read_bytes() == {"red square.png": PNG, "blue.jpg": JPEG,
                                     "report.pdf": PDF}[name]  # fmt: skip


def test_markdown_on_stdout_names_the_files_in_words(basedir: Path) -> None:
    fill(basedir)
    code, out, _ = kibitz(basedir, "export", "1")
    assert code == 0
    assert _LINK.findall(out) == []
    assert (
        "What are these?\n\n*[image: red square.png, 64×48]*\n\n*[image: blue.jpg, 40×30]*\n\n"
        f"*[file: report.pdf, {len(PDF) / 1024:.1f} KB]*"
    ) in out
