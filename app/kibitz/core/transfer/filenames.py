"""Export file names: safe on every OS, unique within an export, stable across exports."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime

from kibitz.core.types import Conversation

_SLUG_CHARS = 60
# Most file systems allow 255 bytes per name; the date, the tag and the suffix take ~30.
_SLUG_BYTES = 180
_TAG_CHARS = 8
# Windows refuses these as names, with or without an extension, in any letter case.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
    | {"com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"}
)
_NOT_WORD = re.compile(r"[^\w]+")


def slug(title: str) -> str:
    """Lower-case words of any script joined by hyphens; "untitled" when none are left.

    Letters and digits of every script are kept (a Japanese title stays readable); every
    other character, including all that Windows forbids (<>:"/\\|?*), becomes a hyphen.
    """
    text = unicodedata.normalize("NFKC", title).lower()
    text = _NOT_WORD.sub("-", text).replace("_", "-")
    text = re.sub(r"-{2,}", "-", text).strip("-")
    text = text[:_SLUG_CHARS]
    while len(text.encode("utf-8")) > _SLUG_BYTES:
        text = text[:-1]
    text = text.rstrip("-")
    # NFC so that macOS (which stores names decomposed) and the rest agree on the name.
    return unicodedata.normalize("NFC", text) or "untitled"


def uid_tag(uid: str, length: int = _TAG_CHARS) -> str:
    """A short, stable tag for a conversation uid: its own first characters when they are
    plain letters and digits (a uuid's prefix), else a hash of it."""
    own = re.sub(r"[^0-9a-z]", "", uid.rsplit(":", 1)[-1].lower())
    if len(own) >= length:
        return own[:length]
    return hashlib.sha256(uid.encode("utf-8")).hexdigest()[:length]


def safe_name(name: str) -> str:
    """`name` made acceptable to Windows, macOS and Linux as one path component."""
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "-", name).rstrip(" .")
    stem = name.split(".", 1)[0].strip().lower()
    if stem in _RESERVED:
        name = f"_{name}"
    return name or "_"


def export_filename(
    conversation: Conversation, suffix: str = ".md", taken: set[str] | None = None
) -> str:
    """`YYYY-MM-DD title-slug (uid8).md`, from the creation date (UTC) and the uid.

    With `taken` (lower-cased names already given out in this export: Windows and macOS
    compare names without case), a clash gets a longer uid tag, and the name is added.
    """
    day = datetime.fromtimestamp(conversation.created_at, UTC).strftime("%Y-%m-%d")
    base = f"{day} {slug(conversation.title)}"
    name = safe_name(f"{base} ({uid_tag(conversation.uid)}){suffix}")
    if taken is not None:
        if name.lower() in taken:
            name = safe_name(f"{base} ({hashlib.sha256(conversation.uid.encode()).hexdigest()})")
            name += suffix
            n = 2
            stem = name[: -len(suffix)] if suffix else name
            while name.lower() in taken:  # the same uid twice: only a caller's mistake
                name = f"{stem} {n}{suffix}"
                n += 1
        taken.add(name.lower())
    return name
