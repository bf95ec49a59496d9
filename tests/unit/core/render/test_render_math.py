"""Formulas in rendered HTML: kibitz-math images in every kind of block, through the sanitizer."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from tests.support.recordings import RECORDINGS

from kibitz.core.render import IncrementalRenderer, MarkdownRenderer, RenderedBlock, split_blocks
from kibitz.core.render.blocks import MATH_SPLIT_CHARS
from kibitz.core.render.math_spans import MathSpan, math_url, span_from_url, split_math
from kibitz.core.render.sanitize import sanitize

IMG_RE = re.compile(r"<img\b[^>]*>")
SRC_RE = re.compile(r'<img\b[^>]*\ssrc="([^"]*)"')
CORPUS = json.loads(
    (Path(__file__).parents[3] / "fixtures" / "math" / "corpus.json").read_text("utf-8")
)


def html_of(text: str, *, math: bool = True, line_breaks: bool = False) -> str:
    renderer = MarkdownRenderer(math=math, line_breaks=line_breaks)
    return "".join(b.html for b in renderer.render(text))


def formulas_in(markup: str) -> list[MathSpan]:
    spans = [span_from_url(html.unescape(src)) for src in SRC_RE.findall(markup)]
    assert None not in spans, markup
    return [s for s in spans if s is not None]


def raws_in(markup: str) -> list[str]:
    return [span.raw for span in formulas_in(markup)]


def test_inline_formula_is_an_image_with_its_url_and_source_as_alt() -> None:
    markup = html_of("Let $x_1 < y$ hold.")
    (img,) = IMG_RE.findall(markup)
    span = MathSpan("$x_1 < y$", "x_1 < y", False)
    assert f'src="{math_url(span)}"' in img
    assert 'align="middle"' in img
    assert 'alt="$x_1 &lt; y$"' in img
    assert markup.startswith("<p>Let <img")
    assert markup.endswith("> hold.</p>")


def test_tex_is_not_read_as_markdown() -> None:
    text = r"Then $a_1 * b_2 * c_3$ and $$\left\{ x \\ y \right\}$$ and \(\_\*\)"
    markup = html_of(text)
    assert "<em>" not in markup
    assert "<strong>" not in markup
    assert raws_in(markup) == [
        "$a_1 * b_2 * c_3$",
        r"$$\left\{ x \\ y \right\}$$",
        r"\(\_\*\)",
    ]


def test_display_formula_splits_its_paragraph() -> None:
    markup = html_of("before $$a+b$$ after")
    src = math_url(MathSpan("$$a+b$$", "a+b", True))
    assert markup == (
        f'<p>before</p><p align="center"><img align="middle" alt="$$a+b$$" src="{src}"></p>'
        "<p>after</p>"
    )


@pytest.mark.parametrize("line_breaks", [False, True])
def test_display_formula_on_its_own_lines_is_its_own_paragraph(line_breaks: bool) -> None:
    text = "The roots are:\n$$\nx = \\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}\n- 1\n$$\nas expected."
    markup = html_of(text, line_breaks=line_breaks)
    parts = re.split(r"(?=<p)", markup)
    assert parts[1] == "<p>The roots are:</p>"
    assert parts[2].startswith('<p align="center"><img')
    assert parts[3] == "<p>as expected.</p>"
    assert "<li>" not in markup
    assert "<br" not in markup


def test_formulas_in_lists_quotes_tables_and_headings() -> None:
    text = (
        "1. **Isolate \\( x^2 \\):**\n   \n   \\[\n   x^2 = 3\n   \\]\n2. then $y$\n\n"
        "> a quote with $q$ and\n> $$Q$$\n\n"
        "| f | f' |\n|---|---|\n| $x^2$ | $|2x|$ |\n\n"
        "## Heading $h$\n\n"
        "- tight $$d$$ item\n"
    )
    markup = html_of(text)
    assert raws_in(markup) == [
        "\\( x^2 \\)",
        "\\[\n   x^2 = 3\n   \\]",
        "$y$",
        "$q$",
        "$$Q$$",
        "$x^2$",
        "$|2x|$",
        "$h$",
        "$$d$$",
    ]
    assert markup.count("<li>") == 3
    assert markup.count('<p align="center">') == 3  # list item, quote, tight item
    assert "<td" in markup
    assert "<h2>Heading <img" in markup


@pytest.mark.parametrize(
    "text",
    [
        "Use `$x$` here",
        "```latex\n$x$ and $$y$$\n```",
        "```\n\\[ z \\]\n```",
        "Prices: $5 and $10, or \\$3.",
        "$ x $ is not math",
        "`\\(a\\)`",
    ],
)
def test_no_formula_in_code_or_prices(text: str) -> None:
    assert "<img" not in html_of(text)


def test_escaped_dollar_is_a_dollar_with_math_and_as_before_without() -> None:
    assert html_of("costs \\$5 and \\$6") == "<p>costs $5 and $6</p>"
    assert html_of("costs \\$5 and \\$6", math=False) == "<p>costs \\$5 and \\$6</p>"


def test_math_off_renders_formulas_as_markdown_text() -> None:
    markup = html_of("Let $x_1$ and $y_1$ and \\(z\\)", math=False)
    assert "<img" not in markup
    assert "kibitz-math" not in markup
    assert markup == "<p>Let $x_1$ and $y_1$ and (z)</p>"


def _assembled(path: Path) -> str:
    text = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                text.append((choice.get("delta") or {}).get("content") or "")
    return "".join(text)


def test_text_without_formulas_renders_the_same_with_math_on_or_off() -> None:
    texts = [_assembled(p) for p in sorted(RECORDINGS.rglob("*.sse"))]
    texts = [t for t in texts if t.strip()]
    texts += ["*a* [b](https://x.org) \\*c\\* `$d` e\\_f\n\n- g\n\n> h\n", "a \\ b \\\\ c"]
    assert len(texts) >= 5
    checked = 0
    for text in texts:
        if any(isinstance(s, MathSpan) for s in split_math(text)) or "\\$" in text:
            continue
        checked += 1
        assert html_of(text) == html_of(text, math=False)
    assert checked >= 5


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_corpus_formulas_all_reach_the_html(case: dict[str, object]) -> None:
    text = case["input"]
    assert isinstance(text, str)
    expected = case["expect"]
    assert isinstance(expected, list)
    raws = [raw for kind, raw in expected if kind != "text"]
    assert raws_in(html_of(text)) == raws


@pytest.mark.parametrize(
    "fragment",
    [
        '<img src="https://evil.test/x.png?leak=1">',
        '<img src="http://evil.test/x.png">',
        '<img src="data:image/png;base64,AAAA">',
        '<img src="file:///etc/passwd">',
        '<img src="javascript:alert(1)">',
        '<img src="x" alt="kibitz-math:i/%24x%24">',
        '<img alt=" src=&quot;kibitz-math:i/%24x%24&quot;" src="https://evil.test">',
        '<IMG SRC="https://evil.test">',
        '<img srcset="https://evil.test/a.png 1x" src="kibitz-math:i/%24x%24">',
    ],
)
def test_sanitizer_drops_every_image_but_a_formula(fragment: str) -> None:
    out = sanitize(f"<p>a{fragment}b</p>")
    for foreign in ("evil", "data:", "file:", "javascript"):
        assert foreign not in out
    for img in IMG_RE.findall(out):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', img))
        assert set(attributes) <= {"src", "align", "alt"}, img
        assert attributes["src"].startswith("kibitz-math:"), img


def test_our_scheme_is_no_link_target() -> None:
    src = math_url(MathSpan("$x$", "x", False))
    out = sanitize(f'<p><a href="{src}">a</a><img src="{src}"><a href="https://x.org">b</a></p>')
    assert out == f'<p><a>a</a><img src="{src}"><a href="https://x.org">b</a></p>'


def test_sanitizer_keeps_a_formula_image_and_only_its_attributes() -> None:
    src = math_url(MathSpan("$x$", "x", False))
    out = sanitize(
        f'<p align="center" onclick="x()"><img src="{src}" align="middle" alt="$x$"'
        ' onerror="alert(1)" width="9000" style="color: red"></p>'
    )
    assert out == f'<p align="center"><img src="{src}" align="middle" alt="$x$"></p>'


def test_markdown_and_raw_html_images_stay_defused_with_math_on() -> None:
    markup = html_of('![x](https://evil.test/a.png) <img src="https://evil.test/b.png"> $y$')
    assert raws_in(markup) == ["$y$"]
    assert len(IMG_RE.findall(markup)) == 1


def test_display_formula_with_a_blank_line_stays_one_block() -> None:
    text = (
        "Sum:\n\n$$\na + b\n\n= c\n$$\n\nand \\begin{align}\nx\n\\end{align}\n\n"
        "\\begin{align*}\np &= q\n\nr &= s\n\\end{align*}\n"
    )
    blocks, _ = split_blocks(text)
    assert blocks[1] == "$$\na + b\n\n= c\n$$"
    assert raws_in(html_of(text)) == [
        "$$\na + b\n\n= c\n$$",
        "\\begin{align}\nx\n\\end{align}",
        "\\begin{align*}\np &= q\n\nr &= s\n\\end{align*}",
    ]


def test_an_unclosed_display_formula_does_not_hold_the_rest_of_a_reply() -> None:
    text = "$$\nx\n\n" + "Some words of prose here.\n\n" * 600
    blocks, _ = split_blocks(text)
    assert len(blocks[0]) <= MATH_SPLIT_CHARS + 100
    assert len(blocks) > 400
    assert "<img" not in html_of(text)


STREAMED = {
    "inline": "Let $x_1$ and \\(y\\) be reals with $x_1 < y$ and $5 left.\n",
    "display": (
        "The roots:\n$$\nx = \\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}\n$$\nas said, and \\[ z \\] too.\n"
    ),
    "blank": "Sum:\n\n$$\na + b\n\n= c\n$$\n\nafter\n",
    "deepseek": (
        "To solve \\( x^2 - 3 = 0 \\):\n\n1. **Isolate \\( x^2 \\):**\n   \n   \\[\n"
        "   x^2 = 3\n   \\]\n\n2. **Root:**\n   \\[\n   x = \\pm \\sqrt{3}\n   \\]\n"
    ),
    "environment": "\\begin{align*}\na &= b \\\\\n\nc &= d\n\\end{align*}\nthen $e$\n",
    "list": "- one $a$\n- two $$b$$ end\n\n> $q$\n\n| $t$ | u |\n|---|---|\n| 1 | $v$ |\n",
    "code": "Here `$x$`:\n```python\nprint('$y$')\n```\nand $z$.\n",
}


def _streamed(renderer: MarkdownRenderer, text: str, chunk: int) -> list[RenderedBlock]:
    incremental = IncrementalRenderer(renderer)
    shown: list[RenderedBlock] = []
    tail: list[RenderedBlock] = []
    for end in range(chunk, len(text) + chunk, chunk):
        update = incremental.update(text[:end])
        assert not update.restarted
        shown.extend(update.new_blocks)
        tail = update.tail
    return shown + tail


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_streaming_ends_at_the_whole_render(name: str) -> None:
    text = STREAMED[name]
    renderer = MarkdownRenderer()
    whole = renderer.render(text)
    assert formulas_in("".join(b.html for b in whole))
    for chunk in range(1, 8):
        assert _streamed(renderer, text, chunk) == whole, f"chunks of {chunk}"


def test_an_open_formula_streams_as_text() -> None:
    incremental = IncrementalRenderer(MarkdownRenderer())
    update = incremental.update("So\n$$\n\\int_0^1 x")
    assert "<img" not in "".join(b.html for b in update.tail)
    update = incremental.update("So\n$$\n\\int_0^1 x\\,dx\n$$")
    assert raws_in("".join(b.html for b in update.tail)) == ["$$\n\\int_0^1 x\\,dx\n$$"]


def test_dollars_in_web_addresses_stay_in_the_links() -> None:
    markup = html_of("[see $a$](https://x.org/$b/$c) and https://y.org/$d/$e and $f$")
    assert raws_in(markup) == ["$a$", "$f$"]
    assert 'href="https://x.org/$b/$c"' in markup
    assert 'href="https://y.org/$d/$e"' in markup
