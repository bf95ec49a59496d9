"""AttachmentChip: one attached file as a small card — an image as its thumbnail, any other
file as a typed page icon with its name and size — in the composer (with ×) or in a message.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QEnterEvent,
    QFocusEvent,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolButton, QWidget

from kibitz.ui.style import scaled_font
from kibitz.ui.views.glyphs import broken_image_pixmap, document_pixmap, file_type_label
from kibitz.ui.views.message_parts import mix

CHIP_HEIGHT = 56
FILE_CHIP_WIDTHS = (168, 264)  # as wide as its name needs, within these
_RADIUS = 12
_ICON = 40
_SPIN_MS = 80
_REMOVE_ROOM = 38  # the end of a file chip kept free for its ×


def size_text(size: float) -> str:
    """ "512 bytes", "9.5 KB", "12 KB", "1.2 MB": two or three figures, as file managers do
    (and as the Markdown export writes them)."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size:.0f} bytes"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if size < 10 else f"{size:.0f} {unit}"
    return ""


class AttachmentChip(QWidget):
    """Emits `remove_clicked` (its ×) and `activated` (clicked, or Enter when focused)."""

    remove_clicked = Signal()
    activated = Signal()

    def __init__(
        self,
        name: str,
        *,
        image: bool,
        size: int | None = None,
        mime_type: str = "",
        removable: bool = False,
        clickable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("AttachmentChip")
        self._name = name
        self._image = image
        self._size = size
        self._mime_type = mime_type
        self._clickable = clickable
        self._thumbnail: QPixmap | None = None
        self._broken = False
        self._reading = False
        self._hover = False
        self._spin = 0
        self._spinner = QTimer(self)
        self._spinner.setInterval(_SPIN_MS)
        self._spinner.timeout.connect(self._on_spinner_timeout)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        if clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.remove_button: QToolButton | None = None
        if removable:
            button = _RemoveButton(self)
            button.setObjectName("ChipRemove")
            button.setAccessibleName(f"Remove {name}")
            button.setToolTip(f"Remove {name}")
            button.setCursor(Qt.CursorShape.ArrowCursor)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setFixedSize(20, 20)
            button.clicked.connect(self.remove_clicked)
            self.remove_button = button
        self._describe()

    # -- what it shows --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def is_image(self) -> bool:
        return self._image

    @property
    def reading(self) -> bool:
        return self._reading

    @property
    def thumbnail(self) -> QPixmap | None:
        return self._thumbnail

    @property
    def details(self) -> str:
        """The second line of a file chip: its type and size ("PDF · 1.2 MB")."""
        label = file_type_label(self._name, self._mime_type)
        if self._reading:
            return f"{label} · reading…"
        return label if self._size is None else f"{label} · {size_text(self._size)}"

    def set_reading(self, reading: bool) -> None:
        self._reading = reading
        if reading:
            self._spinner.start()
        else:
            self._spinner.stop()
        self._describe()
        self.update()

    def set_file(self, name: str, size: int, mime_type: str, *, image: bool) -> None:
        """What reading the file found (its kind may differ from what its name suggested)."""
        self._name, self._size, self._mime_type, self._image = name, size, mime_type, image
        self.set_reading(False)
        self.resize(self.sizeHint())
        self.updateGeometry()

    def set_thumbnail(self, pixmap: QPixmap) -> None:
        self._thumbnail = pixmap
        self._broken = False
        self.update()

    def set_broken(self, _error: object = None) -> None:
        self._broken = True
        self.update()

    def _describe(self) -> None:
        size = "" if self._size is None else f" ({size_text(self._size)})"
        state = " — reading…" if self._reading else ""
        self.setToolTip(f"{self._name}{size}{state}")
        self.setAccessibleName(f"{'Image' if self._image else 'File'} {self._name}")
        self.setAccessibleDescription(self.details)

    # -- geometry -------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        if self._image:
            return QSize(CHIP_HEIGHT, CHIP_HEIGHT)
        bold = self.font()
        bold.setWeight(bold.Weight.DemiBold)
        text = max(
            QFontMetrics(bold).horizontalAdvance(self._name),
            self.fontMetrics().horizontalAdvance(self.details),
        )
        narrowest, widest = FILE_CHIP_WIDTHS
        width = 8 + _ICON + 10 + text + 6 + (_REMOVE_ROOM if self.remove_button is not None else 14)
        return QSize(max(narrowest, min(widest, width)), CHIP_HEIGHT)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        button = self.remove_button
        if button is not None:
            # On a thumbnail, in its corner; on a file chip, at the end of its line.
            top = 4 if self._image else (self.height() - button.height()) // 2
            right = 4 if self._image else 10
            button.move(self.width() - button.width() - right, top)

    # -- input ----------------------------------------------------------------------------------

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hover = True
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = False
        self.update()
        super().leaveEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if (
            self._clickable
            and event.button() == Qt.MouseButton.LeftButton
            and self.rect().contains(event.position().toPoint())
        ):
            self.activated.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._clickable and event.key() in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
            Qt.Key.Key_Space,
        ):
            self.activated.emit()
            return
        if self.remove_button is not None and event.key() in (
            Qt.Key.Key_Delete,
            Qt.Key.Key_Backspace,
        ):
            self.remove_clicked.emit()
            return
        super().keyPressEvent(event)

    def _on_spinner_timeout(self) -> None:
        self._spin = (self._spin + 1) % 12
        self.update()

    # -- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        box = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        card = QPainterPath()
        card.addRoundedRect(box, _RADIUS, _RADIUS)
        lifted = self._clickable and (self._hover or self.hasFocus())
        fill = mix(base, text, 0.07 if lifted else 0.04)
        painter.fillPath(card, fill)
        if self._image:
            self._paint_image(painter, card, box, text)
        else:
            self._paint_file(painter, box, base, text)
        edge = accent if self.hasFocus() else mix(base, text, 0.16)
        painter.setPen(QPen(edge, 1.5 if self.hasFocus() else 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(card)

    def _paint_image(
        self, painter: QPainter, card: QPainterPath, box: QRectF, text: QColor
    ) -> None:
        pixmap = self._thumbnail
        if pixmap is not None and not pixmap.isNull():
            painter.save()
            painter.setClipPath(card)
            painter.drawPixmap(box, pixmap, cover(pixmap, box))
            painter.restore()
        elif self._reading or not self._broken:
            self._paint_spinner(painter, box.center(), 9, text)
        else:
            glyph = broken_image_pixmap(32, self.devicePixelRatioF(), mix(self._base(), text, 0.5))
            painter.drawPixmap(QPointF(box.center().x() - 16, box.center().y() - 16), glyph)

    def _paint_file(self, painter: QPainter, box: QRectF, base: QColor, text: QColor) -> None:
        icon_box = QRectF(box.left() + 8, box.top() + (box.height() - _ICON) / 2, _ICON, _ICON)
        if self._reading:
            self._paint_spinner(painter, icon_box.center(), 9, text)
        else:
            label = file_type_label(self._name, self._mime_type)
            page = document_pixmap(
                label,
                _ICON,
                self.devicePixelRatioF(),
                paper=mix(base, QColor(255, 255, 255), 0.85),
                edge=mix(base, text, 0.3),
            )
            painter.drawPixmap(icon_box.topLeft(), page)
        right = _REMOVE_ROOM if self.remove_button is not None else 12
        left = int(icon_box.right()) + 10
        width = int(box.width()) - left - right
        name_font = self.font()
        name_font.setWeight(name_font.Weight.DemiBold)
        painter.setFont(name_font)
        painter.setPen(text)
        metrics = painter.fontMetrics()
        name = metrics.elidedText(self._name, Qt.TextElideMode.ElideMiddle, width)
        top = int(box.top()) + 9
        painter.drawText(
            QRect(left, top, width, metrics.height()), Qt.AlignmentFlag.AlignLeft, name
        )
        painter.setFont(scaled_font(self.font(), "caption"))
        painter.setPen(mix(base, text, 0.55))
        painter.drawText(
            QRect(left, top + metrics.height() + 2, width, painter.fontMetrics().height()),
            Qt.AlignmentFlag.AlignLeft,
            painter.fontMetrics().elidedText(self.details, Qt.TextElideMode.ElideRight, width),
        )

    def _paint_spinner(
        self, painter: QPainter, centre: QPointF, radius: float, text: QColor
    ) -> None:
        painter.save()
        pen = QPen(mix(self._base(), text, 0.45), 2.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = QRectF(centre.x() - radius, centre.y() - radius, radius * 2, radius * 2)
        painter.drawArc(rect, -self._spin * 30 * 16, 270 * 16)
        painter.restore()

    def _base(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Base)


class _RemoveButton(QToolButton):
    """A small dark disc with a white ×, readable over any thumbnail."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        hot = self.underMouse() or self.hasFocus() or self.isDown()
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1.0))
        painter.setBrush(QColor(20, 20, 24, 230 if hot else 170))
        disc = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.drawEllipse(disc)
        pen = QPen(QColor(255, 255, 255), 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        inset = disc.width() * 0.32
        cross = disc.adjusted(inset, inset, -inset, -inset)
        painter.drawLine(cross.topLeft(), cross.bottomRight())
        painter.drawLine(cross.topRight(), cross.bottomLeft())


def cover(pixmap: QPixmap, box: QRectF) -> QRectF:
    """The part of `pixmap` that fills `box` without distortion (centred, cropped)."""
    ratio = pixmap.devicePixelRatio()
    width, height = pixmap.width() / ratio, pixmap.height() / ratio
    scale = max(box.width() / width, box.height() / height)
    crop_w, crop_h = box.width() / scale, box.height() / scale
    x, y = (width - crop_w) / 2, (height - crop_h) / 2
    return QRectF(x * ratio, y * ratio, crop_w * ratio, crop_h * ratio)
