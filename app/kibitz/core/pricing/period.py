"""The period a usage report covers, from what a person types: a date, or "30d" back from now."""

from __future__ import annotations

import re
import time
from datetime import date, datetime

_RELATIVE = re.compile(r"^(\d{1,5})\s*([dwmy])$")
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def period_start(text: str, now: float | None = None) -> float | None:
    """The instant a period begins: local midnight of YYYY-MM-DD, or that of N days ("30d"),
    weeks ("4w"), months of 30 days ("3m") or years ("1y") before today; None for "all".

    ValueError for anything else."""
    wanted = text.strip().lower()
    if wanted == "all":
        return None
    now = time.time() if now is None else now
    relative = _RELATIVE.match(wanted)
    if relative:
        days = int(relative.group(1)) * _DAYS[relative.group(2)]
        today = datetime.fromtimestamp(now).date()
        return _midnight(date.fromordinal(today.toordinal() - days + 1))
    try:
        return _midnight(date.fromisoformat(wanted))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date (YYYY-MM-DD), a span back from today (30d, 4w, 3m, 1y) "
            "or 'all'"
        ) from None


def day_after(text: str) -> float:
    """The instant after the local day YYYY-MM-DD ends (an inclusive --until)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return _midnight(date.fromordinal(day.toordinal() + 1))


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day).timestamp()
