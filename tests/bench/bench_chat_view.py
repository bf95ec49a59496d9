"""Benchmark of the chat view: streaming a long reply, and opening a 2,000-message conversation.

Run with `bash tests/run.sh --bench chat_view` (Xvfb) or `.venv/bin/python
tests/bench/bench_chat_view.py [--size 50000] [--runs 7]` (offscreen without a DISPLAY).

1. Streaming: a realistic reply (prose, lists, code blocks, a table; bench_render's generator)
   arrives at 2,000 characters/s (100 characters every 50 ms from a QTimer) into a ChatView on
   screen. Prints the main thread's CPU (thread_time over wall time, as % of one core), the
   longest event-loop stall (gaps between ticks of a 1 ms timer, beyond its interval), and the
   cost of one repaint at 10% and at 90% of the reply. Baseline, in the same run: the same feed
   into a bare QTextBrowser re-rendering everything with setHtml(markdown(text)) per repaint.
2. Reasoning: --size characters of reasoning, then --size of answer, at the same pace, into
   the reply's reasoning section (open, under "Thinking…") and then its answer (the reasoning
   folded): the same CPU and stall figures, and one repaint at 10% and 90% of the reasoning
   and of the answer that follows it. Baselines, in the same run: the answer alone (1.) and
   the bare QTextBrowser re-rendering reasoning and answer so far per repaint.
3. Opening: time from show_conversation() to the first paint of the view's viewport for a
   2,000-message conversation, median of --runs (the HTML cache cleared each time, so every
   run renders its messages), next to switching between two short conversations.
4. Huge content: a MessageWidget made and painted (grab) for a 2 MB line without spaces and a
   200 KB code block (test_message_widget.py checks what keeps their layout linear; the time
   is here): median of 3 against the 15 s the test once allowed (52 s and over two minutes
   before the fixes), next to a one-line message (the baseline).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_render import _paragraph, make_reply
from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QTextBrowser, QWidget

from kibitz.core.store import Store
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageStatus,
    ReasoningPart,
    Role,
    TextPart,
    Usage,
)
from kibitz.ui.views import message_html
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.message_widget import MessageWidget

CPU_TARGET = 0.15
STALL_TARGET_MS = 16.0
FIRST_PAINT_TARGET_MS = 100.0
CHUNK = 100
EVERY_MS = 50


class LoopProbe:
    """A 1 ms timer: the longest gap between its ticks is the longest event-loop stall."""

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._last = 0
        self.gaps_ms: list[float] = []

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start(1)

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.gaps_ms.append((now - self._last) / 1e6 - 1.0)
        self._last = now

    def summary(self) -> tuple[float, float, int]:
        """(longest stall, 99.9th percentile, stalls over the target) in ms."""
        gaps = sorted(self.gaps_ms) or [0.0]
        p999 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.999))]
        return gaps[-1], p999, sum(g > STALL_TARGET_MS for g in gaps)


def feed(
    text: str, sink: Callable[[str], None], *, probe: bool
) -> tuple[float, tuple[float, float, int]]:
    """Stream `text` into `sink`: (main-thread CPU share of wall time, LoopProbe.summary())."""
    return feed_steps(len(text), lambda pos: sink(text[pos : pos + CHUNK]), probe=probe)


def feed_steps(
    length: int, step: Callable[[int], None], *, probe: bool
) -> tuple[float, tuple[float, float, int]]:
    """Call `step(pos)` for pos = 0, CHUNK, ... below `length`, one every EVERY_MS: (main-thread
    CPU share of wall time, LoopProbe.summary()).

    The 1 ms stall probe costs CPU itself, so CPU is measured in runs without it.
    """
    pos = 0
    loop = QEventLoop()
    feeder = QTimer()
    feeder.setTimerType(Qt.TimerType.PreciseTimer)

    def tick() -> None:
        nonlocal pos
        step(pos)
        pos += CHUNK
        if pos >= length:
            feeder.stop()
            QTimer.singleShot(200, loop.quit)  # let the last repaint land

    feeder.timeout.connect(tick)
    stalls = LoopProbe()
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    if probe:
        stalls.start()
    feeder.start(EVERY_MS)
    loop.exec()
    stalls.stop()
    wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
    return cpu / wall, stalls.summary()


def _new_store(directory: Path, name: str) -> Store:
    return Store.open(directory / f"{name}.sqlite3")


def _stream_into_view(
    store: Store, text: str, *, probe: bool
) -> tuple[float, tuple[float, float, int], bool]:
    conv = store.create_conversation("Streaming")
    user = store.add_message(conv.id, None, Role.USER, "Explain it all, with code.")
    view = ChatView(store)
    view.resize(1000, 800)
    view.show()
    view.show_conversation(conv.id)
    writer = store.begin_reply(conv.id, user.id, model="bench")
    reply = store.get_message(writer.message_id)
    view.begin_reply(reply)
    cpu, stall = feed(text, lambda chunk: view.append_reply_text(reply.id, chunk), probe=probe)
    widget = view.message_widget(reply.id)
    last_words = " ".join(re.findall(r"[A-Za-z]{3,}", text)[-3:])
    shown = widget is not None and last_words in " ".join(
        re.findall(r"[A-Za-z]{3,}", widget.plain_text())
    )
    writer.finish(MessageStatus.COMPLETE, "stop", Usage(1, 1, 2))
    view.close()
    view.deleteLater()
    return cpu, stall, shown


def _stream_into_baseline(text: str, *, probe: bool) -> tuple[float, tuple[float, float, int]]:
    import markdown

    browser = QTextBrowser()
    browser.resize(1000, 800)
    browser.show()
    so_far: list[str] = []
    pending = [False]

    def sink(chunk: str) -> None:
        so_far.append(chunk)
        if not pending[0]:
            pending[0] = True
            QTimer.singleShot(EVERY_MS, repaint)

    def repaint() -> None:
        pending[0] = False
        html = markdown.markdown("".join(so_far), extensions=["fenced_code", "tables"])
        browser.setHtml(html)
        bar = browser.verticalScrollBar()
        bar.setValue(bar.maximum())

    result = feed(text, sink, probe=probe)
    browser.close()
    return result


Figures = tuple[float, tuple[float, float, int]]  # CPU share, LoopProbe.summary()


def _report(rows: list[tuple[str, Figures]]) -> None:
    width = max(len(label) for label, _ in rows) + 1
    for label, (share, (worst, p999, over)) in rows:
        print(
            f"  {label + ':':<{width}} main-thread CPU {share:6.1%} of one core;"
            f" loop stalls: longest {worst:5.1f} ms, 99.9th percentile {p999:5.1f} ms, {over} over"
            f" {STALL_TARGET_MS:.0f} ms"
        )


def bench_streaming(directory: Path, size: int) -> Figures:
    text = make_reply(size)
    seconds = len(text) / CHUNK * EVERY_MS / 1000
    print(
        f"\n== streaming {len(text):,} characters at {CHUNK * 1000 // EVERY_MS:,} chars/s"
        f" ({seconds:.0f} s per run, 4 runs)"
    )
    store = _new_store(directory, "stream")
    cpu, _, shown = _stream_into_view(store, text, probe=False)
    _, stall, _ = _stream_into_view(store, text, probe=True)
    b_cpu, _ = _stream_into_baseline(text, probe=False)
    _, b_stall = _stream_into_baseline(text, probe=True)
    _report([("ChatView", (cpu, stall)), ("baseline", (b_cpu, b_stall))])
    print(
        f"  {'PASS' if cpu <= CPU_TARGET else 'MISS'} CPU <= {CPU_TARGET:.0%};"
        f" {'PASS' if stall[0] <= STALL_TARGET_MS else 'MISS'} no stall over"
        f" {STALL_TARGET_MS:.0f} ms; the whole reply shown: {shown}"
    )
    repaint_cost(store, text)
    store.close()
    return cpu, stall


def repaint_cost(store: Store, text: str) -> None:
    """One repaint in a ChatView (+100 characters: render, document, layout, paint).

    Timed at 10% and at 90% of the reply; the baseline re-renders the whole text so far.
    """
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    conv = store.create_conversation("Cost")
    user = store.add_message(conv.id, None, Role.USER, "q")
    message = store.add_message(
        conv.id, user.id, Role.ASSISTANT, "", status=MessageStatus.STREAMING
    )
    view = ChatView(store)
    view.resize(1000, 800)
    view.show()
    view.show_conversation(conv.id)
    widget = view.message_widget(message.id)
    assert widget is not None
    marks = {int(len(text) * 0.1): "10%", int(len(text) * 0.9): "90%"}
    results: dict[str, list[float]] = {name: [] for name in marks.values()}
    end = 0
    while end < len(text):
        end = min(len(text), end + CHUNK)
        label = next((name for at, name in marks.items() if at <= end < at + CHUNK * 20), None)
        started = time.perf_counter()
        widget.stream_text(text[:end])
        app.processEvents()  # layout and paint
        if label is not None:
            results[label].append((time.perf_counter() - started) * 1000)
    early, late = (statistics.median(results[k]) for k in ("10%", "90%"))
    print(
        f"  one repaint, ChatView: {early:5.2f} ms at 10%, {late:5.2f} ms at 90%"
        f" (ratio {late / early:.2f}; flat is ~1)"
    )
    import markdown

    browser = QTextBrowser()
    browser.resize(1000, 800)
    browser.show()
    baseline: dict[str, float] = {}
    for at, name in marks.items():
        started = time.perf_counter()
        browser.setHtml(markdown.markdown(text[:at], extensions=["fenced_code", "tables"]))
        app.processEvents()
        baseline[name] = (time.perf_counter() - started) * 1000
    print(
        f"  one repaint, baseline: {baseline['10%']:5.2f} ms at 10%,"
        f" {baseline['90%']:5.2f} ms at 90%"
    )
    view.close()
    browser.close()


def make_reasoning(size: int, seed: int = 11) -> str:
    """What a model thinks out loud: paragraphs of prose, now and then a short list."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    while sum(len(p) + 2 for p in paragraphs) < size:
        paragraphs.append(_paragraph(rng))
        if rng.random() < 0.15:
            paragraphs.append("\n".join(f"- {_paragraph(rng)[:90]}" for _ in range(3)))
    return "\n\n".join(paragraphs)[:size] + "\n"


