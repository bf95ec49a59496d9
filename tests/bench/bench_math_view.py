"""Benchmark of LaTeX math in message views: first paint, streamed repaints, the renderer's import.

Run with `bash tests/run.sh --bench math_view` (Xvfb) or `.venv/bin/python
tests/bench/bench_math_view.py [--runs 5]` (offscreen without a DISPLAY). bench_math.py times the
Qt-free half (finding formulas in Markdown); this one what drawing them costs.

1. Import: `import ziamath` and the first formula drawn, in a fresh interpreter (median of
   --runs); paid once, at the first formula a session shows. Baseline: `import PySide6.QtSvg`.
2. First paint: a reply with 200 inline and 20 display formulas (all different) set into a
   message view laid out 760 px wide and painted (grab), with math on: cold (no formula drawn
   before: a conversation never seen) and warm (the formula cache full: reopening it); against
   the same reply with math off (formulas stay text), in the same run. Target: at most 2x,
   cold and warm.
   Cold, new formulas are drawn for up to SYNC_BUDGET_S (4 ms) before the first paint and the
   rest on the next turns of the event loop: also timed until all are drawn.
3. Streaming: the same reply streamed in 100-character steps; the cost of one repaint (the
   update and painting the bottom 600 px, as a chat following the end does) at 10%, 50% and 90%
   of it, math on (formulas drawn as they arrive, then all cached) and off (median of the
   steps around each point). Target: flat once formulas are cached: at 90% within 1.5x of
   math off (whose own cost grows with the text painted).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication

from kibitz.ui.math.document_math import FORMULAS
from kibitz.ui.views import message_html
from kibitz.ui.views.message_text import MessageTextView

WIDTH = 760
VIEWPORT = 600
STEP = 100
FIRST_PAINT_RATIO = 2.0
FLAT_RATIO = 1.5

_INLINE = (
    r"$x_{%d}^2 + y_{%d}^2$",
    r"$\alpha_{%d} = \frac{\beta}{%d}$",
    r"$\vec{F}_{%d} = m \vec{a}_{%d}$",
    r"$\sqrt{n + %d}$",
    r"$\hat{H}_{%d}\psi = E_{%d}\psi$",
    r"$\mathbb{R}^{%d}$",
    r"$e^{i\pi %d}$",
    r"$\sum_{k=1}^{%d} k$",
)
_DISPLAY = (
    r"$$\int_0^{%d} e^{-x^2}\,dx \approx \frac{\sqrt{\pi}}{2}$$",
    r"$$\begin{pmatrix} %d & 1 \\ 0 & %d \end{pmatrix} \vec{v} = \lambda \vec{v}$$",
    r"$$f(x) = \begin{cases} x^{%d} & x > 0 \\ -x & \text{otherwise} \end{cases}$$",
    r"$$Z_{%d} = \sum_{n=0}^{\infty} e^{-\beta E_n}$$",
)


def _fill(template: str, n: int) -> str:
    return template % ((n,) * template.count("%d"))


def make_reply() -> str:
    """200 inline formulas in 20 paragraphs of prose, a display formula after each."""
    parts: list[str] = []
    n = 0
    for paragraph in range(20):
        words: list[str] = []
        for _ in range(10):
            n += 1
            words.append(f"so the term {_fill(_INLINE[n % len(_INLINE)], n)} follows from it")
        parts.append("Consider the next step, " + ", and ".join(words) + ".")
        parts.append(_fill(_DISPLAY[paragraph % len(_DISPLAY)], paragraph + 2))
    return "\n\n".join(parts)


def bench_import(runs: int) -> None:
    probe = "import time; t = time.perf_counter(); {body}; print((time.perf_counter() - t) * 1000)"
    first = (
        "from PySide6.QtWidgets import QApplication; app = QApplication([]); "
        "from kibitz.ui.math import FormulaStyle, render_formula; t = time.perf_counter(); "
        "render_formula('E = mc^2', '$E = mc^2$', False, "
        "FormulaStyle(16, 8, 15, 4, '#000000', '#ff0000', 'monospace', 1.0))"
    )
    cases = {
        "import PySide6.QtSvg (baseline)": "import PySide6.QtSvg",
        "import ziamath": "import warnings; warnings.simplefilter('ignore'); import ziamath",
        "first formula (import + draw)": first,
    }
    figures: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, body in cases.items():
            out = subprocess.run(
                [sys.executable, "-c", probe.format(body=body)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            )
            figures[name].append(float(out.stdout.split()[-1]))
    print(f"1. The renderer's import (fresh interpreter, median / min of {runs} runs)")
    for name, values in figures.items():
        print(f"   {name:34} {statistics.median(values):7.1f} ms  (min {min(values):.1f})")


def _paint(view: MessageTextView, text: str) -> tuple[float, float]:
    """Time to the first paint, and until every formula is drawn (the later turns)."""
    start = time.perf_counter()
    view.set_markdown(text, dark=False)
    view.grab()
    first = (time.perf_counter() - start) * 1000
    while view.math.pending:
        QApplication.processEvents()
    view.grab()
    return first, (time.perf_counter() - start) * 1000


def bench_first_paint(runs: int) -> None:
    text = make_reply()
    times: dict[str, list[float]] = {"off": [], "cold": [], "warm": []}
    complete: list[float] = []
    for _ in range(runs):
        for case, values in times.items():  # interleaved: machine load hits them alike
            message_html.set_math_enabled(case != "off")
            message_html.clear_cache()
            if case == "cold":
                FORMULAS.clear()
            view = MessageTextView()
            view.set_layout_width(WIDTH)
            view.resize(WIDTH, VIEWPORT)
            first, done = _paint(view, text)
            values.append(first)
            if case == "cold":
                complete.append(done)
            view.deleteLater()
            QApplication.processEvents()
    message_html.set_math_enabled(True)
    base = statistics.median(times["off"])
    print(f"2. First paint of a reply with 200 inline + 20 display formulas (median of {runs})")
    print(f"   math off (baseline)        {base:7.1f} ms")
    for name, case in (("math on, cold", "cold"), ("math on, warm (cached)", "warm")):
        median = statistics.median(times[case])
        print(f"   {name:26} {median:7.1f} ms  ({median / base:.2f}x)")
    done = statistics.median(complete)
    print(f"   math on, cold, all drawn   {done:7.1f} ms  (later turns of the event loop)")
    for name, case in (("cold", "cold"), ("warm", "warm")):
        ratio = statistics.median(times[case]) / base
        verdict = "PASS" if ratio <= FIRST_PAINT_RATIO else "MISS"
        limit = f"{FIRST_PAINT_RATIO}x math off ({ratio:.2f}x)"
        print(f"   target: {name} at most {limit} -> {verdict}")


def _stream(text: str, math: bool) -> list[float]:
    message_html.set_math_enabled(math)
    view = MessageTextView()
    view.set_layout_width(WIDTH)
    view.resize(WIDTH, VIEWPORT)
    view.begin_stream(dark=False)
    costs: list[float] = []
    for end in range(STEP, len(text) + STEP, STEP):
        start = time.perf_counter()
        view.stream_text(text[:end])
        QApplication.processEvents()  # as between two repaints: formulas left for later draw
        # What a chat following the end paints: a viewport's height at the bottom.
        view.grab(QRect(0, max(0, view.height() - VIEWPORT), WIDTH, VIEWPORT))
        costs.append((time.perf_counter() - start) * 1000)
    view.end_stream()
    view.deleteLater()
    message_html.set_math_enabled(True)
    return costs


def bench_streaming() -> None:
    text = make_reply()
    FORMULAS.clear()
    renders = FORMULAS.renders
    on = _stream(text, True)  # draws each formula as it arrives
    on_cached = _stream(text, True)  # the same, every formula cached
    off = _stream(text, False)
    print(f"3. One streamed repaint ({len(text):,} characters in {STEP}-character steps)")
    print("   at                 10%       50%       90%    (median of 9 steps around each)")
    ends: dict[str, float] = {}
    for name, costs in (("math off", off), ("math on", on), ("math on, cached", on_cached)):
        points = []
        for share in (0.1, 0.5, 0.9):
            middle = int(len(costs) * share)
            points.append(statistics.median(costs[max(0, middle - 4) : middle + 5]))
        print(f"   {name:16}" + "".join(f"{p:7.2f} ms" for p in points))
        ends[name] = points[2]
    # Painting more text costs more with or without math: flat means the formulas add no
    # cost that grows with the reply, so the cached case stays near math off at the end.
    ratio = ends["math on, cached"] / ends["math off"]
    verdict = "PASS" if ratio <= FLAT_RATIO else "MISS"
    print(f"   target: cached at 90% within {FLAT_RATIO}x of math off ({ratio:.2f}x) -> {verdict}")
    drawn = FORMULAS.renders - renders
    print(f"   formulas drawn: {drawn} for 220 ({FORMULAS.size_bytes / 1e6:.1f} MB cached)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    assert app is not None
    bench_import(args.runs)
    bench_first_paint(args.runs)
    bench_streaming()


if __name__ == "__main__":
    main()
