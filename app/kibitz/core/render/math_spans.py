"""Finding LaTeX formulas in Markdown text: `$…$`, `\\(…\\)`, `$$…$$`, `\\[…\\]`, environments.

The rules are Pandoc's `tex_math_dollars`, stricter where GitHub is: an opening `$` has a
non-space right after it, a closing `$` a non-space right before it and no digit right after it
(so "$5 and $10" stays prose), inline `$` math stays on one line, `$` inside braces
(`\\text{… $x$ …}`) does not close, and the first `$` that could close but may not ends the
attempt. `\\$` is a literal dollar and `\\\\(` an escaped backslash, never math. Code spans and
web addresses (bare or a link's destination) are text. Display math may hold a blank line
only when its opener starts a line (the block splitter keeps such a formula in one block).
Anything unclosed stays text, which is what streaming needs: a formula appears once its
closing delimiter has arrived. Inside a line, `\\[…\\]` is a formula only if it holds
something TeX-like (a backslash, `^`, `_`, `=`, `+`, `<`, `>` or a brace): "\\[1\\]" is
Markdown's escaped brackets. A formula in a block quote loses the quote markers of its
later lines from its TeX (not from its raw source).

A formula travels to the view as an image URL (`math_url`) that carries its source, so the
view renders it and Copy gives back what the model wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

MATH_SCHEME = "kibitz-math"
ENVIRONMENTS = frozenset(
    {
        "equation", "equation*", "align", "align*", "alignat", "alignat*", "aligned",
        "alignedat", "gather", "gather*", "gathered", "multline", "multline*", "flalign",
        "flalign*", "split", "eqnarray", "eqnarray*", "cases", "array", "matrix", "pmatrix",
        "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix", "subequations",
    }
)  # fmt: skip
# Longest inline `$…$` formula looked for: keeps a line of unclosed "${" linear.
MAX_INLINE_CHARS = 2_000
# Brace-tracking steps per character of text before `$` closes regardless of braces.
_STEPS_PER_CHAR = 4

_TRIGGER_RE = re.compile(r"[`\\$]|\]\(|(?<![\w/@])https?://", re.IGNORECASE)
# A web address, bare or as a link's destination, is text: "http://host:$PORT/$NAME" is no
# formula, and a marker inside it would break the link.
_URL_RUN_RE = re.compile(r"[^\s<>\"'`()]*")
_TOKEN_RE = re.compile(r"\\[\s\S]|[{}\n]|\$\$?")
_BEGIN_RE = re.compile(r"\\begin\{([A-Za-z]+\*?)\}")
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
_URL_PREFIX = MATH_SCHEME + ":"
# What a formula has and bracketed prose has not.
_TEXISH_RE = re.compile(r"[\\^_=+<>{}]")
# Block-quote markers before a formula on its line: the formula's next lines carry them too.
_QUOTE_PREFIX_RE = re.compile(r"[ \t]*(?:>[ \t]?)+")


@dataclass(frozen=True, slots=True)
class MathSpan:
    """A formula: as written (with its delimiters), the TeX inside, and whether it is display."""

    raw: str  # what copy gives back
    tex: str  # inside the delimiters; an environment's whole \begin…\end
    display: bool


@dataclass(frozen=True, slots=True)
class TextSpan:
    """Text between formulas (Markdown, code spans included)."""

    text: str


def _odd_backslashes_before(text: str, i: int) -> bool:
    n = 0
    while i > 0 and text[i - 1] == "\\":
        n += 1
        i -= 1
    return n % 2 == 1


def _at_line_start(text: str, i: int) -> bool:
    line_start = text.rfind("\n", 0, i) + 1
    return not text[line_start:i].strip()


class _Scanner:
    """One pass over one text; remembers closer searches so every opener costs little."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.steps_left = _STEPS_PER_CHAR * len(text) + 1_000
        self._closer_at: dict[str, int] = {}  # closer -> first unescaped one found, or -1
        self._closer_from: dict[str, int] = {}  # where that search started

    def find_closer(self, closer: str, start: int) -> int:
        """The first `closer` at or after `start` that no backslash escapes, or -1."""
        found = self._closer_at.get(closer)
        # The first closer after an earlier start is the first after `start` too, if past it.
        if (
            found is not None
            and self._closer_from[closer] <= start
            and (found < 0 or found >= start)
        ):
            return found
        text = self.text
        at = text.find(closer, start)
        while at >= 0 and _odd_backslashes_before(text, at):
            at = text.find(closer, at + 1)
        self._closer_at[closer] = at
        self._closer_from[closer] = start
        return at

    def blank_line_between(self, start: int, end: int) -> bool:
        return _BLANK_LINE_RE.search(self.text, start, end) is not None

    def inline_dollar_end(self, i: int) -> int:
        """The closing `$` of the inline formula opened at `i`, or -1."""
        text = self.text
        first = text[i + 1 : i + 2]
        if not first or first.isspace() or first == "$":
            return -1
        limit = min(len(text), i + 1 + MAX_INLINE_CHARS)
        depth = 0
        for m in _TOKEN_RE.finditer(text, i + 1, limit):
            token = m.group()
            self.steps_left -= 1
            if token == "\n":
                return -1  # inline math stays on its line (as on GitHub)
            if token == "{":
                depth += 1
            elif token == "}":
                depth = max(0, depth - 1)
            elif token[0] == "$" and (depth == 0 or self.steps_left < 0):
                k = m.start()
                if token == "$$" or text[k - 1].isspace():
                    return -1
                return -1 if text[k + 1 : k + 2].isdigit() else k
        return -1


