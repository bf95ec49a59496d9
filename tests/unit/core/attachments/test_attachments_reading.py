"""read_attachment and attachment_from_bytes on real files: each image format, PDFs, text in
several encodings, binaries, and every way a path can fail, each refused with a message that
names the file."""

from __future__ import annotations

import errno
import json
import os
import pwd
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support import attachment_files as files

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.attachments.reading import (
    attachment_from_bytes,
    pasted_image_name,
    read_attachment,
)
from kibitz.core.errors import AttachmentError

MB = 1024 * 1024


def refusal(path: Path | str) -> AttachmentError:
    with pytest.raises(AttachmentError) as caught:
        read_attachment(path)
    error = caught.value
    # Named and clean: the file's name in the headline, the path set, no library exception
    # chained on (a UI or terminal would print it).
    assert error.headline == f"{Path(path).name} cannot be attached"
    assert error.path == str(path)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert error.hint
    return error


# -- images ------------------------------------------------------------------------------------

IMAGES: dict[str, tuple[Callable[[], bytes], str, tuple[int, int]]] = {
    "a.png": (lambda: files.png(None, 64, 48), "image/png", (64, 48)),
    "alpha.png": (lambda: files.png(None, 30, 20, alpha=True), "image/png", (30, 20)),
    "a.jpg": (lambda: files.jpeg_with_orientation(64, 48, None), "image/jpeg", (64, 48)),
    "a.webp": (lambda: files.webp(64, 48), "image/webp", (64, 48)),
    "alpha.webp": (lambda: files.webp(64, 48, alpha=True), "image/webp", (64, 48)),
    "a.gif": (lambda: files.gif(64, 48), "image/gif", (64, 48)),
    "animated.gif": (lambda: files.gif(40, 30, frames=3), "image/gif", (40, 30)),
    "a.bmp": (lambda: files.bmp(64, 48), "image/bmp", (64, 48)),
    "a.tiff": (lambda: files.tiff(64, 48), "image/tiff", (64, 48)),
    "a.ico": (files.ico, "image/x-icon", (64, 64)),
}


@pytest.mark.parametrize("name", list(IMAGES))
def test_an_image_is_read_as_it_is(tmp_path: Path, name: str) -> None:
    make, mime, size = IMAGES[name]
    data = make()
    (tmp_path / name).write_bytes(data)
    attachment = read_attachment(tmp_path / name)
    assert attachment == Attachment(
        name, mime, data, AttachmentKind.IMAGE, width=size[0], height=size[1]
    )


