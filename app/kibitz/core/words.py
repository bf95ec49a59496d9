"""Small wording helpers for messages people read."""

from __future__ import annotations


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 conversation", "2 conversations" (or the given plural)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
