"""Markdown to sanitized HTML for Qt's text engine, block by block and incrementally.

`import kibitz.core.render` is cheap: each name loads its module when first used, and markdown
and pygments load on the first render.
"""

from typing import TYPE_CHECKING

from kibitz.core.lazy_names import lazy_names

if TYPE_CHECKING:
    from kibitz.core.render.blocks import BlockSplitter, split_blocks
    from kibitz.core.render.code_html import MAX_HIGHLIGHT_CHARS
    from kibitz.core.render.incremental import IncrementalRenderer, RenderUpdate
    from kibitz.core.render.markdown_html import (
        MAX_BLOCK_CHARS,
        MAX_LINE_CHARS,
        MarkdownRenderer,
        RenderedBlock,
    )
    from kibitz.core.render.theme import DARK_THEME, LIGHT_THEME, RenderTheme

# Each name from its module, imported when first asked for: a module that needs only one part
# (the math spans the formula view reads, say) does not load the rest (~10 ms).
_HOME = {
    "BlockSplitter": "blocks",
    "split_blocks": "blocks",
    "MAX_HIGHLIGHT_CHARS": "code_html",
    "IncrementalRenderer": "incremental",
    "RenderUpdate": "incremental",
    "MAX_BLOCK_CHARS": "markdown_html",
    "MAX_LINE_CHARS": "markdown_html",
    "MarkdownRenderer": "markdown_html",
    "RenderedBlock": "markdown_html",
    "DARK_THEME": "theme",
    "LIGHT_THEME": "theme",
    "RenderTheme": "theme",
}


__getattr__ = lazy_names(__name__, _HOME, globals())


def warm_up() -> None:
    """Load what rendering a reply needs (markdown, Pygments and the common languages' lexers:
    ~0.3 s) ahead of the first reply, so that it streams without a first-use stall; blocking:
    call it off the UI thread, e.g. once the user starts typing."""
    import markdown  # noqa: F401

    from kibitz.core.render.code_html import preload_lexers

    preload_lexers()


__all__ = [
    "DARK_THEME",
    "LIGHT_THEME",
    "MAX_BLOCK_CHARS",
    "MAX_HIGHLIGHT_CHARS",
    "MAX_LINE_CHARS",
    "BlockSplitter",
    "IncrementalRenderer",
    "MarkdownRenderer",
    "RenderTheme",
    "RenderUpdate",
    "RenderedBlock",
    "split_blocks",
    "warm_up",
]
