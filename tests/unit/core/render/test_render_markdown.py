"""Markdown and code rendered for QTextDocument: structure, themes, limits, import cost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest
from tests.support.recordings import RECORDINGS as FIXTURES

from kibitz.core.render import (
    DARK_THEME,
    LIGHT_THEME,
    MAX_BLOCK_CHARS,
    MAX_HIGHLIGHT_CHARS,
    MarkdownRenderer,
    RenderedBlock,
    RenderTheme,
)
from kibitz.core.render.normalize import normalize_markdown


def render(text: str, theme: RenderTheme = LIGHT_THEME) -> list[RenderedBlock]:
    return MarkdownRenderer(theme).render(text)


def html_of(text: str) -> str:
    return "".join(b.html for b in render(text))


class _TooMuchWork(BaseException):
    """Raised inside the renderer past the budget (no `except Exception` there can catch it)."""


def steps_to_render(text: str, budget: int) -> tuple[int, list[RenderedBlock]]:
    """The Python steps (lines run, calls, returns) that rendering `text` takes, and its blocks.

    A measure of work that neither the machine's speed nor its load changes (sys.settrace):
    a test that bounds it by the input's length fails on quadratic work on any machine. Past
    `budget` the render is stopped, so that runaway work fails in seconds, not minutes. The
    renderer is warmed first: building the Markdown engine and importing markdown and pygments
    are not counted. Timings of the same inputs: tests/bench/bench_render.py.
    """
    renderer = MarkdownRenderer()
    renderer.render("*a* [b](c)\n\n- d\n\n> e\n\n| f |\n|---|\n| 1 |\n\n```python\nx = 1\n```\n")
    steps = 0

    def count(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal steps
        steps += 1
        if steps > budget:
            raise _TooMuchWork
        return count

    blocks: list[RenderedBlock] = []
    previous = sys.gettrace()  # a coverage tracer, say: put back afterwards
    sys.settrace(count)
    try:
        blocks = renderer.render(text)
    except _TooMuchWork:
        pass
    finally:
        sys.settrace(previous)
    return steps, blocks


def test_prose() -> None:
    html = html_of("# Title\n\nSome *em* and **strong** and `code`.\n\n---\n\n## Sub")
    assert "<h1>Title</h1>" in html
    assert "<em>em</em>" in html
    assert "<strong>strong</strong>" in html
    assert '<code style="background-color:#eaedf0">code</code>' in html
    assert "<hr>" in html
    assert "<h2>Sub</h2>" in html


def test_no_hard_line_breaks_are_invented() -> None:
    assert html_of("one\ntwo") == "<p>one\ntwo</p>"


def test_a_code_block_is_its_own_piece_with_its_code() -> None:
    blocks = render("Try:\n```python\nprint('hi')  # <b>\n```\nDone.")
    assert [(b.code, b.language) for b in blocks] == [
        (None, None),
        ("print('hi')  # <b>", "python"),
        (None, None),
    ]
    code_html = blocks[1].html
    assert code_html.startswith('<table width="100%"')
    assert "background-color:#f4f6f8" in code_html
    assert "<pre>" in code_html
    assert '<span style="color:#008000">print</span>' in code_html  # highlighted, inline style
    assert "class=" not in code_html
    assert "&lt;b&gt;" in code_html


@pytest.mark.parametrize("fence", ["```", "```nosuchlanguage"])
def test_code_without_a_known_language_is_plain(fence: str) -> None:
    (block,) = render(f"{fence}\ndef f(): pass\n```")
    assert "<span" not in block.html
    assert "def f(): pass" in block.html


def test_tables_have_borders_and_padding() -> None:
    html = html_of("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert '<table border="1" cellpadding="6" cellspacing="0"' in html
    assert '<th align="left"' in html
    # Every cell asks for all four edges: with border-collapse Qt draws only what cells ask.
    rules = "border-width:1px;border-style:solid;border-color:#c8ced6"
    assert f'<td align="right" style="{rules}">2</td>' in html
    assert html.count(rules) == 4


def test_header_cells_are_left_aligned_like_the_body() -> None:
    html = html_of("| a | b |\n|---|---|\n| 1 | 2 |")
    assert html.count('<th align="left"') == 2


def test_a_table_right_under_a_paragraph_is_a_table() -> None:
    assert "<table" in html_of("Results:\n| a | b |\n|---|---|\n| 1 | 2 |")


def test_a_blockquote_has_a_bar() -> None:
    html = html_of("> quoted *text*\n> more\n>\n> > nested")
    # Qt draws no bar for <blockquote>: a narrow coloured cell beside the text.
    bar = '<td style="background-color:#c8ced6" width="3"></td>'
    assert html.startswith('<table cellpadding="0" cellspacing="0" style="margin-top:6px')
    assert f"<tbody><tr>{bar}" in html
    assert '<td style="padding-left:10px;color:#57606a">' in html
    assert "<em>text</em>" in html
    assert html.count(bar) == 2


def test_bare_web_addresses_become_links() -> None:
    html = html_of(
        "See https://a.test/x_(y). Or (https://b.test/z), http://c.test/?q=1&r=2.\n\n"
        "`https://in.code` [named](https://d.test) javascript://no www.e.test"
    )
    assert re.findall(r'<a href="([^"]*)"', html) == [
        "https://a.test/x_(y)",
        "https://b.test/z",
        "http://c.test/?q=1&amp;r=2",
        "https://d.test",
    ]
    assert '<a href="https://b.test/z">https://b.test/z</a>),' in html
    assert "<code" in html
    assert ">https://in.code</code>" in html


def test_task_lists_and_strikethrough() -> None:
    html = html_of("- [ ] todo\n- [x] done\n\n~~gone~~ ~kept~")
    assert "<li>\u2610 todo</li>" in html
    assert "<li>\u2611 done</li>" in html
    assert "<s>gone</s> ~kept~" in html


def test_model_style_lists() -> None:
    html = html_of(
        "Steps:\n1. **One**\n   - detail a\n   - detail b\n2. Two\n\n   More about two.\n3. Three"
    )
    # The paragraph, then a list with a list nested in its first item, numbering kept.
    assert html.startswith("<p>Steps:</p>\n<ol>\n<li><strong>One</strong><ul>")
    assert "<li>detail b</li>\n</ul>" in html
    assert "<p>More about two.</p>" in html
    assert html.count("<ol>") == 1
    assert "<li>\n<p>Three</p>\n</li>" in html


def test_a_list_continued_after_a_code_block_keeps_its_numbers() -> None:
    html = html_of("1. Build:\n   ```sh\n   make\n   ```\n2. Run\n3. Check")
    assert '<ol start="2">' in html


def test_normalize_leaves_plain_prose_alone() -> None:
    text = "Para one\nstill one\n\nIn the year\n2003. Something happened.\n\n    indented code"
    assert normalize_markdown(text) == text


def test_normalize_nests_by_fours() -> None:
    assert normalize_markdown("- a\n  - b\n    - c\n- d") == "- a\n    - b\n        - c\n- d"
    assert normalize_markdown("Pros:\n- fast") == "Pros:\n\n- fast"


def test_themes_differ_where_it_shows() -> None:
    text = "`x`\n\n```python\nimport os\n```\n\n| a |\n|---|\n| 1 |"
    light = "".join(b.html for b in render(text, LIGHT_THEME))
    dark = "".join(b.html for b in render(text, DARK_THEME))
    assert DARK_THEME.code_background in dark
    assert DARK_THEME.code_background not in light
    assert LIGHT_THEME.code_background in light
    assert DARK_THEME.inline_code_background in dark
    assert DARK_THEME.table_border in dark
    assert light != dark
    assert RenderTheme.for_scheme(dark=True) == DARK_THEME
    assert RenderTheme() == LIGHT_THEME
    assert not LIGHT_THEME.dark
    assert DARK_THEME.dark


def test_a_link_colour_is_only_set_when_the_theme_has_one() -> None:
    assert html_of("[a](https://a.test)") == '<p><a href="https://a.test">a</a></p>'
    themed = MarkdownRenderer(RenderTheme(link="#0969da")).render("[a](https://a.test)")
    assert themed[0].html == '<p><a href="https://a.test" style="color:#0969da">a</a></p>'


def test_a_two_megabyte_line_is_plain_text_and_cheap() -> None:
    line = ("word *not emphasis* [not a link](x) " * 60_000)[:2_000_000]
    # Escaped whole, not parsed: 126 steps measured, never one per word.
    steps, (block,) = steps_to_render(line, budget=2_000)
    assert steps <= 2_000
    assert block.html.startswith('<p style="white-space:pre-wrap">word *not emphasis*')
    assert "<em>" not in block.html


def test_a_huge_markdown_block_is_plain_text() -> None:
    text = "\n".join(f"line *{i}* <b>" for i in range(MAX_BLOCK_CHARS // 10))
    assert len(text) > MAX_BLOCK_CHARS
    (block,) = render(text)
    assert "<em>" not in block.html
    assert "&lt;b&gt;" in block.html


def test_a_200_kb_code_block_is_plain_and_cheap() -> None:
    code = "def f(x):\n    return x * 2  # <tag>\n" * 5_600
    assert len(code) > 200_000 > MAX_HIGHLIGHT_CHARS
    # Linear in its length and small: 1.4 steps a character measured.
    budget = 4 * len(code)
    steps, (block,) = steps_to_render(f"```python\n{code}```\n", budget)
    assert steps <= budget
    assert block.code == code.removesuffix("\n")
    assert "<span" not in block.html
    assert "&lt;tag&gt;" in block.html


@pytest.mark.parametrize(
    "text",
    [
        "[" * 19_000,
        "*" * 19_000,
        "_a" * 9_000,
        "`" * 19_000,
        "<" * 19_000,
        "![" * 9_000,
        ("[a](" * 4_000 + "\n") * 3,
        ("- " * 100 + "x\n") * 300,
        ("> " * 200 + "x\n") * 100,
        "|" * 19_000 + "\n" + "|---" * 4_000,
    ],
)
def test_pathological_markdown_takes_linear_work(text: str) -> None:
    # The costliest of these, 300 lines nested 100 deep, takes 195 steps a character. Without
    # the guards (the bracket budget, plain text past the limits) the link cases would go past
    # 600 within seconds: "[a](" * 4,000 three times takes a minute unguarded.
    budget = 600 * len(text)
    steps, blocks = steps_to_render(text, budget)
    assert steps <= budget, f"more than {budget:,} steps for {len(text):,} characters"
    assert blocks


def test_importing_the_renderer_loads_neither_markdown_nor_pygments() -> None:
    probe = (
        "import sys, json\n"
        "import kibitz.core.render as r\n"
        "r.MarkdownRenderer(); r.IncrementalRenderer(r.MarkdownRenderer()); r.split_blocks('a')\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] in ('markdown', 'pygments'))\n"
        "r.MarkdownRenderer().render('x\\n```py\\ny\\n```')\n"
        "after = sorted({m.split('.')[0] for m in sys.modules} & {'markdown', 'pygments'})\n"
        "print(json.dumps([before, after]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == [[], ["markdown", "pygments"]]


def _assembled(path: Path) -> str:
    text = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                if choice.get("index", 0) == 0:
                    text.append((choice.get("delta") or {}).get("content") or "")
    return "".join(text)


def test_recorded_replies_render() -> None:
    texts = [_assembled(p) for p in sorted(FIXTURES.rglob("*.sse"))]
    texts = [t for t in texts if t.strip()]
    assert len(texts) >= 5
    for text in texts:
        html = "".join(b.html for b in render(text))
        assert html
        # Every word of the reply is on screen (markup aside).
        for word in text.split()[:20]:
            if word.isalpha():
                assert word in html
