"""MathResources: the formulas of one text view, drawn when its document asks for them.

The document caches each picture by URL; a new font (zoom), palette (theme) or screen makes
them all again from the shared FormulaCache and lays the text out anew. Copy turns each
formula picture back into its source with its delimiters.
"""

from __future__ import annotations

import time
from functools import lru_cache

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPalette,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QTextEdit

from kibitz.core.render.math_spans import MATH_SCHEME, MathSpan, span_from_url
from kibitz.ui.math.formula_image import FormulaImage, FormulaStyle, render_formula
from kibitz.ui.math.image_cache import FormulaCache
from kibitz.ui.math.wide_formulas import WideFormulaStrips, placeholder, scroll_bar_extent

# Shared by every view: a formula seen in one message is ready in the next.
FORMULAS = FormulaCache()
# New formulas are drawn in a turn of the event loop until this much time went on them (at
# least one a turn; ~6 ms each): a reply opened full of new formulas paints its text at about
# the cost of the text alone, and filling them in never holds the window for more than a frame.
SYNC_BUDGET_S = 0.004
# While a reply streams, the one or two formulas a repaint brings are drawn at once (a place
# held for a turn would flicker).
STREAMING_BUDGET_S = 0.016
_WARNING = {False: "#b45309", True: "#f59e0b"}  # amber, readable on light and dark
OBJECT = "\ufffc"  # the character standing for an inline image in a document


def url_key(url: QUrl | str) -> str:
    """One spelling of a formula's URL: the document's src and the URL Qt asks for agree."""
    return QUrl(url).toString(QUrl.ComponentFormattingOption.FullyEncoded)


def is_math_url(url: QUrl) -> bool:
    return url.scheme() == MATH_SCHEME


class MathResources:
    """Formulas already drawn (the shared cache) show at once; new ones are drawn for up to
    SYNC_BUDGET_S per turn of the event loop and the rest hold a clear place until drawn on
    the next turns, so opening a reply with 200 new formulas (~6 ms each) or zooming it shows
    the text at once instead of freezing for a second. A streamed reply brings one or two new
    formulas per repaint: drawn at once (STREAMING_BUDGET_S), nothing flickers."""

    def __init__(self, view: QTextEdit) -> None:
        self._view = view
        self._shown: dict[str, FormulaImage] = {}  # url -> its picture in this document
        self._strips = WideFormulaStrips(view)
        self._style: FormulaStyle | None = None
        self._pending: dict[str, MathSpan] = {}  # url -> formula still to draw
        self._spent_now = 0.0  # seconds spent drawing new formulas in this turn of the loop
        self._next_turn = QTimer(view)
        self._next_turn.setSingleShot(True)
        self._next_turn.setInterval(0)
        self._next_turn.timeout.connect(self._on_next_turn_timeout)

    @property
    def pending(self) -> int:
        """How many formulas wait to be drawn."""
        return len(self._pending)

    def load(self, url: QUrl) -> QImage | None:
        """The picture for a kibitz-math URL (None: not a formula)."""
        name = url_key(url)
        span = _span(name)
        if span is None:
            return None
        style = self.style()
        drawn = FORMULAS.peek((span, style))
        if drawn is None:
            self._next_turn.start()  # a new turn starts a new count
            if self._spent_now >= self._budget():
                self._pending[name] = span
                return _stand_in(span, style, self._column_width())
            started = time.perf_counter()
            drawn = self.draw(span)
            self._spent_now += time.perf_counter() - started
        self._pending.pop(name, None)
        return self._picture(name, drawn)

    def _budget(self) -> float:
        streaming = bool(getattr(self._view, "streaming", False))
        return STREAMING_BUDGET_S if streaming else SYNC_BUDGET_S

    def _picture(self, name: str, drawn: FormulaImage) -> QImage:
        self._shown[name] = drawn
        image = drawn.image
        column = self._column_width()
        if image.deviceIndependentSize().width() <= column:
            self._strips.set_image(name, None)
            return image
        # Wider than the column: a clear stand-in there, the picture scrolls in a strip over it.
        stand_in = placeholder(column, image, scroll_bar_extent(self._view))
        self._strips.set_image(name, image, stand_in.deviceIndependentSize().toSize())
        return stand_in

    def _column_width(self) -> float:
        view = self._view
        if view.lineWrapMode() is QTextEdit.LineWrapMode.FixedPixelWidth:
            return float(view.lineWrapColumnOrWidth())
        return float(view.viewport().width())

    def place_strips(self) -> None:
        """Lay the strips of too-wide formulas over their lines (after a new layout)."""
        self._strips.place()

    @property
    def strips(self) -> WideFormulaStrips:
        return self._strips

    def draw(self, span: MathSpan) -> FormulaImage:
        style = self.style()
        return FORMULAS.get(
            (span, style), lambda: render_formula(span.tex, span.raw, span.display, style)
        )

    def style(self) -> FormulaStyle:
        """The view's font, colours and screen as a formula needs them (kept until refresh)."""
        if self._style is None:
            self._style = self._current_style()
        return self._style

    def _current_style(self) -> FormulaStyle:
        view = self._view
        font = view.document().defaultFont()
        if font.pixelSize() > 0:
            text_px = float(font.pixelSize())
        else:
            text_px = font.pointSizeF() * view.logicalDpiY() / 72
        palette = view.palette()
        text = palette.color(QPalette.ColorRole.Text)
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        metrics = QFontMetricsF(font)
        return FormulaStyle(
            text_px=text_px,
            x_height=metrics.xHeight(),
            text_ascent=metrics.ascent(),
            text_descent=metrics.descent(),
            color=text.name(QColor.NameFormat.HexRgb),
            warning=_WARNING[dark],
            code_font=QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family(),
            dpr=view.devicePixelRatioF(),
        )

    def error_for(self, name: str) -> str | None:
        """The renderer's error for the formula of an image URL (as in the HTML), if any."""
        drawn = self._shown.get(url_key(name))
        return drawn.error if drawn is not None else None

    def forget(self) -> None:
        """The document was cleared: the formulas it showed are gone with it."""
        self._shown.clear()
        self._pending.clear()
        self._strips.clear()

    def refresh(self) -> bool:
        """Draw every shown formula again in the view's current font, colours and screen;
        whether there were any (the document then needs laying out again)."""
        self._style = None
        self._spent_now = 0.0  # a new font or palette is a new start: its own budget
        names = [*self._shown, *self._pending]
        if not names:
            return False
        self._pending.clear()
        self._replace(names)
        return True

    def _replace(self, names: list[str]) -> None:
        doc = self._view.document()
        for name in dict.fromkeys(names):
            url = QUrl(name)
            image = self.load(url)
            if image is not None:
                doc.addResource(QTextDocument.ResourceType.ImageResource.value, url, image)
        doc.markContentsDirty(0, doc.characterCount())
        self._strips.place()

    def _on_next_turn_timeout(self) -> None:
        self._spent_now = 0.0
        if self._pending:
            # Those that fit this turn are drawn; load() queues the rest for the next one.
            self._replace(list(self._pending))

    def formula_at(self, position: int) -> str | None:
        """The URL of the formula picture at a document position, if there is one."""
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(position)
        cursor.movePosition(
            QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor
        )
        fmt = cursor.charFormat()
        if cursor.selectedText() != OBJECT or not fmt.isImageFormat():
            return None
        name = fmt.toImageFormat().name()
        return name if name.startswith(MATH_SCHEME + ":") else None


