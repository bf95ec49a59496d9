"""Rendering a person's words: each line break inside a paragraph is kept, the rest of
Markdown (code, lists, tables, raw HTML as text) renders as in a reply."""

from __future__ import annotations

from kibitz.core.render import MarkdownRenderer


def _html(text: str, *, line_breaks: bool) -> str:
    return "".join(b.html for b in MarkdownRenderer(line_breaks=line_breaks).render(text))


def test_line_breaks_are_kept_only_when_asked() -> None:
    text = "first line\nsecond line"
    assert _html(text, line_breaks=True) == "<p>first line<br>\nsecond line</p>"
    assert _html(text, line_breaks=False) == "<p>first line\nsecond line</p>"


def test_code_lists_and_tables_render_as_in_a_reply() -> None:
    text = (
        "Look:\n```python\nx = 1\ny = 2\n```\nSteps:\n1. one\n2. two\n\n"
        "| a | b |\n| --- | --- |\n| 1 | 2 |"
    )
    mine = MarkdownRenderer(line_breaks=True).render(text)
    reply = MarkdownRenderer().render(text)
    assert [b.code for b in mine] == [b.code for b in reply]
    assert [b.code for b in mine if b.code] == ["x = 1\ny = 2"]
    html = "".join(b.html for b in mine)
    assert "<br>" not in "".join(b.html for b in mine if b.code)  # code keeps its own lines
    assert html.count("<li>") == 2
    assert "<th" in html


def test_raw_html_stays_text() -> None:
    html = _html("<b>bold?</b>\n<img src=https://example.com/p.png>", line_breaks=True)
    assert "&lt;b&gt;bold?&lt;/b&gt;<br>" in html
    assert "<img" not in html
    assert "<b>" not in html