def _code_span_end(text: str, i: int) -> int:
    """Where the code span whose backtick run starts at `i` ends; the run's end if unclosed."""
    run_end = i
    while run_end < len(text) and text[run_end] == "`":
        run_end += 1
    fence = text[i:run_end]
    closer = re.compile(rf"(?<!`){fence}(?!`)")
    m = closer.search(text, run_end)
    return run_end if m is None else m.end()


def _environment_end(text: str, i: int, name: str) -> int:
    """The end of `\\end{name}` closing the `\\begin{name}` at `i` (same-name nesting kept)."""
    pattern = re.compile(r"\\(begin|end)\{" + re.escape(name) + r"\}")
    depth = 0
    for count, m in enumerate(pattern.finditer(text, i)):
        if count > 64:
            return -1
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return m.end()
    return -1


def _formula_at(scan: _Scanner, i: int) -> tuple[int, MathSpan] | None:
    """The formula starting at `i` (a `$` or a backslash) and where it ends, or None."""
    text = scan.text
    c = text[i]
    if c == "$":
        if text.startswith("$$", i):
            close = scan.find_closer("$$", i + 2)
            return _display(scan, i, i + 2, close, 2)
        close = scan.inline_dollar_end(i)
        if close < 0:
            return None
        return close + 1, MathSpan(text[i : close + 1], text[i + 1 : close], False)
    nxt = text[i + 1 : i + 2]
    if nxt == "(":
        close = scan.find_closer("\\)", i + 2)
        if close < 0 or not text[i + 2 : close].strip() or scan.blank_line_between(i, close):
            return None
        return close + 2, MathSpan(text[i : close + 2], text[i + 2 : close].strip(), False)
    if nxt == "[":
        close = scan.find_closer("\\]", i + 2)
        # Inside a line, "\[1\]" or "\[citation needed\]" is Markdown's escaped brackets.
        if close >= 0 and not _at_line_start(text, i) and not _TEXISH_RE.search(text, i + 2, close):
            return None
        return _display(scan, i, i + 2, close, 2)
    if nxt == "b":
        m = _BEGIN_RE.match(text, i)
        if m is None or m.group(1) not in ENVIRONMENTS:
            return None
        end = _environment_end(text, i, m.group(1))
        if end < 0 or (scan.blank_line_between(i, end) and not _at_line_start(text, i)):
            return None
        raw = text[i:end]
        return end, MathSpan(raw, _unquoted(text, i, raw), True)
    return None


def _unquoted(text: str, i: int, tex: str) -> str:
    """`tex` without the quote markers of its later lines when the formula at `i` is quoted."""
    if "\n" not in tex:
        return tex
    prefix = text[text.rfind("\n", 0, i) + 1 : i]
    if not prefix.strip() or _QUOTE_PREFIX_RE.fullmatch(prefix) is None:
        return tex
    first, *rest = tex.split("\n")
    return "\n".join([first, *(_QUOTE_PREFIX_RE.sub("", line, count=1) for line in rest)])


def _display(
    scan: _Scanner, i: int, body: int, close: int, closer_len: int
) -> tuple[int, MathSpan] | None:
    text = scan.text
    if close < 0 or not text[body:close].strip():
        return None
    if scan.blank_line_between(body, close) and not _at_line_start(text, i):
        return None
    end = close + closer_len
    return end, MathSpan(text[i:end], _unquoted(text, i, text[body:close]).strip(), True)


def split_math(text: str) -> list[TextSpan | MathSpan]:
    """`text` (Markdown without fenced code blocks) cut into text and formulas, in order."""
    if "$" not in text and "\\" not in text:
        return [TextSpan(text)] if text else []
    scan = _Scanner(text)
    out: list[TextSpan | MathSpan] = []
    text_start = 0
    pos = 0
    while True:
        m = _TRIGGER_RE.search(text, pos)
        if m is None:
            break
        i = m.start()
        c = text[i]
        if c == "`":
            pos = _code_span_end(text, i)
            continue
        if c not in "\\$":
            url = _URL_RUN_RE.match(text, i + 2)
            pos = url.end() if url is not None else i + 2
            continue
        if c == "\\" and text[i + 1 : i + 2] in ("\\", "$", "`"):
            pos = i + 2  # an escaped backslash, dollar or backtick is text
            continue
        found = _formula_at(scan, i)
        if found is None:
            pos = i + (2 if text.startswith("$$", i) else 1)
            continue
        end, span = found
        if text_start < i:
            out.append(TextSpan(text[text_start:i]))
        out.append(span)
        text_start = pos = end
    if text_start < len(text):
        out.append(TextSpan(text[text_start:]))
    return out


def math_url(span: MathSpan) -> str:
    """The image URL that stands for `span` in rendered HTML: scheme, kind, percent-encoded raw."""
    return f"{_URL_PREFIX}{'d' if span.display else 'i'}/{quote(span.raw, safe='')}"


def span_from_url(url: str) -> MathSpan | None:
    """The formula `math_url` made `url` from; None for any other or malformed URL."""
    if not url.startswith(_URL_PREFIX):
        return None
    kind, sep, encoded = url[len(_URL_PREFIX) :].partition("/")
    if not sep or kind not in ("d", "i"):
        return None
    try:
        raw = unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        return None
    spans = split_math(raw)
    if len(spans) != 1 or not isinstance(spans[0], MathSpan):
        return None
    span = spans[0]
    return span if span.display == (kind == "d") else None
