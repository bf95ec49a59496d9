"""The cost ledger in the store: schema v4 (from v3, with its backup), costs stored with their
price, and the ledger's sums over 100,000 generated replies against totals worked out by hand."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.support.ledger_data import DAY_S, HandRow, HandTotals, fill_ledger

from kibitz.core.pricing import DEFAULT_PRICES, Price, charge_for, reply_cost
from kibitz.core.store import MIGRATIONS, LedgerGrouping, LedgerTotal, Store, sum_totals
from kibitz.core.types import Role, Usage

MINI = DEFAULT_PRICES[("openai", "gpt-4o-mini")]
END = 1_780_000_000.0  # a fixed instant, so the generated days never move


def test_a_v3_database_upgrades_to_the_ledger_keeping_its_usage(db_path: Path) -> None:
    v3 = tuple(m for m in MIGRATIONS if m.version <= 3)
    with Store.open(db_path, migrations=v3) as old:
        # Today's code writes today's columns: the old rows go in as v3 wrote them.
        conn = old._db.conn
        conv = conn.execute(
            "INSERT INTO conversations (uid, title, created_at, updated_at)"
            " VALUES ('u', 'before the ledger', 1, 1)"
        ).lastrowid
        question = conn.execute(
            "INSERT INTO messages (conversation_id, role, status, created_at, updated_at)"
            " VALUES (?, 'user', 'complete', 1, 1)",
            (conv,),
        ).lastrowid
        reply = conn.execute(
            "INSERT INTO messages (conversation_id, parent_id, role, status, created_at,"
            " updated_at, model, prompt_tokens, completion_tokens, total_tokens,"
            " reasoning_tokens) VALUES (?, ?, 'assistant', 'complete', 1, 1, 'gpt-4o', 10, 5,"
            " 15, 2)",
            (conv, question),
        ).lastrowid
    with Store.open(db_path) as store:
        assert store.migration_backup is not None
        assert store.migration_backup.exists()
        message = store.get_message(reply)  # type: ignore[arg-type]
        assert message.usage == Usage(10, 5, 15, 2, 0)
        assert message.cost_nanos is None
        assert message.provider is None
        (total,) = store.usage_totals(LedgerGrouping.MODEL)
        assert (total.label, total.replies, total.unpriced, total.cost_nanos) == (
            "gpt-4o",
            1,
            1,
            0,
        )
        assert store.stored_prices() == {}
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1].version
    finally:
        conn.close()


def test_a_cost_keeps_the_price_it_was_computed_with(store: Store) -> None:
    conv = store.create_conversation("priced")
    question = store.add_message(conv.id, None, Role.USER, "hi")
    reply = store.add_message(conv.id, question.id, Role.ASSISTANT, "yo", model="gpt-4o-mini")
    usage = Usage(1000, 500, 1500, 100, 200)
    store.set_usage(reply.id, usage, charge_for("work", usage, MINI))

    store.set_price("openai", "gpt-4o-mini", Price(9_000_000, 9_000_000, source="edited"))

    message = store.get_message(reply.id)
    assert message.cost_nanos == reply_cost(usage, MINI) == 435_000
    assert message.provider == "work"
    assert store.reply_price(reply.id) == MINI
    assert store.conversation_cost(conv.id).cost_nanos == 435_000
    assert store.stored_prices()[("openai", "gpt-4o-mini")].input == 9_000_000


def test_stored_prices_edit_remove_and_listed_prices_keep_edits(store: Store) -> None:
    edited = Price(1, 2, source="edited", as_of="2026-12-01")
    store.set_price("openrouter", "a/kept", edited)
    listed = {
        "a/kept": Price(5, 6, source="OpenRouter model list"),
        "b/new": Price(7, 8, source="OpenRouter model list"),
    }
    assert store.replace_listed_prices("openrouter", "OpenRouter model list", listed) == 1
    assert store.stored_prices() == {
        ("openrouter", "a/kept"): edited,
        ("openrouter", "b/new"): listed["b/new"],
    }
    # A second listing replaces the first one's rows, not the edit.
    store.replace_listed_prices("openrouter", "OpenRouter model list", {})
    assert store.stored_prices() == {("openrouter", "a/kept"): edited}
    store.remove_price("openrouter", "a/kept")
    assert store.stored_prices() == {}


def test_deleted_replies_still_count(store: Store) -> None:
    conv = store.create_conversation("spent")
    question = store.add_message(conv.id, None, Role.USER, "hi")
    reply = store.add_message(conv.id, question.id, Role.ASSISTANT, "yo", model="gpt-4o-mini")
    usage = Usage(100, 10, 110)
    store.set_usage(reply.id, usage, charge_for("work", usage, MINI))
    store.delete_message(question.id)
    store.delete([conv.id])
    (total,) = store.usage_totals(LedgerGrouping.CONVERSATION)
    assert total.label == "spent (in Trash)"
    assert total.cost_nanos == reply_cost(usage, MINI)


# -- 100,000 replies --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, HandTotals]]:
    path = tmp_path_factory.mktemp("ledger") / "kibitz.sqlite3"
    with Store.open(path) as store:
        yield store, fill_ledger(store, 100_000, end=END)


def _as_hand(total: LedgerTotal) -> HandRow:
    return HandRow(
        total.replies,
        total.prompt_tokens,
        total.cached_tokens,
        total.completion_tokens,
        total.reasoning_tokens,
        Decimal(total.cost_nanos) / 10**9,
        total.unpriced,
    )


@pytest.mark.parametrize("grouping", list(LedgerGrouping))
def test_ledger_sums_match_the_hand_computed_totals(
    ledger: tuple[Store, HandTotals], grouping: LedgerGrouping
) -> None:
    store, hand = ledger
    rows = store.usage_totals(grouping)
    assert {r.key: _as_hand(r) for r in rows} == hand.by[str(grouping)]
    overall = sum_totals(rows)
    assert overall.replies == 100_000
    assert Decimal(overall.cost_nanos) / 10**9 == sum(
        (h.cost_usd for h in hand.by["model"].values()), Decimal(0)
    )


def test_ledger_orders_days_by_date_and_the_rest_by_cost(
    ledger: tuple[Store, HandTotals],
) -> None:
    store, _ = ledger
    days = store.usage_totals(LedgerGrouping.DAY)
    assert [d.key for d in days] == sorted(d.key for d in days)
    models = store.usage_totals(LedgerGrouping.MODEL)
    assert [m.cost_nanos for m in models] == sorted((m.cost_nanos for m in models), reverse=True)
    assert models[-1].label in {"mystery-model", "llama3.2"}
    names = {c.label for c in store.usage_totals(LedgerGrouping.CONVERSATION)}
    assert "Chat 1" in names
    assert len(names) == 1000


def test_a_period_sums_only_its_replies(ledger: tuple[Store, HandTotals]) -> None:
    store, hand = ledger
    since = END - 30 * DAY_S
    days = store.usage_totals(LedgerGrouping.DAY, since=since, until=END + 1)
    first = time.strftime("%Y-%m-%d", time.localtime(since))
    # Whole days after the first (which the period cuts) match the hand totals exactly.
    assert len(days) in (30, 31)
    for day in days:
        if day.key > first:
            assert _as_hand(day) == hand.by["day"][day.key]
    later = store.usage_totals(LedgerGrouping.MODEL, since=since)
    assert sum(t.replies for t in later) == sum(d.replies for d in days)
    assert store.usage_totals(LedgerGrouping.MODEL, since=END + 1) == []
