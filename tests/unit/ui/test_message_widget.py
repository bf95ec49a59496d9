"""MessageWidget: rendered Markdown, copy, footer, actions, errors and hostile content."""

from __future__ import annotations

import http.server
import re
import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextCursor
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from kibitz.core.errors import (
    Action,
    AuthError,
    BadRequestError,
    CancelledByUserError,
    ContextTooLongError,
    QuotaExceededError,
)
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, Message, MessageStatus, Role, TextPart, Usage
from kibitz.ui.views.message_html import BREAK, BREAK_EVERY
from kibitz.ui.views.message_text import MessageTextView
from kibitz.ui.views.message_widget import MessageWidget

CODE = 'def greet(name):\n    return f"Hello, {name}!"\n\nprint(greet("world"))'
MARKDOWN = f"""Here is a **function**:

```python
{CODE}
```

| Language | Typing |
| --- | --- |
| Python | dynamic |
| Rust | static |

And a [link](https://example.com/docs).
"""


def _message(store: Store, role: Role, content: str, **fields: object) -> Message:
    conv = store.create_conversation("Widget")
    parent = None
    if role is Role.ASSISTANT:
        parent = store.add_message(conv.id, None, Role.USER, "question").id
    return store.add_message(ConversationId(conv.id), parent, role, content, **fields)  # type: ignore[arg-type]


