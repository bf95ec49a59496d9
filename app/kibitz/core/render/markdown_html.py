"""Markdown and code to sanitized HTML for Qt's rich-text engine (python-markdown + Pygments).

QTextDocument reads an HTML 4 subset with inline styles only, so code is highlighted with
inline styles and every colour comes from the theme. markdown and pygments are imported on the
first render, not with this module: together they cost ~35 ms of start-up.

Each block is rendered on its own (that is what makes streaming incremental), so a reference
link resolves only against a definition in the same block. Raw HTML is text; lists written
the CommonMark way are re-indented for python-markdown first (see normalize.py). LaTeX
formulas are taken out before parsing and come back as `kibitz-math:` images (math_html.py).

Limits (Markdown parsing and highlighting are not linear on every input):
- a Markdown run over `MAX_BLOCK_CHARS`, or with a line over `MAX_LINE_CHARS`, is shown as
  escaped plain text with its line breaks kept;
- a code block over `code_html.MAX_HIGHLIGHT_CHARS` is shown without highlighting.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from kibitz.core.render.blocks import CodeSegment, MarkdownSegment, segments, split_blocks
from kibitz.core.render.code_html import CodeHighlighter
from kibitz.core.render.math_html import MathTreeprocessor, may_hold_math, stash_math
from kibitz.core.render.normalize import normalize_markdown
from kibitz.core.render.sanitize import escape, sanitize
from kibitz.core.render.theme import LIGHT_THEME, RenderTheme
from kibitz.core.render.tree import TreeDecorator

log = logging.getLogger(__name__)

MAX_BLOCK_CHARS = 64_000
MAX_LINE_CHARS = 20_000
# Brackets x characters per block that link parsing may scan (~50 ms; see _defuse_brackets).
_BRACKET_BUDGET = 500_000
_MAX_DEFUSED = 2_000
_PARAGRAPH_BREAK_RE = re.compile(r"(\n[ \t]*\n)")


@dataclass(frozen=True, slots=True)
class RenderedBlock:
    """One piece of a rendered message."""

    html: str  # sanitized HTML fragment for QTextDocument
    code: str | None  # the raw code of a fenced code block (for its Copy button), else None
    language: str | None  # the fence's language, if any
    # Code shown plain while its language's lexer loads: rendering the block again colours it.
    colours_later: bool = False


def _defuse_brackets(text: str) -> str | None:
    """`text`, its most bracket-laden paragraphs' "[" written as a character reference.

    python-markdown looks for the closing "]" (and then ")") from every "[" to the end of the
    paragraph, so unmatched brackets cost brackets x length: 4,000 "[" took 1.5 s. Past the
    budget the worst paragraphs lose their links (the brackets still show); past a few
    thousand references (~10 us each to parse) None: the block is better shown as plain text.
    """
    if text.count("[") * len(text) <= _BRACKET_BUDGET:
        return text
    parts = _PARAGRAPH_BREAK_RE.split(text)  # paragraphs at even indexes, breaks between
    costs = sorted(((p.count("[") * len(p), i) for i, p in enumerate(parts[::2])), reverse=True)
    total = sum(cost for cost, _ in costs)
    defused = 0
    for cost, i in costs:
        if total <= _BRACKET_BUDGET:
            break
        defused += parts[2 * i].count("[")
        if defused > _MAX_DEFUSED:
            return None
        parts[2 * i] = parts[2 * i].replace("[", "&#91;")
        total -= cost
    return "".join(parts)


def _plain(text: str) -> str:
    return f'<p style="white-space: pre-wrap">{escape(text)}</p>'


def _too_big(text: str) -> bool:
    return len(text) > MAX_BLOCK_CHARS or (
        len(text) > MAX_LINE_CHARS and max(map(len, text.split("\n"))) > MAX_LINE_CHARS
    )


class MarkdownRenderer:
    """Renders message Markdown into `RenderedBlock`s; cheap to create, loads libraries lazily."""

    def __init__(
        self, theme: RenderTheme = LIGHT_THEME, *, line_breaks: bool = False, math: bool = True
    ) -> None:
        """With `line_breaks`, a line break inside a paragraph breaks the line (as typed by a
        person, who means it), instead of joining the lines (as Markdown, which models write).
        With `math`, each formula becomes a `kibitz-math:` image (see math_html.py) and `\\$` a
        dollar; without, the text renders as if no formula were in it."""
        self._theme = theme
        self._line_breaks = line_breaks
        self._math = MathTreeprocessor() if math else None
        self._md: Any = None
        self._code = CodeHighlighter(theme)

    @property
    def theme(self) -> RenderTheme:
        return self._theme

    def render(self, text: str) -> list[RenderedBlock]:
        """A whole finished message: its blocks, as streaming would have shown them at the end."""
        blocks, tail = split_blocks(text)
        out: list[RenderedBlock] = []
        for block in [*blocks, tail]:
            out.extend(self.render_block(block))
        return out

    def render_block(self, markdown_text: str, *, wait: bool = True) -> list[RenderedBlock]:
        """One source block; a block with code fences yields text and code pieces in order.
        Without `wait`, code whose lexer is not loaded yet comes plain (see render_code)."""
        text = markdown_text.replace("\r\n", "\n").replace("\r", "\n")
        out: list[RenderedBlock] = []
        for seg in segments(text):
            if isinstance(seg, MarkdownSegment):
                html = self._markdown(seg.text)
                if html:
                    out.append(RenderedBlock(html, None, None))
            else:
                out.append(self.render_code(seg, wait=wait))
        return out

    def render_code(self, seg: CodeSegment, *, wait: bool = True) -> RenderedBlock:
        """A fenced code block, highlighted when its language is known and it is not huge.

        Without `wait`, a language seen for the first time is shown plain, marked
        `colours_later`, while its lexer loads in the background (a stream must not stall)."""
        html, later = self._code.block(seg.code, seg.language, wait=wait)
        return RenderedBlock(html, seg.code, seg.language, later)

    def _markdown(self, text: str) -> str:
        if not text.strip():
            return ""
        if _too_big(text):
            return sanitize(_plain(text))
        source = text
        if self._math is not None:
            self._math.formulas = []
            if may_hold_math(text):
                source, self._math.formulas = stash_math(text)
        defused = _defuse_brackets(normalize_markdown(source))
        if defused is None:
            return sanitize(_plain(text))
        md = self._markdown_engine()
        md.reset()
        try:
            html = md.convert(defused)
        except RecursionError:  # nesting a thousand lists or quotes deep
            log.debug("Markdown nested too deep; shown as plain text")
            self._md = None  # its state after the unwinding is unknown
            return sanitize(_plain(text))
        return sanitize(html)

    def _markdown_engine(self) -> Any:
        if self._md is None:
            import markdown

            extensions = ["tables", "sane_lists"]
            if self._line_breaks:
                extensions.append("nl2br")
            md = markdown.Markdown(
                extensions=extensions,
                extension_configs={"tables": {"use_align_attribute": True}},
                output_format="html",
            )
            # Raw HTML in a reply is shown as text, never interpreted.
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")
            # ~~struck~~ as in GitHub Markdown; Qt knows <s>.
            strike = markdown.inlinepatterns.SimpleTagInlineProcessor(r"(~{2})(.+?)~{2}", "s")
            md.inlinePatterns.register(strike, "kibitz_strike", 65)
            # After inline parsing has made the links and images, before serialising.
            md.treeprocessors.register(TreeDecorator(self._theme), "kibitz_decorate", 5)
            if self._math is not None:
                # After the decorator, which would make any <img> a link.
                md.treeprocessors.register(self._math, "kibitz_math", 3)
                md.ESCAPED_CHARS.append("$")  # \$ is a dollar, as in Pandoc and on GitHub
            self._md = md
        return self._md