@lru_cache(maxsize=4096)
def _span(name: str) -> MathSpan | None:
    # Parsing the URL checks it holds exactly one formula: worth remembering while streaming.
    return span_from_url(name)


def _stand_in(span: MathSpan, style: FormulaStyle, column: float) -> QImage:
    """A clear place about the formula's size, held until it is drawn."""
    width = min(column, max(1.0, len(span.tex) * style.text_px * 0.4))
    lines = 2.5 if span.display else 1.0
    height = (style.text_ascent + style.text_descent) * lines
    image = QImage(
        max(1, round(width * style.dpr)),
        max(1, round(height * style.dpr)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.setDevicePixelRatio(style.dpr)
    image.fill(Qt.GlobalColor.transparent)
    return image


def selection_source(cursor: QTextCursor) -> str:
    """The selected text with each formula picture replaced by its source (delimiters kept)."""
    doc = cursor.document()
    start, end = cursor.selectionStart(), cursor.selectionEnd()
    lines: list[str] = []
    block = doc.findBlock(start)
    while block.isValid() and block.position() <= end:
        parts: list[str] = []
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            lo = max(start, fragment.position())
            hi = min(end, fragment.position() + fragment.length())
            if lo < hi:
                parts.append(
                    _fragment_source(
                        fragment.text(), fragment.charFormat(), lo, hi, fragment.position()
                    )
                )
            it += 1
        lines.append("".join(parts))
        block = block.next()
    return "\n".join(lines)


def _fragment_source(text: str, fmt: QTextFormat, lo: int, hi: int, at: int) -> str:
    if fmt.isImageFormat():
        span = span_from_url(fmt.toImageFormat().name())
        if span is not None:
            return span.raw * (hi - lo)  # each object character is one picture
    return text[lo - at : hi - at].replace(OBJECT, "")
