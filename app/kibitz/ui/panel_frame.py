"""A frameless panel's frame: a rounded 1 px border and, where windows can be see-through, a
soft shadow, so the quick-ask panel stands apart from whatever is behind it.

The shadow is painted (a cached pixmap), not a QGraphicsDropShadowEffect: an effect renders
the whole panel, streaming chat view included, into an offscreen pixmap on every repaint.
A see-through window needs a compositor; on X11 without one (a bare window manager, Xvfb) its
transparent pixels would show as black, so there the panel is a plain rectangle with the
border and no shadow.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPainterPath, QPalette, QPen, QPixmap

log = logging.getLogger(__name__)

SHADOW = 14  # px around the panel the shadow may use (the window's margin when see-through)
RADIUS = 10.0  # the panel's corner radius
_SHADOW_OFFSET = 3  # the shadow sits a little lower than the panel, as if lit from above
_SHADOW_ALPHA = 60  # the shadow's darkest alpha, next to the border


def can_be_translucent() -> bool:
    """True when a window's transparent pixels will show what is behind it."""
    platform = QGuiApplication.platformName()
    if platform != "xcb":
        # Wayland, Windows and macOS always composite; offscreen renders alpha into grabs.
        return platform in ("wayland", "windows", "cocoa", "offscreen") or sys.platform in (
            "win32",
            "darwin",
        )
    return _x11_compositor_running()


def _x11_compositor_running() -> bool:
    """Whether an X11 compositing manager owns _NET_WM_CM_S<screen> (the EWMH way to ask).

    Asked through libX11, which Qt's xcb platform has loaded already: three calls on a short
    connection of its own. python-xlib would take ~40 ms to connect (it queries every
    extension the server has), in the middle of the start-up.
    """
    import ctypes

    try:
        x11 = ctypes.CDLL("libX11.so.6")  # by its soname: ctypes.util.find_library runs ldconfig
    except OSError as exc:
        log.debug("no libX11 to ask for a compositor: %s", exc)
        return False
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XDefaultScreen.restype = ctypes.c_int
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XGetSelectionOwner.restype = ctypes.c_ulong
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)  # $DISPLAY, as Qt's
    if not display:
        log.debug("no X display to ask for a compositor")
        return False
    try:
        selection = f"_NET_WM_CM_S{x11.XDefaultScreen(display)}".encode()
        atom = x11.XInternAtom(display, selection, 0)
        return bool(atom) and x11.XGetSelectionOwner(display, atom) != 0  # 0: None
    finally:
        x11.XCloseDisplay(display)


def border_colour(palette: QPalette) -> QColor:
    """The border: the palette's mid colour, nudged towards the text on dark themes, where
    the mid colour sits too close to the window's."""
    mid = palette.color(QPalette.ColorRole.Mid)
    window = palette.color(QPalette.ColorRole.Window)
    if abs(mid.lightness() - window.lightness()) < 40:
        text = palette.color(QPalette.ColorRole.WindowText)
        mid = QColor(
            (mid.red() * 2 + text.red()) // 3,
            (mid.green() * 2 + text.green()) // 3,
            (mid.blue() * 2 + text.blue()) // 3,
        )
    return mid


class PanelFrame:
    """Paints the frame of a panel of `size`; `margin` is the room left for the shadow
    (0: no shadow, square corners, for a window that cannot be see-through)."""

    def __init__(self, margin: int) -> None:
        self.margin = margin
        self._shadow: QPixmap | None = None
        self._shadow_size = QSize()

    def panel_rect(self, size: QSize) -> QRectF:
        """Where the panel itself is drawn inside a window of `size` (inside the shadow)."""
        m = self.margin
        return QRectF(m + 0.5, m + 0.5, size.width() - 2 * m - 1, size.height() - 2 * m - 1)

    def paint(self, painter: QPainter, size: QSize, palette: QPalette, scale: float = 1.0) -> None:
        """Paint the frame of a window of `size` (`scale`: its device pixel ratio)."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.margin:
            painter.drawPixmap(0, 0, self._shadow_pixmap(size, scale))
        rect = self.panel_rect(size)
        radius = RADIUS if self.margin else 0.0
        path = QPainterPath()
        path.addRoundedRect(rect, radius, radius)
        painter.fillPath(path, palette.color(QPalette.ColorRole.Window))
        painter.setPen(QPen(border_colour(palette), 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)

    def _shadow_pixmap(self, size: QSize, scale: float) -> QPixmap:
        """Rings of falling alpha around the panel, drawn once per size and scale."""
        if (
            self._shadow is not None
            and self._shadow_size == size
            and self._shadow.devicePixelRatio() == scale
        ):
            return self._shadow
        pixmap = QPixmap(size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        panel = self.panel_rect(size).translated(0, _SHADOW_OFFSET)
        steps = self.margin
        for step in range(1, steps + 1):
            fade = 1.0 - step / (steps + 1)
            painter.setPen(QPen(QColor(0, 0, 0, int(_SHADOW_ALPHA * fade * fade)), 1.0))
            ring = panel.adjusted(-step, -step, step, step)
            painter.drawRoundedRect(ring, RADIUS + step, RADIUS + step)
        painter.end()
        self._shadow, self._shadow_size = pixmap, QSize(size)
        return pixmap