def _stream_reasoning_into_view(
    store: Store, reasoning: str, answer: str, *, probe: bool
) -> tuple[Figures, bool]:
    conv = store.create_conversation("Reasoning")
    user = store.add_message(conv.id, None, Role.USER, "Think it through, then answer.")
    view = ChatView(store)
    view.resize(1000, 800)
    view.show()
    view.show_conversation(conv.id)
    writer = store.begin_reply(conv.id, user.id, model="bench")
    reply = store.get_message(writer.message_id)
    view.begin_reply(reply)
    sent = [0]

    def sink(chunk: str) -> None:
        # The reasoning first, then the answer, as a server sends them.
        start = sent[0]
        sent[0] += len(chunk)
        split = max(0, min(len(chunk), len(reasoning) - start))
        if split:
            view.append_reply_reasoning(reply.id, chunk[:split])
        if split < len(chunk):
            view.append_reply_text(reply.id, chunk[split:])

    figures = feed(reasoning + answer, sink, probe=probe)
    widget = view.message_widget(reply.id)

    def words(text: str) -> str:
        return " ".join(re.findall(r"[A-Za-z]{3,}", text))

    shown = (
        widget is not None
        and words(answer).endswith(words(widget.plain_text())[-40:])
        and not widget.reasoning_section.expanded
        and words(widget.reasoning_section.plain_text())[-40:] == words(reasoning)[-40:]
    )
    writer.finish(MessageStatus.COMPLETE, "stop", Usage(1, 1, 2))
    view.close()
    view.deleteLater()
    return figures, shown


