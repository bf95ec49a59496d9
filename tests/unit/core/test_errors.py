"""The error tree: every error a user can meet says what happened and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core import errors


def _all_error_classes() -> list[type[errors.KibitzError]]:
    found: list[type[errors.KibitzError]] = []
    todo: list[type[errors.KibitzError]] = [errors.KibitzError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__ == errors.__name__]


def _make(cls: type[errors.KibitzError]) -> errors.KibitzError:
    if cls is errors.DatabaseRecoveredError:
        return cls("bad header", moved_to=Path("/data/kibitz.sqlite3.corrupt-1"))
    if cls is errors.ToolServerError:
        return cls("some detail", server="files")
    return cls("some detail")


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_has_headline_hint_and_code(cls: type[errors.KibitzError]) -> None:
    error = _make(cls)
    assert error.headline
    assert error.headline[0].isupper()
    assert error.hint
    assert error.hint != error.headline
    assert error.code
    assert " " not in error.code
    first, second = error.lines()
    assert "some detail" in first or "bad header" in first
    assert second == error.hint
    assert error.summary().startswith(f"{error.code}: ")


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in _all_error_classes()]
    assert len(codes) == len(set(codes))


def test_parameter_rejection_names_the_parameter() -> None:
    error = errors.BadRequestError("Unsupported parameter: 'temperature'", param="temperature")
    assert "temperature parameter" in error.hint


def test_recovered_database_says_where_the_old_file_went() -> None:
    moved = Path("/somewhere/kibitz.sqlite3.corrupt-20261123-101010")
    error = errors.DatabaseRecoveredError("file is not a database", moved_to=moved)
    assert str(moved) in error.hint


def test_rate_limit_keeps_retry_after() -> None:
    assert errors.RateLimitError(retry_after=2.5).retry_after == 2.5
    assert errors.RateLimitError().retryable