def test_the_bytes_not_the_name_say_what_an_image_is(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(files.png(None, 10, 10))
    assert read_attachment(tmp_path / "holiday.jpg").mime_type == "image/png"
    (tmp_path / "notes.txt").write_bytes(files.webp(10, 10))
    assert read_attachment(tmp_path / "notes.txt").kind is AttachmentKind.IMAGE


# How a picture stored 40 x 30 (landscape) is displayed under each EXIF orientation.
DISPLAYED = {1: (40, 30), 2: (40, 30), 3: (40, 30), 4: (40, 30)}
DISPLAYED |= {5: (30, 40), 6: (30, 40), 7: (30, 40), 8: (30, 40)}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_width_and_height_are_as_displayed(orientation: int) -> None:
    data = files.jpeg_with_orientation(40, 30, orientation)
    attachment = attachment_from_bytes(data, "camera.jpg")
    assert (attachment.width, attachment.height) == DISPLAYED[orientation]
    assert attachment.data is data


@pytest.mark.parametrize(
    "make",
    [
        lambda: files.quadrant_png(40, 30, orientation=6),
        lambda: files.webp(40, 30, orientation=6),
        lambda: files.tiff(40, 30, orientation=6),
    ],
    ids=["png", "webp", "tiff"],
)
def test_orientation_is_honoured_in_other_formats(make: Callable[[], bytes]) -> None:
    attachment = attachment_from_bytes(make(), "turned")
    assert (attachment.width, attachment.height) == (30, 40)


def test_a_twelve_megapixel_photo_is_read(tmp_path: Path) -> None:
    data = files.photo()
    assert len(data) > 2 * MB  # what the test is about: a photo's size, not a toy's
    (tmp_path / "IMG_0001.JPG").write_bytes(data)
    attachment = read_attachment(tmp_path / "IMG_0001.JPG")
    assert (attachment.kind, attachment.width, attachment.height) == (
        AttachmentKind.IMAGE,
        4000,
        3000,
    )
    assert attachment.data == data


def test_a_cut_short_image_is_refused(tmp_path: Path) -> None:
    data = files.jpeg_with_orientation(200, 150, None)
    (tmp_path / "broken.jpg").write_bytes(data[: len(data) // 2])
    error = refusal(tmp_path / "broken.jpg")
    assert "broken.jpg looks like an image but cannot be read" in error.detail


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc


def _png_header(width: int, height: int) -> bytes:
    """The start of a PNG of that size: what Pillow reads before it decodes any pixel."""
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    idat = zlib.compress(bytes(1000))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)


def test_an_image_with_too_many_pixels_is_refused_before_decoding() -> None:
    # 40,000 x 40,000 pixels would need 4.8 GB decoded; the header alone says so.
    with pytest.raises(AttachmentError) as caught:
        attachment_from_bytes(_png_header(40_000, 40_000) + bytes(100), "huge.png")
    assert "huge.png has too many pixels to attach" in caught.value.detail


# -- PDFs --------------------------------------------------------------------------------------


def test_a_pdf_is_sent_as_its_text(tmp_path: Path) -> None:
    data = files.text_pdf(
        "Quarterly report (draft)\nRevenue grew by 12 percent.\nCafé à Paris",
        "Page two: the outlook.",
    )
    (tmp_path / "report.pdf").write_bytes(data)
    attachment = read_attachment(tmp_path / "report.pdf")
    assert (attachment.kind, attachment.mime_type) == (AttachmentKind.FILE, "application/pdf")
    assert attachment.data == data
    assert attachment.text is not None
    lines = attachment.text.splitlines()
    assert lines[:3] == [
        "Quarterly report (draft)",
        "Revenue grew by 12 percent.",
        "Café à Paris",
    ]
    assert lines[-1] == "Page two: the outlook."


def test_a_pdf_is_known_by_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "download").write_bytes(files.text_pdf("Hello"))
    assert read_attachment(tmp_path / "download").mime_type == "application/pdf"


def test_a_scanned_pdf_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(files.scanned_pdf())
    error = refusal(tmp_path / "scan.pdf")
    assert error.detail == "scan.pdf has no text Kibitz can read (a scanned PDF?)"
    assert "OCR" in error.hint
    assert "paste the text" in error.hint


def test_a_pdf_locked_with_a_password_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.pdf").write_bytes(files.encrypted_pdf("Top secret"))
    error = refusal(tmp_path / "secret.pdf")
    assert error.detail == "secret.pdf is protected by a password."


def test_a_pdf_restricted_only_by_its_owner_opens() -> None:
    data = files.encrypted_pdf("No printing, but anyone may read", user_password="")
    assert attachment_from_bytes(data, "form.pdf").text == "No printing, but anyone may read"


def test_a_damaged_pdf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cut.pdf").write_bytes(files.text_pdf("Hello there")[:200])
    error = refusal(tmp_path / "cut.pdf")
    assert error.detail.startswith("cut.pdf looks like a PDF but cannot be read")


# -- text --------------------------------------------------------------------------------------

TEXTS = {
    "utf8": (files.UTF8_TEXT.encode(), files.UTF8_TEXT),
    "utf8 with a BOM": (b"\xef\xbb\xbf" + files.UTF8_TEXT.encode(), files.UTF8_TEXT),
    "utf16 with a BOM": (files.utf16_text(), files.UTF8_TEXT),
    "utf16 big-endian": (b"\xfe\xff" + files.UTF8_TEXT.encode("utf-16-be"), files.UTF8_TEXT),
    "latin-1": (files.latin1_text(), files.LATIN1_TEXT),
    "cp1252": (files.cp1252_text(), files.CP1252_TEXT),
    "cp1251": (
        "Привет, как дела? Это тестовый файл на русском языке.\nВторая строка.\n".encode("cp1251"),
        "Привет, как дела? Это тестовый файл на русском языке.\nВторая строка.\n",
    ),
}


@pytest.mark.parametrize("encoding", list(TEXTS))
def test_text_is_decoded_exactly(tmp_path: Path, encoding: str) -> None:
    data, text = TEXTS[encoding]
    (tmp_path / "notes.txt").write_bytes(data)
    attachment = read_attachment(tmp_path / "notes.txt")
    assert attachment == Attachment("notes.txt", "text/plain", data, AttachmentKind.FILE, text=text)


def test_a_short_latin1_line_is_not_mistaken_for_another_code_page() -> None:
    # charset-normalizer alone reads these bytes as Arabic (cp1006): "Grﺉﻑe: 5 mﺎ".
    data = "Größe: 5 m²\n".encode("latin-1")
    assert attachment_from_bytes(data, "size.txt").text == "Größe: 5 m²\n"


def test_crlf_becomes_lf_and_nothing_else_changes() -> None:
    data = b"a,b\r\n1,2\r\n\tindented  \r\nlone\rcarriage\n\n\x1b[31mred\x1b[0m\n"
    text = attachment_from_bytes(data, "x.csv").text
    assert text == "a,b\n1,2\n\tindented  \nlone\rcarriage\n\n\x1b[31mred\x1b[0m\n"


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("data.csv", "text/csv"),
        ("config.json", "application/json"),
        ("README.md", None),
        ("server.log", "text/plain"),
        ("script.py", None),
        ("main.ts", None),  # mimetypes calls .ts an MPEG stream
        ("no-extension", "text/plain"),
    ],
)
def test_a_text_file_s_type_comes_from_its_name(name: str, mime: str | None) -> None:
    attachment = attachment_from_bytes(b'{"a": 1}\n', name)
    assert attachment.kind is AttachmentKind.FILE
    if mime is None:  # what the machine's mime.types says; always a text type
        assert attachment.mime_type.startswith("text/")
    else:
        assert attachment.mime_type == mime


