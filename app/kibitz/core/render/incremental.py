"""Streaming render: each update renders only the newly finished blocks and the open tail."""

from __future__ import annotations

from dataclasses import dataclass

from kibitz.core.render.blocks import BlockSplitter
from kibitz.core.render.markdown_html import MarkdownRenderer, RenderedBlock


@dataclass(frozen=True, slots=True)
class RenderUpdate:
    """What changed since the previous update."""

    new_blocks: list[RenderedBlock]  # newly finished: render once, append for good
    tail: list[RenderedBlock]  # the open tail, rendered fresh: replaces the previous tail
    # True when the text did not extend the previous one, so rendering started over: drop every
    # block appended so far, `new_blocks` holds them all again.
    restarted: bool = False


class IncrementalRenderer:
    """For streaming: feed the whole text so far; returns only what is new.

    The cost of one update is that of the blocks finished since the last one plus the open
    tail; it does not grow with the length of the message.
    """

    def __init__(self, renderer: MarkdownRenderer) -> None:
        self._renderer = renderer
        self._splitter = BlockSplitter()
        self._text = ""
        self._tail_source: str | None = None
        self._tail: list[RenderedBlock] = []

    @property
    def renderer(self) -> MarkdownRenderer:
        return self._renderer

    def reset(self) -> None:
        self._splitter.reset()
        self._text = ""
        self._tail_source = None
        self._tail = []

    def update(self, text: str) -> RenderUpdate:
        # The finished part must be unchanged; a memcmp, not a render, so cheap at any length.
        restarted = not text.startswith(self._text[: self._splitter.finished_offset])
        if restarted:
            self.reset()
        self._text = text
        sources, tail_source = self._splitter.feed(text)
        new_blocks: list[RenderedBlock] = []
        for source in sources:
            new_blocks.extend(self._renderer.render_block(source))
        if sources or tail_source != self._tail_source or self.colours_later:
            # The open tail does not wait for a lexer: the stream goes on while it loads.
            self._tail = self._renderer.render_block(tail_source, wait=False)
            self._tail_source = tail_source
        return RenderUpdate(new_blocks, list(self._tail), restarted)

    @property
    def colours_later(self) -> bool:
        """The open tail holds code shown plain while its lexer loads: the next update renders
        it again (at the same text too), and `settle` colours it for a reply that ended."""
        return any(block.colours_later for block in self._tail)

    def settle(self) -> RenderUpdate | None:
        """The stream has ended: the open tail rendered with its colours, waiting for a lexer
        still loading; None when it has them already."""
        if not self.colours_later or self._tail_source is None:
            return None
        self._tail = self._renderer.render_block(self._tail_source)
        return RenderUpdate([], list(self._tail))
