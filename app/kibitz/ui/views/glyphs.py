"""Small pictures painted in code: a document with its type, a broken image (the app's other
icons are Lucide's, kibitz.ui.icons).

Painted rather than loaded from files, so they take the palette's colours (light and dark
alike), stay sharp at any scale, and need neither the SVG plugin nor a resource lookup in a
wheel install.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)

# The band colour of a document icon, by the file's extension, as file managers tint them.
_TYPE_COLOURS: dict[str, QColor] = {
    "PDF": QColor(220, 68, 55),
    "DOC": QColor(43, 108, 196),
    "DOCX": QColor(43, 108, 196),
    "MD": QColor(90, 98, 112),
    "TXT": QColor(110, 117, 128),
    "CSV": QColor(33, 140, 80),
    "JSON": QColor(200, 130, 20),
    "HTML": QColor(226, 105, 40),
}
_CODE_COLOUR = QColor(124, 77, 200)  # source files: py, js, ts, c, rs, …
_OTHER_COLOUR = QColor(110, 117, 128)
_CODE_TYPES = {"PY", "JS", "TS", "TSX", "JSX", "C", "H", "CPP", "RS", "GO", "JAVA", "KT", "RB",
               "SH", "SQL", "YAML", "YML", "TOML", "XML", "CSS", "SWIFT", "PHP", "LUA"}  # fmt: skip


def file_type_label(name: str, mime_type: str = "") -> str:
    """What a file chip calls the file's type: its extension in capitals, or the MIME
    subtype when it has none ("PDF", "TXT", "PLAIN")."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 5:
        return ext.upper()
    subtype = mime_type.partition("/")[2].partition(";")[0]
    return (subtype or "file").upper()[:5]


def type_colour(label: str) -> QColor:
    if label in _TYPE_COLOURS:
        return _TYPE_COLOURS[label]
    return _CODE_COLOUR if label in _CODE_TYPES else _OTHER_COLOUR


def _canvas(size: int, ratio: float) -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


def document_pixmap(label: str, size: int, ratio: float, *, paper: QColor, edge: QColor) -> QPixmap:
    """A page with a folded corner and a coloured band naming its type ("PDF")."""
    pixmap, painter = _canvas(size, ratio)
    width, height = size * 0.72, size * 0.9
    left, top = (size - width) / 2, (size - height) / 2
    fold = width * 0.32
    page = QPainterPath(QPointF(left + 2, top))
    page.lineTo(left + width - fold, top)
    page.lineTo(left + width, top + fold)
    page.lineTo(left + width, top + height - 2)
    page.quadTo(left + width, top + height, left + width - 2, top + height)
    page.lineTo(left + 2, top + height)
    page.quadTo(left, top + height, left, top + height - 2)
    page.lineTo(left, top + 2)
    page.quadTo(left, top, left + 2, top)
    painter.setPen(QPen(edge, 1.0))
    painter.setBrush(paper)
    painter.drawPath(page)
    corner = QPainterPath(QPointF(left + width - fold, top))
    corner.lineTo(left + width - fold, top + fold - 1.5)
    corner.quadTo(left + width - fold, top + fold, left + width - fold + 1.5, top + fold)
    corner.lineTo(left + width, top + fold)
    painter.setBrush(edge)
    painter.drawPath(corner)
    band = QRectF(left - size * 0.06, top + height * 0.52, width + size * 0.12, height * 0.3)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(type_colour(label))
    painter.drawRoundedRect(band, 2.5, 2.5)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, round(band.height() * (0.62 if len(label) <= 3 else 0.5))))
    painter.setFont(font)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(band, Qt.AlignmentFlag.AlignCenter, label)
    painter.end()
    return pixmap


def broken_image_pixmap(size: int, ratio: float, colour: QColor) -> QPixmap:
    """A picture frame with a crack: an image that could not be shown."""
    pixmap, painter = _canvas(size, ratio)
    pen = QPen(colour, 1.5)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    frame = QRectF(size * 0.15, size * 0.22, size * 0.7, size * 0.56)
    painter.drawRoundedRect(frame, 2, 2)
    hill = QPainterPath(QPointF(frame.left() + 2, frame.bottom() - 2))
    hill.lineTo(frame.left() + frame.width() * 0.35, frame.top() + frame.height() * 0.45)
    hill.lineTo(frame.left() + frame.width() * 0.55, frame.top() + frame.height() * 0.7)
    hill.lineTo(frame.left() + frame.width() * 0.7, frame.top() + frame.height() * 0.55)
    hill.lineTo(frame.right() - 2, frame.bottom() - 2)
    painter.drawPath(hill)
    painter.drawLine(QPointF(frame.right(), frame.top()), QPointF(frame.left(), frame.bottom()))
    painter.end()
    return pixmap
