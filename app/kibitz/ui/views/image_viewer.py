"""ImageViewer: one image in its own window — fitted to the screen, zoomable, saved as the
original bytes.

Keys: Ctrl+wheel, + and - zoom (around the pointer, for the wheel); 0 fits the window; 1 shows
the image at 100%; Ctrl+S saves; Esc closes. The window sizes itself to the image, at most
90% of the screen. A big photo is painted from a copy scaled to the screen while it is shown
whole, and from the original only where it is zoomed in: only the visible part is drawn, so
zooming a 12-megapixel photo stays smooth.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    QStandardPaths,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.ui.views.attachment_chip import size_text

ZOOM_STEP = 1.25
MIN_ZOOM = 0.02
MAX_ZOOM = 16.0
_SCREEN_SHARE = 0.9
_BACKDROP = QColor(28, 28, 31)


class _Canvas(QWidget):
    """The image at the viewer's zoom; paints only what is exposed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full: QImage | None = None
        self.screen_copy: QImage | None = None  # the full image scaled to about the screen
        self.zoom = 1.0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def natural_size(self) -> QSize:
        return self.full.size() if self.full is not None else QSize(0, 0)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        size = self.natural_size()
        self.setFixedSize(max(1, round(size.width() * zoom)), max(1, round(size.height() * zoom)))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), _BACKDROP)
        full = self.full
        if full is None:
            return
        # The smallest copy that still has a pixel for every pixel shown.
        source = full
        copy = self.screen_copy
        if copy is not None and copy.width() >= full.width() * self.zoom:
            source = copy
        scale = source.width() / full.width() / self.zoom  # source pixels per canvas pixel
        target = QRectF(event.rect()).intersected(QRectF(self.rect()))
        piece = QRectF(
            target.left() * scale,
            target.top() * scale,
            target.width() * scale,
            target.height() * scale,
        )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 2)
        painter.drawImage(target, source, piece)


