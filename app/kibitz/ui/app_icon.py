"""The app's icon: the PNGs in resources/icons, found in a checkout or inside the frozen bundle
(build.spec copies them to resources/icons); otherwise the icon theme's, as installed."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from kibitz import APP_ID

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def icons_dir() -> Path | None:
    """resources/icons next to the code: the bundle's folder when frozen, else the checkout's."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[3]
    folder = root / "resources" / "icons"
    return folder if folder.is_dir() else None


def load_app_icon() -> QIcon:
    """The window and tray icon; null only when neither the files nor the theme have it."""
    folder = icons_dir()
    if folder is None:  # a wheel install: the package put the icon into the theme, if anything
        return QIcon.fromTheme(APP_ID)
    icon = QIcon()
    for size in SIZES:
        png = folder / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    return icon
