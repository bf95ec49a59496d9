"""The app's icons: Lucide SVGs bundled in resources/icons/ui (licence beside them), drawn in
the palette's text colour so one file serves light and dark.

`icon("copy", widget)` gives a QIcon in the widget's button-text colour (its disabled state
in the palette's disabled colour); callers ask again when the palette changes (see
`IconButton`, which does that itself). The SVGs are parsed once and QtSvg loads only when
the first icon is drawn. The app keeps what it draws (`keep_drawn_icons`: a small PNG per
icon, colour and size), so a later start paints its first frame without QtSvg (~2 ms).
"""

from __future__ import annotations

import logging
import sys
import zlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QToolButton, QWidget

from kibitz.core.files import write_atomically

if TYPE_CHECKING:
    from PySide6.QtSvg import QSvgRenderer

log = logging.getLogger(__name__)
Role = QPalette.ColorRole
_Group = QPalette.ColorGroup


class _Kept:
    folder: Path | None = None  # where drawn icons are kept between starts; None: not kept


def keep_drawn_icons(folder: Path) -> None:
    """Keep every icon drawn from now on in `folder`, and draw from there what it holds. Each
    file is named for the icon, its SVG's checksum, the colour and the size: a changed SVG or
    palette gets new files, never a stale picture; keeping one for a changed SVG removes the
    icon's files drawn from the old one."""
    _Kept.folder = folder


def _kept_path(name: str, colour: str, size: QSize) -> Path | None:
    source = _svg_source(name)
    if _Kept.folder is None or not source:
        return None
    checksum = zlib.crc32(source)
    return _Kept.folder / f"{name}-{checksum:08x}-{colour[1:]}-{size.width()}x{size.height()}.png"


def _keep(pixmap: QPixmap, path: Path, name: str) -> None:
    from PySide6.QtCore import QBuffer, QIODevice  # only when an icon is drawn afresh

    png = QBuffer()
    png.open(QIODevice.OpenModeFlag.WriteOnly)
    if not pixmap.save(png, "PNG"):
        return
    try:
        write_atomically(path, png.data().data())
        _forget_older(path, name)
    except OSError as exc:  # only a later start's time is lost
        log.info("could not keep the icon %s: %s", path.name, exc)


def _forget_older(kept: Path, name: str) -> None:
    """The icon's files drawn from another version of its SVG (icons are kept only on a first
    draw, so this runs once per icon, colour and size, not per paint)."""
    checksum = kept.name[len(name) + 1 :].split("-", 1)[0]
    for path in kept.parent.glob(f"{name}-*.png"):
        icon, older, *_ = path.name.rsplit("-", 3)
        if icon == name and older != checksum:
            path.unlink(missing_ok=True)


