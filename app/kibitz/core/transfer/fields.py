"""Typed reads of the JSON objects of a Kibitz export, failing with errors that say where."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kibitz.core.transfer.errors import ImportFileError

NUMBER = (int, float)
_MAX_NUMBER = 95_000_000_000.0  # seconds: about the year 5000


def in_range(value: Any) -> bool:
    """Numbers SQLite and the clock can hold: no NaN or infinity (Python's JSON reads them),
    integers within 64 bits, times before the year 5000."""
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) < _MAX_NUMBER
    if isinstance(value, int):
        return abs(value) < 2**63
    return True


class Fields:
    """One JSON object; each read checks the field's type and names it, and `where`, if not."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ImportFileError(where, "is not a JSON object")
        self.data = data
        self.where = where

    def fail(self, problem: str) -> ImportFileError:
        return ImportFileError(self.where, problem)

    def checked(self, name: str, kinds: tuple[type, ...], expected: str, optional: bool) -> Any:
        """The field's value if it is one of `kinds` (or null, when `optional`)."""
        value = self.data.get(name)
        if isinstance(value, kinds) and not isinstance(value, bool) and in_range(value):
            return value
        if optional and value is None:
            return None
        raise self.fail(f"“{name}” should be {expected}" + (" or null" if optional else ""))

    def text(self, name: str) -> str:
        return str(self.checked(name, (str,), "text", optional=False))

    def text_or_none(self, name: str) -> str | None:
        value = self.checked(name, (str,), "text", optional=True)
        return None if value is None else str(value)

    def number(self, name: str) -> float:
        return float(self.checked(name, NUMBER, "a number", optional=False))

    def number_or_none(self, name: str) -> float | None:
        value = self.checked(name, NUMBER, "a number", optional=True)
        return None if value is None else float(value)

    def integer(self, name: str, default: int | None = None) -> int:
        if default is not None and name not in self.data:
            return default
        return int(self.checked(name, (int,), "a whole number", optional=False))

    def integer_or_none(self, name: str) -> int | None:
        value = self.checked(name, (int,), "a whole number", optional=True)
        return None if value is None else int(value)

    def flag(self, name: str, default: bool) -> bool:
        """true or false; `default` when the field is missing or null."""
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(f"“{name}” should be true or false")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        """One of `choices`; `default` (when given) if the field is missing or null."""
        value = self.data.get(name)
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or value not in choices:
            raise self.fail(f"“{name}” should be one of {', '.join(choices)}")
        return value
