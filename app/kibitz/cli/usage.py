"""`kibitz usage`: tokens and cost over a period, by day, model, provider or conversation, as a
table for terminals or CSV or JSON for scripts."""

from __future__ import annotations

import argparse
import json
import sys

from kibitz.cli.commands import EXIT_OK, EXIT_USAGE, CliContext, say
from kibitz.core.pricing import day_after, format_usd, period_start
from kibitz.core.pricing.report import to_csv, to_records
from kibitz.core.store import LedgerGrouping, LedgerTotal, sum_totals
from kibitz.core.words import count_of


def _tokens(n: int) -> str:
    return f"{n:,}"


def _table(by: LedgerGrouping, rows: list[LedgerTotal]) -> None:
    total = sum_totals(rows)
    head = str(by).upper()
    labels = [r.label for r in rows]
    width = min(48, max(len(head), len(total.label), *(len(label) for label in labels)))
    columns = ("REPLIES", "PROMPT", "CACHED", "COMPLETION", "REASONING", "COST")

    def line(label: str, row: LedgerTotal) -> str:
        cells = (
            _tokens(row.replies),
            _tokens(row.prompt_tokens),
            _tokens(row.cached_tokens),
            _tokens(row.completion_tokens),
            _tokens(row.reasoning_tokens),
            format_usd(row.cost_nanos) + ("*" if row.unpriced else ""),
        )
        short = label if len(label) <= width else label[: width - 1] + "…"
        return f"{short:<{width}}" + "".join(f"  {c:>12}" for c in cells)

    print(f"{head:<{width}}" + "".join(f"  {c:>12}" for c in columns))
    for row in rows:
        print(line(row.label, row))
    print(line(total.label, total))
    if total.unpriced:
        unpriced = count_of(total.unpriced, "reply", "replies")
        say(
            f"* {unpriced} had no known price and are not in the cost.",
            "Set the price of their model in Settings → Prices; later replies will use it.",
        )


def run(context: CliContext, args: argparse.Namespace) -> int:
    try:
        since = period_start(args.since)
        until = day_after(args.until) if args.until else None
    except ValueError as e:
        say(str(e), "For example: kibitz usage --since 2026-01-01, or --since 30d.")
        return EXIT_USAGE
    by = LedgerGrouping(args.by)
    rows = context.store.usage_totals(by, since, until)
    if args.csv:
        sys.stdout.write(to_csv(str(by), rows))
        return EXIT_OK
    if args.json:
        json.dump(to_records(str(by), rows), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not rows:
        say("No replies with usage in this period.")
        return EXIT_OK
    _table(by, rows)
    return EXIT_OK
