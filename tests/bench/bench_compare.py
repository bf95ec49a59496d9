"""Benchmark of the Compare view: three replies streaming side by side.

Run with `bash tests/run.sh --bench compare` (Xvfb) or `.venv/bin/python
tests/bench/bench_compare.py [--size 50000] [--columns 3]` (offscreen without a DISPLAY).

--columns realistic replies (prose, lists, code blocks, a table; bench_render's generator) of
--size characters arrive at once, each at 2,000 characters/s (100 characters every 50 ms from
one QTimer), into a CompareView on screen. Prints the main thread's CPU (thread_time over wall
time, as % of one core) and the longest event-loop stall (gaps between ticks of a 1 ms timer,
beyond its interval), against the targets: 40% of a core, no stall over 16 ms. Baseline, in the
same run: one column alone, the same feed. Warmed up first as the app is when a question is sent
(see main).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import tempfile
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_chat_view import CHUNK, EVERY_MS, STALL_TARGET_MS, feed_steps
from bench_render import make_reply
from PySide6.QtWidgets import QApplication

from kibitz.core.render import warm_up
from kibitz.core.store import Store
from kibitz.core.types import MessageStatus, Role, Usage
from kibitz.ui.views.compare_view import CompareView

CPU_TARGET = 0.40

Figures = tuple[float, tuple[float, float, int], bool]  # CPU share, stalls, all text shown


def _stream(store: Store, texts: list[str], *, probe: bool) -> Figures:
    """Every text into its own column at once: (CPU share, LoopProbe.summary(), all shown)."""
    conv = store.create_conversation("Compare")
    user = store.add_message(conv.id, None, Role.USER, "Explain it all, with code.")
    view = CompareView()
    view.resize(1200, 800)
    view.show()
    view.start("Explain it all, with code.", [(f"model-{i}", "bench") for i in range(len(texts))])
    writers = [store.begin_reply(conv.id, user.id, model=f"model-{i}") for i in range(len(texts))]
    for index, writer in enumerate(writers):
        view.begin(index, store.get_message(writer.message_id))
    # The new columns are laid out and painted before the first token comes, as in the app
    # (where the request takes far longer than that): the stall probe times the streaming.
    for _ in range(3):
        QApplication.processEvents()

    def step(pos: int) -> None:
        for index, text in enumerate(texts):
            view.append(index, text[pos : pos + CHUNK])

    share, stalls = feed_steps(max(len(t) for t in texts), step, probe=probe)
    shown = all(
        " ".join(re.findall(r"[A-Za-z]{3,}", text)[-3:])
        in " ".join(re.findall(r"[A-Za-z]{3,}", view.column(i).plain_text()))
        for i, text in enumerate(texts)
    )
    for writer in writers:
        writer.finish(MessageStatus.COMPLETE, "stop", Usage(1, 1, 2))
    view.close()
    view.deleteLater()
    return share, stalls, shown


def _measure(store: Store, texts: list[str]) -> Figures:
    # The 1 ms stall probe costs CPU itself: CPU from a run without it, stalls from one with.
    share, _, shown = _stream(store, texts, probe=False)
    _, stalls, shown_too = _stream(store, texts, probe=True)
    return share, stalls, shown and shown_too


def _line(label: str, figures: Figures) -> str:
    share, (worst, p999, over), shown = figures
    return (
        f"  {label}: main-thread CPU {share:6.1%} of one core; loop stalls: longest"
        f" {worst:5.1f} ms, 99.9th percentile {p999:5.1f} ms, {over} over"
        f" {STALL_TARGET_MS:.0f} ms; every column's last words shown: {shown}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000, help="characters per reply")
    parser.add_argument("--columns", type=int, default=3)
    args = parser.parse_args(argv)
    QApplication.instance() or QApplication(sys.argv)
    texts = [make_reply(args.size, seed=i) for i in range(args.columns)]
    seconds = args.size / (CHUNK * 1000 / EVERY_MS)
    print(
        f"Compare: {args.columns} replies of {args.size:,} characters at"
        f" {CHUNK * 1000 // EVERY_MS:,} characters/s each (~{seconds:.0f} s a run)"
    )
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.sqlite3") as store:
        # Warm-up, not measured, as in the app before a comparison streams: what rendering
        # loads (markdown, Pygments, the common lexers) the app loads on a worker thread once
        # the user starts typing the question (kibitz.ui.app_settings.warm_up); a first stream
        # warms Qt's side (fonts, the first table) as the chat view has long done; and what the
        # start built lives in the collector's permanent generation (gc.freeze in bootstrap).
        warm_up()
        _stream(store, [make_reply(4_000, seed=99)], probe=False)
        gc.collect()
        gc.freeze()
        one = _measure(store, texts[:1])
        print(_line("one column (baseline)", one))
        many = _measure(store, texts)
        print(_line(f"{args.columns} columns", many))
    share, (worst, _p999, _over), shown = many
    ok = share <= CPU_TARGET and worst <= STALL_TARGET_MS and shown
    print(
        f"  target: under {CPU_TARGET:.0%} of a core, no stall over {STALL_TARGET_MS:.0f} ms:"
        f" {'met' if ok else 'NOT met'} ({share / max(one[0], 1e-9):.1f}× the one column's CPU)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
