"""Real files to attach, made on the spot: images in every format Kibitz reads (with EXIF
orientations), a 12-megapixel photo, PDFs with and without text, text in several encodings
and binaries. Each factory returns the bytes and, given a path, also writes them there.

Pictures made by `quadrants` have a different colour in each corner, so a test can tell from
the pixels which way an image was turned or flipped (see `corner_colours`).
"""

from __future__ import annotations

import functools
import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from PIL import Image, ImageChops

RED = (220, 20, 20)
GREEN = (20, 200, 20)
BLUE = (20, 20, 220)
YELLOW = (230, 230, 20)
_NAMED = {"red": RED, "green": GREEN, "blue": BLUE, "yellow": YELLOW}
ORIENTATION_TAG = 0x0112

# Text with a non-ASCII character on every line, and the encodings it is written in.
LATIN1_TEXT = "Grüße aus Köln\nCafé crème, naïve façade\nÆble, smørrebrød, señor, ½ kg\n"
CP1252_TEXT = "He said “hello” — it costs 5 €.\nZürich, 10–12 Uhr\n"
UTF8_TEXT = "Привет, мир\n日本語のテキスト\nemoji: 🙂 and math: ∑ x² ≤ π\n"


def _written(data: bytes, path: Path | str | None) -> bytes:
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _exif(orientation: int | None) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION_TAG] = orientation
    return exif


