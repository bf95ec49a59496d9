"""Display formulas wider than the text column scroll sideways in a strip over their line.

Qt's text engine cannot scroll one line, and a picture wider than the column would widen the
message (or be cut at its edge). The document gets a clear placeholder as wide as the column
(plus room for a scroll bar under the formula); a borderless horizontal QScrollArea holding the
whole picture is laid over it, and placed again whenever the text is laid out again.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QPixmap, QTextDocument, QTextLine
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QStyle, QTextEdit


def scroll_bar_extent(view: QTextEdit) -> int:
    return view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)


def placeholder(width: float, image: QImage, bar: int) -> QImage:
    """A clear picture as wide as the column, as tall as the formula and its scroll bar."""
    dpr = image.devicePixelRatio()
    out = QImage(
        max(1, math.floor(width * dpr)),
        image.height() + math.ceil(bar * dpr),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    out.setDevicePixelRatio(dpr)
    out.fill(Qt.GlobalColor.transparent)
    return out


class WideFormulaStrips:
    """The scrolling strips of one text view, by formula URL."""

    def __init__(self, view: QTextEdit) -> None:
        self._view = view
        self._strips: dict[str, QScrollArea] = {}
        self._images: dict[str, QImage] = {}
        self._sizes: dict[str, QSize] = {}

    @property
    def strips(self) -> dict[str, QScrollArea]:
        return dict(self._strips)

    def set_image(self, name: str, image: QImage | None, size: QSize | None = None) -> None:
        """The whole picture of a too-wide formula and its placeholder's logical size; None:
        it fits (now), no strip."""
        if image is None or size is None:
            self._images.pop(name, None)
            self._sizes.pop(name, None)
            strip = self._strips.pop(name, None)
            if strip is not None:
                strip.deleteLater()
            return
        self._images[name] = image
        self._sizes[name] = size
        strip = self._strips.get(name)
        if strip is None:
            strip = self._strips[name] = self._make_strip()
        label = strip.widget()
        assert isinstance(label, QLabel)
        label.setPixmap(QPixmap.fromImage(image))
        label.adjustSize()

    def clear(self) -> None:
        for name in list(self._strips):
            self.set_image(name, None)

    def _make_strip(self) -> QScrollArea:
        strip = QScrollArea(self._view.viewport())
        strip.setFrameShape(QFrame.Shape.NoFrame)
        strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        strip.setWidgetResizable(False)
        strip.setAccessibleName("Wide formula")
        strip.setStyleSheet("QScrollArea { background: transparent; }")
        label = QLabel()
        label.setAutoFillBackground(False)
        strip.setWidget(label)
        strip.viewport().setAutoFillBackground(False)
        return strip

    def place(self) -> None:
        """Lay each strip over its placeholder where the text is laid out now."""
        if not self._strips:
            return
        found = _placeholder_rects(self._view.document(), set(self._strips))
        offset_x = self._view.horizontalScrollBar().value()
        offset_y = self._view.verticalScrollBar().value()
        for name, strip in self._strips.items():
            rect = found.get(name)
            if rect is None:
                strip.hide()
                continue
            # The placeholder is the tallest thing on its line: the line is as tall as it.
            size = self._sizes[name]
            top = rect.top() + max(0.0, rect.height() - size.height()) / 2
            strip.setGeometry(
                round(rect.left() - offset_x), round(top - offset_y), size.width(), size.height()
            )
            strip.show()


def _placeholder_rects(doc: QTextDocument, names: set[str]) -> dict[str, QRectF]:
    """Where each named picture is laid out in the document (its first occurrence)."""
    layout = doc.documentLayout()
    found: dict[str, QRectF] = {}
    block = doc.begin()
    while block.isValid() and len(found) < len(names):
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            name = fmt.toImageFormat().name() if fmt.isImageFormat() else ""
            if name and name not in names:
                name = QUrl(name).toString(QUrl.ComponentFormattingOption.FullyEncoded)
            if name in names and name not in found:
                at = fragment.position() - block.position()
                line = block.layout().lineForTextPosition(at)
                x = _x_of(line, at)
                origin = layout.blockBoundingRect(block).topLeft()
                found[name] = QRectF(origin.x() + x, origin.y() + line.y(), 0, line.height())
            it += 1
        block = block.next()
    return found


def _x_of(line: QTextLine, at: int) -> float:
    # PySide6 returns (x, position) for the C++ overload taking an int*.
    x: tuple[float, int] = line.cursorToX(at)  # type: ignore[assignment]
    return float(x[0])
