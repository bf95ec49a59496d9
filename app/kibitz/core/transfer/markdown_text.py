"""Plain text inside Markdown: escaped words, short notes of ours, inline code, file sizes."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_BACKTICKS = re.compile(r"`+")


def escape(text: str) -> str:
    """Plain text that Markdown shows as written, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def note(text: str) -> str:
    """A short remark of ours, set apart from what was written: *[Image: cat.png]*."""
    return f"*[{escape(text)}]*"


def inline_code(text: str) -> str:
    """`text` as a code span, whatever backticks it holds."""
    text = " ".join(text.split())
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def file_size(size: float) -> str:
    """ "512 bytes", "9.5 KB", "12 KB", "1.2 MB": two or three figures, as file managers do."""
    if size < 1024:
        return f"{size:.0f} bytes" if size != 1 else "1 byte"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if size < 10 else f"{size:.0f} {unit}"
    return ""  # not reached