def bench_reasoning(directory: Path, size: int, answer_only: Figures) -> None:
    reasoning, answer = make_reasoning(size), make_reply(size)
    seconds = (len(reasoning) + len(answer)) / CHUNK * EVERY_MS / 1000
    print(
        f"\n== streaming {len(reasoning):,} characters of reasoning, then {len(answer):,} of"
        f" answer, at {CHUNK * 1000 // EVERY_MS:,} chars/s ({seconds:.0f} s per run, 4 runs)"
    )
    store = _new_store(directory, "reasoning")
    (cpu, _), shown = _stream_reasoning_into_view(store, reasoning, answer, probe=False)
    (_, stall), _ = _stream_reasoning_into_view(store, reasoning, answer, probe=True)
    whole = reasoning + "\n\n" + answer
    b_cpu, _ = _stream_into_baseline(whole, probe=False)
    _, b_stall = _stream_into_baseline(whole, probe=True)
    _report(
        [
            ("ChatView, reasoning + answer", (cpu, stall)),
            ("ChatView, the answer alone", answer_only),
            ("baseline, reasoning + answer", (b_cpu, b_stall)),
        ]
    )
    print(
        f"  {'PASS' if cpu <= CPU_TARGET else 'MISS'} CPU <= {CPU_TARGET:.0%};"
        f" {'PASS' if stall[0] <= STALL_TARGET_MS else 'MISS'} no stall over"
        f" {STALL_TARGET_MS:.0f} ms; the reasoning and the whole answer shown, folded: {shown}"
    )
    reasoning_repaint_cost(store, reasoning, answer)
    store.close()


