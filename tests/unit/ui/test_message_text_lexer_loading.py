"""A streamed reply ending in code of a language not used before: the view shows it plain while
the lexer loads (the stream never waits for it), and with its colours once the stream ends."""

from __future__ import annotations

import re

from pytestqt.qtbot import QtBot

from kibitz.ui.views.message_text import MessageTextView

# A language no other test renders, so its lexer is not loaded yet in this process.
TEXT = (
    "In Ada:\n\n```ada\nwith Ada.Text_IO; use Ada.Text_IO;\nprocedure Hello is\nbegin\n"
    '   Put_Line ("Hello");\nend Hello;\n'
)
_COLOUR = re.compile(r"color:(#[0-9a-fA-F]{6})")


def colours(view: MessageTextView) -> set[str]:
    return set(_COLOUR.findall(view.document().toHtml()))


def test_code_in_a_new_language_is_coloured_when_the_stream_ends(qtbot: QtBot) -> None:
    view = MessageTextView()
    qtbot.addWidget(view)
    view.set_layout_width(700)
    view.begin_stream(dark=False)

    view.stream_text(TEXT)
    plain = colours(view)
    assert "procedure Hello" in view.document().toPlainText()

    view.end_stream()

    assert len(colours(view)) >= len(plain) + 2  # keywords and strings got colours of their own
    assert "procedure Hello" in view.document().toPlainText()
    settled = view.document().toHtml()
    at_once = MessageTextView()
    qtbot.addWidget(at_once)
    at_once.set_layout_width(700)
    at_once.set_markdown(TEXT, dark=False)
    assert colours(at_once) == colours(view)
    assert settled == view.document().toHtml()
