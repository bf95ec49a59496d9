"""Benchmark of the store: fill, search, branch loading and listing at 100,000 messages.

Run with `.venv/bin/python tests/bench/bench_store.py [--keep DIR]`. Prints medians next to
a baseline measured on the same database in the same process (the machine is noisy), and
PASS/MISS against the targets in DESIGN.md.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kibitz.core.store import Store
from kibitz.core.types import ConversationId, MessageId, MessageStatus, Role

CONVERSATIONS = 1_000
MESSAGES_EACH = 100
LONG_BRANCH = 2_000
SEARCH_TARGET_MS = 50.0
BRANCH_TARGET_MS = 100.0
QUERIES = (
    "python",
    "database error",
    "how do I",
    "t",
    "th",
    "the",
    "conf",
    "cafe",
    "x y z",
    "zyxvut",
)

_COMMON_TEXT = (
    "the of and to a in is it you that was for on are with as I his they be at one have this"
    " from or had by not word but what some we can out other were all there when up use your"
    " how said an each she which do their time if will way about many then them write would"
    " like so these her long make thing see him two has look more day could go come did number"
    " sound no most people my over know water than call first who may down side been now find"
    " any new work part take get place made live where after back little only round man year"
    " came show every good me give our under name very through just form sentence great think"
    " say help low line differ turn cause much mean before move right boy old too same tell"
)
_TECH_TEXT = (
    "python function error database query table index server request response token model"
    " stream config configuration install package module import class method string list dict"
    " async await thread lock file path directory json yaml toml sqlite postgres docker linux"
    " windows macos kernel memory cache latency timeout retry backoff parameter argument return"
    " exception traceback debug log logging test pytest fixture mock benchmark compile build"
    " café naïve résumé Zürich déjà façade coöperate"
)
_SYLLABLES_TEXT = "ka lo mi ne ru sa te vo zu bi da fe go hu ji ko lu ma no pe qu ri si tu"
_COMMON, _TECH, _SYLLABLES = (t.split() for t in (_COMMON_TEXT, _TECH_TEXT, _SYLLABLES_TEXT))


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Real words first, then a long tail of made-up ones, with Zipf-like weights."""
    words = _COMMON + _TECH
    seen = set(words)
    while len(words) < 6_000:
        w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    cum: list[float] = []
    total = 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 1)
        cum.append(total)
    return words, cum


def _text(rng: random.Random, vocab: tuple[list[str], list[float]], n_words: int) -> str:
    words = rng.choices(vocab[0], cum_weights=vocab[1], k=n_words)
    out: list[str] = []
    i = 0
    while i < len(words):
        n = rng.randint(6, 20)
        sentence = " ".join(words[i : i + n])
        out.append(sentence[:1].upper() + sentence[1:] + rng.choice(".?.!."))
        i += n
        if rng.random() < 0.04:
            out.append("\n```python\nfor x in range(10):\n    print(x)\n```\n")
    return " ".join(out)


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the page cache and the statement cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def make_texts(rng: random.Random) -> list[list[str]]:
    """Every conversation's message texts, made before timing so the fill times the store."""
    vocab = _vocabulary(rng)
    return [
        [
            _text(rng, vocab, rng.randint(5, 80) if m % 2 == 0 else rng.randint(30, 400))
            for m in range(MESSAGES_EACH)
        ]
        for _ in range(CONVERSATIONS)
    ]


def fill(store: Store, texts: list[list[str]]) -> None:
    start = time.time() - len(texts) * 3600
    for c, messages in enumerate(texts):
        t = start + c * 3600
        with store.batch():
            conv = store.create_conversation(f"Conversation {c}", created_at=t)
            parent: MessageId | None = None
            for m, text in enumerate(messages):
                role = Role.USER if m % 2 == 0 else Role.ASSISTANT
                parent = store.add_message(conv.id, parent, role, text, created_at=t + m).id


def long_conversation(store: Store, rng: random.Random) -> ConversationId:
    vocab = _vocabulary(rng)
    with store.batch():
        conv = store.create_conversation("Long one")
        parent: MessageId | None = None
        for m in range(LONG_BRANCH):
            role = Role.USER if m % 2 == 0 else Role.ASSISTANT
            text = _text(rng, vocab, rng.randint(10, 200))
            parent = store.add_message(conv.id, parent, role, text).id
    return conv.id


