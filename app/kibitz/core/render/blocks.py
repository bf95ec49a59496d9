"""Splitting Markdown into finished top-level blocks and the open tail, incrementally.

A streamed reply only grows, so everything before the last finished block boundary is final.
A boundary is a place where the splitter's state is empty: before a fenced code block, after
one, and at a blank line whose next line cannot continue the block before it. Scanning restarts
at the last boundary, so the cost of one step depends on the open tail, not on the whole text.

A display formula whose opening `$$`, `\\[` or `\\begin{…}` starts a line may hold blank lines:
they do not end its block until its closing delimiter (math_spans.py reads it the same way),
up to `MATH_SPLIT_CHARS`.

Fenced code blocks are always blocks of their own (the view gives each a Copy button). Fences
may be indented, as models write them inside list items; the text right after an indented
fence is dedented by the fence's indentation, or Markdown would read it as indented code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kibitz.core.render.math_spans import ENVIRONMENTS

# A fence line: any indentation, three or more backticks or tildes, an info string.
_FENCE_RE = re.compile(r"([ \t]*)(`{3,}|~{3,})(.*)")
_LIST_ITEM_RE = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_QUOTE_RE = re.compile(r" {0,3}>")
# A first character that does not settle what an unfinished line is: it may still become a
# list item, a quote, a fence or an indented continuation.
_UNDECIDED_FIRST = frozenset(" \t\r-*+>`~0123456789")
# A list that has grown past this is closed at the next blank line even when the next item
# continues it (the rest renders as a second list, numbering kept): it bounds the open tail.
LIST_SPLIT_CHARS = 4096
# A display formula open past this many characters no longer holds blank lines together.
MATH_SPLIT_CHARS = 4096
_DISPLAY_OPENER_RE = re.compile(r"[ \t]*(\$\$|\\\[|\\begin\{([A-Za-z]+\*?)\})")


@dataclass(frozen=True, slots=True)
class Fence:
    """An opening code fence: its character, length, indentation and language."""

    char: str
    length: int
    indent: int
    language: str | None

    def closed_by(self, line: str) -> bool:
        """Whether `line` (without its line break) closes this fence."""
        s = line.strip()
        return len(s) >= self.length and s.count(self.char) == len(s)


def parse_fence(line: str) -> Fence | None:
    """The fence `line` opens (without its line break), or None."""
    m = _FENCE_RE.fullmatch(line.rstrip("\r"))
    if m is None:
        return None
    indent, marks, info = m.groups()
    if marks[0] == "`" and "`" in info:
        return None  # "```x```" is inline code, not a fence
    words = info.strip().strip("{}").split()
    language = words[0].lstrip(".") if words else ""
    return Fence(marks[0], len(marks), len(indent), language or None)


def is_list_item(line: str) -> bool:
    return _LIST_ITEM_RE.match(line) is not None


def is_quote(line: str) -> bool:
    return _QUOTE_RE.match(line) is not None


def dedent_line(line: str, width: int) -> str:
    """`line` without up to `width` leading spaces or tabs."""
    if width <= 0:
        return line
    i = 0
    while i < width and i < len(line) and line[i] in " \t":
        i += 1
    return line[i:]


def _dedent(text: str, width: int) -> str:
    if width <= 0:
        return text
    return "\n".join(dedent_line(line, width) for line in text.split("\n"))


@dataclass(frozen=True, slots=True)
class MarkdownSegment:
    """Markdown text with no code fence in it."""

    text: str


@dataclass(frozen=True, slots=True)
class CodeSegment:
    """A fenced code block; `closed` is False while its closing fence has not arrived."""

    code: str
    language: str | None
    closed: bool


def segments(text: str) -> Iterator[MarkdownSegment | CodeSegment]:
    """`text` (newlines normalised) cut into Markdown runs and fenced code blocks.

    The last line counts even without a line break: a finished message may end on a fence.
    """
    lines = text.split("\n")
    run: list[str] = []
    i = 0
    while i < len(lines):
        fence = parse_fence(lines[i])
        if fence is None:
            run.append(lines[i])
            i += 1
            continue
        if any(line.strip() for line in run):
            yield MarkdownSegment("\n".join(run))
        run = []
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines):
            if fence.closed_by(lines[i]):
                closed = True
                i += 1
                break
            body.append(dedent_line(lines[i], fence.indent))
            i += 1
        if not closed and body and not body[-1]:
            body.pop()  # the line break before a line that has not arrived yet
        yield CodeSegment("\n".join(body), fence.language, closed)
    if any(line.strip() for line in run):
        yield MarkdownSegment("\n".join(run))


class BlockSplitter:
    """Incremental `split_blocks`: remembers where the finished part ends and scans on from there.

    Feed it the whole text so far (it only grows); each call returns the blocks that became
    finished since the previous call and the open tail.
    """

    def __init__(self) -> None:
        self._start = 0  # offset of the first line not yet in a finished block
        self._dedent = 0  # dedent for the Markdown block that starts at `_start`

    @property
    def finished_offset(self) -> int:
        """Where the finished part of the text fed so far ends."""
        return self._start

    def reset(self) -> None:
        self._start = 0
        self._dedent = 0

    def feed(self, text: str) -> tuple[list[str], str]:
        blocks: list[str] = []
        pos = self._start
        dedent = self._dedent
        block_start = -1  # first line of the open block; -1 while there is none
        content_end = 0  # end of the open block's last non-blank line
        fence: Fence | None = None
        blank_before = False  # a blank line separates the current line from the block
        list_open = False  # the block's current top-level run is (or has) a list
        quote_open = False  # ... or a block quote
        math_closer: str | None = None  # the delimiter closing a display formula left open
        math_start = 0
        while True:
            nl = text.find("\n", pos)
            if nl < 0:
                break
            line = text[pos:nl]
            end = nl + 1
            if fence is not None:
                if fence.closed_by(line):
                    blocks.append(text[block_start:nl].rstrip("\r"))
                    dedent = fence.indent
                    fence = None
                    block_start = -1
                pos = end
                continue
            opened = parse_fence(line)
            if opened is not None:
                if block_start >= 0:
                    blocks.append(_dedent(text[block_start:content_end].rstrip("\r\n"), dedent))
                dedent = 0
                fence = opened
                math_closer = None
                block_start = pos
                blank_before = False
                pos = end
                continue
            if not line.strip():
                if math_closer is None:
                    blank_before = block_start >= 0
                pos = end
                continue
            dl = dedent_line(line, dedent)
            size = content_end - block_start
            if math_closer is not None:
                if math_closer in line or pos - math_start > MATH_SPLIT_CHARS:
                    math_closer = None
                content_end = end
                pos = end
                continue
            if block_start < 0 or _ends_block(
                line, dl, dedent, blank_before, list_open, quote_open, size
            ):
                if block_start >= 0:
                    blocks.append(_dedent(text[block_start:content_end].rstrip("\r\n"), dedent))
                    dedent = 0
                elif _indent(line) < dedent:
                    dedent = 0  # left of the fence before it: not more of the fence's list item
                dl = dedent_line(line, dedent)
                block_start = pos
                list_open = is_list_item(dl)
                quote_open = is_quote(dl)
            elif blank_before and dl[0] not in " \t":
                # A new run inside the same block: it decides what may continue from here.
                list_open = is_list_item(dl)
                quote_open = is_quote(dl)
            else:
                list_open = list_open or is_list_item(dl)
                quote_open = quote_open or is_quote(dl)
            math_closer = _display_left_open(line)
            math_start = pos
            blank_before = False
            content_end = end
            pos = end
        # An unfinished last line after a blank one may already settle that the block is over.
        partial = text[pos:]
        if fence is None and block_start >= 0 and blank_before and partial:
            dl = dedent_line(partial, dedent)
            if dl and dl[0] not in _UNDECIDED_FIRST:
                blocks.append(_dedent(text[block_start:content_end].rstrip("\r\n"), dedent))
                dedent = 0
                block_start = pos
        self._start = block_start if block_start >= 0 else pos
        self._dedent = dedent
        tail = text[self._start :]
        if fence is None:
            tail = _dedent(tail, dedent)
        return blocks, tail


def _display_left_open(line: str) -> str | None:
    """The closing delimiter of a display formula that `line` starts and does not close."""
    m = _DISPLAY_OPENER_RE.match(line)
    if m is None:
        return None
    opener, environment = m.groups()
    if environment is not None and environment not in ENVIRONMENTS:
        return None
    closer = "$$" if opener == "$$" else "\\]" if environment is None else f"\\end{{{environment}}}"
    return None if closer in line[m.end() :] else closer


def _continues(line: str, list_open: bool, quote_open: bool, block_size: int) -> bool:
    """Whether `line`, after a blank line, still belongs to the block before it."""
    if line[0] in " \t":
        return True  # a list item's next paragraph, or indented code
    if list_open and is_list_item(line):
        return block_size < LIST_SPLIT_CHARS
    return quote_open and is_quote(line)


def _ends_block(
    line: str, dl: str, dedent: int, blank: bool, list_open: bool, quote_open: bool, size: int
) -> bool:
    """Whether the non-blank `line` (`dl` once dedented) starts a new block."""
    if blank:
        return not _continues(dl, list_open, quote_open, size)
    # After a fence inside a list item, an item left of the fence is the list's next item.
    return dedent > 0 and _indent(line) < dedent and is_list_item(line)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def split_blocks(text: str) -> tuple[list[str], str]:
    """Finished top-level Markdown blocks and the open tail.

    A block is finished when a blank line follows it outside a fenced code block and the next
    line cannot continue it (a list item after a list, a quote after a quote, an indented line),
    or when a code fence opens after it; a fenced code block is finished at its closing fence.
    A finished block is never rendered differently later, however the text goes on.
    """
    return BlockSplitter().feed(text)
