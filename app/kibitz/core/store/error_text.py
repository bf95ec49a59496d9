"""What a failed reply's error column holds: "code: headline", then the detail on a second line.

Rows written before the detail was kept hold the first line only; they read with no detail.
"""

from __future__ import annotations

from kibitz.core.errors import KibitzError


def error_record(error: KibitzError) -> str:
    """The stored text of `error`: its summary, and its detail (the server's own words, say)
    on one more line, so the window can show what the terminal shows."""
    detail = " ".join(error.detail.split())
    return error.summary() if not detail else f"{error.summary()}\n{detail}"


def read_error_record(text: str) -> tuple[str, str, str]:
    """(code, headline, detail) of a stored error; detail is "" when the row has none."""
    first, _, detail = text.partition("\n")
    code, _, headline = first.partition(": ")
    return code, headline, detail.strip()