def quadrants(w: int, h: int) -> Image.Image:
    """Top left red, top right green, bottom left blue, bottom right yellow."""
    image = Image.new("RGB", (w, h), RED)
    image.paste(GREEN, (w // 2, 0, w, h // 2))
    image.paste(BLUE, (0, h // 2, w // 2, h))
    image.paste(YELLOW, (w // 2, h // 2, w, h))
    return image


def corner_colours(data: bytes) -> tuple[str, str, str, str]:
    """The colour names at the centres of the four quarters of an image: top left, top right,
    bottom left, bottom right (nearest of red, green, blue, yellow; tolerant of JPEG)."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    w, h = rgb.size
    points = (
        (w // 4, h // 4),
        (3 * w // 4, h // 4),
        (w // 4, 3 * h // 4),
        (3 * w // 4, 3 * h // 4),
    )

    def nearest(pixel: tuple[int, int, int]) -> str:
        return min(
            _NAMED, key=lambda n: sum((a - b) ** 2 for a, b in zip(pixel, _NAMED[n], strict=True))
        )

    names = [nearest(rgb.getpixel(p)) for p in points]  # type: ignore[arg-type]
    return (names[0], names[1], names[2], names[3])


# -- images ------------------------------------------------------------------------------------


def png(
    path: Path | str | None = None,
    w: int = 64,
    h: int = 48,
    color: tuple[int, int, int] = RED,
    *,
    alpha: bool = False,
    orientation: int | None = None,
) -> bytes:
    """A plain PNG; with `alpha`, its right half is transparent."""
    if alpha:
        image = Image.new("RGBA", (w, h), (*color, 255))
        image.paste((0, 0, 0, 0), (w // 2, 0, w, h))
    else:
        image = Image.new("RGB", (w, h), color)
    return _written(_encoded(image, "PNG", exif=_exif(orientation)), path)


def quadrant_png(w: int, h: int, orientation: int | None = None) -> bytes:
    return _encoded(quadrants(w, h), "PNG", exif=_exif(orientation))


def jpeg_with_orientation(
    w: int, h: int, orientation: int | None, path: Path | str | None = None
) -> bytes:
    """A quadrants JPEG stored w x h, with EXIF tag 0x0112 set to `orientation`."""
    data = _encoded(quadrants(w, h), "JPEG", quality=95, exif=_exif(orientation))
    return _written(data, path)


def webp(
    w: int = 64,
    h: int = 48,
    *,
    alpha: bool = False,
    orientation: int | None = None,
    path: Path | str | None = None,
) -> bytes:
    image = quadrants(w, h)
    if alpha:
        image = image.convert("RGBA")
        image.paste((0, 0, 0, 0), (0, 0, w // 4, h // 4))
    data = _encoded(image, "WEBP", lossless=True, exif=_exif(orientation))
    return _written(data, path)


def gif(w: int = 64, h: int = 48, *, frames: int = 1, path: Path | str | None = None) -> bytes:
    """A GIF; with frames > 1 an animated one whose frames differ (red, green, blue, ...)."""
    colours = [RED, GREEN, BLUE, YELLOW]
    images = [Image.new("RGB", (w, h), colours[i % 4]) for i in range(frames)]
    if frames == 1:
        images = [quadrants(w, h)]
    params: dict[str, object] = {}
    if frames > 1:
        params = {"save_all": True, "append_images": images[1:], "duration": 100, "loop": 0}
    return _written(_encoded(images[0], "GIF", **params), path)


def bmp(w: int = 64, h: int = 48, path: Path | str | None = None) -> bytes:
    return _written(_encoded(quadrants(w, h), "BMP"), path)


def tiff(
    w: int = 64, h: int = 48, *, orientation: int | None = None, path: Path | str | None = None
) -> bytes:
    params: dict[str, object] = {"compression": "tiff_deflate"}
    if orientation is not None:
        params["tiffinfo"] = {274: orientation}
    return _written(_encoded(quadrants(w, h), "TIFF", **params), path)


def ico(path: Path | str | None = None) -> bytes:
    return _written(_encoded(quadrants(64, 64), "ICO", sizes=[(64, 64)]), path)


@functools.cache
def photo(w: int = 4000, h: int = 3000, orientation: int | None = None) -> bytes:
    """A JPEG that compresses like a photo (gradients under fine noise): 12 megapixels and
    several MB at the defaults. Cached: making one takes a while."""
    down = Image.linear_gradient("L").resize((w, h))
    across = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((w, h))
    noise = [Image.effect_noise((w, h), sigma) for sigma in (28, 32, 36)]
    red = ImageChops.add(down, noise[0], scale=2.0)
    green = ImageChops.add(across, noise[1], scale=2.0)
    blue = ImageChops.add(ImageChops.invert(down), noise[2], scale=2.0)
    image = Image.merge("RGB", (red, green, blue))
    return _encoded(image, "JPEG", quality=92, exif=_exif(orientation))


# -- PDFs --------------------------------------------------------------------------------------


def _pdf_string(line: str) -> str:
    """A PDF literal string in WinAnsiEncoding (cp1252), with the characters PDF escapes."""
    out = []
    for byte in line.encode("cp1252"):
        char = chr(byte)
        if char in "\\()":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "(" + "".join(out) + ")"


def text_pdf(text: str, *more_pages: str, path: Path | str | None = None) -> bytes:
    """A small PDF written by hand: one page per argument, each line of text set in the
    standard Helvetica font (no embedded font), as a word processor's export would have it."""
    pages = [text, *more_pages]
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: (
            f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in page_ids)}] "
            f"/Count {len(pages)} >>"
        ).encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, page_text in zip(page_ids, pages, strict=True):
        lines = " T* ".join(f"{_pdf_string(line)} Tj" for line in page_text.split("\n"))
        stream = f"BT /F1 12 Tf 16 TL 72 720 Td {lines} ET".encode()
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>"
        ).encode()
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    count = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % count
    for number in range(1, count):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref)
    return _written(bytes(out), path)


def scanned_pdf(path: Path | str | None = None) -> bytes:
    """A PDF holding only a picture of a page, as a scanner makes: no text at all."""
    page = Image.new("L", (200, 260), 255)
    page.paste(0, (20, 20, 180, 30))  # a "line of print" that is only pixels
    return _written(_encoded(page, "PDF", resolution=50.0), path)


def encrypted_pdf(
    text: str, *, user_password: str = "secret", owner_password: str = "owner"
) -> bytes:
    """`text_pdf(text)` encrypted (RC4, which pypdf writes and reads without extra packages).
    With `user_password=""` it opens without a password, restricted only by the owner's."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(text))))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- text and binaries -------------------------------------------------------------------------


def latin1_text(text: str = LATIN1_TEXT, path: Path | str | None = None) -> bytes:
    return _written(text.encode("latin-1"), path)


def cp1252_text(text: str = CP1252_TEXT, path: Path | str | None = None) -> bytes:
    return _written(text.encode("cp1252"), path)


def utf16_text(text: str = UTF8_TEXT, path: Path | str | None = None) -> bytes:
    """UTF-16 with a byte order mark, as Windows tools (Notepad, PowerShell) write it."""
    return _written(text.encode("utf-16"), path)


def binary_blob(kind: str = "zip", path: Path | str | None = None) -> bytes:
    """A real binary file: "zip" (an archive), "sqlite" (a database), "elf" (the start of a
    Linux executable) or "random" (bytes from a fixed seed)."""
    if kind == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("notes.txt", "hello " * 200)
            archive.writestr("data.bin", bytes(range(256)) * 8)
        data = out.getvalue()
    elif kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "x.sqlite"
            conn = sqlite3.connect(db)
            with conn:
                conn.execute("CREATE TABLE t (a TEXT)")
                conn.executemany("INSERT INTO t VALUES (?)", [("row",)] * 50)
            conn.close()
            data = db.read_bytes()
    elif kind == "elf":
        data = b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(range(256)) * 4
    elif kind == "random":
        import random

        data = random.Random(1234).randbytes(4096)
    else:
        raise ValueError(kind)
    return _written(data, path)
