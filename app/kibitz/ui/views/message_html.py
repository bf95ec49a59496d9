"""The HTML a message view shows: rendered blocks with Copy links, cached, with long runs broken.

Qt-free on purpose (strings in, strings out), so it is cheap to test and to reuse.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the renderer loads with the first message shown, not with the window
    from kibitz.core.render import MarkdownRenderer, RenderedBlock

COPY_SCHEME = "kibitz"
COPY_PREFIX = "copy/"
BREAK = "\u200b"  # a zero-width space: a place a line may break, invisible otherwise
BREAK_EVERY = 200  # characters of a run without spaces between two break opportunities
_CACHE_SIZE = 256

# Qt lays out a line without break opportunities in time quadratic in its length (a 200 KB
# "word" takes 0.5 s, 2 MB most of a minute); a break opportunity every BREAK_EVERY
# characters makes it linear. Runs are counted outside tags and never split an entity.
_LONG_RUN = re.compile(rf"[^\s<>&\u200b]{{{BREAK_EVERY}}}(?=[^\s<>&\u200b])")
_TAG = re.compile(r"(<[^>]*>)")
# Qt makes <pre> lines unbreakable: a long code line would widen the whole message. pre-wrap
# keeps the spacing and line breaks but wraps at the edge.
_PRE_WRAP = '<pre style="white-space:pre-wrap">'

# (dark, line_breaks, math) -> renderer: replies join a paragraph's lines, a user's words keep
# them; with math, formulas become kibitz-math images.
_renderers: dict[tuple[bool, bool, bool], MarkdownRenderer] = {}
# (text, dark, line_breaks, math) -> (html, codes): reopening a conversation or switching
# branches renders nothing.
_html_cache: OrderedDict[tuple[str, bool, bool, bool], tuple[str, tuple[str, ...]]] = OrderedDict()
# The `ui.render_math` setting, as last applied (every message view of the app follows it).
_math_enabled = True


def set_math_enabled(enabled: bool) -> bool:
    """Follow the `ui.render_math` setting; whether it changed (shown messages then need
    rendering again)."""
    global _math_enabled
    changed = enabled != _math_enabled
    _math_enabled = enabled
    return changed


def math_enabled() -> bool:
    return _math_enabled


def renderer_for(
    dark: bool, *, line_breaks: bool = False, math: bool | None = None
) -> MarkdownRenderer:
    """The renderer for a scheme; `math` None follows the setting."""
    with_math = _math_enabled if math is None else math
    key = (dark, line_breaks, with_math)
    renderer = _renderers.get(key)
    if renderer is None:
        from kibitz.core.render import MarkdownRenderer, RenderTheme

        theme = RenderTheme.for_scheme(dark)
        renderer = _renderers[key] = MarkdownRenderer(
            theme, line_breaks=line_breaks, math=with_math
        )
    return renderer


def break_long_runs(text: str) -> str:
    """Plain text with a break opportunity inside every run of BREAK_EVERY non-spaces."""
    if len(text) <= BREAK_EVERY:
        return text
    return _LONG_RUN.sub(lambda m: m.group(0) + BREAK, text)


def break_long_runs_html(markup: str) -> str:
    """The same for HTML: only text between tags is touched."""
    if len(markup) <= BREAK_EVERY:
        return markup
    parts = _TAG.split(markup)
    # Even items are text, odd ones tags.
    parts[::2] = [break_long_runs(part) for part in parts[::2]]
    return "".join(parts)


def blocks_html(blocks: Sequence[RenderedBlock], first_code: int) -> tuple[str, list[str]]:
    """Join rendered blocks into one HTML string, with a Copy link above each code block."""
    from html import escape  # here: html's table of entities costs ~1 ms of the start

    parts: list[str] = []
    codes: list[str] = []
    for block in blocks:
        if block.code is not None:
            number = first_code + len(codes)
            codes.append(block.code)
            language = escape(block.language or "code")
            parts.append(
                '<p style="margin-top:6px; margin-bottom:2px; font-size:small">'
                f"<span>{language}</span>&nbsp;&nbsp;·&nbsp;&nbsp;"
                f'<a href="{COPY_SCHEME}:{COPY_PREFIX}{number}">Copy code</a></p>'
            )
        wrapped = block.html.replace("<pre>", _PRE_WRAP).replace(
            '<pre style="', '<pre style="white-space:pre-wrap; '
        )
        parts.append(break_long_runs_html(wrapped))
    return "".join(parts), codes


def render_finished(
    text: str, dark: bool, *, line_breaks: bool = False
) -> tuple[str, tuple[str, ...]]:
    """The HTML and code blocks of a finished message, from the cache when seen before.

    With `line_breaks` (a user's own words) a line break inside a paragraph is kept.
    """
    key = (text, dark, line_breaks, _math_enabled)
    hit = _html_cache.get(key)
    if hit is not None:
        _html_cache.move_to_end(key)
        return hit
    renderer = renderer_for(dark, line_breaks=line_breaks, math=_math_enabled)
    body, codes = blocks_html(renderer.render(text), 0)
    result = (body, tuple(codes))
    _html_cache[key] = result
    if len(_html_cache) > _CACHE_SIZE:
        _html_cache.popitem(last=False)
    return result


def clear_cache() -> None:
    """Forget rendered HTML (benchmarks time first renders; a theme change needs none)."""
    _html_cache.clear()