def test_a_paste_s_declared_text_type_is_kept() -> None:
    attachment = attachment_from_bytes(b"<p>hi</p>", "clip", "text/html; charset=utf-8")
    assert attachment.mime_type == "text/html"
    # A declared type never makes bytes what they are not.
    assert attachment_from_bytes(b"hello", "clip", "image/png").kind is AttachmentKind.FILE


# -- binaries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zip", "sqlite", "elf", "random"])
def test_a_binary_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"thing.{kind}"
    files.binary_blob(kind, path)
    error = refusal(path)
    assert error.detail == f"thing.{kind} is not a text file, image or PDF."


def test_an_image_format_pillow_cannot_read_is_refused_by_name() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(400)
    with pytest.raises(AttachmentError) as caught:
        attachment_from_bytes(heic, "IMG_2001.HEIC")
    assert caught.value.detail == "IMG_2001.HEIC is a HEIC image, which Kibitz cannot read."
    assert "JPEG or PNG" in caught.value.hint
    assert caught.value.headline == "IMG_2001.HEIC cannot be attached"
    assert caught.value.path is None


def test_an_unknown_format_is_refused_as_such() -> None:
    mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(400)
    with pytest.raises(AttachmentError) as caught:
        attachment_from_bytes(mp4, "clip.mp4")
    assert caught.value.detail == "clip.mp4 is not a text file, image or PDF."


# -- paths that cannot be read -----------------------------------------------------------------


def test_a_missing_file_is_refused_with_the_os_reason(tmp_path: Path) -> None:
    error = refusal(tmp_path / "gone.txt")
    assert error.detail == f"{tmp_path / 'gone.txt'}: {os.strerror(errno.ENOENT)}"


def test_a_path_given_as_a_string_is_named_as_given(tmp_path: Path) -> None:
    error = refusal(str(tmp_path / "gone.txt"))
    assert error.path == str(tmp_path / "gone.txt")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    error = refusal(tmp_path / "photos")
    assert error.detail == f"{tmp_path / 'photos'} is a folder."


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    assert refusal(tmp_path / "empty.txt").detail == "empty.txt is empty."
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf")
    assert refusal(tmp_path / "bom.txt").detail == "bom.txt is empty."


def test_a_pipe_is_refused_without_waiting_for_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    error = refusal(tmp_path / "pipe")
    assert "is not a regular file" in error.detail


