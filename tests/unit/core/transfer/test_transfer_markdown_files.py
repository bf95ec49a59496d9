"""Markdown export of images and files: written beside the .md, linked so readers open them."""

from __future__ import annotations

import html.parser
import json
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from urllib.parse import unquote

import markdown
import pytest
from tests.support.chatgpt_export import image_bytes, pdf_bytes

from kibitz.core.store import Store, blob_digest
from kibitz.core.transfer import (
    ExportWriteError,
    conversation_to_markdown,
    export_filename,
    export_markdown,
)
from kibitz.core.transfer.markdown_files import ConversationFiles, attachment_name
from kibitz.core.types import Conversation, FilePart, ImagePart, Role, TextPart

PNG = image_bytes(64, 48, "red")
JPEG = image_bytes(40, 30, "blue", "JPEG")
WEBP = image_bytes(16, 16, "green", "WEBP")
PDF = pdf_bytes()
PANDOC = shutil.which("pandoc")


def image(store: Store, data: bytes, name: str, mime: str = "image/png") -> ImagePart:
    return ImagePart(store.put_blob(data), name, mime, len(data), 64, 48)


def document(store: Store, data: bytes, name: str, mime: str = "application/pdf") -> FilePart:
    return FilePart(store.put_blob(data), name, mime, len(data), "extracted")


def with_files(store: Store) -> Conversation:
    """A question with a PNG, a JPEG and a PDF, and a reply that shows the PNG again."""
    conversation = store.create_conversation("Photos & a report")
    png = image(store, PNG, "red square.png")
    question = store.add_message(
        conversation.id, None, Role.USER,
        [TextPart("Compare these"), png, image(store, JPEG, "blue.jpg", "image/jpeg"),
         document(store, PDF, "Q3 report (final).pdf")],
    )  # fmt: skip
    store.add_message(
        conversation.id, question.id, Role.ASSISTANT, [TextPart("The first is red:"), png]
    )
    return store.get_conversation(conversation.id)


