"""A language's first code block while a reply streams: shown plain while its lexer loads on a
background thread, coloured once it is loaded; finished blocks always wait for their colours.

Each test uses a language no other test renders, so its lexer is not loaded yet in this process.
"""

from __future__ import annotations

import time

from kibitz.core.render import IncrementalRenderer, MarkdownRenderer, RenderedBlock

HANG_GUARD_S = 60.0  # only stops a broken load from hanging the run; not a speed limit


def code_blocks(blocks: list[RenderedBlock]) -> list[RenderedBlock]:
    return [block for block in blocks if block.code is not None]


def coloured(block: RenderedBlock) -> bool:
    return "<span" in block.html


def test_a_new_language_streams_plain_then_coloured() -> None:
    text = "The program:\n\n```fortran\nprogram hello\n  print *, 'Hello'\nend program hello\n"
    stream = IncrementalRenderer(MarkdownRenderer())

    first = code_blocks(stream.update(text).tail)
    assert len(first) == 1
    assert not coloured(first[0])
    assert first[0].colours_later
    assert stream.colours_later
    whole = code_blocks(MarkdownRenderer().render(text))  # waits for the lexer
    assert first[0].code == whole[0].code

    deadline = time.monotonic() + HANG_GUARD_S
    tail = first
    while stream.colours_later and time.monotonic() < deadline:
        time.sleep(0.01)
        tail = code_blocks(stream.update(text).tail)  # the same text: rendered again anyway
    assert not stream.colours_later
    assert coloured(tail[0])
    assert tail[0].html == whole[0].html
    assert not tail[0].colours_later


def test_an_ended_reply_settles_with_its_colours() -> None:
    text = "Here:\n\n```erlang\n-module(hello).\n-export([world/0]).\nworld() -> ok.\n"
    stream = IncrementalRenderer(MarkdownRenderer())
    assert not coloured(code_blocks(stream.update(text).tail)[0])

    settled = stream.settle()

    assert settled is not None
    assert not settled.new_blocks
    assert not settled.restarted
    assert code_blocks(settled.tail) == code_blocks(MarkdownRenderer().render(text))
    assert coloured(code_blocks(settled.tail)[0])
    assert not stream.colours_later
    assert stream.settle() is None  # nothing left to colour


def test_a_finished_block_waits_for_its_colours() -> None:
    text = "```prolog\nparent(tom, bob).\nancestor(X, Y) :- parent(X, Y).\n```\n\nDone.\n\nMore"
    stream = IncrementalRenderer(MarkdownRenderer())

    update = stream.update(text)

    finished = code_blocks(update.new_blocks)
    assert len(finished) == 1
    assert coloured(finished[0])
    assert not finished[0].colours_later
    assert finished == code_blocks(MarkdownRenderer().render(text))


def test_an_unknown_language_is_plain_for_good() -> None:
    # Whether Pygments knows a name is learnt by trying to load it, in the background too.
    text = "```no-such-language-here\nsome words\n"
    stream = IncrementalRenderer(MarkdownRenderer())
    assert not coloured(code_blocks(stream.update(text).tail)[0])

    settled = stream.settle()

    assert settled is not None
    tail = code_blocks(settled.tail)
    assert not coloured(tail[0])
    assert not tail[0].colours_later
    assert stream.settle() is None
    assert not code_blocks(stream.update(text + "more\n").tail)[0].colours_later
