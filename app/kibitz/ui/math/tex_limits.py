"""What TeX is refused before it reaches the renderer: too long, too deep, too many cells.

A model (or a prompt injection) can write a formula that would take seconds to lay out or
a picture of millions of pixels; such a formula is shown as its source instead. The limits sit
far above what people write: the longest formulas in physics and maths answers are a few
hundred characters, nested a handful of groups deep, and matrices rarely pass 10x10.
"""

from __future__ import annotations

import re

MAX_TEX_CHARS = 2_000  # a long derivation line is ~300; an align block of 10 lines ~1,000
MAX_NESTING = 24  # groups inside groups: { \left( \begin ... ten is already unreadable
MAX_CELLS = 400  # & and \\ of every array together: a 20x20 matrix

_OPEN = re.compile(r"\\begin\{|\\left\b")
_CLOSE = re.compile(r"\\end\{|\\right\b")


def refusal_reason(tex: str) -> str | None:
    """Why `tex` is not rendered (shown as its source instead), or None when it may be."""
    if len(tex) > MAX_TEX_CHARS:
        return f"Formula too long to draw ({len(tex):,} characters, at most {MAX_TEX_CHARS:,})"
    depth = deepest = 0
    escaped = False
    for char in tex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth -= 1
            if depth < 0:
                return "Unbalanced braces: a } closes no {"
    if depth > 0:
        return "Unbalanced braces: a { is never closed"
    if deepest > MAX_NESTING:
        return f"Formula nested too deeply to draw (at most {MAX_NESTING} levels)"
    if len(_OPEN.findall(tex)) != len(_CLOSE.findall(tex)):
        return r"Unbalanced \begin/\end or \left/\right"
    cells = tex.count("&") + tex.count("\\\\")
    if cells > MAX_CELLS:
        return f"Matrix too large to draw ({cells} cells, at most {MAX_CELLS})"
    return None
