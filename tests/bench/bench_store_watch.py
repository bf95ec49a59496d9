"""Benchmark of StoreWatcher, what the window pays to follow `kibitz ask` and other programs.

Run with `.venv/bin/python tests/bench/bench_store_watch.py [--conversations N]`. Prints the
median of the look made every second when nothing changed (one PRAGMA data_version), and of a
look after another connection renamed a conversation (the conversations' rows read and
compared), next to a baseline on the same database in the same process (the machine is noisy):
the bare SELECT of those rows. Targets: the idle look under 0.1 ms (it is made on a timer
forever); the look after a change under 50 ms at 10,000 conversations (it runs on the worker
thread, about once a second while another program writes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kibitz.core.store import Store, StoreWatcher
from kibitz.core.store.watch import _SNAPSHOT
from kibitz.core.types import Role

IDLE_TARGET_MS = 0.1
CHANGED_TARGET_MS = 50.0


def median_ms(run: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def fill(store: Store, conversations: int) -> None:
    with store.batch():
        for n in range(conversations):
            conversation = store.create_conversation(f"Conversation {n}")
            question = store.add_message(conversation.id, None, Role.USER, "question " * 20)
            store.add_message(conversation.id, question.id, Role.ASSISTANT, "answer " * 100)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kibitz.sqlite3"
        with Store.open(path) as app, Store.open(path) as other:
            fill(other, args.conversations)
            watcher = StoreWatcher(app)
            watcher.poll()
            watcher.poll()
            idle = median_ms(watcher.poll, 2_000)
            last = app.conversation_ids()[-1]
            counter = iter(range(1_000_000))

            def after_a_rename() -> float:
                other.set_title(last, f"renamed {next(counter)}")
                started = time.perf_counter()
                found = watcher.poll()
                assert found, "the rename was not seen"
                return time.perf_counter() - started

            changed = statistics.median([after_a_rename() for _ in range(30)]) * 1000

            def bare_select() -> object:
                with app._db.read() as conn:
                    return conn.execute(_SNAPSHOT).fetchall()

            baseline = median_ms(bare_select, 30)
    verdict = "PASS" if idle < IDLE_TARGET_MS else "MISS"
    print(
        f"idle look:           {idle * 1000:8.1f} µs"
        f"  (target < {IDLE_TARGET_MS * 1000:.0f} µs) {verdict}"
    )
    verdict = "PASS" if changed < CHANGED_TARGET_MS else "MISS"
    print(
        f"look after a change: {changed:8.1f} ms  at {args.conversations:,} conversations"
        f" (target < {CHANGED_TARGET_MS:.0f} ms) {verdict}"
    )
    print(f"baseline, the bare SELECT of those rows: {baseline:.1f} ms")


if __name__ == "__main__":
    main()
