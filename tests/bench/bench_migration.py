"""Benchmark of the schema v1 -> v2 upgrade (messages made of parts) at 100,000 messages.

Run with `.venv/bin/python tests/bench/bench_migration.py [--messages N] [--runs N]`. Builds
a v1 database with the v1 schema itself (MIGRATIONS[0]), 1,000 conversations of 100 messages
of realistic text, then opens a fresh copy of it with Store.open (which backs it up, upgrades it
and proves the carried-over text index with FTS5's integrity-check). Prints medians next to a
baseline measured on the same file in the same run, and PASS/MISS against the issue's 10 s.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kibitz.core.store import MIGRATIONS, Store

TARGET_S = 10.0
_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "it",
    "you",
    "that",
    "was",
    "for",
    "on",
    "are",
    "with",
    "as",
    "I",
    "be",
    "at",
    "one",
    "have",
    "this",
    "from",
    "or",
    "python",
    "function",
    "error",
    "database",
    "query",
    "table",
    "index",
    "server",
    "request",
    "response",
    "token",
    "model",
    "stream",
    "config",
    "install",
    "package",
    "module",
    "import",
    "class",
    "method",
    "string",
    "list",
    "dict",
    "async",
    "await",
    "café",
    "naïve",
    "résumé",
    "Zürich",
    "déjà",
    "façade",
]


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 150)))


def build_v1(path: Path, messages: int) -> None:
    """A v1 database as Kibitz 0.1.0 wrote it: the v1 schema, then rows and their index."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    MIGRATIONS[0].apply(conn)
    conn.execute("PRAGMA user_version = 1")
    rng = random.Random(7)
    per = 100
    now = 1_700_000_000.0
    conversations = max(1, messages // per)
    conn.executemany(
        "INSERT INTO conversations (id, uid, title, created_at, updated_at, current_leaf_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (c, f"uid-{c}", f"conversation {c}", now, now, c * per)
            for c in range(1, conversations + 1)
        ],
    )
    rows = []
    for c in range(1, conversations + 1):
        for i in range(per):
            mid = (c - 1) * per + i + 1
            role = "user" if i % 2 == 0 else "assistant"
            parent = None if i == 0 else mid - 1
            usage = (100, 200, 300) if role == "assistant" else (None, None, None)
            rows.append(
                (mid, c, parent, role, _text(rng), "complete", now + i, now + i, "gpt-4o", *usage)
            )
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at,"
        " updated_at, model, prompt_tokens, completion_tokens, total_tokens)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def baseline_copy(source: Path, work: Path) -> float:
    """What copying the whole database costs (the backup the upgrade takes first does this)."""
    target = work / "copy.sqlite3"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    src = sqlite3.connect(source)
    dest = sqlite3.connect(target)
    src.backup(dest)
    dest.close()
    src.close()
    return time.perf_counter() - started


def upgrade(source: Path, work: Path) -> tuple[float, int]:
    target = work / "kibitz.sqlite3"
    for old in work.glob("kibitz.sqlite3*"):
        old.unlink()
    shutil.copy(source, target)
    steps: list[str] = []
    started = time.perf_counter()
    with Store.open(target, progress=lambda n, total, what: steps.append(what)) as store:
        took = time.perf_counter() - started
        assert steps, "the database was not upgraded"
        hits = len(store.search("python"))
    return took, hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "v1.sqlite3"
        started = time.perf_counter()
        build_v1(source, args.messages)
        print(
            f"v1 database: {args.messages:,} messages, {source.stat().st_size / 1e6:.0f} MB, "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        upgrades, copies = [], []
        for _ in range(args.runs):  # interleaved, so machine load hits both alike
            copies.append(baseline_copy(source, work))
            took, hits = upgrade(source, work)
            upgrades.append(took)
        median = statistics.median(upgrades)
        base = statistics.median(copies)
        print(f"baseline: copying the database  median {base:.2f} s  (min {min(copies):.2f})")
        print(
            f"upgrade v1 -> v2 (Store.open)    median {median:.2f} s  (min {min(upgrades):.2f})"
            f"  = {median / base:.1f}x the copy; search found {hits} hits after it"
        )
        verdict = "PASS" if median <= TARGET_S else "MISS"
        print(f"{verdict}: {median:.2f} s against the target of {TARGET_S:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
