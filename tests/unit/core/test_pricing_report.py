"""A usage report's period from what a person types, and its CSV and JSON rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from kibitz.core.pricing import day_after, period_start
from kibitz.core.pricing.report import dollars, to_csv, to_records
from kibitz.core.store import LedgerTotal

NOW = datetime(2026, 12, 7, 15, 30).timestamp()


def test_periods_start_at_local_midnight() -> None:
    assert period_start("2026-11-01", NOW) == datetime(2026, 11, 1).timestamp()
    assert period_start("1d", NOW) == datetime(2026, 12, 7).timestamp()  # today
    assert period_start("30d", NOW) == datetime(2026, 11, 8).timestamp()
    assert period_start("2w", NOW) == datetime(2026, 11, 24).timestamp()
    assert period_start("1y", NOW) == datetime(2025, 12, 8).timestamp()
    assert period_start(" ALL ", NOW) is None
    assert day_after("2026-12-07") == datetime(2026, 12, 8).timestamp()
    for bad in ("yesterday", "30", "-3d", "2026-13-01"):
        with pytest.raises(ValueError, match="not a date"):
            period_start(bad, NOW)


def test_csv_and_json_rows_keep_costs_exact() -> None:
    rows = [
        LedgerTotal("7", 'Plans, "quoted"', 2, 100, 20, 50, 5, 435_000, 0),
        LedgerTotal("9", "Other", 1, 10, 0, 1, 0, 0, 1),
    ]
    table = list(csv.reader(io.StringIO(to_csv("conversation", rows))))
    assert table[0][:2] == ["conversation_id", "title"]
    assert table[1] == ["7", 'Plans, "quoted"', "2", "100", "20", "50", "5", "0.000435000", "0"]
    assert table[2][-2:] == ["0.000000000", "1"]
    assert to_records("model", rows[1:])[0]["model"] == "Other"
    assert to_records("conversation", rows)[0]["conversation_id"] == 7
    assert dollars(1_234_567_890_123) == "1234.567890123"
