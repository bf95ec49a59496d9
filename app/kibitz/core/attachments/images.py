"""Images: telling one apart from other bytes, its upright size, and the copy a server is sent.

The stored original is never changed. What is sent is upright (EXIF orientation applied, since
servers look at pixels and ignore the tag), no longer than `max_side` on its long side and under
`max_bytes`, in a format every vision server takes (PNG, JPEG, WebP, GIF). Everything here is
deterministic and safe to call from worker threads (each call works on its own Image objects).
Pillow loads on first use, never at start-up.
"""

from __future__ import annotations

import io
import math
import struct
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kibitz.core.errors import AttachmentError

if TYPE_CHECKING:
    from PIL import Image

# Formats servers take as they are, and the MIME type each is sent as. MPO (the multi-picture
# JPEG some cameras write) is a JPEG with more pictures appended; servers read the first.
_SENDABLE = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
# The formats read as images. Each has a signature Pillow checks first: Pillow's TGA reader has
# none and would take some text files for pictures, so it is not offered.
_READABLE = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "ICO", "ICNS", "JPEG2000", "AVIF", "QOI")
_ORIENTATION_TAG = 0x0112

# JPEG qualities tried in turn for a photo over the byte limit; below 60 artefacts show.
_JPEG_QUALITIES = (90, 80, 70, 60)
# Each further step when even the lowest quality is too big: 3/4 of the sides, half the pixels.
_SHRINK = 0.75
# Pillow's `reduce` before LANCZOS: 3.0 is indistinguishable from LANCZOS alone and several
# times faster on a 12-megapixel photo.
_REDUCING_GAP = 3.0

# Everything Pillow raises from inside a decoder for a damaged or hostile file. Pillow has no
# single base class for "this image cannot be read" (a truncated JPEG is an OSError, a bad
# header often SyntaxError or struct.error), so they are listed.
_DECODE_FAILURES: tuple[type[Exception], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)