def _widget(qtbot: QtBot, message: Message, sibling: tuple[int, int] = (0, 1)) -> MessageWidget:
    widget = MessageWidget(message, sibling, width=640)
    qtbot.addWidget(widget)
    widget.resize(640, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _anchor_point(view: MessageTextView, href: str) -> QPoint:
    """Where the link to `href` is drawn, in viewport coordinates."""
    doc = view.document()
    cursor = QTextCursor(doc)
    inside: list[int] = []
    for position in range(1, doc.characterCount()):
        cursor.setPosition(position)  # charFormat() is that of the character before
        if cursor.charFormat().anchorHref() == href:
            inside.append(position - 1)
        elif inside:
            break
    assert inside, f"no link to {href}"
    cursor.setPosition((inside[0] + inside[-1] + 1) // 2)
    return view.cursorRect(cursor).center()


def _button(widget: MessageWidget, name: str) -> QAbstractButton:
    buttons = [b for b in widget.findChildren(QAbstractButton) if b.accessibleName() == name]
    assert len(buttons) == 1, f"expected one {name!r} button"
    return buttons[0]


class _UrlSink(QObject):
    """Receives what QDesktopServices.openUrl would hand the system browser."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened_urls() -> Iterator[list[str]]:
    sink = _UrlSink()
    schemes = ("http", "https", "mailto", "javascript", "file", "data")
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, sink, "open")  # str: PySide rejects bytes
    yield sink.urls
    for scheme in schemes:
        QDesktopServices.unsetUrlHandler(scheme)


def test_markdown_shows_code_and_table_cells(qtbot: QtBot, store: Store) -> None:
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, MARKDOWN, model="gpt-4o"))
    text = widget.plain_text()
    for line in CODE.splitlines():
        assert line in text
    for cell in ("Language", "Typing", "Python", "dynamic", "Rust", "static"):
        assert cell in text
    assert "**" not in text  # rendered, not shown as Markdown source
    assert widget.text_view.verticalScrollBar().maximum() == 0  # as tall as its text


def test_code_copy_link_puts_the_exact_code_on_the_clipboard(qtbot: QtBot, store: Store) -> None:
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, MARKDOWN))
    QGuiApplication.clipboard().clear()
    view = widget.text_view
    point = _anchor_point(view, "kibitz:copy/0")
    with qtbot.waitSignal(widget.copy_done) as copied:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert QGuiApplication.clipboard().text() == CODE
    assert copied.args == ["Code copied"]


def test_copy_button_copies_the_raw_markdown(qtbot: QtBot, store: Store) -> None:
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, MARKDOWN))
    with qtbot.waitSignal(widget.copy_done):
        qtbot.mouseClick(_button(widget, "Copy message"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == MARKDOWN


def test_user_and_assistant_turns_look_different(qtbot: QtBot, store: Store) -> None:
    user = _widget(qtbot, _message(store, Role.USER, "Short *question*"))
    reply = _widget(qtbot, _message(store, Role.ASSISTANT, "An answer", model="gpt-4o"))
    assert (user.objectName(), user.property("role")) == ("userMessage", "user")
    assert (reply.objectName(), reply.property("role")) == ("assistantMessage", "assistant")
    # The user's words render their Markdown, in a bubble on the right that fits the text.
    assert user.plain_text() == "Short question"
    bubble = user.text_view.parentWidget()
    assert bubble.geometry().right() >= user.width() - 2
    assert bubble.width() < user.width() / 2
    assert reply.header_text() == "Assistant · gpt-4o"
    assert _button(user, "Edit message").isVisible()
    assert not _button(user, "Regenerate reply").isVisible()
    assert _button(reply, "Regenerate reply").isVisible()
    assert not _button(reply, "Edit message").isVisible()


def test_footer_shows_usage_and_finish_reason(qtbot: QtBot, store: Store) -> None:
    stop = _widget(
        qtbot,
        _message(
            store, Role.ASSISTANT, "Done.", model="m", usage=Usage(1200, 34, 1234),
            finish_reason="stop",
        ),
    )  # fmt: skip
    assert stop.footer_text() == "1,200 → 34 tokens"
    tools = _widget(qtbot, _message(store, Role.ASSISTANT, "Calling.", finish_reason="tool_calls"))
    assert "Finished: tool_calls" in tools.footer_text()


def test_length_offers_continue(qtbot: QtBot, store: Store) -> None:
    message = _message(
        store, Role.ASSISTANT, "Cut", status=MessageStatus.LENGTH, finish_reason="length"
    )
    widget = _widget(qtbot, message)
    assert "token limit" in widget.footer_text()
    button = _button(widget, "Continue reply")
    assert button.isVisible()
    with qtbot.waitSignal(widget.continue_requested) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [message.id]


def test_content_filter_and_stop_are_explained(qtbot: QtBot, store: Store) -> None:
    filtered = _widget(
        qtbot,
        _message(
            store, Role.ASSISTANT, "", status=MessageStatus.CONTENT_FILTER,
            finish_reason="content_filter",
        ),
    )  # fmt: skip
    assert "content filter" in filtered.footer_text()
    assert not _button(filtered, "Continue reply").isVisible()
    stopped = _widget(
        qtbot,
        _message(
            store, Role.ASSISTANT, "Part", status=MessageStatus.INTERRUPTED,
            error="cancelled: Stopped",
        ),
    )  # fmt: skip
    assert "Stopped" in stopped.footer_text()
    assert not stopped.error_card.isVisible()


def test_regenerate_and_edit_emit_the_message_id(qtbot: QtBot, store: Store) -> None:
    reply = _message(store, Role.ASSISTANT, "Answer")
    user = _message(store, Role.USER, "Question")
    reply_widget, user_widget = _widget(qtbot, reply), _widget(qtbot, user)
    with qtbot.waitSignal(reply_widget.regenerate_requested) as regen:
        qtbot.mouseClick(_button(reply_widget, "Regenerate reply"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(user_widget.edit_requested) as edit:
        qtbot.mouseClick(_button(user_widget, "Edit message"), Qt.MouseButton.LeftButton)
    assert (regen.args, edit.args) == ([reply.id], [user.id])


def test_stored_error_shows_headline_hint_and_its_action(qtbot: QtBot, store: Store) -> None:
    message = _message(
        store, Role.ASSISTANT, "", status=MessageStatus.ERROR,
        error="auth: The server refused the API key",
    )  # fmt: skip
    widget = _widget(qtbot, message)
    card = widget.error_card
    assert card.isVisible()
    assert card.headline == "The server refused the API key"
    assert card.hint == AuthError.default_hint  # what to do, from the error tree
    assert card.action_text == "Set API key"
    with qtbot.waitSignal(widget.error_action_requested) as asked:
        qtbot.mouseClick(_button(widget, "Error action"), Qt.MouseButton.LeftButton)
    assert asked.args == [message.id, Action.SET_KEY]
    assert type(asked.args[1]) is Action  # the Action itself, not a label or a string


def test_interrupted_with_an_error_offers_retry(qtbot: QtBot, store: Store) -> None:
    message = _message(
        store, Role.ASSISTANT, "Half a reply", status=MessageStatus.INTERRUPTED,
        error="stream_interrupted: The connection dropped in the middle of the reply",
    )  # fmt: skip
    widget = _widget(qtbot, message)
    assert "Half a reply" in widget.plain_text()
    assert widget.error_card.headline.startswith("The connection dropped")
    assert widget.error_card.action_text == "Retry"


def test_show_error_takes_the_typed_error_and_emits_its_action(qtbot: QtBot, store: Store) -> None:
    message = _message(store, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    widget = _widget(qtbot, message)
    widget.show_error(ContextTooLongError("34,000 tokens"))
    card = widget.error_card
    assert card.headline == ContextTooLongError.default_headline
    assert card.hint == ContextTooLongError.default_hint
    assert card.action_text == "Trim history"
    with qtbot.waitSignal(widget.error_action_requested) as asked:
        qtbot.mouseClick(_button(widget, "Error action"), Qt.MouseButton.LeftButton)
    assert asked.args == [message.id, Action.TRIM_HISTORY]
    # A hint of its own (the parameter a server refused) is shown as the error gives it.
    widget.show_error(BadRequestError("unsupported", param="temperature"))
    assert "temperature" in card.hint
    assert card.action_text == "Open settings"
    widget.show_error(QuotaExceededError())
    assert card.headline == "The account has run out of credit"
    assert card.action_text == ""  # nothing to do here: no button


def test_a_typed_error_outlives_updates_and_a_stored_one_shows_after_a_reload(
    qtbot: QtBot, store: Store
) -> None:
    error = BadRequestError("unsupported", param="temperature")
    message = _message(store, Role.ASSISTANT, "", status=MessageStatus.ERROR, error=error.summary())
    widget = _widget(qtbot, message)
    widget.show_error(error)
    widget.set_message(message, (0, 2))  # a later update (versions, usage) keeps its hint
    assert "temperature" in widget.error_card.hint
    reloaded = _widget(qtbot, store.get_message(message.id))
    # After a reload only "code: headline" is stored: the error tree's hint and action.
    assert reloaded.error_card.headline == BadRequestError.default_headline
    assert reloaded.error_card.hint == BadRequestError.default_hint
    assert reloaded.error_card.action_text == "Open settings"


def test_a_stop_is_no_error(qtbot: QtBot, store: Store) -> None:
    message = _message(store, Role.ASSISTANT, "Half", status=MessageStatus.INTERRUPTED)
    widget = _widget(qtbot, message)
    widget.show_error(CancelledByUserError())
    assert not widget.error_card.isVisibleTo(widget)


def test_a_retry_pause_counts_down_and_ends_when_text_arrives(qtbot: QtBot, store: Store) -> None:
    message = _message(store, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    widget = _widget(qtbot, message)
    widget.show_retry_countdown(2.2, "The server is rate-limiting requests")
    card = widget.error_card
    assert card.waiting
    assert card.headline == "The server is rate-limiting requests"
    assert card.action_text == ""  # a pause, nothing for the user to do
    assert card.countdown_text == "Retrying in 3 s…"
    qtbot.waitUntil(lambda: card.countdown_text == "Retrying in 2 s…", timeout=10_000)
    widget.stream_text("Here it comes")
    assert not card.isVisibleTo(widget)


def test_sibling_navigation_steps(qtbot: QtBot, store: Store) -> None:
    message = _message(store, Role.ASSISTANT, "Second try")
    widget = _widget(qtbot, message, (1, 3))
    assert "2/3" in widget.footer_text()
    with qtbot.waitSignal(widget.sibling_step_requested) as back:
        qtbot.mouseClick(_button(widget, "Previous version"), Qt.MouseButton.LeftButton)
    assert back.args == [message.id, -1]
    lone = _widget(qtbot, _message(store, Role.ASSISTANT, "Only one"))
    assert not _button(lone, "Next version").isVisible()


def test_streamed_text_ends_like_a_full_render(qtbot: QtBot, store: Store) -> None:
    message = _message(store, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    widget = _widget(qtbot, message)
    renders: list[int] = []
    widget.text_rendered.connect(lambda: renders.append(1))
    for end in range(0, len(MARKDOWN) + 7, 7):
        widget.stream_text(MARKDOWN[:end])
    widget.finish(
        Message(
            **{**_fields(message), "parts": (TextPart(MARKDOWN),), "status": MessageStatus.COMPLETE}
        )
    )
    full = _widget(qtbot, _message(store, Role.ASSISTANT, MARKDOWN))
    assert widget.plain_text() == full.plain_text()
    assert len(renders) >= len(MARKDOWN) // 7
    assert widget.text_view.codes == [CODE]


def _fields(message: Message) -> dict[str, object]:
    return {name: getattr(message, name) for name in message.__slots__}


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared on purpose: the test reads it

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tracker() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that counts every request it gets."""
    _CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.hits
    server.shutdown()
    server.server_close()
    thread.join()


def _anchors(view: MessageTextView) -> set[str]:
    doc = view.document()
    cursor = QTextCursor(doc)
    found: set[str] = set()
    for position in range(1, doc.characterCount()):
        cursor.setPosition(position)
        if cursor.charFormat().isAnchor():
            found.add(cursor.charFormat().anchorHref())
    return found


def test_hostile_markdown_shows_as_text_and_fetches_nothing(
    qtbot: QtBot, store: Store, tracker: tuple[str, list[str]], opened_urls: list[str]
) -> None:
    base, hits = tracker
    hostile = (
        "Before <script>alert('x')</script> middle\n\n"
        f'<img src="{base}/onerror.png" onerror="alert(1)">\n\n'
        f"![secret]({base}/leak?data=SECRET)\n\n"
        "[click me](javascript:alert(document.cookie)) after"
    )
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, hostile))
    widget.grab()  # painted: an image would have been fetched by now
    text = widget.plain_text()
    assert "<script>alert('x')</script>" in text
    assert 'onerror="alert(1)"' in text
    assert "click me" in text
    anchors = _anchors(widget.text_view)
    assert not any(href.lower().startswith("javascript") for href in anchors)
    qtbot.wait(100)
    assert hits == []
    assert opened_urls == []


