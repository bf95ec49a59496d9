"""The app's icon: the PNGs in resources/icons, found in a checkout or inside the frozen bundle
(build.spec copies them to resources/icons); otherwise the icon theme's, as installed."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from kibitz import APP_ID

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # the PNGs, installed into the icon theme
# A window's icon goes to the X server in every size it has (_NET_WM_ICON) when the window is
# made: 256 and 512 px are 1.3 MB to decode and send, ~8.5 ms of the first frame, and no
# taskbar or switcher draws a window's icon that large (launchers take the installed files).
WINDOW_SIZES = tuple(size for size in SIZES if size <= 128)


def icons_dir() -> Path | None:
    """resources/icons next to the code: the bundle's folder when frozen, else the checkout's."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[3]
    folder = root / "resources" / "icons"
    return folder if folder.is_dir() else None


def load_app_icon() -> QIcon:
    """The window and tray icon (WINDOW_SIZES); null only when neither the files nor the theme
    have it."""
    folder = icons_dir()
    if folder is None:  # a wheel install: the package put the icon into the theme, if anything
        return QIcon.fromTheme(APP_ID)
    icon = QIcon()
    for size in WINDOW_SIZES:
        png = folder / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    return icon