class _Targets(html.parser.HTMLParser):
    """The src of every <img> and the href of every <a> of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, str]] = []  # (alt, src)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.images.append((found.get("alt") or "", found.get("src") or ""))
        elif tag == "a":
            self.links.append(found.get("href") or "")


def rendered_targets(text: str) -> _Targets:
    """What a Markdown reader (Python-Markdown, as Kibitz itself uses) makes of the links."""
    targets = _Targets()
    targets.feed(markdown.markdown(text))
    return targets


def test_files_are_written_beside_the_markdown_and_linked(store: Store, tmp_path: Path) -> None:
    conversation = with_files(store)
    folder = tmp_path / "out"
    (path,) = export_markdown(store, [conversation], folder)
    stem = export_filename(conversation).removesuffix(".md")
    assert path == folder / f"{stem}.md"
    files = folder / stem
    assert sorted(p.name for p in files.iterdir()) == [
        "Q3 report (final).pdf", "blue.jpg", "red square.png"
    ]  # fmt: skip
    assert (files / "red square.png").read_bytes() == PNG, "byte for byte"
    assert (files / "blue.jpg").read_bytes() == JPEG
    assert (files / "Q3 report (final).pdf").read_bytes() == PDF
    text = path.read_text(encoding="utf-8")
    encoded = stem.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    assert (
        "## User\n\nCompare these\n\n"
        f"![red square.png]({encoded}/red%20square.png)\n\n"
        f"![blue.jpg]({encoded}/blue.jpg)\n\n"
        f"[Q3 report (final).pdf]({encoded}/Q3%20report%20%28final%29.pdf)\n\n"
    ) in text
    assert text.endswith(f"The first is red:\n\n![red square.png]({encoded}/red%20square.png)\n")
    # A reader resolves every link, relative to the .md, to the file's very bytes.
    targets = rendered_targets(text)
    assert [alt for alt, _ in targets.images] == ["red square.png", "blue.jpg", "red square.png"]
    resolved = [path.parent / unquote(src) for _, src in targets.images]
    assert [p.read_bytes() for p in resolved] == [PNG, JPEG, PNG]
    (link,) = targets.links
    assert (path.parent / unquote(link)).read_bytes() == PDF


def test_stdout_markdown_names_files_in_words(store: Store) -> None:
    conversation = with_files(store)
    text = conversation_to_markdown(conversation, store.branch(conversation.id))
    assert (
        "Compare these\n\n*[image: red square.png, 64×48]*\n\n*[image: blue.jpg, 64×48]*\n\n"
        f"*[file: Q3 report (final).pdf, {len(PDF) / 1024:.1f} KB]*\n\n"
    ) in text
    targets = rendered_targets(text)
    assert (targets.images, targets.links) == ([], []), "nothing links to a file not written"


def test_names_are_safe_and_unique_in_a_conversation(store: Store, tmp_path: Path) -> None:
    conversation = store.create_conversation("Names")
    parts = [
        image(store, PNG, "chart.png"),
        image(store, JPEG, "Chart.PNG", "image/jpeg"),  # same name but for case: other bytes
        image(store, PNG, "chart.png"),  # the same bytes and name again: one file
        image(store, WEBP, "chart.png", "image/webp"),
        image(store, PNG, 'a/b\\c:d*e?"f<g>|h.png'),
        image(store, JPEG, "CON.jpg", "image/jpeg"),
        image(store, WEBP, "5e1f.dat", "image/webp"),  # ChatGPT's name for a generated image
        image(store, PNG, ""),  # a pasted image without a name
        image(store, PNG, "x" * 300 + ".png"),
        document(store, b"plain", "notes"),  # a file keeps its name, extension or none
    ]
    store.add_message(conversation.id, None, Role.USER, parts)
    (path,) = export_markdown(store, [store.get_conversation(conversation.id)], tmp_path)
    files = path.parent / path.stem
    names = sorted(p.name for p in files.iterdir())
    long_name = next(n for n in names if n.startswith("xxx"))
    assert len(long_name.encode()) <= 255
    assert long_name.endswith(".png")
    names.remove(long_name)
    assert names == sorted([
        "chart.png", "Chart 2.PNG", "chart 3.png", "a-b-c-d-e--f-g--h.png", "_CON.jpg",
        "5e1f.webp", "image.png", "notes",
    ])  # fmt: skip
    assert (files / "5e1f.webp").read_bytes() == WEBP
    assert (files / "chart 3.png").read_bytes() == WEBP
    targets = rendered_targets(path.read_text(encoding="utf-8"))
    assert len(targets.images) == 9
    for _, src in targets.images:
        assert (path.parent / unquote(src)).is_file(), src


def test_an_image_named_for_another_type_gets_its_own_extension(store: Store) -> None:
    cases = {
        ("photo", "image/jpeg"): "photo.jpg",
        ("scan.bin", "image/png"): "scan.png",
        ("notes.txt", "image/png"): "notes.txt.png",
        ("shot.jpeg", "image/png"): "shot.jpeg",  # named as an image: kept
        ("odd", "image/x-unknown"): "odd",
    }
    for (name, mime), expected in cases.items():
        assert attachment_name(ImagePart("0" * 64, name, mime, 1)) == expected, name


def test_exporting_again_rewrites_the_same_files(store: Store, tmp_path: Path) -> None:
    conversation = with_files(store)
    out = tmp_path / "out"
    first = export_markdown(store, [conversation], out)
    listing = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert len(listing) == 5  # the .md, its folder and three files
    assert export_markdown(store, [conversation], out) == first
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == listing


def test_exporting_after_a_rename_replaces_the_old_files(store: Store, tmp_path: Path) -> None:
    conversation = with_files(store)
    other = store.create_conversation("Other")  # its export is not touched
    store.add_message(other.id, None, Role.USER, "Just text")
    out = tmp_path / "out"
    (old, kept) = export_markdown(store, [conversation, store.get_conversation(other.id)], out)
    store.set_title(conversation.id, "Renamed trip")
    (new,) = export_markdown(store, [store.get_conversation(conversation.id)], out)
    assert new.name != old.name
    assert new.name.endswith(old.name[old.name.rfind(" (") :])
    assert sorted(p.name for p in out.iterdir()) == sorted([new.name, new.stem, kept.name])
    assert 'title: "Renamed trip"' in new.read_text(encoding="utf-8")
    assert len(list((out / new.stem).iterdir())) == 3


def test_no_folder_for_a_conversation_without_files(store: Store, tmp_path: Path) -> None:
    plain = store.create_conversation("Plain")
    store.add_message(plain.id, None, Role.USER, "Just text")
    out = tmp_path / "out"
    export_markdown(store, [store.get_conversation(plain.id), with_files(store)], out)
    assert sorted(p.suffix or "folder" for p in out.iterdir()) == [".md", ".md", "folder"]


def test_every_branch_links_its_files(store: Store, tmp_path: Path) -> None:
    conversation = store.create_conversation("Branches")
    first = store.add_message(conversation.id, None, Role.USER, [image(store, PNG, "a.png")])
    store.add_message(conversation.id, None, Role.USER, [image(store, JPEG, "b.jpg")])
    store.select_branch(first.id)
    chosen = [store.get_conversation(conversation.id)]
    (path,) = export_markdown(store, chosen, tmp_path / "current")
    assert [p.name for p in (path.parent / path.stem).iterdir()] == ["a.png"]
    (path,) = export_markdown(store, chosen, tmp_path / "all", all_branches=True)
    assert sorted(p.name for p in (path.parent / path.stem).iterdir()) == ["a.png", "b.jpg"]
    assert "## Other branches" in path.read_text(encoding="utf-8")


def test_a_missing_blob_stops_the_export_and_says_which(store: Store, tmp_path: Path) -> None:
    conversation = with_files(store)
    with closing(sqlite3.connect(tmp_path / "data" / "kibitz.sqlite3")) as conn, conn:
        conn.execute("DELETE FROM blobs WHERE sha256 = ?", (blob_digest(JPEG),))
    with pytest.raises(ExportWriteError) as caught:
        export_markdown(store, [conversation], tmp_path / "out")
    assert caught.value.headline == "A stored file is missing"
    assert caught.value.detail == (
        f"conversation {conversation.id} (“Photos & a report”): “blue.jpg”, "
        f"blob {blob_digest(JPEG)}"
    )


def test_a_folder_that_refuses_the_files_is_named(store: Store, tmp_path: Path) -> None:
    conversation = with_files(store)
    stem = export_filename(conversation).removesuffix(".md")
    (tmp_path / stem).write_text("a file where the folder goes", encoding="utf-8")
    with pytest.raises(ExportWriteError) as caught:
        export_markdown(store, [conversation], tmp_path)
    assert caught.value.detail.startswith(f"{tmp_path / stem}: ")


def test_links_are_relative_and_encoded() -> None:
    files = ConversationFiles(Path("/exports"), "2025-06-15 café (ab12cd34)")
    part = ImagePart("0" * 64, "naïve #1 100%.png", "image/png", 1)
    assert files.link(part) == (
        "2025-06-15%20caf%C3%A9%20%28ab12cd34%29/na%C3%AFve%20%231%20100%25.png"
    )
    assert files.link(part) == files.link(part), "the same part, the same file"
    assert files.folder == Path("/exports/2025-06-15 café (ab12cd34)")


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed (apt-get install pandoc)")
def test_pandoc_finds_every_file(store: Store, tmp_path: Path) -> None:
    conversation = with_files(store)
    (path,) = export_markdown(store, [conversation], tmp_path)
    assert PANDOC is not None
    result = subprocess.run(
        [PANDOC, "--fail-if-warnings", "-f", "markdown", "-t", "json", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    targets: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("t") in ("Image", "Link"):
                targets.append(node["c"][2][0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(result.stdout)["blocks"])
    assert len(targets) == 4
    for target in targets:
        assert (path.parent / unquote(target)).is_file(), target
