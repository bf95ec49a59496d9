"""MessageAttachments: a message's images as thumbnails and its files as chips; a click opens one.

Each image takes its final size at once (from the stored width and height), drawn as a
placeholder until its thumbnail arrives, so nothing below moves when it does. A thumbnail is
asked for when its image is first painted: the chat view makes widgets only for the rows near
the screen, and of those only what is shown costs a decode (from the on-disk cache after the
first time).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QEnterEvent,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from kibitz.core.types import FilePart, ImagePart, Part
from kibitz.ui.attachments.thumbnails import ThumbnailLoader, side_for
from kibitz.ui.views.attachment_chip import AttachmentChip, cover, size_text
from kibitz.ui.views.flow_layout import FlowLayout
from kibitz.ui.views.glyphs import broken_image_pixmap
from kibitz.ui.views.message_parts import mix

# One image is fitted into this box; several share one height, side by side, as a strip.
SINGLE_BOX = QSize(256, 220)
STRIP_HEIGHT = 140
STRIP_WIDTHS = (72, 256)  # a panorama or a tall strip is cropped to these, not squeezed
_MIN_SIDE = 48  # a very long, thin single image still gets something to click
_RADIUS = 12


def attachment_parts(parts: Sequence[Part]) -> tuple[ImagePart | FilePart, ...]:
    return tuple(p for p in parts if isinstance(p, ImagePart | FilePart))


def shown_size(part: ImagePart, alone: bool) -> QSize:
    """How big an image is shown: `alone`, fitted into SINGLE_BOX (never enlarged); among
    others, STRIP_HEIGHT high and as wide as its shape says, within STRIP_WIDTHS. A square
    when its size is unknown."""
    if not part.width or not part.height:
        side = min(SINGLE_BOX.height(), SINGLE_BOX.width()) if alone else STRIP_HEIGHT
        return QSize(side, side)
    if not alone:
        narrowest, widest = STRIP_WIDTHS
        width = round(STRIP_HEIGHT * part.width / part.height)
        return QSize(max(narrowest, min(widest, width)), STRIP_HEIGHT)
    scale = min(1.0, SINGLE_BOX.width() / part.width, SINGLE_BOX.height() / part.height)
    return QSize(
        max(_MIN_SIDE, round(part.width * scale)), max(_MIN_SIDE, round(part.height * scale))
    )


class ImageThumbnail(QWidget):
    """One image of a message; `activated` on click or Enter."""

    activated = Signal()

    def __init__(
        self,
        part: ImagePart,
        size: QSize,
        thumbnails: ThumbnailLoader | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("MessageImage")
        self.part = part
        self._thumbnails = thumbnails
        self._pixmap: QPixmap | None = None
        self._broken = False
        self._asked = False
        self._hover = False
        self.setFixedSize(size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setAccessibleName(f"Image {part.name}")
        facts = [size_text(part.size)]
        if part.width and part.height:
            facts.insert(0, f"{part.width} × {part.height}")
        self.setToolTip(f"{part.name}\n{' · '.join(facts)}\nClick to open")
        if thumbnails is not None:
            side = side_for(max(size.width(), size.height()), self.devicePixelRatioF())
            self._pixmap = thumbnails.cached(part.blob, side)

    @property
    def loaded(self) -> bool:
        return self._pixmap is not None

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._pixmap is None and not self._asked:
            self._ask()
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        box = QRectF(self.rect())
        shape = QPainterPath()
        shape.addRoundedRect(box, _RADIUS, _RADIUS)
        painter.fillPath(shape, mix(base, text, 0.07))
        if self._pixmap is not None:
            painter.save()
            painter.setClipPath(shape)
            painter.drawPixmap(box, self._pixmap, cover(self._pixmap, box))
            if self._hover:
                painter.fillPath(shape, QColor(0, 0, 0, 36))
            painter.restore()
        elif self._broken:
            glyph = broken_image_pixmap(32, self.devicePixelRatioF(), mix(base, text, 0.5))
            painter.drawPixmap(int(box.center().x()) - 16, int(box.center().y()) - 16, glyph)
        edge = palette.color(QPalette.ColorRole.Highlight) if self.hasFocus() else None
        painter.setPen(QPen(edge, 2.0) if edge else QPen(mix(base, text, 0.12), 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(shape)

    def _ask(self) -> None:
        self._asked = True
        if self._thumbnails is None:
            return
        side = side_for(max(self.width(), self.height()), self.devicePixelRatioF())
        self._thumbnails.request_blob(
            self.part.blob, side, self, self._on_thumbnail, self._on_thumbnail_failed
        )

    def _on_thumbnail(self, pixmap: QPixmap) -> None:
        self._pixmap = pixmap
        self.update()

    def _on_thumbnail_failed(self, _error: BaseException) -> None:
        self._broken = True
        self.setToolTip(f"{self.part.name}\nThe image could not be shown")
        self.update()

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
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.activated.emit()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            return
        super().keyPressEvent(event)


class MessageAttachments(QWidget):
    """The images, then the files, of one message; emits `opened(part)`."""

    opened = Signal(object)  # ImagePart | FilePart

    def __init__(
        self,
        parts: Sequence[ImagePart | FilePart],
        thumbnails: ThumbnailLoader | None,
        *,
        align_right: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("MessageAttachments")
        self.setAccessibleName("Attachments")
        self._thumbnails = thumbnails
        self._align_right = align_right
        self.parts: tuple[ImagePart | FilePart, ...] = ()
        self._thumbs: list[ImageThumbnail] = []
        self._chips: list[AttachmentChip] = []
        self._images = QWidget(self)
        self._image_flow = FlowLayout(self._images, spacing=8, align_right=align_right)
        self._files = QWidget(self)
        self._file_flow = FlowLayout(self._files, spacing=8, align_right=align_right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self._images)
        layout.addWidget(self._files)
        self.set_parts(parts)

    def set_parts(self, parts: Sequence[ImagePart | FilePart]) -> None:
        parts = tuple(parts)
        if parts == self.parts:
            return
        self.parts = parts
        for flow in (self._image_flow, self._file_flow):
            while flow.count():
                item = flow.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.hide()
                    widget.deleteLater()
        self._thumbs, self._chips = [], []
        images = [p for p in parts if isinstance(p, ImagePart)]
        for image in images:
            size = shown_size(image, alone=len(images) == 1)
            thumb = ImageThumbnail(image, size, self._thumbnails, self._images)
            thumb.activated.connect(lambda p=image: self.opened.emit(p))
            self._image_flow.addWidget(thumb)
            self._thumbs.append(thumb)
        for file in (p for p in parts if isinstance(p, FilePart)):
            chip = AttachmentChip(
                file.name,
                image=False,
                size=file.size,
                mime_type=file.mime_type,
                clickable=True,
                parent=self._files,
            )
            chip.setToolTip(f"{file.name} ({size_text(file.size)})\nClick to open")
            chip.activated.connect(lambda p=file: self.opened.emit(p))
            self._file_flow.addWidget(chip)
            self._chips.append(chip)
        self._images.setVisible(bool(images))
        self._files.setVisible(len(images) < len(parts))
        self.updateGeometry()

    def images(self) -> list[ImageThumbnail]:
        return list(self._thumbs)

    def file_chips(self) -> list[AttachmentChip]:
        return list(self._chips)

    def preferred_width(self) -> int:
        """How wide it would like to be: its widest row when nothing wraps."""
        return max(self._image_flow.preferred_width(), self._file_flow.preferred_width())