def test_the_view_itself_refuses_remote_images_and_odd_links(
    qtbot: QtBot, tracker: tuple[str, list[str]], opened_urls: list[str]
) -> None:
    """Defence in depth: even HTML that skipped the sanitizer loads and opens nothing."""
    base, hits = tracker
    view = MessageTextView()
    qtbot.addWidget(view)
    view.set_layout_width(400)
    view.document().setHtml(
        f'<p><img src="{base}/pixel.png" width="20" height="20"> '
        '<a href="javascript:alert(1)">script link</a> '
        '<a href="file:///etc/passwd">file link</a></p>'
    )
    view.show()
    qtbot.waitExposed(view)
    view.grab()
    for href in ("javascript:alert(1)", "file:///etc/passwd"):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_anchor_point(view, href))
    qtbot.wait(100)
    assert hits == []
    assert opened_urls == []
    assert QUrl(f"{base}/pixel.png") in view.refused_resources


def test_links_open_only_on_click_and_only_for_web_and_mail(
    qtbot: QtBot, store: Store, opened_urls: list[str]
) -> None:
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, MARKDOWN))
    assert opened_urls == []
    view = widget.text_view
    with qtbot.waitSignal(widget.link_activated) as activated:
        point = _anchor_point(view, "https://example.com/docs")
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert opened_urls == ["https://example.com/docs"]
    assert activated.args is not None
    assert activated.args[0] == QUrl("https://example.com/docs")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a 2 MB line without spaces", "x" * 2_000_000),
        ("a 200 KB code block", "```python\n" + "value = compute(1)  # note\n" * 7_700 + "```\n"),
    ],
)
def test_huge_content_shows_without_freezing(
    qtbot: QtBot, store: Store, name: str, content: str
) -> None:
    started = time.perf_counter()
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, content))
    widget.grab()
    elapsed = time.perf_counter() - started
    # About 0.5 s; before long lines got break opportunities and code lines could wrap, the
    # 2 MB line took 52 s and the code block over two minutes. The time is only a guard against
    # a hang here (bench_chat_view.py times it); what keeps the layout linear is checked below.
    assert elapsed < 60, f"{name} took {elapsed:.1f} s"
    doc = widget.text_view.document()
    assert doc.idealWidth() <= widget.text_view.lineWrapColumnOrWidth() + 1  # wrapped
    # Qt lays out a run without a break opportunity in time quadratic in its length.
    runs = re.split(rf"[\s{BREAK}]", doc.toPlainText())
    assert max(map(len, runs)) <= BREAK_EVERY
    # Laid out once at the bubble's width, not a letter per line: at most a line for every 20
    # characters (about 80 fit), and a code line is one line.
    lines = 0
    block = doc.begin()
    while block.isValid():
        lines += block.layout().lineCount()
        block = block.next()
    assert lines <= len(content) / 20
    if content.startswith("```"):
        code = content[len("```python\n") : -len("\n```\n")]
        assert widget.text_view.codes == [code]
        assert lines < code.count("\n") + 10


def test_selected_text_copies_without_added_break_marks(qtbot: QtBot, store: Store) -> None:
    line = "y" * 1_000
    widget = _widget(qtbot, _message(store, Role.ASSISTANT, f"Look: {line} end"))
    view = widget.text_view
    view.selectAll()
    view.copy()
    assert QGuiApplication.clipboard().text() == f"Look: {line} end"
