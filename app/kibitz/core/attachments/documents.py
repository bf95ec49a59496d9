"""A document's text: decoding a text file whatever its encoding, and extracting a PDF's text.

Both return the text or say why there is none; `reading` turns that into an AttachmentError
naming the file. pypdf and charset-normalizer load on first use, never at start-up.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Control characters no text file holds. Allowed: tab, line ends, form feed, ESC (coloured logs)
# and SUB (the end-of-file mark of old DOS files). A NUL or more than a stray few of the others
# means a binary that happened to decode.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1c-\x1f\x7f\x80-\x9f]")
# Bytes that are valid UTF-8 (or carry a BOM) are almost surely text, so a terminal capture's
# few backspaces pass; a guessed encoding decodes anything, so there the bar is higher.
_MAX_CONTROL_SHARE = 0.01
_MAX_CONTROL_SHARE_GUESSED = 0.001

# charset-normalizer often ranks several single-byte encodings equally clean for Western text,
# and then picks among them by language, which on short text is a guess: "crème" came back as
# "crčme" (cp1250). When the most common legacy encoding reads the bytes as cleanly as the
# best guess, it is the likelier one.
_PREFERRED_LEGACY = ("cp1252", "latin_1")
_CHAOS_TIE = 0.01
# Above this share of mess, a guessed encoding is not trusted (charset-normalizer's own cut).
_MAX_CHAOS = 0.2


class NoTextError(Exception):
    """The document has no text Kibitz can send; `reason` says which case, for the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The reasons NoTextError carries.
ENCRYPTED = "encrypted"
NO_TEXT = "no_text"
DAMAGED = "damaged"


def looks_like_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def decode_text(data: bytes) -> str | None:
    """The text of a file if it is text in an encoding Kibitz can tell, else None.

    The text is returned verbatim except for CRLF line ends, which become LF, and a byte
    order mark, which is dropped.
    """
    text, guessed = _decode(data)
    share = _MAX_CONTROL_SHARE_GUESSED if guessed else _MAX_CONTROL_SHARE
    if text is None or not _is_text(text, share):
        return None
    return text.replace("\r\n", "\n")


def _decode(data: bytes) -> tuple[str | None, bool]:
    """The decoded text (None if it does not decode), and whether its encoding was guessed."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), False
            except UnicodeDecodeError:
                return None, False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    return _decode_guessed(data), True


def _decode_guessed(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    if least > _MAX_CHAOS:
        return None
    clean = {m.encoding for m in matches if m.chaos <= least + _CHAOS_TIE}
    chosen = next((e for e in _PREFERRED_LEGACY if e in clean), None)
    if chosen is None:
        chosen = min(matches, key=lambda m: m.chaos).encoding
    log.debug("decoding a text file as %s (candidates: %s)", chosen, sorted(clean))
    try:
        return data.decode(chosen)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_text(text: str, max_control_share: float) -> bool:
    if "\x00" in text:
        return False
    controls = len(_CONTROL.findall(text))
    return controls <= len(text) * max_control_share


# pypdf raises its own errors for most damage, but a malformed file can also surface as one of
# these from deep inside its parser; any of them means "this PDF cannot be read".
_PDF_PARSE_FAILURES: tuple[type[Exception], ...] = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    ZeroDivisionError,
    RecursionError,
    EOFError,
    OSError,
)


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, pages apart by a blank line.

    Raises NoTextError(ENCRYPTED) for a PDF that needs a password to open, NoTextError(NO_TEXT)
    when no page has text (a scan), NoTextError(DAMAGED) when pypdf cannot parse it.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    failures: tuple[type[Exception], ...] = (PyPdfError, *_PDF_PARSE_FAILURES)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _unlock(reader):
            raise NoTextError(ENCRYPTED)
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except NoTextError:
        raise
    except failures as exc:
        log.info("cannot read a PDF: %s: %s", type(exc).__name__, exc)
        raise NoTextError(DAMAGED) from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise NoTextError(NO_TEXT)
    return text.replace("\r\n", "\n")


def _unlock(reader: PdfReader) -> bool:
    """Open a PDF that is encrypted with an empty user password (only "owner" restrictions,
    such as no printing, which many generated PDFs carry): it opens in any viewer."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError, PyPdfError

    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except (DependencyError, PyPdfError, NotImplementedError):
        # AES needs the optional `cryptography`; without it such a PDF cannot be opened.
        return False