def _search_figures(store: Store, conn: sqlite3.Connection, rep: int) -> None:
    base = _median_ms(lambda: conn.execute("SELECT count(*) FROM messages").fetchone(), rep)
    print(f"\nbaseline SELECT count(*) FROM messages: {base:.2f} ms")
    print(f"search (limit 50, newest first; target <= {SEARCH_TARGET_MS:.0f} ms):")
    for q in QUERIES:
        hits = len(store.search(q))
        ms = _median_ms(lambda q=q: store.search(q), rep)
        print(f"  {q!r:18} {hits:3} hits  median {ms:7.2f} ms  {_verdict(ms, SEARCH_TARGET_MS)}")
    # What the order costs: the store walks FTS rowids newest first and stops at the limit.
    sql = (
        "SELECT m.id FROM message_text_fts JOIN messages m ON m.id = message_text_fts.rowid"
        " WHERE message_text_fts MATCH ? ORDER BY {} LIMIT 50"
    )
    for order in ("message_text_fts.rowid DESC", "m.created_at DESC", "message_text_fts.rank"):
        ms = _median_ms(lambda o=order: conn.execute(sql.format(o), ('"the"*',)).fetchall(), 5)
        print(f"  for comparison, 'the' ordered by {order}: {ms:.1f} ms")


def run(folder: Path, rep: int) -> None:
    path = folder / "bench.sqlite3"
    for old in folder.glob("bench.sqlite3*"):
        old.unlink()
    rng = random.Random(20240611)
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, db {path}")

    t0 = time.perf_counter()
    texts = make_texts(rng)
    total = CONVERSATIONS * MESSAGES_EACH
    mb = sum(len(t.encode()) for conv in texts for t in conv) / 1e6
    print(f"generated {total:,} texts ({mb:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    store = Store.open(path)
    t0 = time.perf_counter()
    fill(store, texts)
    fill_s = time.perf_counter() - t0
    print(
        f"fill {CONVERSATIONS} x {MESSAGES_EACH} messages: {fill_s:.1f} s "
        f"({total / fill_s:,.0f} messages/s, one transaction per conversation)"
    )
    long_id = long_conversation(store, rng)
    store.close()
    print(f"database size after close: {path.stat().st_size / 1e6:.0f} MB")

    # Opening, as `kibitz ask` does (its check at once) and as the app does (a file this size
    # checked on the worker thread once the window shows: check_later), interleaved.
    checked: list[float] = []
    later: list[float] = []
    checks: list[float] = []
    for _ in range(5):
        t0 = time.perf_counter()
        Store.open(path).close()
        checked.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        with Store.open(path, check_later=True) as opened:
            later.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        with Store.open(path, check_later=True) as opened:
            t0 = time.perf_counter()
            assert opened.check_integrity() == []
            checks.append((time.perf_counter() - t0) * 1e3)
    print(
        f"open (warm cache, median of 5): with its PRAGMA quick_check"
        f" {statistics.median(checked):.0f} ms; the app's (check_later, the check after the"
        f" window shows) {statistics.median(later):.1f} ms, then its check on the worker"
        f" thread {statistics.median(checks):.0f} ms"
    )
    store = Store.open(path)
    conn = store._db.conn  # the store's own connection, for the baselines only
    _search_figures(store, conn, rep)

    ms = _median_ms(lambda: store.branch(long_id), rep)
    pos = _median_ms(lambda: store.sibling_positions(long_id), rep)
    print(
        f"\nbranch of {LONG_BRANCH} messages: median {ms:.2f} ms "
        f"(target well under {BRANCH_TARGET_MS:.0f} ms) {_verdict(ms, BRANCH_TARGET_MS / 2)};"
        f" sibling_positions {pos:.2f} ms"
    )
    ids = _median_ms(store.conversation_ids, rep)
    rows = _median_ms(store.list_conversations, rep)
    raw = _median_ms(lambda: conn.execute("SELECT id FROM conversations").fetchall(), rep)
    print(
        f"conversation_ids() of {CONVERSATIONS + 1}: median {ids:.2f} ms "
        f"(baseline bare SELECT id: {raw:.2f} ms); list_conversations(): {rows:.2f} ms"
    )

    conv = store.create_conversation("writer")
    user = store.add_message(conv.id, None, Role.USER, "hi")
    writer = store.begin_reply(conv.id, user.id, interval=0.0)
    flush = _median_ms(lambda: writer.append("token " * 4), rep * 5)
    writer.finish(MessageStatus.COMPLETE, "stop")
    print(f"reply commit of one chunk: median {flush:.2f} ms ({writer.commits} commits)")
    store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--keep", type=Path, help="build the database in this folder and keep it")
    ap.add_argument("--repeat", type=int, default=21)
    args = ap.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep, args.repeat)
    else:
        with tempfile.TemporaryDirectory(prefix="kibitz-bench-") as tmp:
            run(Path(tmp), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
