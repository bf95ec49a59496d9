"""Reading an attachment: a path, a paste or a drop becomes an `Attachment`, or an
`AttachmentError` that names the file, says why, and what to do.

What a file is comes from its bytes, never its name: a PNG called photo.jpg is a PNG, and a
text file called data.bin is text. Images are what Pillow decodes, PDFs start with `%PDF-`,
text is what decodes cleanly (UTF-8, a BOM, or an encoding charset-normalizer is sure of).
Pillow, pypdf and charset-normalizer load when the first file is read, not at import
(`images` and `documents` import them inside their functions).
"""

from __future__ import annotations

import errno
import mimetypes
import os
import stat
from collections.abc import Collection
from pathlib import Path

from kibitz.core.attachments import Attachment, AttachmentKind, documents, images
from kibitz.core.errors import AttachmentError

_MB = 1024 * 1024
IMAGE_LIMIT = 50 * _MB
# A document's text is sent whole: 20 MB of text is already millions of tokens.
DOCUMENT_LIMIT = 20 * _MB

# Types, besides text/*, whose files are text (the name decides the type sent for a document).
_TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/sql",
        "application/toml",
        "application/yaml",
        "application/x-yaml",
        "application/x-sh",
        "application/x-csh",
        "application/x-python",
        "application/x-python-code",
        "application/x-perl",
        "application/x-ruby",
        "application/x-tex",
        "application/x-latex",
        "application/x-httpd-php",
        "application/x-ndjson",
        "application/ld+json",
    }
)

_NOT_SUPPORTED_HINT = (
    "Kibitz attaches images, PDFs and text files (code, CSV, logs, JSON, Markdown); "
    "save other documents as text or PDF first."
)


