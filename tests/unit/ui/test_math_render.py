"""Formulas in a message view: drawn at the text's size and colour, standing on its baseline,
drawn again on zoom and a theme switch; broken TeX shows its source with the error as a
tooltip; pathological TeX is refused; Copy gives the source; a wide formula scrolls."""

from __future__ import annotations

import html

import pytest
from PySide6.QtCore import QEvent, QPoint, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QImage,
    QPalette,
    QTextCursor,
    QTextDocument,
    QTextLine,
)
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from kibitz.core.render.math_spans import MathSpan, math_url
from kibitz.ui.math import MAX_TEX_CHARS, FormulaStyle, refusal_reason, render_formula
from kibitz.ui.math.document_math import FORMULAS
from kibitz.ui.math.formula_image import MAX_PIXELS, MAX_SIDE_PX
from kibitz.ui.views.message_text import MessageTextView

WIDTH = 600


def formula(raw: str, tex: str, *, display: bool = False) -> str:
    """The HTML the Markdown renderer emits for a formula (math_spans' contract)."""
    url = math_url(MathSpan(raw, tex, display))
    img = f'<img src="{url}" align="middle" alt="{html.escape(raw)}">'
    return f'<p align="center">{img}</p>' if display else img


def inline(tex: str) -> str:
    return formula(f"${tex}$", tex)


def shown(qtbot: QtBot, body: str, width: int = WIDTH) -> MessageTextView:
    view = MessageTextView()
    qtbot.addWidget(view)
    view.set_layout_width(width)
    view.document().setHtml(body)
    view.resize(width, 10)
    view.show()
    qtbot.waitExposed(view)
    view.resize(width, view.sizeHint().height())
    return view


def picture(view: MessageTextView, tex: str, *, display: bool = False) -> QImage:
    raw = f"$${tex}$$" if display else f"${tex}$"
    url = QUrl(math_url(MathSpan(raw, tex, display)))
    resource = view.document().resource(QTextDocument.ResourceType.ImageResource.value, url)
    assert isinstance(resource, QImage)
    assert not resource.isNull()
    return resource


def cursor_x(line: QTextLine, position: int) -> float:
    x: tuple[float, int] = line.cursorToX(position)  # type: ignore[assignment]
    return x[0]


def ink_rows(image: QImage, x0: int, x1: int, background: QColor) -> list[int]:
    """Rows where some pixel between x0 and x1 differs clearly from the background."""
    rows = []
    for y in range(image.height()):
        for x in range(max(0, x0), min(image.width(), x1)):
            c = image.pixelColor(x, y)
            if abs(c.lightness() - background.lightness()) > 90:
                rows.append(y)
                break
    return rows


def test_a_formula_is_drawn_at_the_size_of_the_text_and_again_on_zoom(qtbot: QtBot) -> None:
    view = shown(qtbot, f"<p>Energy {inline('E = mc^2')} and more words.</p>")
    assert view.refused_resources == []
    image = picture(view, "E = mc^2")
    line_height = view.fontMetrics().height()
    small = image.deviceIndependentSize()
    assert 0.8 * line_height <= small.height() <= 2.5 * line_height
    renders = FORMULAS.renders
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    view.setFont(font)  # what the conversation zoom does to the chat's font
    big = picture(view, "E = mc^2").deviceIndependentSize()
    assert FORMULAS.renders == renders + 1
    assert big.height() == pytest.approx(2 * small.height(), rel=0.2)
    assert big.width() == pytest.approx(2 * small.width(), rel=0.2)


