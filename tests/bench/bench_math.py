"""Benchmark of formulas in rendering: what math costs, and that text without it pays nothing.

Run with `.venv/bin/python tests/bench/bench_math.py [--repeat 15]`. Renders bench_render.py's
~50 KB reply (no formulas) and a ~30 KB reply full of them (inline `$…$` and `\\(…\\)`, display
`$$…$$`, `\\[…\\]` and environments, in prose, lists, quotes and tables) with math on and off,
interleaved, median and min of `--repeat`; streams the math reply in 100-character steps (per
update median, p95, max); and times `split_math` on hostile dollar runs. Baseline: the same text
rendered with math off in the same run.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from bench_render import make_reply

from kibitz.core.render import IncrementalRenderer, MarkdownRenderer
from kibitz.core.render.math_spans import split_math

_SECTION = """## Step {n}: the quadratic

Suppose \\( ax^2 + bx + c = 0 \\) with $a \\neq 0$; dividing by $a$ and completing the square:

\\[
\\left(x + \\frac{{b}}{{2a}}\\right)^2 = \\frac{{b^2 - 4ac}}{{4a^2}}
\\]

so the roots are $$x_{{1,2}} = \\frac{{-b \\pm \\sqrt{{b^2-4ac}}}}{{2a}}$$ whenever $b^2 \\ge 4ac$.

1. **Sum:** $x_1 + x_2 = -b/a$
2. **Product:** \\(x_1 x_2 = c/a\\), and in matrix form
   $$
   \\begin{{pmatrix}} 1 & 1 \\\\ x_2 & x_1 \\end{{pmatrix}}
   $$

> A price such as $5 or $10 stays text, and so does `$x$` in code.

| quantity | value |
|---|---|
| discriminant | $\\Delta = b^2 - 4ac$ |
| vertex | $\\left(-\\frac{{b}}{{2a}}, c - \\frac{{b^2}}{{4a}}\\right)$ |

\\begin{{align*}}
f(x) &= ax^2 + bx + c \\\\
f'(x) &= 2ax + b
\\end{{align*}}
"""


def make_math_reply(size: int) -> str:
    parts: list[str] = []
    n = 0
    while sum(map(len, parts)) < size:
        n += 1
        parts.append(_SECTION.format(n=n))
    return "\n".join(parts)


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return (
        f"median {statistics.median(values) * 1e3:7.2f} ms  p95 {p95 * 1e3:7.2f} ms  "
        f"max {values[-1] * 1e3:7.2f} ms"
    )


def _interleaved(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for i in range(repeat):
        for name in names if i % 2 == 0 else names[::-1]:
            gc.collect()
            start = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    plain = make_reply(50_000)
    maths = make_math_reply(30_000)
    on, off = MarkdownRenderer(math=True), MarkdownRenderer(math=False)
    for renderer in (on, off):
        renderer.render(plain + maths)  # load markdown and pygments before timing
    formulas = sum(b.html.count("<img") for b in on.render(maths))
    print(
        f"replies: {len(plain):,} chars without formulas; {len(maths):,} chars, {formulas} formulas"
    )
    times = _interleaved(
        {
            "no formulas, math on": lambda: on.render(plain),
            "no formulas, math off (baseline)": lambda: off.render(plain),
            "formulas, math on": lambda: on.render(maths),
            "formulas, math off (baseline)": lambda: off.render(maths),
        },
        args.repeat,
    )
    for name, values in times.items():
        print(
            f"whole render  {name:<34} median {statistics.median(values) * 1e3:7.1f} ms"
            f"  min {min(values) * 1e3:7.1f} ms"
        )
    ratio = statistics.median(times["no formulas, math on"]) / statistics.median(
        times["no formulas, math off (baseline)"]
    )
    print(f"text without formulas, math on / off: {ratio:.3f}")

    incremental = IncrementalRenderer(on)
    steps: list[float] = []
    for end in range(100, len(maths) + 100, 100):
        start = time.perf_counter()
        incremental.update(maths[:end])
        steps.append(time.perf_counter() - start)
    print(f"streaming the formula reply, {len(steps)} updates of 100 chars: {_ms(steps)}")

    for label, text in [
        ("split_math 19,000 '$'", "$" * 19_000),
        ("split_math 9,000 '${'", "${" * 9_000),
        ("split_math 9,000 '$a '", "$a " * 9_000),
        ("split_math 6,000 '\\('", "\\(" * 6_000),
    ]:
        start = time.perf_counter()
        split_math(text)
        print(f"{label:<34} {(time.perf_counter() - start) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
