"""The app icon: every size is found in the checkout, and the PNGs match the SVG they are
rendered from (packaging/linux/render_icons.py), within what differs between rasterizers."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from kibitz.ui.app_icon import SIZES, icons_dir, load_app_icon

REPO = Path(__file__).resolve().parents[3]
SVG = REPO / "resources" / "icons" / "kibitz.svg"


@pytest.fixture(scope="module")
def render_icons() -> Iterator[ModuleType]:
    """packaging/linux/render_icons.py, imported from its file (packaging/ is no package)."""
    path = REPO / "packaging" / "linux" / "render_icons.py"
    spec = importlib.util.spec_from_file_location("render_icons", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _committed(size: int) -> QImage:
    image = QImage(
        str(REPO / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "kibitz.png")
    )
    assert not image.isNull()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def _svg_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = SVG.read_text()
    assert old in text
    changed = tmp_path / "kibitz.svg"
    changed.write_text(text.replace(old, new, 1))
    return changed


def test_the_icon_has_every_window_size_from_the_checkout(qapp: QApplication) -> None:
    assert icons_dir() == REPO / "resources" / "icons"
    icon = load_app_icon()
    # Up to 128 px: the larger ones are for launchers (installed), not for windows, whose icon
    # X11 sends in every size it has (test_startup_footprint reads what the window sent).
    assert sorted(s.width() for s in icon.availableSizes()) == [s for s in SIZES if s <= 128]
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


def test_rasterizer_jitter_is_within_the_tolerance(
    qapp: QApplication, render_icons: ModuleType
) -> None:
    # What another Qt's rasterizer does: a few pixels, a level or two each.
    committed = _committed(128)
    jittered = QImage(committed)
    for n, (x, y) in enumerate([(20, 6), (64, 33), (100, 90), (7, 64), (90, 121)]):
        color = jittered.pixelColor(x, y)
        level = 1 + n % 2
        color.setBlue(
            min(255, color.blue() + level) if color.blue() < 128 else color.blue() - level
        )
        jittered.setPixelColor(x, y, color)
    assert jittered != committed
    drift = render_icons.compare(committed, jittered)
    assert drift.within_tolerance, drift.describe()
    assert 0 < drift.mean_levels < 0.01
    # Even a handful of edge pixels well off, as long as they stay a tiny share of the icon.
    for x in range(10):
        color = jittered.pixelColor(60 + x, 60)
        color.setRed(255 - color.red())
        jittered.setPixelColor(60 + x, 60, color)
    assert render_icons.compare(committed, jittered).within_tolerance


def test_a_recoloured_or_moved_icon_fails_the_check(
    qapp: QApplication, render_icons: ModuleType
) -> None:
    committed = _committed(128)
    recoloured = QImage(committed)
    painter = QPainter(recoloured)
    painter.fillRect(40, 50, 14, 14, QColor("#c2443b"))  # one dot red instead of blue
    painter.end()
    moved = QImage(committed.size(), committed.format())
    moved.fill(0)
    painter = QPainter(moved)
    painter.drawImage(QPoint(1, 0), committed)  # everything one pixel to the right
    painter.end()
    for changed in (recoloured, moved):
        drift = render_icons.compare(committed, changed)
        assert not drift.within_tolerance, drift.describe()
    assert not render_icons.compare(committed, committed.scaled(64, 64)).within_tolerance


@pytest.mark.parametrize(
    ("what", "old", "new"),
    [
        ("one dot moved by 2 units", 'cx="82"', 'cx="84"'),
        ("one dot a little bigger", 'r="6.5"', 'r="7"'),
        ("the rounded corners tighter", 'rx="26" ry="26"', 'rx="24" ry="24"'),
        ("the gradient's top 4 levels lighter", "#6272f2", "#6676f6"),
        ("the bubble off-white", 'fill="#ffffff"', 'fill="#f0f0f0"'),
    ],
)
def test_a_changed_svg_leaves_the_pngs_out_of_date(
    qapp: QApplication, render_icons: ModuleType, tmp_path: Path, what: str, old: str, new: str
) -> None:
    stale = render_icons.check(_svg_copy(tmp_path, old, new))
    # Every size from 48 px up shows the change; the smallest may blur a 2-unit move away.
    big = {render_icons.png_path(size) for size in render_icons.SIZES if size >= 48}
    assert big <= stale.keys(), (what, stale)


def test_the_check_finds_a_missing_png(
    qapp: QApplication, render_icons: ModuleType, tmp_path: Path
) -> None:
    root = tmp_path / "icons"
    shutil.copytree(REPO / "resources" / "icons", root)
    assert render_icons.check(SVG, root) == {}
    render_icons.png_path(64, root).unlink()
    assert render_icons.check(SVG, root) == {
        render_icons.png_path(64, root): "missing or unreadable"
    }
