"""Renders resources/icons/kibitz.svg into the PNG sizes desktops look for (hicolor theme).

Run it after changing the SVG, then commit the PNGs:
    .venv/bin/python packaging/linux/render_icons.py
The PNGs are committed, not built, so that a build needs no SVG renderer. `--check` exits 1
when a committed PNG no longer matches the SVG (the test suite runs it; build.sh only warns).

The check allows for the rasterizer: Qt's SVG renderer differs between versions and machines
by a few pixels, a level or two each (PySide6 6.11.3 on one machine against the PNGs made on
another: 3 sizes "out of date" under a pixel-identical check). What a real change of the SVG
does is far beyond that (measured at 512 px): one of the three dots moved by 2 of the SVG's
128 units puts 0.37% of the pixels more than 8 levels off; a colour nudged by 4 levels moves
the mean by 0.74 levels per channel. Both are caught by the limits below.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
SOURCE = ICONS / "kibitz.svg"
NAME = "kibitz"  # kibitz.APP_ID: the .desktop file's Icon= and the theme's file name
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# A pixel "differs" when one of its channels (premultiplied alpha, red, green, blue) is off by
# more than LEVELS. At most OFF_SHARE of the pixels may differ (never fewer than one pixel),
# and the channels' mean absolute difference must stay within MEAN_LEVELS.
LEVELS = 8
OFF_SHARE = 0.001
MEAN_LEVELS = 0.5


@dataclass(frozen=True, slots=True)
class Drift:
    """How far a committed PNG is from a fresh rendering."""

    size_differs: bool
    off_pixels: int  # pixels with a channel more than LEVELS away
    pixels: int
    mean_levels: float  # mean absolute difference over every channel of every pixel
    worst_levels: int

    @property
    def allowed_off(self) -> int:
        return max(1, int(self.pixels * OFF_SHARE))

    @property
    def within_tolerance(self) -> bool:
        return (
            not self.size_differs
            and self.off_pixels <= self.allowed_off
            and self.mean_levels <= MEAN_LEVELS
        )

    def describe(self) -> str:
        if self.size_differs:
            return "a different size"
        return (
            f"{self.off_pixels} of {self.pixels} pixels more than {LEVELS} levels off"
            f" (at most {self.allowed_off}), mean {self.mean_levels:.3f} levels per channel"
            f" (at most {MEAN_LEVELS}), worst {self.worst_levels}"
        )


def png_path(size: int, root: Path = ICONS) -> Path:
    return root / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"


def render(size: int, source: Path = SOURCE) -> bytes:
    """The SVG at `size`×`size` pixels as PNG bytes (antialiased, transparent background)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"{source} is not a valid SVG")
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


def compare(committed: QImage, rendered: QImage) -> Drift:
    """How far apart two images are, channel by channel (pixels, not PNG bytes: a newer libpng
    may compress the same image differently)."""
    from PySide6.QtGui import QImage

    pixels = rendered.width() * rendered.height()
    if committed.size() != rendered.size():
        return Drift(True, pixels, pixels, 255.0, 255)
    # Premultiplied: a nearly transparent pixel's colour counts as little as it shows.
    fmt = QImage.Format.Format_ARGB32_Premultiplied
    # Named, not temporaries: constBits() is a view that does not keep its image alive.
    ours, theirs = committed.convertToFormat(fmt), rendered.convertToFormat(fmt)
    a, b = bytes(ours.constBits()), bytes(theirs.constBits())
    channels = [[abs(x - y) for x, y in zip(a[c::4], b[c::4], strict=True)] for c in range(4)]
    worst = list(map(max, *channels))
    return Drift(
        size_differs=False,
        off_pixels=sum(w > LEVELS for w in worst),
        pixels=pixels,
        mean_levels=sum(map(sum, channels)) / (4 * pixels),
        worst_levels=max(worst, default=0),
    )


def check(source: Path = SOURCE, root: Path = ICONS) -> dict[Path, str]:
    """The committed PNGs that differ from `source` beyond the tolerance, with how."""
    from PySide6.QtGui import QImage

    stale = {}
    for size in SIZES:
        target = png_path(size, root)
        committed = QImage(str(target))
        if committed.isNull():
            stale[target] = "missing or unreadable"
            continue
        drift = compare(committed, QImage.fromData(render(size, source), "PNG"))
        if not drift.within_tolerance:
            stale[target] = drift.describe()
    return stale


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    if args.check:
        stale = check()
        del app
        for target, how in stale.items():
            print(f"{target}: {how}")
        if stale:
            print("out of date with kibitz.svg: run packaging/linux/render_icons.py, commit them")
            return 1
        return 0
    for size in SIZES:
        target = png_path(size)
        data = render(size)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"{target} ({len(data)} bytes)")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