class ImageReadError(Exception):
    """Bytes in an image format that cannot be decoded (`reason`: DAMAGED or TOO_MANY_PIXELS)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


DAMAGED = "damaged"
TOO_MANY_PIXELS = "too_many_pixels"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    mime_type: str  # of the real format, whatever the file's name says
    width: int  # upright
    height: int
    animated: bool


def identify_image(data: bytes) -> ImageInfo | None:
    """What image `data` is, checked by decoding it; None when it is no image format at all.

    Raises ImageReadError when it is an image format but cannot be decoded (damaged, cut short)
    or has more pixels than Pillow safely decodes.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        im = _open(data)
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError as exc:
        raise ImageReadError(TOO_MANY_PIXELS, str(exc)) from None
    except _DECODE_FAILURES as exc:
        raise ImageReadError(DAMAGED, str(exc)) from None
    with im:
        try:
            width, height = _upright_size(im)
            fmt = im.format or ""
            mime = _SENDABLE.get(fmt) or Image.MIME.get(fmt) or f"image/{fmt.lower()}"
            animated = bool(getattr(im, "is_animated", False))
            if fmt in ("JPEG", "MPO"):
                # Decoding at 1/8 scale still reads every byte, so a cut-short file is found,
                # at a fraction of a full decode's time.
                im.draft(im.mode, (max(1, width // 8), max(1, height // 8)))
            im.load()
        except _DECODE_FAILURES as exc:
            raise ImageReadError(DAMAGED, str(exc)) from None
    return ImageInfo(mime, width, height, animated)


# ISO media brands of HEIF pictures (iPhones save photos as HEIC): images Pillow cannot read.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def unreadable_image_kind(data: bytes) -> str | None:
    """The name of a common image format Pillow cannot decode ("HEIC"), if `data` is one."""
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC"
    return None


def has_image_signature(head: bytes) -> bool:
    """Whether `head` (a file's first bytes) begins like an image; its header is parsed, no
    pixels are decoded."""
    from PIL import UnidentifiedImageError

    try:
        with _open(head):
            return True
    except UnidentifiedImageError:
        return False
    except _open_failures():
        # A reader took the header as its format's and then failed on what followed.
        return True


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height as displayed (EXIF orientation applied), from the header alone.
    Raises AttachmentError when `data` is no image."""
    with _open_or_refuse(data) as im:
        return _upright_size(im)


def image_for_sending(
    data: bytes,
    mime_type: str,
    *,
    max_side: int = 2048,
    max_bytes: int = 5 * 1024 * 1024,
) -> tuple[bytes, str]:
    """The bytes and MIME type to put in a `data:` URL for the image `data`.

    An upright PNG, JPEG, WebP or still GIF within both limits, carrying no metadata beyond
    its orientation, is returned as it is (the same object). Otherwise the first frame is
    turned upright, scaled to `max_side`, and encoded so it is under `max_bytes`, without the
    EXIF (a phone photo's GPS position and camera serial stay on this machine; servers take
    still images only). `mime_type` is what the image was stored as; the bytes themselves
    decide, since a name or a paste can say the wrong type.
    """
    with _open_or_refuse(data) as im:
        orientation = _orientation(im)
        fmt = im.format or ""
        sendable = _SENDABLE.get(fmt)
        if (
            sendable is not None
            and orientation == 1
            and max(im.size) <= max_side
            and len(data) <= max_bytes
            and not getattr(im, "is_animated", False)
            and not _carries_metadata(im)
        ):
            return data, sendable
        try:
            frame, icc = _upright_frame(im, orientation, max_side)
        except _DECODE_FAILURES as exc:
            raise _unreadable(mime_type, exc) from None
    return _encode_within(frame, icc, photo=_is_lossy(data, fmt), max_bytes=max_bytes)


def thumbnail_png(data: bytes, max_side: int) -> bytes:
    """A PNG of the first frame, upright, no longer than `max_side` (never enlarged)."""
    with _open_or_refuse(data) as im:
        try:
            frame, icc = _upright_frame(im, _orientation(im), max_side)
        except _DECODE_FAILURES as exc:
            raise _unreadable("", exc) from None
    return _save(frame, "PNG", icc)


def estimate_image_tokens(width: int, height: int, detail: str = "auto") -> int:
    """What an image costs in prompt tokens, by OpenAI's published tile rule (an estimate:
    other servers count differently, and OpenAI's newer models use other rules)."""
    if detail == "low":
        return 85
    fit = min(1.0, 2048 / max(width, height, 1))
    w, h = max(1, width) * fit, max(1, height) * fit
    shortest = min(w, h)
    if shortest > 768:
        w, h = w * 768 / shortest, h * 768 / shortest
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return 170 * tiles + 85


# -- decoding ----------------------------------------------------------------------------------

_init_lock = threading.Lock()
_formats: tuple[str, ...] | None = None


def _readable_formats() -> tuple[str, ...]:
    """The formats of _READABLE this Pillow build has (AVIF depends on how it was built)."""
    global _formats
    with _init_lock:
        if _formats is None:
            from PIL import Image

            Image.init()
            _formats = tuple(f for f in _READABLE if f in Image.OPEN)
        return _formats


def _open(data: bytes) -> Image.Image:
    from PIL import Image

    return Image.open(io.BytesIO(data), formats=_readable_formats())


def _open_or_refuse(data: bytes) -> Image.Image:

    try:
        return _open(data)
    except _open_failures() as exc:
        raise _unreadable("", exc) from None


def _open_failures() -> tuple[type[Exception], ...]:
    from PIL import Image

    return (Image.DecompressionBombError, *_DECODE_FAILURES)


def _unreadable(mime_type: str, exc: Exception) -> AttachmentError:
    what = f"an image ({mime_type})" if mime_type else "an image"
    return AttachmentError(
        f"The bytes stored as {what} cannot be decoded: {exc}",
        headline="An attached image cannot be read",
        hint="Remove the image from the message and attach the file again.",
    )


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation still to apply to the decoded pixels (1: none)."""
    if im.format == "TIFF":
        # Pillow turns TIFFs itself as it decodes them (since 6.2): turning again would
        # rotate twice.
        return 1
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except _DECODE_FAILURES:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _carries_metadata(im: Image.Image) -> bool:
    """Whether the image holds EXIF beyond its orientation (where, when, with what camera)."""
    try:
        tags = set(im.getexif())
    except _DECODE_FAILURES:
        return True  # unreadable EXIF: re-encoding drops it along with whatever it hides
    return bool(tags - {_ORIENTATION_TAG})


def _upright_size(im: Image.Image) -> tuple[int, int]:
    width, height = im.size
    if im.format == "TIFF":
        # Pillow 11 reports a TIFF's turned size as soon as it is opened, older ones only
        # once it is loaded: turn the size here unless Pillow already has.
        tags = getattr(im, "tag_v2", {})
        stored = (tags.get(256), tags.get(257))
        turns = tags.get(_ORIENTATION_TAG, 1) in (5, 6, 7, 8)
        return (height, width) if turns and stored == (width, height) else (width, height)
    # Orientations 5 to 8 turn the picture a quarter: its sides swap.
    return (height, width) if _orientation(im) >= 5 else (width, height)


def _upright_frame(
    im: Image.Image, orientation: int, max_side: int
) -> tuple[Image.Image, bytes | None]:
    """The first frame in a mode every encoder takes, scaled to `max_side`, then turned upright
    (scaling first turns fewer pixels); with the colour profile that still fits its pixels."""
    from PIL import Image

    if im.format in ("JPEG", "MPO") and max(im.size) > max_side:
        # The JPEG decoder can scale by 1/2, 1/4, 1/8 as it decodes; keep a margin of twice
        # the target so LANCZOS still has pixels to work with.
        scale = 2 * max_side / max(im.size)
        im.draft(im.mode, (round(im.width * scale), round(im.height * scale)))
    source_mode = im.mode
    frame = _plain_mode(im)  # decodes; a TIFF can change its size here (see _upright_size)
    width, height = frame.size
    scale = min(1.0, max_side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if frame.size != size:
        frame = frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
    method = _transpose_table().get(orientation)
    if method is not None:
        frame = frame.transpose(method)
    return frame, _profile_for(im, source_mode, frame.mode)


def _is_lossy(data: bytes, fmt: str) -> bool:
    """Whether the image was stored lossily (a photo, best re-encoded as JPEG) rather than
    losslessly (a screenshot or drawing, best kept as PNG). A WebP can be either: its
    RIFF chunks say, "VP8 " for lossy and "VP8L" for lossless."""
    if fmt in ("JPEG", "MPO"):
        return True
    if fmt != "WEBP":
        return False
    offset = 12  # after "RIFF", the file size and "WEBP"
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        if kind in (b"VP8 ", b"VP8L"):
            return kind == b"VP8 "
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)
    return False


def _plain_mode(im: Image.Image) -> Image.Image:
    """RGBA when transparency is used, L for grey, RGB otherwise: what PNG and JPEG both read
    (LANCZOS cannot work on palettes, JPEG knows no alpha, 16-bit grey would clip)."""
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        low, _high = rgba.getchannel("A").getextrema()
        # Fully opaque: alpha carries nothing, and without it a photo may go as JPEG.
        return rgba.convert("RGB") if low == 255 else rgba
    if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        # convert("L") clips 16-bit values at 255 (all white); scale them down instead.
        return im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if im.mode in ("1", "L"):
        return im.convert("L")
    return im.convert("RGB")


def _profile_for(im: Image.Image, source_mode: str, mode: str) -> bytes | None:
    """The ICC profile to embed, kept only where it still describes the pixels (a CMYK or grey
    profile on RGB pixels would shift every colour)."""
    icc = im.info.get("icc_profile")
    if not isinstance(icc, bytes) or not icc:
        return None
    rgb_source = source_mode in ("RGB", "RGBA", "RGBX", "P", "PA")
    grey_source = source_mode in ("L", "LA")
    if (rgb_source and mode in ("RGB", "RGBA")) or (grey_source and mode == "L"):
        return icc
    return None


def _transpose_table() -> dict[int, Image.Transpose]:
    from PIL import Image

    t = Image.Transpose
    # EXIF orientation -> the turn that shows the picture as the camera saw it.
    return {
        2: t.FLIP_LEFT_RIGHT,
        3: t.ROTATE_180,
        4: t.FLIP_TOP_BOTTOM,
        5: t.TRANSPOSE,
        6: t.ROTATE_270,
        7: t.TRANSVERSE,
        8: t.ROTATE_90,
    }


# -- encoding ----------------------------------------------------------------------------------


def _encode_within(
    frame: Image.Image, icc: bytes | None, *, photo: bool, max_bytes: int
) -> tuple[bytes, str]:
    """Encode `frame` under `max_bytes`: lossless PNG first for drawings and screenshots, JPEG
    quality steps for photos (and for anything opaque PNG cannot fit), then smaller sides."""
    from PIL import Image

    while True:
        opaque = frame.mode != "RGBA"
        if not photo or not opaque:
            png = _save(frame, "PNG", icc)
            if len(png) <= max_bytes:
                return png, "image/png"
        if opaque:
            for quality in _JPEG_QUALITIES:
                jpeg = _save(frame, "JPEG", icc, quality=quality)
                if len(jpeg) <= max_bytes:
                    return jpeg, "image/jpeg"
        if max(frame.size) <= 1:
            raise AttachmentError(
                f"An image cannot be made smaller than {max_bytes} bytes.",
                headline="An attached image is too big to send",
            )
        size = (max(1, int(frame.width * _SHRINK)), max(1, int(frame.height * _SHRINK)))
        frame = frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)


def _save(frame: Image.Image, fmt: str, icc: bytes | None, *, quality: int = 0) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        frame.save(out, "JPEG", quality=quality, optimize=True, icc_profile=icc)
    else:
        frame.save(out, "PNG", icc_profile=icc)
    return out.getvalue()
