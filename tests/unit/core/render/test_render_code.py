"""Code blocks: highlighted in chunks that streaming and the finished render share."""

from __future__ import annotations

import html
import re

from kibitz.core.render import IncrementalRenderer, MarkdownRenderer
from kibitz.core.render.code_html import CHUNK_CHARS, MAX_HIGHLIGHT_CHARS, chunk_ends

PYTHON = (
    "import os\n\n\n"
    "def walk(root: str) -> list[str]:\n"
    '    """Every file under root."""\n'
    "    out = []\n"
    "    for base, _dirs, files in os.walk(root):\n"
    "        out.extend(os.path.join(base, f) for f in files)  # <all>\n"
    "    return out\n\n"
)
BIG = PYTHON * ((MAX_HIGHLIGHT_CHARS - 1000) // len(PYTHON))
NO_BLANKS = "".join(f"    value_{i} = compute({i}) + offset\n" for i in range(800))


def visible_text(fragment: str) -> str:
    pre = re.search(r"<pre[^>]*>(.*)</pre>", fragment, re.S)
    assert pre is not None
    return html.unescape(re.sub(r"<[^>]+>", "", pre.group(1)))


def test_chunks_cover_the_code_and_stay_bounded() -> None:
    for code in (BIG, NO_BLANKS):
        ends = chunk_ends(code)
        assert ends[-1] == len(code)
        assert len(ends) > len(code) // (4 * CHUNK_CHARS)
        starts = [0, *ends[:-1]]
        assert all(
            CHUNK_CHARS <= e - s <= 3 * CHUNK_CHARS + 200
            for s, e in zip(starts[:-1], ends[:-1], strict=True)
        )


def test_a_prefix_is_cut_where_the_whole_is() -> None:
    for code in (BIG[:20_000], NO_BLANKS[:12_000]):
        whole = set(chunk_ends(code)[:-1])
        for cut in range(0, len(code), 37):
            assert set(chunk_ends(code[:cut])[:-1]) <= whole


def test_cuts_prefer_top_level_lines_after_a_blank_line() -> None:
    ends = chunk_ends(BIG)
    for end in ends[:-1]:
        assert BIG[end - 2 : end] == "\n\n"
        assert BIG[end] not in " \t\n"


def test_a_big_block_shows_exactly_its_code_highlighted() -> None:
    (block,) = MarkdownRenderer().render(f"```python\n{BIG}```\n")
    assert block.code == BIG.removesuffix("\n")
    assert visible_text(block.html) == BIG.removesuffix("\n")
    assert block.html.count('<span style="color:#008000;font-weight:bold">def</span>') == BIG.count(
        "def "
    )


def test_streaming_a_big_block_ends_as_the_finished_render() -> None:
    text = f"Code:\n\n```python\n{BIG}```\n\nAfter."
    renderer = MarkdownRenderer()
    incremental = IncrementalRenderer(renderer)
    shown = []
    tail = []
    for end in [*range(50, len(text), 97), len(text)]:
        update = incremental.update(text[:end])
        shown.extend(update.new_blocks)
        tail = update.tail
        for block in update.tail:
            if block.code is not None:
                assert visible_text(block.html) == block.code
    assert shown + tail == renderer.render(text)


def test_code_over_the_limit_is_plain() -> None:
    code = PYTHON * (MAX_HIGHLIGHT_CHARS // len(PYTHON) + 1)
    (block,) = MarkdownRenderer().render(f"```python\n{code}```")
    assert "<span" not in block.html
    assert visible_text(block.html) == code.removesuffix("\n")
    # A shaded <pre> without the table: it can grow while streamed without a relayout.
    assert "<table" not in block.html
    assert block.html.startswith('<pre style="background-color:')