def read_attachment(path: str | os.PathLike[str]) -> Attachment:
    """Read and check the file at `path`. Raises AttachmentError (with `path` set) when it
    cannot be attached; never lets an OS or library exception through."""
    shown = os.fspath(path)
    file = Path(shown)
    name = file.name or shown
    try:
        info = file.stat()
    except OSError as exc:
        raise _os_refusal(name, shown, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise _refusal(
            name, shown, f"{shown} is a folder.", hint="Attach the files inside it one by one."
        )
    if not stat.S_ISREG(info.st_mode):
        # Reading a pipe or a device could wait forever or never end.
        raise _refusal(
            name,
            shown,
            f"{shown} is not a regular file (a device, pipe or socket).",
            hint="Attach a regular file, or save its contents to one first.",
        )
    if info.st_size == 0:
        raise _empty(name, shown)
    if info.st_size > DOCUMENT_LIMIT:
        # Only an image may be this big; its header says whether it is one.
        limit = IMAGE_LIMIT if _starts_as_image(file) else DOCUMENT_LIMIT
        if info.st_size > limit:
            raise _too_big(name, shown, info.st_size, limit)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _os_refusal(name, shown, exc) from None
    return _classify(data, name, shown, None)


def attachment_from_bytes(data: bytes, name: str, mime_type: str | None = None) -> Attachment:
    """The same checks for bytes that are not a file on disk (a paste, a drop from a browser).

    `mime_type` is what the source said the bytes are: it only names a text's type (the bytes
    decide what they are). Errors carry `path=None`.
    """
    return _classify(data, name or "attachment", None, mime_type)


def pasted_image_name(taken: Collection[str]) -> str:
    """The name of a pasted image: pasted-image-1.png, -2, ... the first not in `taken`."""
    used = set(taken)
    number = 1
    while f"pasted-image-{number}.png" in used:
        number += 1
    return f"pasted-image-{number}.png"


def _classify(data: bytes, name: str, path: str | None, mime_hint: str | None) -> Attachment:
    if not data:
        raise _empty(name, path)
    if len(data) > IMAGE_LIMIT:
        limit = IMAGE_LIMIT if _is_image_header(data) else DOCUMENT_LIMIT
        raise _too_big(name, path, len(data), limit)
    if documents.looks_like_pdf(data):
        if len(data) > DOCUMENT_LIMIT:
            raise _too_big(name, path, len(data), DOCUMENT_LIMIT)
        return Attachment(
            name, "application/pdf", data, AttachmentKind.FILE, text=_pdf_text(data, name, path)
        )
    try:
        image = images.identify_image(data)
    except images.ImageReadError as exc:
        raise _bad_image(name, path, exc) from None
    if image is not None:
        return Attachment(
            name,
            image.mime_type,
            data,
            AttachmentKind.IMAGE,
            width=image.width,
            height=image.height,
        )
    if len(data) > DOCUMENT_LIMIT:
        raise _too_big(name, path, len(data), DOCUMENT_LIMIT)
    text = documents.decode_text(data)
    if text is None:
        known = images.unreadable_image_kind(data)
        if known is not None:
            raise _refusal(
                name,
                path,
                f"{name} is a {known} image, which Kibitz cannot read.",
                hint="Convert it to JPEG or PNG first (most photo apps can export it so).",
            )
        raise _refusal(
            name, path, f"{name} is not a text file, image or PDF.", hint=_NOT_SUPPORTED_HINT
        )
    if not text:
        raise _empty(name, path)
    return Attachment(name, _text_mime(name, mime_hint), data, AttachmentKind.FILE, text=text)


def _pdf_text(data: bytes, name: str, path: str | None) -> str:
    try:
        return documents.pdf_text(data)
    except documents.NoTextError as exc:
        if exc.reason == documents.ENCRYPTED:
            raise _refusal(
                name,
                path,
                f"{name} is protected by a password.",
                hint="Save a copy without the password (or print it to a new PDF) and attach it.",
            ) from None
        if exc.reason == documents.NO_TEXT:
            raise _refusal(
                name,
                path,
                f"{name} has no text Kibitz can read (a scanned PDF?)",
                hint="Run text recognition (OCR) on it first, or paste the text into the message.",
            ) from None
        raise _refusal(
            name,
            path,
            f"{name} looks like a PDF but cannot be read (damaged or cut short?)",
            hint="Open it in a PDF viewer to check it, or save it again and attach the copy.",
        ) from None


def _starts_as_image(file: Path) -> bool:
    try:
        with file.open("rb") as stream:
            head = stream.read(64 * 1024)
    except OSError:
        return False
    return _is_image_header(head)


def _is_image_header(head: bytes) -> bool:
    """Whether `head` begins like an image Kibitz reads (header only, nothing decoded)."""
    return images.has_image_signature(head)


def _text_mime(name: str, hint: str | None) -> str:
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    for candidate in (hint, guessed):
        if candidate:
            base = candidate.split(";", 1)[0].strip().lower()
            # A name can claim a binary type (notes.ts is "video/mp2t" to mimetypes).
            if (
                base.startswith("text/")
                or base in _TEXT_APPLICATION_TYPES
                or base.endswith(("+json", "+xml"))
            ):
                return base
    return "text/plain"


# -- the refusals ------------------------------------------------------------------------------


def _refusal(name: str, path: str | None, detail: str, *, hint: str | None) -> AttachmentError:
    return AttachmentError(detail, headline=f"{name} cannot be attached", hint=hint, path=path)


def _os_refusal(name: str, path: str, exc: OSError) -> AttachmentError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOENT:
        hint = "Check the path; the file may have been moved, renamed or deleted."
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = "Check that you may read the file, or copy it somewhere you can and attach that."
    else:
        hint = None
    return _refusal(name, path, f"{path}: {reason}", hint=hint)


def _empty(name: str, path: str | None) -> AttachmentError:
    return _refusal(name, path, f"{name} is empty.", hint="Attach a file with something in it.")


def _too_big(name: str, path: str | None, size: int, limit: int) -> AttachmentError:
    hint = (
        "Scale the image down, or attach a smaller one."
        if limit == IMAGE_LIMIT
        else "Attach a shorter document, or paste the part that matters into the message."
    )
    return _refusal(
        name,
        path,
        f"{name} is too big to attach ({_megabytes(size, limit)}; the limit is {limit // _MB} MB)",
        hint=hint,
    )


def _megabytes(size: int, limit: int) -> str:
    shown = f"{size / _MB:.0f}"
    if int(shown) <= limit // _MB:
        # "20 MB; the limit is 20 MB" reads as a contradiction: show the fraction.
        shown = f"{size / _MB:.1f}"
    return f"{shown} MB"


def _bad_image(name: str, path: str | None, exc: images.ImageReadError) -> AttachmentError:
    if exc.reason == images.TOO_MANY_PIXELS:
        return _refusal(
            name,
            path,
            f"{name} has too many pixels to attach.",
            hint="Scale it down (a few thousand pixels a side is plenty) and attach the copy.",
        )
    return _refusal(
        name,
        path,
        f"{name} looks like an image but cannot be read (damaged or cut short?)",
        hint="Open it in an image viewer to check it, or save it again and attach the copy.",
    )
