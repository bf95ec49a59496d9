"""The app icon: every size is found in the checkout, and the PNGs match the SVG they are
rendered from (packaging/linux/render_icons.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from kibitz.ui.app_icon import SIZES, icons_dir, load_app_icon

REPO = Path(__file__).resolve().parents[3]


def test_the_icon_has_every_size_from_the_checkout(qapp: QApplication) -> None:
    assert icons_dir() == REPO / "resources" / "icons"
    icon = load_app_icon()
    assert sorted(s.width() for s in icon.availableSizes()) == list(SIZES)
    pixmap = icon.pixmap(QSize(48, 48))
    assert pixmap.size() == QSize(48, 48)
    image = pixmap.toImage()
    # The speech bubble is white on the coloured square; the corners are transparent.
    assert image.pixelColor(14, 16).lightness() > 200
    assert image.pixelColor(0, 0).alpha() == 0


def test_the_pngs_are_rendered_from_the_current_svg() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "linux" / "render_icons.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
