"""`kibitz usage` over a real database of generated priced replies, as a user runs it: the
table, CSV and JSON, periods, and totals that match the ones worked out by hand."""

from __future__ import annotations

import csv
import io
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest

from kibitz.core.store import Store
from tests.integration.cli_support import cli_env, database, run_cli
from tests.support.ledger_data import DAY_S, HandTotals, fill_ledger

REPLIES = 3000


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HandTotals, float]:
    basedir = tmp_path_factory.mktemp("usage") / "home"
    end = time.time()
    with Store.open(database(basedir)) as store:
        hand = fill_ledger(store, REPLIES, end=end, days=60, conversations=40)
    return basedir, hand, end


def kibitz(basedir: Path, *args: str) -> tuple[int, str, list[str]]:
    result = run_cli(["--basedir", str(basedir), "usage", *args], env=cli_env())
    return result.returncode, result.stdout, result.messages


def test_csv_by_model_matches_the_hand_totals(ledger: tuple[Path, HandTotals, float]) -> None:
    basedir, hand, _ = ledger
    code, out, _ = kibitz(basedir, "--since", "all", "--by", "model", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["model"] for r in rows} == set(hand.by["model"])
    for row in rows:
        expected = hand.by["model"][row["model"]]
        assert int(row["replies"]) == expected.replies
        assert int(row["prompt_tokens"]) == expected.prompt_tokens
        assert int(row["cached_tokens"]) == expected.cached_tokens
        assert int(row["completion_tokens"]) == expected.completion_tokens
        assert int(row["reasoning_tokens"]) == expected.reasoning_tokens
        assert Decimal(row["cost_usd"]) == expected.cost_usd
        assert int(row["unpriced_replies"]) == expected.unpriced


def test_json_by_conversation_names_them(ledger: tuple[Path, HandTotals, float]) -> None:
    basedir, hand, _ = ledger
    code, out, _ = kibitz(basedir, "--since", "all", "--by", "conversation", "--json")
    assert code == 0
    records = json.loads(out)
    assert len(records) == 40
    assert {r["title"] for r in records} == {f"Chat {n}" for n in range(1, 41)}
    assert sum(r["replies"] for r in records) == REPLIES
    one = next(r for r in records if r["conversation_id"] == 7)
    assert Decimal(one["cost_usd"]) == hand.by["conversation"]["7"].cost_usd


def test_the_table_by_day_covers_the_period_asked(ledger: tuple[Path, HandTotals, float]) -> None:
    basedir, hand, end = ledger
    code, out, messages = kibitz(basedir, "--since", "10d")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "DAY",
        "REPLIES",
        "PROMPT",
        "CACHED",
        "COMPLETION",
        "REASONING",
        "COST",
    ]
    days = [line.split()[0] for line in lines[1:-1]]
    assert days == sorted(days)
    assert len(days) == 10
    assert days[-1] == time.strftime("%Y-%m-%d", time.localtime(end))
    assert lines[-1].startswith("Total")
    # A whole day's row reads as the hand totals say.
    middle = days[5]
    replies = int(
        next(line for line in lines if line.startswith(middle)).split()[1].replace(",", "")
    )
    assert replies == hand.by["day"][middle].replies
    # Some generated models have no price: the table says so, and how to fix it.
    assert any("no known price" in m for m in messages)


def test_since_a_date_and_until_a_date(ledger: tuple[Path, HandTotals, float]) -> None:
    basedir, hand, end = ledger
    first = time.strftime("%Y-%m-%d", time.localtime(end - 20 * DAY_S))
    last = time.strftime("%Y-%m-%d", time.localtime(end - 11 * DAY_S))
    code, out, _ = kibitz(basedir, "--since", first, "--until", last, "--json")
    assert code == 0
    records = json.loads(out)
    assert [r["day"] for r in records] == sorted(d for d in hand.by["day"] if first <= d <= last)
    assert [r["replies"] for r in records] == [hand.by["day"][r["day"]].replies for r in records]


def test_a_bad_date_is_a_usage_error(ledger: tuple[Path, HandTotals, float]) -> None:
    basedir, _, _ = ledger
    code, out, messages = kibitz(basedir, "--since", "last tuesday")
    assert code == 2
    assert out == ""
    assert "not a date" in messages[0]


def test_an_empty_database_says_there_is_nothing(tmp_path: Path) -> None:
    code, out, messages = kibitz(tmp_path / "home")
    assert code == 0
    assert out == ""
    assert messages == ["kibitz: No replies with usage in this period."]
