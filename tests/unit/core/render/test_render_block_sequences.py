"""Replies made of one block type after another stream, in chunks of any size, to the blocks
rendering the finished text gives (the HTML side of issue 17's stray list markers)."""

from __future__ import annotations

import pytest

from kibitz.core.render import IncrementalRenderer, MarkdownRenderer, RenderedBlock

PIECES = {
    "table": "| Name | Value |\n| --- | --- |\n| one | 1 |\n",
    "quote": "> A quote to think about.\n",
    "numbered": "1. a\n2. b\n3. c\n",
    "bullets": "- x\n- y\n",
    "paragraph": "Some words here.\n",
    "code": "```python\nx = 1\n```\n",
    "quoted_list": "> 1. first\n> 2. second\n",
}
SEQUENCES = [
    ("table", "quote", "numbered"),
    ("quote", "numbered"),
    ("code", "numbered"),
    ("quoted_list", "numbered"),
    ("table", "paragraph", "numbered"),
    ("numbered", "code", "bullets"),
]


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


@pytest.mark.parametrize("sequence", SEQUENCES, ids="-".join)
def test_block_sequences_stream_to_the_whole_render(sequence: tuple[str, ...]) -> None:
    text = "\n".join(PIECES[name] for name in sequence)
    renderer = MarkdownRenderer()
    whole = renderer.render(text)
    for chunk in range(1, 8):
        assert _streamed(renderer, text, chunk) == whole, f"chunks of {chunk}"


def test_the_numbered_list_after_a_table_and_a_quote_is_one_list() -> None:
    text = "\n".join(PIECES[name] for name in ("table", "quote", "numbered"))
    html = "".join(block.html for block in MarkdownRenderer().render(text))
    assert html.count("<ol>") == 1
    assert html.count("<li>") == 3