def test_a_formula_stands_on_the_baseline_of_the_text_around_it(qtbot: QtBot) -> None:
    # "x" has no descender in the text font nor in the math font: their lowest ink rows are
    # the baseline, give or take antialiasing.
    view = shown(qtbot, f"<p>xxxxx {inline('x')} xxxxx {inline('xx')} xxxxx</p>")
    shot = view.viewport().grab().toImage()
    background = view.palette().color(QPalette.ColorRole.Base)
    line = view.document().begin().layout().lineAt(0)
    text = view.document().toPlainText()
    first, second = text.index("\ufffc"), text.rindex("\ufffc")
    scale = shot.devicePixelRatio()

    def x_of(position: int) -> int:
        return round(cursor_x(line, position) * scale)

    text_rows = ink_rows(shot, x_of(0), x_of(5), background)
    for at in (first, second):
        width = picture(view, "x" if at == first else "xx").width()
        math_rows = ink_rows(shot, x_of(at) + 1, x_of(at) + width - 1, background)
        assert math_rows, "the formula drew nothing"
        assert abs(math_rows[-1] - text_rows[-1]) <= 1 * scale
    # And the layout agrees with the padding: Qt's middle alignment puts the picture's row
    # (h + xHeight/2) / 2 on the baseline.
    assert line.ascent() >= view.fontMetrics().ascent()


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_a_formula_takes_the_text_colour_of_the_scheme(qtbot: QtBot, scheme: str) -> None:
    view = shown(qtbot, "<p>" + inline(r"\mathbb{R}") + "</p>")
    text = view.palette().color(QPalette.ColorRole.Text)
    image = picture(view, r"\mathbb{R}")
    inked = [
        image.pixelColor(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert inked
    assert all(abs(c.lightness() - text.lightness()) < 20 for c in inked)
    # The other scheme: the same formula is drawn again in that scheme's text colour.
    other = QPalette(view.palette())
    flipped = QColor(255 - text.red(), 255 - text.green(), 255 - text.blue())
    other.setColor(QPalette.ColorRole.Text, flipped)
    view.setPalette(other)
    image = picture(view, r"\mathbb{R}")
    solid = [image.pixelColor(x, y) for y in range(image.height()) for x in range(image.width())]
    assert any(c.alpha() > 200 and abs(c.lightness() - flipped.lightness()) < 20 for c in solid)


def test_broken_tex_shows_its_source_with_the_error_as_tooltip(qtbot: QtBot) -> None:
    unclosed = formula(r"\(\frac{a}{b\)", r"\frac{a}{b")
    body = "<p>Here " + inline(r"\foo{x}") + " and " + unclosed + ".</p>"
    view = shown(qtbot, body)
    url = math_url(MathSpan(r"$\foo{x}$", r"\foo{x}", False))
    assert view.math.error_for(url) == r"Unknown command \foo"
    assert view.refused_resources == []
    # Drawn as code: wider than the formula would be, as wide as its monospace source.
    assert picture(view, r"\foo{x}").deviceIndependentSize().width() > 5 * 6
    line = view.document().begin().layout().lineAt(0)
    at = view.document().toPlainText().index("\ufffc")
    point = QPoint(round(cursor_x(line, at)) + 4, round(line.y() + line.ascent()) - 3)
    event = QHelpEvent(QEvent.Type.ToolTip, point, view.mapToGlobal(point))
    QApplication.sendEvent(view.viewport(), event)
    assert QToolTip.text() == r"Unknown command \foo"
    unbalanced = math_url(MathSpan(r"\(\frac{a}{b\)", r"\frac{a}{b", False))
    assert "Unbalanced braces" in (view.math.error_for(unbalanced) or "")
    QToolTip.hideText()


def _style() -> FormulaStyle:
    return FormulaStyle(16.0, 8.0, 15.0, 4.0, "#202020", "#b45309", "monospace", 2.0)


@pytest.mark.parametrize(
    ("tex", "reason"),
    [
        ("x+" * MAX_TEX_CHARS, "too long"),
        ("{" * 500 + "x" + "}" * 500, "nested too deeply"),
        (r"\begin{pmatrix}" + ("&".join("1" * 30) + r"\\") * 30 + r"\end{pmatrix}", "Matrix"),
    ],
)
def test_pathological_tex_is_refused_before_rendering(
    qapp: QApplication, tex: str, reason: str
) -> None:
    assert reason in (refusal_reason(tex) or "")
    drawn = render_formula(tex, f"$${tex}$$", True, _style())
    assert drawn.error is not None
    assert reason in drawn.error
    size = drawn.image.deviceIndependentSize()
    assert size.width() <= MAX_SIDE_PX
    assert size.height() < 100


def test_a_render_is_bounded_in_size(qapp: QApplication) -> None:
    tall = r"\begin{matrix}" + r"x \\ " * 150 + r"\end{matrix}"
    assert refusal_reason(tall) is None
    big = FormulaStyle(60.0, 30, 55, 15, "#000", "#f00", "", 1)
    drawn = render_formula(tall, f"$${tall}$$", True, big)
    assert drawn.error is not None
    assert "too large" in drawn.error
    # Within either side's limit, but too many pixels on a 3x screen.
    wide = r"\begin{matrix}" + r"x \\ " * 30 + r"\end{matrix}" + " + x" * 60
    drawn = render_formula(
        wide, f"$${wide}$$", True, FormulaStyle(30, 15, 28, 8, "#000", "", "", 3)
    )
    assert drawn.error is not None
    assert "too large" in drawn.error
    assert drawn.image.width() * drawn.image.height() <= MAX_PIXELS


def test_copying_a_selection_gives_each_formula_as_written(qtbot: QtBot) -> None:
    body = (
        "<p>Since "
        + inline(r"\alpha + \beta")
        + " holds,</p>"
        + formula(r"\[ \int_0^1 x\,dx = \tfrac12 \]", r"\int_0^1 x\,dx = \tfrac12", display=True)
        + "<p>we are done.</p>"
    )
    view = shown(qtbot, body)
    cursor = QTextCursor(view.document())
    cursor.setPosition(2)
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    copied = view.createMimeDataFromSelection().text()
    assert copied == (
        "nce $\\alpha + \\beta$ holds,\n\\[ \\int_0^1 x\\,dx = \\tfrac12 \\]\nwe are done."
    )


def test_a_display_formula_wider_than_the_column_scrolls_sideways(qtbot: QtBot) -> None:
    tex = " + ".join(f"a_{{{i}}} x^{{{i}}}" for i in range(40))
    view = shown(qtbot, "<p>Sum:</p>" + formula(f"$${tex}$$", tex, display=True) + "<p>End</p>")
    assert view.sizeHint().width() == WIDTH
    assert view.document().idealWidth() <= WIDTH
    strips = view.math.strips.strips
    assert len(strips) == 1
    assert view.math.error_for(next(iter(strips))) is None  # drawn, not its source
    strip = next(iter(strips.values()))
    assert strip.isVisible()
    assert strip.width() <= WIDTH
    label = strip.widget()
    assert label is not None
    assert label.width() > 2 * WIDTH
    assert strip.horizontalScrollBar().maximum() == label.width() - strip.viewport().width()
    # Wider column: it fits, the strip goes.
    view.set_layout_width(8000)
    assert view.math.strips.strips == {}


def test_many_new_formulas_are_drawn_over_the_next_turns_of_the_loop(qtbot: QtBot) -> None:
    # Opening a reply with 40 formulas never seen: the text shows at once, with those drawn
    # within SYNC_BUDGET_S; the others hold a place and are drawn on the next turns of the loop.
    FORMULAS.clear()
    renders = FORMULAS.renders
    view = MessageTextView()
    qtbot.addWidget(view)
    view.set_layout_width(WIDTH)
    view.document().setHtml("<p>" + " and ".join(inline(f"y_{{{i}}} = {i}") for i in range(40)))
    view.document().size()  # lays it out: every picture is asked for
    first = FORMULAS.renders - renders
    assert 1 <= first < 40  # at least one a turn, never all 40 (~6 ms each) in one
    assert view.math.pending == 40 - first
    qtbot.waitUntil(lambda: view.math.pending == 0)
    assert FORMULAS.renders - renders == 40
    drawn = FORMULAS.peek((MathSpan("$y_{39} = 39$", "y_{39} = 39", False), view.math.style()))
    assert drawn is not None
    # The place held was replaced by the formula's own picture.
    assert picture(view, "y_{39} = 39").size() == drawn.image.size()