def reasoning_repaint_cost(store: Store, reasoning: str, answer: str) -> None:
    """One repaint of a reply (+100 characters) as the view makes it (MessageWidget
    .set_message of the model's row): at 10% and 90% of the reasoning, open and streaming,
    then of the answer under the folded reasoning."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    conv = store.create_conversation("Cost")
    user = store.add_message(conv.id, None, Role.USER, "q")
    message = store.add_message(
        conv.id, user.id, Role.ASSISTANT, "", status=MessageStatus.STREAMING
    )
    view = ChatView(store)
    view.resize(1000, 800)
    view.show()
    view.show_conversation(conv.id)
    widget = view.message_widget(message.id)
    assert widget is not None

    def timed(text: str, parts: Callable[[str], tuple[ReasoningPart | TextPart, ...]]) -> str:
        marks = {int(len(text) * 0.1): "10%", int(len(text) * 0.9): "90%"}
        results: dict[str, list[float]] = {name: [] for name in marks.values()}
        end = 0
        while end < len(text):
            end = min(len(text), end + CHUNK)
            label = next((n for at, n in marks.items() if at <= end < at + CHUNK * 20), None)
            row: Message = dataclasses.replace(message, parts=parts(text[:end]))
            started = time.perf_counter()
            widget.set_message(row)
            app.processEvents()  # layout and paint
            if label is not None:
                results[label].append((time.perf_counter() - started) * 1000)
        early, late = (statistics.median(results[k]) for k in ("10%", "90%"))
        return f"{early:5.2f} ms at 10%, {late:5.2f} ms at 90% (ratio {late / early:.2f})"

    thinking = timed(reasoning, lambda so_far: (ReasoningPart(so_far),))
    assert widget.reasoning_section.expanded
    answering = timed(answer, lambda so_far: (ReasoningPart(reasoning, 25.0), TextPart(so_far)))
    assert not widget.reasoning_section.expanded
    print(f"  one repaint, reasoning (open):             {thinking}")
    print(f"  one repaint, answer (the reasoning folded): {answering}; flat is ~1")
    view.close()


class _FirstPaint(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = time.perf_counter()
        return False


def _build_long(store: Store, count: int) -> ConversationId:
    conv = store.create_conversation(f"{count} messages")
    body = make_reply(1500, seed=3)
    parent = None
    with store.batch():
        for n in range(count // 2):
            q = store.add_message(conv.id, parent, Role.USER, f"Question {n}: and then?")
            a = store.add_message(
                conv.id, q.id, Role.ASSISTANT, f"Answer {n}.\n\n{body}", model="bench"
            )
            parent = a.id
    return conv.id


def _time_open(app: QApplication, view: ChatView, conversation_id: int) -> float:
    message_html.clear_cache()  # every run renders, as on first opening
    probe = _FirstPaint()
    # The scrolled content widget: the viewport under it gets no paint events of its own.
    viewport: QWidget = view.scroll_area.widget()
    viewport.installEventFilter(probe)
    started = time.perf_counter()
    view.show_conversation(conversation_id)
    while probe.at is None and time.perf_counter() - started < 5:
        app.processEvents()
    viewport.removeEventFilter(probe)
    return ((probe.at or time.perf_counter()) - started) * 1000


def bench_open(app: QApplication, directory: Path, runs: int) -> None:
    print("\n== opening a 2,000-message conversation (first paint)")
    store = _new_store(directory, "long")
    long_ids = [_build_long(store, 2000) for _ in range(2)]
    short_ids = [_build_long(store, 6) for _ in range(2)]
    view = ChatView(store)
    view.resize(1000, 800)
    view.show()
    cold = _time_open(app, view, long_ids[0])  # includes importing markdown and pygments
    long_times, short_times = [], []
    for n in range(runs):
        short_times.append(_time_open(app, view, short_ids[n % 2]))
        long_times.append(_time_open(app, view, long_ids[n % 2]))
    median = statistics.median(long_times)
    print(f"  cold (first render, imports):  {cold:7.1f} ms")
    print(f"  2,000 messages: median {median:6.1f} ms, min {min(long_times):6.1f} ms")
    print(f"  6 messages:     median {statistics.median(short_times):6.1f} ms (baseline)")
    print(f"  widgets made: {len(view.message_widgets())}")
    print(f"  {'PASS' if median <= FIRST_PAINT_TARGET_MS else 'MISS'} median <= 100 ms")
    view.close()
    store.close()


HUGE_TARGET_S = 15.0


def _time_widget(store: Store, content: str) -> float:
    conversation = store.create_conversation("Huge")
    user = store.add_message(conversation.id, None, Role.USER, "q")
    message = store.add_message(conversation.id, user.id, Role.ASSISTANT, content)
    message_html.clear_cache()
    started = time.perf_counter()
    widget = MessageWidget(message, (0, 1), width=640)
    widget.resize(640, 400)
    widget.show()
    widget.grab()
    took = time.perf_counter() - started
    widget.close()
    widget.deleteLater()
    return took


def bench_huge(directory: Path) -> None:
    print("\n== huge content in one message (made and painted)")
    store = _new_store(directory, "huge")
    cases = [
        ("one line (baseline)", "Just a line."),
        ("a 2 MB line without spaces", "x" * 2_000_000),
        ("a 200 KB code block", "```python\n" + "value = compute(1)  # note\n" * 7_700 + "```\n"),
    ]
    worst = 0.0
    for label, content in cases:
        median = statistics.median(_time_widget(store, content) for _ in range(3))
        if label != cases[0][0]:
            worst = max(worst, median)
        print(f"  {label:<28} median {median * 1000:8.1f} ms")
    print(f"  {'PASS' if worst < HUGE_TARGET_S else 'MISS'} slowest < {HUGE_TARGET_S:.0f} s")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--size", type=int, default=50_000, help="reply (and reasoning) size in characters"
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    print(f"platform: {app.platformName()}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_open(app, Path(tmp), args.runs)
        answer_only = bench_streaming(Path(tmp), args.size)
        bench_reasoning(Path(tmp), args.size, answer_only)
        bench_huge(Path(tmp))


if __name__ == "__main__":
    main()
