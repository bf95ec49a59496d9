"""Screenshots of math in replies (a physics derivation, matrices, a broken formula), light and
dark, for review; and the real path from Markdown: formulas drawn, or text with math off.

Saved to $KIBITZ_TEST_SCREENSHOTS as math-{physics,matrix,broken}-{light,dark}.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QFont, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.support.screenshots import shots_dir

from kibitz.core.store import Store
from kibitz.core.types import Role
from kibitz.ui.math.document_math import FORMULAS
from kibitz.ui.style import dark_palette
from kibitz.ui.views.chat_view import REPAINT_MS, ChatView
from kibitz.ui.views.message_html import set_math_enabled
from kibitz.ui.views.message_text import MessageTextView

PHYSICS = r"""A particle of mass $m$ in a potential $V(x) = \frac{1}{2} m \omega^2 x^2$ obeys
Newton's law $\vec{F} = m\vec{a}$, with $\vec{F} = -\nabla V$. Its energy is conserved:

$$E = \frac{p^2}{2m} + \frac{1}{2} m \omega^2 x^2 = \hbar\omega\left(n + \frac{1}{2}\right)$$

The partition function sums over the levels $n = 0, 1, 2, \dots$ with $\beta = 1/k_B T$:

$$Z = \sum_{n=0}^{\infty} e^{-\beta \hbar \omega (n + 1/2)} = \frac{1}{2\sinh(\beta\hbar\omega/2)}$$

and the Gaussian integral $\int_{-\infty}^{\infty} e^{-\alpha x^2}\,dx = \sqrt{\pi/\alpha}$ gives
the classical limit. For $\alpha, \beta \in \mathbb{R}^+$ the ground state
$\hat{H}\psi_0 = \frac{1}{2}\hbar\omega\,\psi_0$ is Gaussian too."""

MATRIX = r"""Rotating by $\theta$ in the plane is multiplying by

$$R(\theta) = \begin{pmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta \end{pmatrix}$$

and the identity is $\begin{bmatrix} 1 & 0 \\ 0 & 1 \end{bmatrix}$. A piecewise function:

$$|x| = \begin{cases} x & \text{if } x \ge 0 \\ -x & \text{otherwise} \end{cases}$$"""

BROKEN = r"""Here the model wrote $\frac{a}{b}$ fine, then $\foo{x} + 1$ with a command no
renderer knows, and a display formula that never closes its brace:

$$\sqrt{x^2 + \frac{1}{2}$$

The text around them is unharmed."""


def _view(qtbot: QtBot, store: Store, text: str) -> ChatView:
    conv = store.create_conversation("Math")
    question = store.add_message(conv.id, None, Role.USER, r"Explain, with $\LaTeX$ please.")
    store.add_message(conv.id, question.id, Role.ASSISTANT, text, model="gpt-4o")
    view = ChatView(store)
    qtbot.addWidget(view)
    view.resize(820, 700)
    view.show()
    qtbot.waitExposed(view)
    view.show_conversation(conv.id)
    return view


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
@pytest.mark.parametrize(("name", "text"), [("physics", PHYSICS), ("matrix", MATRIX)])
def test_screenshots_of_math_in_a_reply(
    qtbot: QtBot, store: Store, tmp_path: Path, scheme: str, name: str, text: str
) -> None:
    view = _view(qtbot, store, text)
    reply = view.message_widgets()[-1].text_view
    qtbot.wait(REPAINT_MS * 2)
    assert reply.refused_resources == []
    assert not reply.math.strips.strips
    path = shots_dir(tmp_path) / f"math-{name}-{scheme}.png"
    assert view.grab().save(str(path))
    assert reply.toPlainText().count("\ufffc") == text.count("$") // 2 - text.count("$$") // 2


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_screenshot_of_broken_formulas(
    qtbot: QtBot, store: Store, tmp_path: Path, scheme: str
) -> None:
    view = _view(qtbot, store, BROKEN)
    reply = view.message_widgets()[-1].text_view
    qtbot.wait(REPAINT_MS * 2)
    assert view.grab().save(str(shots_dir(tmp_path) / f"math-broken-{scheme}.png"))
    text = reply.toPlainText()
    assert "unharmed" in text
    errors = {
        reply.math.error_for(reply.math.formula_at(at) or "")
        for at in range(len(text))
        if text[at] == "\ufffc"
    }
    assert r"Unknown command \foo" in errors
    assert None in errors  # \frac{a}{b} drew


def test_math_off_shows_the_formulas_as_text(qtbot: QtBot) -> None:
    view = MessageTextView()
    qtbot.addWidget(view)
    view.set_layout_width(600)
    try:
        assert set_math_enabled(False)
        view.set_markdown(r"Mass-energy: $E = mc^2$.", dark=False)
        assert view.toPlainText() == "Mass-energy: $E = mc^2$."
    finally:
        set_math_enabled(True)
    view.set_markdown(r"Mass-energy: $E = mc^2$.", dark=False)
    assert view.toPlainText() == "Mass-energy: \ufffc."
    app = QApplication.instance()
    assert app is not None
    cursor = view.textCursor()
    cursor.select(cursor.SelectionType.Document)
    view.setTextCursor(cursor)
    assert view.createMimeDataFromSelection().text() == "Mass-energy: $E = mc^2$."


def test_a_streamed_reply_draws_each_formula_once(qtbot: QtBot) -> None:
    view = MessageTextView()
    qtbot.addWidget(view)
    view.set_layout_width(600)
    FORMULAS.clear()
    before = FORMULAS.renders
    view.begin_stream(dark=False)
    for end in range(10, len(PHYSICS), 25):
        view.stream_text(PHYSICS[:end])
    view.stream_text(PHYSICS)
    view.end_stream()
    assert view.refused_resources == []
    shown = view.toPlainText().count("\ufffc")
    assert shown == PHYSICS.count("$") // 2 - PHYSICS.count("$$") // 2
    # Re-inserting the open tail on every repaint draws nothing again.
    assert FORMULAS.renders - before <= shown


def _first_formula(view: MessageTextView) -> QImage:
    name = next(
        view.math.formula_at(at) for at, c in enumerate(view.toPlainText()) if c == "\ufffc"
    )
    assert name is not None
    image = view.document().resource(QTextDocument.ResourceType.ImageResource.value, QUrl(name))
    assert isinstance(image, QImage)
    return image


def _ink(view: MessageTextView) -> QColor:
    """The colour of the first opaque pixel of the reply's first formula."""
    image = _first_formula(view)
    solid = [
        image.pixelColor(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert solid
    return solid[0]


def test_a_theme_switch_and_zoom_redraw_the_formulas(qtbot: QtBot, store: Store) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QPalette(app.palette())
    view = _view(qtbot, store, MATRIX)
    reply = view.message_widgets()[-1].text_view
    qtbot.waitUntil(lambda: reply.math.pending == 0)
    assert _ink(reply).lightness() < 100
    try:
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: _ink(reply).lightness() > 150)
    finally:
        app.setPalette(before)
    qtbot.waitUntil(lambda: _ink(reply).lightness() < 100)
    height = _first_formula(reply).height()
    font = QFont(view.font())
    font.setPointSize(font.pointSize() * 2)
    view.setFont(font)  # Ctrl+= sets the chat's font (ConversationZoom, MainWindow)
    qtbot.waitUntil(lambda: reply.math.pending == 0)
    assert _first_formula(reply).height() > 1.6 * height
