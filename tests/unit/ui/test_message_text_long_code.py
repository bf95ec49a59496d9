"""A long code block streamed into a message grows by appending, and shows what rendering the
whole text at once shows."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kibitz.core.render.code_html import MAX_HIGHLIGHT_CHARS
from kibitz.ui.views.message_html import BREAK
from kibitz.ui.views.message_text import MessageTextView

LINE = "    total = compute(alpha, beta, gamma) + offset  # keep the running sum\n"
OPEN = "Here is the file:\n\n```python\n"


def shown(view: MessageTextView) -> str:
    return view.document().toPlainText().replace(BREAK, "")


def view(qtbot: QtBot) -> MessageTextView:
    made = MessageTextView()
    qtbot.addWidget(made)
    made.set_layout_width(700)
    return made


def test_a_long_open_code_block_is_appended_to(qtbot: QtBot) -> None:
    text = OPEN + LINE * 1200  # ~90 KB of code
    assert len(text) > 2 * MAX_HIGHLIGHT_CHARS
    streamed = view(qtbot)
    streamed.begin_stream(dark=False)
    ends = [*range(1_000, len(text), 997), text.index(LINE * 600) + len(LINE * 600), len(text)]
    for end in sorted(ends):  # cuts mid-line, mid-word and right after a newline
        streamed.stream_text(text[:end])
    assert streamed.code_appends > 40
    at_once = view(qtbot)
    at_once.begin_stream(dark=False)
    at_once.stream_text(text)
    assert at_once.code_appends == 0
    assert shown(streamed) == shown(at_once)
    assert streamed.codes == at_once.codes == [(LINE * 1200).removesuffix("\n")]
    # The fence closes and a paragraph follows: the finished message is what it always was.
    final = text + "```\n\nThat is all."
    streamed.stream_text(final)
    streamed.end_stream()
    finished = view(qtbot)
    finished.set_markdown(final, dark=False)
    assert shown(streamed) == shown(finished)


def test_a_short_code_block_is_still_rendered_whole(qtbot: QtBot) -> None:
    # Under MAX_HIGHLIGHT_CHARS the block is highlighted, so each update renders it again.
    text = OPEN + LINE * 100
    streamed = view(qtbot)
    streamed.begin_stream(dark=False)
    for end in range(500, len(text), 500):
        streamed.stream_text(text[:end])
    streamed.stream_text(text)
    assert streamed.code_appends == 0
