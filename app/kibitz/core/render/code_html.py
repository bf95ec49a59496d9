"""Fenced code to HTML: Pygments with inline styles, highlighted in cached chunks.

Highlighting costs ~1.7 ms per KB of Python, so a growing code block re-highlighted whole at
every repaint would stall the window past a few KB. Code is therefore cut into chunks at line
starts that look like top level (after a blank line, at column 0); each chunk is highlighted
on its own and cached, so a streamed block only re-highlights its last chunk, and the finished
block reuses what streaming already did. The cuts depend only on the text before them, so the
chunks of a prefix are the chunks of the whole. The price: a construct spanning a cut (a
multi-line string with a blank line and column-0 text in it) is coloured from the cut anew.

A language's first block costs 10-40 ms more: Pygments imports that lexer's module and compiles
its rules. While a reply streams, that would freeze the window mid-stream, so the open block
of a reply (`wait=False`) is shown plain while a background thread loads its lexer, and is
coloured at the next repaint after; a finished block always waits for its colours.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kibitz.core.render.sanitize import escape, sanitize
from kibitz.core.render.theme import RenderTheme

# Code longer than this is shown without highlighting (~55 ms of Pygments for Python).
MAX_HIGHLIGHT_CHARS = 32_000
CHUNK_CHARS = 1_024
_CACHE_SIZE = 256


def chunk_ends(code: str) -> list[int]:
    """Where the chunks of `code` end, the last one at `len(code)`.

    A cut is the first line start at least CHUNK_CHARS into the chunk that follows a blank
    line and begins at column 0; from 2x CHUNK_CHARS any column-0 line will do, from 3x any
    line. It needs the cut line's first character, so a prefix never cuts where the whole won't.
    """
    ends: list[int] = []
    start = 0
    n = len(code)
    while n - start > CHUNK_CHARS:
        cut = _next_cut(code, start)
        if cut < 0:
            break
        ends.append(cut)
        start = cut
    ends.append(n)
    return ends


def _next_cut(code: str, start: int) -> int:
    n = len(code)
    p = code.find("\n", start + CHUNK_CHARS - 1) + 1
    while 0 < p < n:
        distance = p - start
        first = code[p]
        top_level = first not in " \t\n\r"
        blank_before = p >= 2 and code[p - 2] == "\n"
        if (
            (top_level and blank_before)
            or (top_level and distance >= 2 * CHUNK_CHARS)
            or (distance >= 3 * CHUNK_CHARS and first != "\n")
        ):
            return p
        p = code.find("\n", p) + 1
    return -1


class LexerLoading:
    """The answer for a language whose lexer is being loaded on the background thread."""


LOADING = LexerLoading()


class _Lexers:
    """Pygments lexers by fence language, each loaded once, on the caller's thread or on a
    background one (a lexer is stateless once made: any thread may then use it)."""

    def __init__(self) -> None:
        self._ready: dict[str, Any] = {}  # language -> lexer, or None for an unknown language
        self._loading: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()
        self._worker: ThreadPoolExecutor | None = None

    def get(self, language: str, *, wait: bool = True) -> Any:
        """The lexer, None for a language Pygments does not know (no guessing), or LOADING
        when `wait` is False and it is not loaded yet (its load is then under way)."""
        if language in self._ready:
            return self._ready[language]
        with self._lock:  # held only to register a load: a load never runs under it
            future = self._loading.get(language)
            load_here = future is None and wait
            if future is None:
                if wait:
                    future = Future[Any]()
                else:
                    if self._worker is None:
                        self._worker = ThreadPoolExecutor(1, thread_name_prefix="kibitz-lexers")
                    future = self._worker.submit(_load, language)
                self._loading[language] = future
                future.add_done_callback(lambda done: self._keep(language, done))
        if load_here:
            try:
                future.set_result(_load(language))
            except Exception as exc:  # noqa: BLE001 - raised to every caller by result()
                future.set_exception(exc)
        if not wait and not future.done():
            return LOADING
        return future.result()

    def _keep(self, language: str, future: Future[Any]) -> None:
        if future.exception() is None:
            self._ready[language] = future.result()


def _load(language: str) -> Any:
    from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
    from pygments.util import ClassNotFound  # type: ignore[import-untyped]

    try:
        # Making the first lexer of a class compiles its rules: that is part of the load.
        return get_lexer_by_name(language, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        return None


_lexers = _Lexers()

# The languages most replies use, loaded ahead by `preload_lexers`.
COMMON_LANGUAGES = (
    "python",
    "javascript",
    "typescript",
    "bash",
    "json",
    "sql",
    "html",
    "css",
    "yaml",
    "java",
    "c",
    "cpp",
    "csharp",
    "go",
    "rust",
    "diff",
)


def preload_lexers(languages: tuple[str, ...] = COMMON_LANGUAGES) -> None:
    """Load Pygments, its HTML formatter and these languages' lexers now, so that a reply using
    them is coloured at once (~0.2 s); blocking: call it off the UI thread."""
    importlib.import_module("pygments.formatters.html")
    for language in languages:
        _lexers.get(language)


class CodeHighlighter:
    """Fenced code blocks as sanitized HTML in one theme, chunks cached across calls."""

    def __init__(self, theme: RenderTheme) -> None:
        self._theme = theme
        self._formatter: Any = None
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()

    def block_html(self, code: str, language: str | None) -> str:
        """The code block, highlighted (its lexer loaded first if need be); see `block`."""
        return self.block(code, language)[0]

    def block(self, code: str, language: str | None, *, wait: bool = True) -> tuple[str, bool]:
        """The code block, and whether it came plain only because its lexer is still loading
        (without `wait`: it is then loading on the background thread; render it again later).

        A full-width single-cell table, since Qt pads and fills cells. Past MAX_HIGHLIGHT_CHARS
        (plain text anyway) a shaded <pre> without the table: Qt lays a table out again whole
        on any change inside it, which made each repaint of a long block being streamed cost
        ~1 ms per KB; a plain block grows at the cost of its new text.
        """
        body, later = self._body(code, language, wait) if code else ("", False)
        if len(code) > MAX_HIGHLIGHT_CHARS:
            html = f'<pre style="background-color:{self._theme.code_background}">{body}</pre>'
            return html, later
        html = (
            '<table width="100%" cellspacing="0" cellpadding="10"><tr>'
            f'<td style="background-color:{self._theme.code_background}">'
            f"<pre>{body}</pre></td></tr></table>"
        )
        return html, later

    def _body(self, code: str, language: str | None, wait: bool) -> tuple[str, bool]:
        if not language or len(code) > MAX_HIGHLIGHT_CHARS:
            return escape(code), False
        lexer = _lexers.get(language.lower(), wait=wait)
        if lexer is None or lexer is LOADING:
            return escape(code), lexer is LOADING
        parts: list[str] = []
        start = 0
        ends = chunk_ends(code)
        for i, end in enumerate(ends):
            chunk = code[start:end]
            if i < len(ends) - 1:
                parts.append(self._cached(chunk, language.lower(), lexer))
            else:  # the last chunk of a streamed block is still growing: not worth keeping
                parts.append(self._highlight(chunk, lexer))
            start = end
        return "".join(parts), False

    def _cached(self, chunk: str, language: str, lexer: Any) -> str:
        key = (language, chunk)
        html = self._cache.get(key)
        if html is None:
            html = self._highlight(chunk, lexer)
            self._cache[key] = html
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return html

    def _highlight(self, chunk: str, lexer: Any) -> str:
        from pygments import highlight  # type: ignore[import-untyped]

        if self._formatter is None:
            from pygments.formatters.html import HtmlFormatter  # type: ignore[import-untyped]

            self._formatter = HtmlFormatter(
                noclasses=True, nowrap=True, style=self._theme.pygments_style
            )
        html = str(highlight(chunk, lexer, self._formatter))
        if not chunk.endswith("\n"):
            html = html.removesuffix("\n")  # the formatter ends every line, even a partial one
        # Each chunk is sanitized on its own: its spans are balanced, so the pieces join up.
        return sanitize(html)
