"""Benchmark of the cost ledger at a year of 100,000 replies (1,000 conversations).

Run with `.venv/bin/python tests/bench/bench_usage.py [--replies N] [--runs N]` (offscreen
without a DISPLAY). Prints medians, each next to a baseline measured on the same database in
the same run (the machine is noisy):
- the Usage window opened on "Last 12 months" (the whole year) and on its default "Last 30
  days": made, shown, the totals read on its worker thread and shown (its `loaded` signal),
  then painted; target 200 ms (issue 19). Baseline: a bare QDialog with an empty QTableView
  made, shown and painted.
- the ledger's sums by day, model, provider and conversation over the year (what `kibitz
  usage` runs), and `kibitz usage --since 1y` as a process. Baseline: a plain
  `SELECT count(*)` of the replies; `kibitz list --json` for the process.
- the upgrade of a schema-v3 database of 100,000 messages (`--replies`) to v4 (adding the
  ledger's columns and its index), with `Store.open` and its backup. Baseline: the backup alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QDialog, QTableView, QVBoxLayout
from tests.support.ledger_data import fill_ledger

from kibitz.core.paths import resolve_paths
from kibitz.core.store import MIGRATIONS, LedgerGrouping, Store

OPEN_TARGET_MS = 200.0


def median_ms(run: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def open_usage_window(app: QApplication, store: Store, period: int) -> float:
    from kibitz.ui.controllers.usage_controller import UsageController, usage_window

    executor = ThreadPoolExecutor(max_workers=1)
    try:
        started = time.perf_counter()
        window = usage_window(store, executor)
        window.period.setCurrentIndex(period)
        controller = window.findChild(UsageController)
        assert controller is not None
        waiting = QEventLoop()
        controller.loaded.connect(waiting.quit)
        window.show()
        waiting.exec()
        window.repaint()
        elapsed = (time.perf_counter() - started) * 1000
        window.close()
        window.deleteLater()
        app.processEvents()
        return elapsed
    finally:
        executor.shutdown(wait=True)


def open_bare_dialog(app: QApplication) -> float:
    started = time.perf_counter()
    dialog = QDialog()
    QVBoxLayout(dialog).addWidget(QTableView())
    dialog.resize(820, 600)
    dialog.show()
    app.processEvents()
    dialog.repaint()
    elapsed = (time.perf_counter() - started) * 1000
    dialog.close()
    dialog.deleteLater()
    app.processEvents()
    return elapsed


def bench_window(app: QApplication, store: Store, runs: int) -> None:
    from kibitz.ui.views.usage_view import PERIODS

    year = next(i for i, (label, _) in enumerate(PERIODS) if label == "Last 12 months")
    month = next(i for i, (label, _) in enumerate(PERIODS) if label == "Last 30 days")
    open_usage_window(app, store, year)  # imports and first-use costs once, apart
    years, months, bares = [], [], []
    for _ in range(runs):  # interleaved, so machine load hits each alike
        years.append(open_usage_window(app, store, year))
        months.append(open_usage_window(app, store, month))
        bares.append(open_bare_dialog(app))
    year_ms, month_ms = statistics.median(years), statistics.median(months)
    print("Usage window opened (made, shown, totals read and shown, painted):")
    print(f"  Last 12 months: median {year_ms:7.1f} ms  (min {min(years):.1f})")
    print(f"  Last 30 days:   median {month_ms:7.1f} ms  (min {min(months):.1f})")
    print(f"  baseline, bare QDialog + QTableView: median {statistics.median(bares):.1f} ms")
    print(f"  {verdict(year_ms, OPEN_TARGET_MS)} a year opens in <= {OPEN_TARGET_MS:.0f} ms")


def bench_sums(store: Store, basedir: Path, runs: int) -> None:
    year_ago = time.time() - 365 * 86400
    conn = store._db.conn
    base = median_ms(
        lambda: conn.execute(
            "SELECT count(*) FROM messages WHERE total_tokens IS NOT NULL AND created_at >= ?",
            (year_ago,),
        ).fetchone(),
        runs,
    )
    print("Ledger sums over the year (store.usage_totals):")
    for grouping in LedgerGrouping:
        ms = median_ms(partial(store.usage_totals, grouping, year_ago), runs)
        print(f"  by {grouping!s:<13} median {ms:7.1f} ms")
    print(f"  baseline, SELECT count(*) of the replies: median {base:.1f} ms")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "KIBITZ_"))}
    cli = [sys.executable, "-m", "kibitz", "--basedir", str(basedir), "usage", "--since", "1y"]

    def run_cli() -> None:
        subprocess.run(cli, env=env, check=True, capture_output=True)

    cli_ms = median_ms(run_cli, max(3, runs // 2))
    listing = [sys.executable, "-m", "kibitz", "--basedir", str(basedir), "list", "--json"]
    list_ms = median_ms(
        lambda: subprocess.run(listing, env=env, check=True, capture_output=True),
        max(3, runs // 2),
    )
    print(f"  `kibitz usage --since 1y` as a process: median {cli_ms:.0f} ms")
    print(f"  baseline, `kibitz list --json` (the same start and store open): {list_ms:.0f} ms")


def bench_migration(source: Path, folder: Path, runs: int, messages: int) -> None:
    """Upgrade copies of a v3 database of `messages` messages (from the generated ones) to v4."""
    v3 = tuple(m for m in MIGRATIONS if m.version <= 3)
    v4 = tuple(m for m in MIGRATIONS if m.version <= 4)
    old = folder / "v3" / "kibitz.sqlite3"
    old.parent.mkdir()
    with Store.open(old, migrations=v3) as store:
        conn = store._db.conn
        conn.execute("ATTACH ? AS src", (str(source),))
        with store.batch():
            conn.execute(
                "INSERT INTO conversations (id, uid, title, created_at, updated_at)"
                " SELECT id, uid, title, created_at, updated_at FROM src.conversations"
            )
            conn.execute(
                "INSERT INTO messages (id, conversation_id, parent_id, role, status, created_at,"
                " updated_at, model, prompt_tokens, completion_tokens, total_tokens,"
                " reasoning_tokens) SELECT id, conversation_id, parent_id, role, status,"
                " created_at, updated_at, model, prompt_tokens, completion_tokens, total_tokens,"
                " reasoning_tokens FROM src.messages WHERE id <= ?",
                (messages,),
            )
        conn.execute("DETACH src")
        count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    upgrades, backups = [], []
    for n in range(runs):
        copy = folder / f"up{n}" / "kibitz.sqlite3"
        copy.parent.mkdir()
        shutil.copy(old, copy)
        started = time.perf_counter()
        with Store.open(copy, migrations=v4):
            pass
        upgrades.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        src, dest = sqlite3.connect(copy), sqlite3.connect(copy.with_name("plain-backup"))
        src.backup(dest)
        src.close()
        dest.close()
        backups.append((time.perf_counter() - started) * 1000)
    print(f"Upgrade v3 -> v4 of {count:,} messages (Store.open: backup, columns, index):")
    print(f"  median {statistics.median(upgrades):.0f} ms  (min {min(upgrades):.0f})")
    print(f"  baseline, the backup alone: median {statistics.median(backups):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        paths = resolve_paths(folder / "home").ensure()
        with Store.open(paths.database) as store:
            started = time.perf_counter()
            fill_ledger(store, args.replies, conversations=1000)
            print(
                f"{args.replies:,} replies (and their questions) over a year, generated in"
                f" {time.perf_counter() - started:.1f} s"
            )
        with Store.open(paths.database) as store:
            bench_window(app, store, args.runs)
            bench_sums(store, folder / "home", args.runs)
        bench_migration(paths.database, folder, max(3, args.runs // 2), args.replies)


if __name__ == "__main__":
    main()
