"""Renders resources/icons/kibitz.svg into the PNG sizes desktops look for (hicolor theme).

Run it after changing the SVG, then commit the PNGs:
    .venv/bin/python packaging/linux/render_icons.py
The PNGs are committed, not built, so that a build needs no SVG renderer; `--check` exits 1
when a committed PNG no longer matches the SVG (the test suite runs it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
SOURCE = ICONS / "kibitz.svg"
NAME = "kibitz"  # kibitz.APP_ID: the .desktop file's Icon= and the theme's file name
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int, root: Path = ICONS) -> Path:
    return root / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"


def render(size: int) -> bytes:
    """The SVG at `size`×`size` pixels as PNG bytes (antialiased, transparent background)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage

    app = QGuiApplication(sys.argv[:1])
    stale = []
    for size in SIZES:
        target = png_path(size)
        data = render(size)
        if args.check:
            # Compare pixels, not bytes: a newer libpng may compress the same image differently.
            if not target.is_file() or QImage(str(target)) != QImage.fromData(data, "PNG"):
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"{target} ({len(data)} bytes)")
    del app
    if stale:
        print("out of date with kibitz.svg (run packaging/linux/render_icons.py):", *stale)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