def test_a_file_without_read_permission_is_refused() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kibitz-unreadable-"))
    path = folder / "private.txt"
    try:
        folder.chmod(0o755)  # so that another user can reach the file
        path.write_text("secret\n")
        path.chmod(0)
        if os.geteuid() != 0:
            error = refusal(path)
        else:
            # Root reads whatever the permissions say, so the read runs as `nobody`. Not in a
            # child process: the interpreter may live under /root (mode 700), which nobody
            # cannot run. Root may take its effective id back afterwards.
            try:
                nobody = pwd.getpwnam("nobody").pw_uid
            except KeyError:
                pytest.skip("running as root and there is no user 'nobody' to read as")
            os.seteuid(nobody)
            try:
                error = refusal(path)
            finally:
                os.seteuid(0)
        assert error.detail == f"{path}: {os.strerror(errno.EACCES)}"
        assert "permission" in error.hint.lower() or "may read" in error.hint
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()


# -- sizes -------------------------------------------------------------------------------------


def _sparse(path: Path, head: bytes, size: int) -> Path:
    with path.open("wb") as out:
        out.write(head)
        out.truncate(size)
    return path


def test_a_document_over_20_mb_is_refused_unread(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "dump.log", b"log line\n", 21 * MB + 300_000)
    error = refusal(path)
    assert error.detail == "dump.log is too big to attach (21 MB; the limit is 20 MB)"


def test_an_image_over_50_mb_is_refused(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "scan.png", files.png(None, 20, 20), 63 * MB)
    error = refusal(path)
    assert error.detail == "scan.png is too big to attach (63 MB; the limit is 50 MB)"


def test_an_image_may_be_bigger_than_a_document(tmp_path: Path) -> None:
    image = files.png(None, 20, 20)
    path = _sparse(tmp_path / "padded.png", image, 30 * MB)
    attachment = read_attachment(path)
    assert (attachment.kind, attachment.size) == (AttachmentKind.IMAGE, 30 * MB)


def test_a_size_just_over_the_limit_does_not_read_as_the_limit() -> None:
    with pytest.raises(AttachmentError) as caught:
        attachment_from_bytes(b"x" * (20 * MB + 100_000), "long.txt")
    assert caught.value.detail == "long.txt is too big to attach (20.1 MB; the limit is 20 MB)"


# -- pastes ------------------------------------------------------------------------------------


def test_bytes_are_classified_like_files() -> None:
    image = files.png(None, 12, 8)
    assert attachment_from_bytes(image, "pasted-image-1.png") == Attachment(
        "pasted-image-1.png", "image/png", image, AttachmentKind.IMAGE, width=12, height=8
    )
    with pytest.raises(AttachmentError) as caught:
        attachment_from_bytes(b"", "nothing.txt")
    assert (caught.value.headline, caught.value.path) == ("nothing.txt cannot be attached", None)


def test_pasted_images_get_the_first_free_name() -> None:
    assert pasted_image_name([]) == "pasted-image-1.png"
    assert pasted_image_name({"pasted-image-1.png", "pasted-image-3.png"}) == "pasted-image-2.png"
    assert pasted_image_name(["pasted-image-1.png", "pasted-image-2.png"]) == "pasted-image-3.png"


# -- start-up cost -----------------------------------------------------------------------------

_IMPORTS = """
import json, sys
import kibitz.core.attachments
import kibitz.core.attachments.reading
import kibitz.core.attachments.images
import kibitz.core.attachments.documents
import kibitz.core.attachments.thumbnails
heavy = ("PIL", "pypdf", "charset_normalizer")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def test_importing_attachments_loads_no_heavy_library() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORTS], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == []


def test_a_few_control_characters_do_not_make_text_binary() -> None:
    # A terminal capture: backspaces and a bell among ordinary lines.
    capture = ("$ make\n" + "compiling module\n" * 100 + "pro\x08\x08\x08done\x07\n").encode()
    assert attachment_from_bytes(capture, "typescript").text == capture.decode()
    # Mostly control characters is a binary, even when it is valid UTF-8.
    with pytest.raises(AttachmentError):
        attachment_from_bytes(bytes(range(1, 32)) * 50, "blob")