@cache  # resolving the path stats each folder on the way: once, not per icon drawn
def icons_folder() -> Path:
    """resources/icons/ui: in the frozen bundle (build.spec copies resources/icons) or the
    checkout."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[3]
    return root / "resources" / "icons" / "ui"


def available() -> list[str]:
    """The names of the bundled icons (file names without .svg)."""
    return sorted(p.stem for p in icons_folder().glob("*.svg"))


@cache
def _svg_source(name: str) -> bytes:
    path = icons_folder() / f"{name}.svg"
    try:
        return path.read_bytes()
    except OSError:
        return b""  # a wheel install without resources: the button keeps its text and tooltip


@cache
def _renderer(name: str, rgb: str) -> QSvgRenderer | None:
    try:
        from PySide6.QtSvg import QSvgRenderer  # QtSvg loads on first use
    except ImportError:  # a build without QtSvg: buttons keep their tooltips, drawn empty
        log.warning("QtSvg is missing: icons are not drawn", exc_info=True)
        return None
    source = _svg_source(name)
    if not source:
        return None
    tinted = source.replace(b"currentColor", rgb.encode())
    renderer = QSvgRenderer(QByteArray(tinted))
    return renderer if renderer.isValid() else None


class _TintedSvgEngine(QIconEngine):
    """Draws the SVG at whatever size and device pixel ratio is asked: sharp on HiDPI."""

    def __init__(self, name: str, normal: QColor, disabled: QColor, active: QColor) -> None:
        super().__init__()
        self._name = name
        self._colours = {
            QIcon.Mode.Normal: normal.name(),
            QIcon.Mode.Disabled: disabled.name(),
            QIcon.Mode.Active: active.name(),
            QIcon.Mode.Selected: active.name(),
        }

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        # Through the pixmap (a kept icon needs no SVG drawn), at the highest pixel ratio of
        # the screens: asking the painter's device would make PySide6 wrap a widget class it
        # does not know, which loads every widget class it has (~4 ms).
        side = min(rect.width(), rect.height())
        if side <= 0:
            return
        ratio = max((screen.devicePixelRatio() for screen in QGuiApplication.screens()), default=1)
        square = QRect(
            rect.x() + (rect.width() - side) // 2,
            rect.y() + (rect.height() - side) // 2,
            side,
            side,
        )
        painter.drawPixmap(square, self.scaledPixmap(QSize(side, side), mode, state, ratio))

    def _render(self, painter: QPainter, rect: QRect, mode: QIcon.Mode) -> None:
        """The SVG itself, in the mode's colour, centred in `rect`."""
        renderer = _renderer(self._name, self._colours.get(mode, self._colours[QIcon.Mode.Normal]))
        if renderer is not None:
            side = min(rect.width(), rect.height())
            x = rect.x() + (rect.width() - side) / 2
            y = rect.y() + (rect.height() - side) / 2
            renderer.render(painter, QRectF(x, y, side, side))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        colour = self._colours.get(mode, self._colours[QIcon.Mode.Normal])
        kept = _kept_path(self._name, colour, size)
        if kept is not None:
            drawn = QPixmap(str(kept))  # a null pixmap when not there (or unreadable)
            if not drawn.isNull():
                return drawn
        pixmap = self._drawn(size, mode, state)
        if kept is not None and _renderer(self._name, colour) is not None:  # drew something
            _keep(pixmap, kept, self._name)
        return pixmap

    def _drawn(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:  # an error while painting must not leave the pixmap painted on (Qt aborts)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._render(painter, pixmap.rect(), mode)
        finally:
            painter.end()
        return pixmap

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        pixmap = self.pixmap(QSize(round(size.width() * scale), round(size.height() * scale)),
                             mode, state)  # fmt: skip
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def clone(self) -> QIconEngine:
        colours = self._colours
        return _TintedSvgEngine(self._name, QColor(colours[QIcon.Mode.Normal]),
                                QColor(colours[QIcon.Mode.Disabled]),
                                QColor(colours[QIcon.Mode.Active]))  # fmt: skip

    def key(self) -> str:
        return "kibitz-tinted-svg"


def icon_draws(name: str) -> bool:
    """Whether `name` draws anything (its file is there and QtSvg loads): the smoke test's
    check of a build."""
    black = QColor(0, 0, 0)
    engine = _TintedSvgEngine(name, black, black, black)  # drawn now: not what was kept
    image = engine._drawn(QSize(32, 32), QIcon.Mode.Normal, QIcon.State.Off).toImage()
    return any(
        image.pixelColor(x, y).alpha() > 0
        for x in range(image.width())
        for y in range(image.height())
    )


def icon_in(name: str, colour: QColor, disabled: QColor | None = None) -> QIcon:
    """The icon `name` drawn in `colour` (disabled: `disabled`, or `colour` faded)."""
    if disabled is None:
        disabled = QColor(colour)
        disabled.setAlphaF(0.38)
    return QIcon(_TintedSvgEngine(name, colour, disabled, colour))


def icon(name: str, widget: QWidget | None = None, role: Role = Role.ButtonText) -> QIcon:
    """The icon `name` in the colour `role` of the widget's palette (or the application's)."""
    palette = widget.palette() if widget is not None else QGuiApplication.palette()
    colour = palette.color(_Group.Active, role)
    disabled = palette.color(_Group.Disabled, role)
    if disabled == colour:  # palettes that leave the disabled group unset
        disabled = QColor(colour)
        disabled.setAlphaF(0.38)
    return icon_in(name, colour, disabled)


class IconButton(QToolButton):
    """A flat, icon-only tool button with a tooltip (also its accessible name), re-tinted
    when the palette changes (light ↔ dark)."""

    def __init__(
        self, name: str, tooltip: str, parent: QWidget | None = None, *, size: int = 16
    ) -> None:
        super().__init__(parent)
        self._icon_name = name
        self.setAutoRaise(True)
        self.setToolTip(tooltip)
        self.setAccessibleName(tooltip)
        self.setIconSize(QSize(size, size))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._retint()

    @property
    def icon_name(self) -> str:
        return self._icon_name

    def set_icon_name(self, name: str) -> None:
        if name != self._icon_name:
            self._icon_name = name
            self._retint()

    def _retint(self) -> None:
        self.setIcon(icon(self._icon_name, self))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._retint()
        super().changeEvent(event)