class ImageViewer(QWidget):
    """Shows an image; emits `save_requested(path)` when the user has chosen where to save."""

    save_requested = Signal(Path)
    zoom_changed = Signal(float)

    def __init__(
        self,
        name: str,
        size: int,
        dimensions: tuple[int, int] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("ImageViewer")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"{name} — Kibitz")
        self.setAccessibleName(f"Image {name}")
        self.name = name
        self._size = size
        self._fitting = True
        self._dimensions = dimensions
        self.save_dialog: QFileDialog | None = None

        self._title = QLabel(name)
        self._title.setObjectName("ViewerTitle")
        font = self._title.font()
        font.setWeight(font.Weight.DemiBold)
        self._title.setFont(font)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._facts = QLabel(self._facts_text())
        self._facts.setObjectName("ViewerFacts")
        self._facts.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._status = QLabel("Loading…")
        self._status.setObjectName("ViewerStatus")
        self._status.setAccessibleName("Viewer status")
        self._status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._zoom_out = self._tool("−", "Zoom out", "Zoom out (-)", self.zoom_out)
        self._zoom_label = QLabel("")
        self._zoom_label.setAccessibleName("Zoom")
        self._zoom_label.setMinimumWidth(48)
        self._zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._zoom_in = self._tool("+", "Zoom in", "Zoom in (+)", self.zoom_in)
        self._fit_button = self._tool("Fit", "Fit to window", "Fit to the window (0)", self.fit)
        self._actual = self._tool("100%", "Actual size", "Actual size (1)", self.actual_size)
        self._save = QPushButton("Save as…")
        self._save.setAccessibleName("Save image as")
        self._save.setToolTip("Save the original file (Ctrl+S)")
        self._save.setAutoDefault(False)
        self._save.clicked.connect(self.choose_save_path)
        self._save.setEnabled(False)

        self._bar = bar = QWidget()
        bar.setObjectName("ViewerBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(14, 8, 10, 8)
        row.setSpacing(6)
        row.addWidget(self._title, 1)
        row.addWidget(self._facts)
        row.addSpacing(10)
        row.addWidget(self._status)
        row.addSpacing(10)
        for widget in (self._zoom_out, self._zoom_label, self._zoom_in, self._fit_button):
            row.addWidget(widget)
        row.addWidget(self._actual)
        row.addSpacing(6)
        row.addWidget(self._save)

        self._canvas = _Canvas()
        self._scroll = QScrollArea()
        self._scroll.setObjectName("ViewerArea")
        self._scroll.setAccessibleName("Image")
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._scroll.setWidget(self._canvas)
        # Dark around the picture in either theme, as photo viewers do: colours read truer.
        self._scroll.viewport().setStyleSheet(f"background: {_BACKDROP.name()};")
        self._scroll.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self._scroll, 1)
        self._add_keys()
        self._size_to(dimensions or (800, 600))
        self._show_zoom()

    def _tool(self, text: str, name: str, tip: str, slot: Callable[[], object]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setAccessibleName(name)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def _add_keys(self) -> None:
        keys: list[tuple[list[str | QKeySequence], Callable[[], object]]] = [
            (["+", "=", "Ctrl++", "Ctrl+="], self.zoom_in),
            (["-", "Ctrl+-"], self.zoom_out),
            (["0", "Ctrl+0"], self.fit),
            (["1"], self.actual_size),
            ([QKeySequence(QKeySequence.StandardKey.Save)], self.choose_save_path),
            (["Esc"], self.close),
        ]
        for sequences, slot in keys:
            action = QAction(self)
            action.setShortcuts([QKeySequence(k) for k in sequences])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    # -- what it shows --------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self._canvas.zoom

    @property
    def fitting(self) -> bool:
        return self._fitting

    @property
    def image(self) -> QImage | None:
        return self._canvas.full

    @property
    def status_text(self) -> str:
        return self._status.text()

    def set_image(self, image: QImage, screen_copy: QImage | None = None) -> None:
        """The decoded image (and a copy scaled to the screen, for painting it whole)."""
        self._canvas.full = image
        self._canvas.screen_copy = screen_copy
        known = self._dimensions is not None
        self._dimensions = (image.width(), image.height())
        self._facts.setText(self._facts_text())
        self._status.setText("")
        self._save.setEnabled(True)
        if not known:  # else the window already has the image's size
            self._size_to(self._dimensions)
        self.fit()

    def show_failure(self, text: str) -> None:
        self._status.setText(text)

    def show_status(self, text: str) -> None:
        self._status.setText(text)

    def _facts_text(self) -> str:
        facts = [size_text(self._size)]
        if self._dimensions is not None:
            facts.insert(0, f"{self._dimensions[0]} × {self._dimensions[1]}")
        return " · ".join(facts)

    # -- zoom -----------------------------------------------------------------------------------

    def fit_zoom(self) -> float:
        """The zoom that shows the whole image in the window, never above 100%."""
        natural = self._canvas.natural_size()
        if natural.isEmpty():
            return 1.0
        room = self._scroll.viewport().size()
        return min(1.0, room.width() / natural.width(), room.height() / natural.height())

    def fit(self) -> None:
        self._fitting = True
        self._set_zoom(self.fit_zoom())

    def actual_size(self) -> None:
        self._fitting = False
        self._set_zoom(1.0)

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def zoom_by(self, factor: float, around: QPoint | None = None) -> None:
        """Zoom by `factor`, keeping the image point under `around` (viewport coordinates;
        default its centre) where it is."""
        self._fitting = False
        viewport = self._scroll.viewport()
        anchor = around if around is not None else viewport.rect().center()
        bars = self._scroll.horizontalScrollBar(), self._scroll.verticalScrollBar()
        old = self._canvas.zoom
        canvas_point = QPointF(self._canvas.mapFrom(viewport, anchor))
        self._set_zoom(old * factor)
        moved = canvas_point * (self._canvas.zoom / old)
        bars[0].setValue(round(moved.x() - anchor.x()))
        bars[1].setValue(round(moved.y() - anchor.y()))

    def _set_zoom(self, zoom: float) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        self._canvas.set_zoom(zoom)
        self._show_zoom()
        self.zoom_changed.emit(zoom)

    def _show_zoom(self) -> None:
        self._zoom_label.setText(f"{math.floor(self._canvas.zoom * 100 + 0.5)}%")
        self._fit_button.setEnabled(not self._fitting)

    # -- saving ---------------------------------------------------------------------------------

    def choose_save_path(self) -> QFileDialog | None:
        """Ask where to save (the original file, as it was attached)."""
        if self._canvas.full is None:
            return None
        if self.save_dialog is not None:
            self.save_dialog.raise_()
            return self.save_dialog
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        start = Path(folder or Path.home()) / self.name
        dialog = QFileDialog(self, "Save image as", str(start))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.fileSelected.connect(lambda path: self.save_requested.emit(Path(path)))
        dialog.finished.connect(self._on_save_dialog_finished)
        self.save_dialog = dialog
        dialog.open()
        return dialog

    def _on_save_dialog_finished(self, _result: int) -> None:
        dialog, self.save_dialog = self.save_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    # -- events ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(event, QWheelEvent)
            and watched is self._scroll.viewport()
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom_by(ZOOM_STEP**steps, event.position().toPoint())
            event.accept()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Esc also when the window is not the active one (its shortcut needs that), as
        # right after the save dialog closes on some window managers.
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitting and self._canvas.full is not None:
            self._set_zoom(self.fit_zoom())

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.save_dialog is not None:
            self.save_dialog.reject()
        super().closeEvent(event)

    def _size_to(self, dimensions: tuple[int, int]) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        area: QRect = screen.availableGeometry()
        bar = self._bar.sizeHint().height()
        width = min(int(area.width() * _SCREEN_SHARE), max(560, dimensions[0]))
        height = min(int(area.height() * _SCREEN_SHARE), max(360, dimensions[1] + bar))
        self.resize(width, height)
        frame = self.frameGeometry()
        frame.moveCenter(area.center())
        self.move(frame.topLeft())
